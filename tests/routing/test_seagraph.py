from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from routing.domain import VesselClass
from routing.errors import NoSeaPath
from routing.fleet import load_fleet
from routing.geo import geodesic_m, line_length_m
from routing.geodata import Archipelago, load_land
from routing.matrix import UNREACHABLE, SeaNetwork, build_matrix, metres_to_nm, sea_network
from routing.seagraph import Terminal, all_pairs, build_sea_graph
from tests.conftest import DATA

FLEET = load_fleet(DATA / "fleet.toml")


@pytest.fixture(scope="module")
def land() -> list:
    return load_land(DATA / "islands")


@pytest.fixture(scope="module")
def networks(
    arch: Archipelago, land, tmp_path_factory
) -> dict[str, tuple[VesselClass, SeaNetwork]]:
    cache = tmp_path_factory.mktemp("seagraph-cache")
    return {
        vc.id: (
            vc,
            sea_network(land, arch.terminals(), clearance_m=vc.clearance_m, cache_dir=cache),
        )
        for vc in FLEET.values()
    }


def test_vessel_classes_have_clearance_growing_with_draft() -> None:
    classes = sorted(FLEET.values(), key=lambda c: c.draft_m)
    assert {"motor_boat", "lst_teluk_bintuni"} <= set(FLEET)
    assert FLEET["motor_boat"].clearance_m == 100 and FLEET["lst_teluk_bintuni"].clearance_m >= 500
    for a, b in itertools.pairwise(classes):
        assert a.clearance_m <= b.clearance_m


@pytest.mark.parametrize("class_id", sorted(FLEET))
def test_every_path_stays_off_land_and_is_no_shorter_than_geodesic(
    class_id, networks, land
) -> None:
    _, net = networks[class_id]
    ids = net.graph.terminal_ids
    tree = shapely.STRtree(land)
    lines, pairs = [], []
    for a in ids:
        for b in ids:
            if a == b:
                continue
            p = net.path(a, b)
            assert len(p.coords) >= 2 and p.distance_m > 0
            start, end = p.coords[0], p.coords[-1]
            gd = geodesic_m(start[0], start[1], end[0], end[1])
            assert p.distance_m >= gd - 1e-6, (a, b)
            assert p.distance_m == pytest.approx(line_length_m(p.coords), rel=1e-9)
            lines.append(p.geometry)
            pairs.append((a, b))
    hit_lines, _ = tree.query(lines, predicate="intersects")
    crossings = sorted({pairs[i] for i in hit_lines})
    assert not crossings, f"{len(crossings)} paths cross land, e.g. {crossings[:3]}"


def test_kalianget_to_masalembu_is_close_to_the_published_112_nmi(networks) -> None:
    for _, net in networks.values():
        nm = metres_to_nm(net.path("kalianget", "port-mes").distance_m)
        assert abs(nm - 112) / 112 <= 0.15, nm


def test_a_path_goes_around_an_island(networks) -> None:
    # Kalianget to Sapeken passes Sapudi and Kangean: longer than the straight line, not by much.
    _, net = networks["sabuk_nusantara"]
    p = net.path("kalianget", "port-spk")
    gd = geodesic_m(*p.coords[0], *p.coords[-1])
    assert gd < p.distance_m < 1.2 * gd
    assert len(p.coords) > 2


def test_matrix_is_integer_and_complete_for_the_dataset(networks) -> None:
    vc, net = networks["motor_boat"]
    m = build_matrix(net, vc)
    k = len(m.ids)
    assert m.distance_m.shape == (k, k) and m.distance_m.dtype == np.int64
    assert m.reachable.all()
    off = ~np.eye(k, dtype=bool)
    assert (m.distance_m[off] > 0).all() and (m.duration_s[off] > 0).all()
    i, j = m.index("kalianget"), m.index("port-mes")
    speed_m_s = vc.speed_kn * 1852 / 3600
    assert m.duration_s[i, j] == round(m.distance_m[i, j] / speed_m_s)


def test_cache_is_used_and_a_damaged_file_is_rebuilt(arch, land, tmp_path: Path) -> None:
    vc = FLEET["lst_teluk_bintuni"]
    first = sea_network(land, arch.terminals(), clearance_m=vc.clearance_m, cache_dir=tmp_path)
    second = sea_network(land, arch.terminals(), clearance_m=vc.clearance_m, cache_dir=tmp_path)
    assert not first.from_cache and second.from_cache
    assert (build_matrix(first, vc).distance_m == build_matrix(second, vc).distance_m).all()
    (cached,) = tmp_path.glob("*.npz")
    cached.write_bytes(b"not a numpy file")
    third = sea_network(land, arch.terminals(), clearance_m=vc.clearance_m, cache_dir=tmp_path)
    assert not third.from_cache
    assert (build_matrix(third, vc).distance_m == build_matrix(first, vc).distance_m).all()
    other = sea_network(land, arch.terminals(), clearance_m=vc.clearance_m + 1, cache_dir=tmp_path)
    assert other.key != first.key


# ---- small hand-made cases (metres near 114 E, 7 S: 0.01 degree is about 1.1 km)

LAGOON_ISLAND = Polygon(
    box(114.0, -7.05, 114.05, -7.0).exterior.coords,
    [box(114.01, -7.04, 114.04, -7.01).exterior.coords],
)


def test_unreachable_pair_is_explicit_and_raises() -> None:
    terminals = [
        Terminal("west", 113.98, -7.025),
        Terminal("east", 114.07, -7.025),
        Terminal("lagoon", 114.025, -7.025),  # inside a lagoon closed by land
    ]
    graph = build_sea_graph([LAGOON_ISLAND], terminals, clearance_m=100)
    net = SeaNetwork(graph, all_pairs(graph), "k", False)
    vc = FLEET["motor_boat"]
    m = build_matrix(net, vc)
    i, j = m.index("west"), m.index("lagoon")
    assert (
        not m.reachable[i, j]
        and m.distance_m[i, j] == UNREACHABLE
        and m.duration_s[i, j] == UNREACHABLE
    )
    assert m.reachable[m.index("west"), m.index("east")]
    with pytest.raises(NoSeaPath) as err:
        net.path("west", "lagoon")
    assert err.value.origin == "west" and err.value.destination == "lagoon"
    with pytest.raises(NoSeaPath, match="unreachable"):
        m.distance("lagoon", "east")
    around = net.path("west", "east")
    assert not around.geometry.intersects(LAGOON_ISLAND)
    assert around.distance_m > geodesic_m(113.98, -7.025, 114.07, -7.025)


def test_point_on_land_raises_naming_it() -> None:
    with pytest.raises(NoSeaPath) as err:
        build_sea_graph([LAGOON_ISLAND], [Terminal("ashore", 114.005, -7.005)], clearance_m=100)
    assert err.value.origin == "ashore" and "land" in err.value.reason


def test_same_place_is_not_a_route(networks) -> None:
    _, net = networks["pc40"]
    with pytest.raises(NoSeaPath, match="same place"):
        net.path("kalianget", "kalianget")
