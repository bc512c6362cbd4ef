from __future__ import annotations

import pytest

from routing.fleet import load_fleet
from routing.geodata import load_land
from routing.matrix import Matrix, SeaNetwork, build_matrix, sea_network
from routing.weather import load_sea_areas
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
def sea_matrices(sea_nets) -> dict[str, Matrix]:
    return {c: build_matrix(n, CLASSES[c]) for c, n in sea_nets.items()}


@pytest.fixture(scope="session")
def sea_path(sea_nets):
    return lambda c, a, b: tuple(map(tuple, sea_nets[c].path(a, b).coords.tolist()))


@pytest.fixture(scope="session")
def sea_areas(arch):
    return load_sea_areas(DATA / "sea_areas.toml", arch)
