from __future__ import annotations

import pytest

from routing import pipeline
from routing.inputs.fleet import load_fleet
from routing.inputs.geodata import load_land
from routing.inputs.scenario import load_vessels
from routing.sea.matrix import Matrix, build_matrix
from routing.sea.network import SeaNetwork, sea_network
from routing.sea.weather import load_sea_areas
from tests.conftest import DATA

CLASSES = load_fleet(DATA / "fleet.toml")


@pytest.fixture(scope="session")
def sea_land():
    return load_land(DATA / "islands")


@pytest.fixture(scope="session")
def sea_nets(arch, sea_land, network_cache) -> dict[str, SeaNetwork]:
    """The sea network of every vessel class, built once per session (shared cache)."""
    return {
        c: sea_network(
            sea_land, arch.terminals(), clearance_m=vc.clearance_m, cache_dir=network_cache
        )
        for c, vc in CLASSES.items()
    }


@pytest.fixture(scope="session")
def sea_areas(arch):
    return load_sea_areas(DATA / "sea_areas.toml", arch)


@pytest.fixture(scope="session")
def inputs(arch, kit, sea_land, sea_nets, sea_areas, network_cache) -> pipeline.Inputs:
    """The planning pipeline's inputs from the bundled data, with the session's networks."""
    return pipeline.Inputs(
        archipelago=arch,
        kit=kit,
        classes=CLASSES,
        vessels=load_vessels(DATA / "fleet.toml", CLASSES),
        sea_areas=sea_areas,
        land=tuple(sea_land),
        network=sea_nets.__getitem__,
        cache_dir=network_cache,
    )


@pytest.fixture(scope="session")
def sea_matrices(sea_nets) -> dict[str, Matrix]:
    return {c: build_matrix(n, CLASSES[c]) for c, n in sea_nets.items()}


@pytest.fixture(scope="session")
def sea_path(sea_nets):
    return lambda c, a, b: tuple(map(tuple, sea_nets[c].path(a, b).coords.tolist()))
