from __future__ import annotations

import pytest

from routing import load_inputs, pipeline
from routing.inputs.fleet import load_fleet
from routing.sea.matrix import Matrix, build_matrix
from routing.sea.network import SeaNetwork
from tests.conftest import DATA

CLASSES = load_fleet(DATA / "fleet.toml")


@pytest.fixture(scope="session")
def inputs(network_cache) -> pipeline.Inputs:
    """The planning pipeline's inputs from the bundled data as every caller gets them
    (``routing.load_inputs``, the one place that knows the data folder's layout: the file's
    hazards included), with the session's network cache."""
    return load_inputs(DATA, cache_dir=network_cache)


@pytest.fixture(scope="session")
def sea_land(inputs):
    return list(inputs.land)


@pytest.fixture(scope="session")
def sea_nets(inputs) -> dict[str, SeaNetwork]:
    """The sea network of every vessel class, as plans get them (built once per session)."""
    return {c: inputs.network(c) for c in CLASSES}


@pytest.fixture(scope="session")
def sea_areas(inputs):
    return inputs.sea_areas


@pytest.fixture(scope="session")
def sea_matrices(sea_nets) -> dict[str, Matrix]:
    return {c: build_matrix(n, CLASSES[c]) for c, n in sea_nets.items()}


@pytest.fixture(scope="session")
def sea_path(sea_nets):
    return lambda c, a, b: tuple(map(tuple, sea_nets[c].path(a, b).coords.tolist()))
