from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from routing.domain import VesselClass
from routing.errors import NoSeaPath
from routing.inputs.fleet import load_fleet
from routing.inputs.geodata import Archipelago, load_land
from routing.sea.geo import geodesic_m, line_length_m
from routing.sea.graph import Terminal, all_pairs, build_sea_graph
from routing.sea.matrix import UNREACHABLE, build_matrix
from routing.sea.network import SeaNetwork, sea_network
from routing.units import metres_to_nm
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


# ---- the fast build against the exact visibility graph (synthetic archipelago, metres)


@pytest.fixture(scope="module")
def synthetic_graphs():
    from routing.sea.graph import exact_sea_graph
    from testkit import synthetic

    syn = synthetic.archipelago(100, seed=3)
    terminals = syn.arch.terminals()
    clearance = FLEET["regency_ferry"].clearance_m
    fast = build_sea_graph(syn.land, terminals, clearance_m=clearance)
    exact = exact_sea_graph(syn.land, terminals, clearance_m=clearance)
    return syn, fast, exact


def test_fast_graph_distances_are_within_half_a_percent_of_the_exact_graph(
    synthetic_graphs,
) -> None:
    _, fast, exact = synthetic_graphs
    assert fast.terminal_ids == exact.terminal_ids
    d_fast = all_pairs(fast).terminal_dist_m
    d_exact = all_pairs(exact).terminal_dist_m
    off = ~np.eye(len(fast.terminal_ids), dtype=bool)
    assert (np.isfinite(d_fast) == np.isfinite(d_exact)).all()
    both = off & np.isfinite(d_exact)
    assert both.sum() > 0.9 * off.sum()  # the archipelago is connected: most pairs count
    rel = np.abs(d_fast[both] - d_exact[both]) / d_exact[both]
    assert rel.max() <= 0.005, rel.max()


def test_fast_graph_edges_do_not_cross_land(synthetic_graphs) -> None:
    from routing.sea.geo import to_metric

    syn, fast, _ = synthetic_graphs
    coo = fast.G.tocoo()
    rng = np.random.default_rng(0)
    sample = rng.choice(len(coo.row), size=min(2000, len(coo.row)), replace=False)
    src, dst = coo.row[sample], coo.col[sample]
    lines = shapely.linestrings(np.stack([fast.node_xy[src], fast.node_xy[dst]], axis=1))
    tree = shapely.STRtree([to_metric(g) for g in syn.land])
    hits, _ = tree.query(lines, predicate="intersects")
    assert not len(hits), f"{len(set(hits))} of {len(lines)} sampled edges cross land"


def test_distance_raster_never_claims_more_room_than_there_is(synthetic_graphs) -> None:
    # The certificates the fast build relies on: from a cell, no obstacle nearer than its free
    # distance; a cell marked inside lies wholly inside an obstacle.
    from routing.sea.geo import to_metric
    from routing.sea.graph import _free_raster, obstacles

    syn, fast, _ = synthetic_graphs
    obst = obstacles([to_metric(g) for g in syn.land], fast.clearance_m).buffer(-0.5)
    raster = _free_raster(obst, 400)
    rows, cols = raster.free.shape
    rng = np.random.default_rng(1)
    xy = np.column_stack(
        [
            raster.x0 + rng.uniform(0, cols * raster.cell_m, 20_000),
            raster.y0 + rng.uniform(0, rows * raster.cell_m, 20_000),
        ]
    )
    free = raster.free[
        ((xy[:, 1] - raster.y0) / raster.cell_m).astype(int),
        ((xy[:, 0] - raster.x0) / raster.cell_m).astype(int),
    ]
    shapely.prepare(obst)
    dist = shapely.distance(obst, shapely.points(xy))
    outside = free >= 0
    assert (free[outside] * raster.cell_m <= dist[outside] + 1e-6).all()
    assert (free[outside] > 0).mean() > 0.5  # and it does claim room: most of it is open sea
    assert (~outside).any() and (dist[~outside] == 0).all()
    assert shapely.contains_xy(obst, xy[~outside, 0], xy[~outside, 1]).all()
