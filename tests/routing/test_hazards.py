"""Hazards to navigation (``routing.inputs.hazards``), the depth table (``routing.inputs.depths``)
and the land-mask check (``routing.tools.coastcheck``): a class avoids what is too shallow for
its draft and goes through what is not; the seeded file and the table are valid and sourced; the
check finds the disagreements between the GLOBE mask and the OSM coast."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from routing.errors import DataError
from routing.inputs.depths import load_depths, parse_depths
from routing.inputs.hazards import (
    Hazard,
    KeelRule,
    avoided,
    load_hazards,
    parse_hazards,
    version_of,
)
from routing.outputs.export import UNKNOWN_DEPTH
from routing.sea.graph import Terminal, all_pairs, build_sea_graph, sea_path
from routing.sea.network import sea_network
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
RULE = KeelRule(1.3, "assumed", "test")
# Two islands off Sumenep (lon/lat) with a channel of about 660 m between them, a landing on
# each side of it; a shoal across the channel, 2 m at its least.
NORTH = box(114.00, -6.996, 114.02, -6.95)
SOUTH = box(114.00, -7.05, 114.02, -7.002)
WEST, EAST = Terminal("west", 113.99, -6.999), Terminal("east", 114.03, -6.999)
SHOAL = Hazard(
    id="shoal",
    name="Channel shoal",
    kind="shoal",
    geometry=box(114.008, -7.0025, 114.012, -6.9955),
    least_depth_m=2.0,
    no_go=False,
    status="verified",
    source="test",
)


def _path(draft_m: float, hazards: tuple[Hazard, ...]) -> tuple[float, shapely.LineString]:
    around = avoided(hazards, draft_m, RULE)
    graph = build_sea_graph(
        [NORTH, SOUTH],
        [WEST, EAST],
        clearance_m=100,
        hazards=[h.geometry for h in around],
    )
    p = sea_path(graph, all_pairs(graph), "west", "east")
    return p.distance_m, p.geometry


def test_the_deep_class_goes_around_a_shoal_the_shallow_class_goes_through() -> None:
    direct, _ = _path(3.0, ())
    deep, deep_line = _path(3.0, (SHOAL,))  # needs 3.9 m: the 2 m shoal is in the way
    shallow, shallow_line = _path(1.0, (SHOAL,))  # needs 1.3 m: it passes
    assert shallow == pytest.approx(direct, rel=1e-9)
    assert shallow_line.intersects(SHOAL.geometry)
    assert not deep_line.intersects(SHOAL.geometry)
    assert not deep_line.intersects(NORTH) and not deep_line.intersects(SOUTH)
    assert deep > direct + 5000  # around an island, not through the channel


def test_unverified_hazards_count_only_when_asked_and_no_go_stops_every_draft() -> None:
    candidate = Hazard(
        "c", "c", "land_mask_disagreement", SHOAL.geometry, None, True, "unverified", "mask"
    )
    assert avoided([candidate], 0.5, RULE) == ()
    assert avoided([candidate], 0.5, RULE, unverified=True) == (candidate,)
    # 3 m of water: a 2.4 m draft needs 3.12 m and keeps out; a 2.3 m draft needs 2.99 m.
    deep_only = Hazard("d", "d", "reef", SHOAL.geometry, 3.0, False, "verified", "chart")
    assert avoided([deep_only], 2.4, RULE) == (deep_only,)
    assert avoided([deep_only], 2.3, RULE) == ()


def test_the_hazard_file_is_valid_and_every_feature_has_a_status_and_a_source() -> None:
    hazards = load_hazards(DATA / "hazards.geojson")
    assert hazards, "the file holds the land-mask candidates at least"
    raw = json.loads((DATA / "hazards.geojson").read_text(encoding="utf-8"))
    for f in raw["features"]:
        props = f["properties"]
        assert props["status"] in ("verified", "reported", "unverified")
        assert props["source"].strip()
        assert props["least_depth_m"] is not None or props["no_go"] is True
    # Unverified candidates nobody confirmed count for no plan by default; the reported ones
    # count for every class, the shallowest draft included.
    counted = {h.id for h in avoided(hazards, 0.1, RULE)}
    assert counted == {h.id for h in hazards if h.status == "reported"}
    assert version_of(hazards) == version_of(tuple(reversed(hazards)))


# The hazards on record (research/domain-facts.md section 10.4): position (lon, lat), kind, date.
ON_RECORD = {
    "rep-sapatako-2022": ((115.68813, -6.94009), "reef", "2022-05-05"),
    "rep-batuguluk-2024": ((115.2276, -6.8342), "grounding", "2024-03-11"),
    "rep-sapudi-2022": ((114.3079, -7.2359), "wreck", "2022-05-23"),
}


def test_the_hazards_on_record_are_circles_round_their_reported_positions() -> None:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    found = {h.id: h for h in load_hazards(DATA / "hazards.geojson") if h.status == "reported"}
    assert set(found) == set(ON_RECORD)
    for ident, (position, kind, day) in ON_RECORD.items():
        h = found[ident]
        assert (h.position, h.kind, h.reported_on) == (position, kind, day)
        assert h.no_go and h.source.startswith(("Matamadura", "Kompas"))
        assert h.radius_m and h.radius_source and h.radius_source.startswith("assumed")
        ring = shapely.get_coordinates(h.geometry)
        _, _, dist = geod.inv([position[0]] * len(ring), [position[1]] * len(ring), *ring.T)
        assert np.allclose(dist, h.radius_m, rtol=0.001), ident  # every vertex at the radius
        assert h.geometry.contains(shapely.Point(position))


@pytest.mark.parametrize(
    ("drop", "path"),
    [
        ("position", "/features/0/properties/position"),
        ("radius_m", "/features/0/properties/radius_m"),
        ("radius_source", "/features/0/properties/radius_source"),
        ("reported_on", "/features/0/properties/reported_on"),
    ],
)
def test_a_reported_hazard_without_its_position_date_or_radius_is_refused(
    drop: str, path: str
) -> None:
    raw = json.loads((DATA / "hazards.geojson").read_text(encoding="utf-8"))
    reported = next(f for f in raw["features"] if f["properties"]["status"] == "reported")
    assert parse_hazards({"features": [reported]})[0].status == "reported"
    props = {k: v for k, v in reported["properties"].items() if k != drop}
    with pytest.raises(DataError) as caught:
        parse_hazards({"features": [{**reported, "properties": props}]})
    assert path in {p.path for p in caught.value.problems}
    # a polygon that is not round the position reported
    moved = {**reported, "properties": {**reported["properties"], "position": [114.0, -7.0]}}
    with pytest.raises(DataError) as caught:
        parse_hazards({"features": [moved]})
    assert "/features/0/geometry" in {p.path for p in caught.value.problems}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"source": " "}, "/features/0/properties/source"),
        ({"status": "rumoured"}, "/features/0/properties/status"),
        ({"least_depth_m": -1}, "/features/0/properties/least_depth_m"),
        ({"least_depth_m": None, "no_go": False}, "/features/0/properties/least_depth_m"),
        ({"kind": "wreckage"}, "/features/0/properties/kind"),
        ({"id": ""}, "/features/0/properties/id"),
    ],
)
def test_a_bad_hazard_is_refused_naming_its_feature_and_field(change: dict, path: str) -> None:
    good = {
        "type": "Feature",
        "properties": {
            "id": "x",
            "kind": "reef",
            "least_depth_m": 1.0,
            "status": "verified",
            "source": "chart",
        },
        "geometry": shapely.geometry.mapping(SHOAL.geometry),
    }
    assert parse_hazards({"features": [good]})[0].least_depth_m == 1.0
    bad = {**good, "properties": {**good["properties"], **change}}
    with pytest.raises(DataError) as caught:
        parse_hazards({"features": [bad]})
    assert path in {p.path for p in caught.value.problems}


def test_a_line_is_not_a_hazard_and_two_of_one_id_are_refused() -> None:
    props = {"id": "x", "kind": "reef", "no_go": True, "status": "verified", "source": "s"}
    line = {"type": "LineString", "coordinates": [[114.0, -7.0], [114.1, -7.0]]}
    poly = shapely.geometry.mapping(SHOAL.geometry)
    with pytest.raises(DataError) as caught:
        parse_hazards(
            {
                "features": [
                    {"properties": props, "geometry": line},
                    {"properties": props, "geometry": poly},
                    {"properties": props, "geometry": poly},
                ]
            }
        )
    paths = {p.path for p in caught.value.problems}
    # The first "x" claims the id, bad shape or not: the next two repeat it.
    assert paths == {
        "/features/0/geometry",
        "/features/1/properties/id",
        "/features/2/properties/id",
    }


def test_the_depth_table_is_sourced_and_names_known_landings(arch) -> None:
    table = load_depths(DATA / "landing_depths.csv", set(arch.landing_points))
    assert table
    for row in table.values():
        assert row.source and row.tide_note
        assert row.depth_m is None  # no pier depth of these islands is published
    with (DATA / "landing_depths.csv").open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == [
            "landing_id",
            "least_depth_alongside_m",
            "tide_note",
            "source",
        ]
    rows = [
        {"landing_id": "nowhere", "least_depth_alongside_m": "", "tide_note": "", "source": "s"},
        {"landing_id": "port-mes", "least_depth_alongside_m": "deep", "source": "s"},
        {"landing_id": "port-mes", "least_depth_alongside_m": "2", "source": ""},
    ]
    with pytest.raises(DataError) as caught:
        parse_depths(rows, set(arch.landing_points))
    assert {(p.code, p.path) for p in caught.value.problems} == {
        ("unknown_landing", "/rows/0/landing_id"),
        ("bad_value", "/rows/1/least_depth_alongside_m"),
        ("duplicate", "/rows/2/landing_id"),
        ("missing_field", "/rows/2/source"),
    }


def test_a_known_shallow_landing_is_worked_by_tender_and_unknown_depth_is_said(arch, kit) -> None:
    from routing.explain import check
    from routing.inputs.fleet import load_fleet
    from routing.inputs.scenario import build_problem, load_scenario, load_vessels

    classes = load_fleet(DATA / "fleet.toml")
    vessels = load_vessels(DATA / "fleet.toml", classes)
    scenario = load_scenario(DATA / "scenarios" / "pemilu2024.toml").all_dispatched()
    pier = classes["pc40"]  # berths at small piers; 1.8 m draft, needs 2.34 m
    water = {"port-pp-gayam": (2.0, "shallow at low tide"), "port-mes": (None, "exposed")}
    problem = build_problem(scenario, arch, kit, classes, vessels, keel_ratio=1.3, water=water)
    assert problem.can_berth(pier, "port-pp-gayam") is False  # 2.0 m < 2.34 m: by tender
    assert problem.can_berth(pier, "port-mes") is True  # unknown: the class decides
    assert problem.water_notes["port-mes"] == "exposed"
    deeper = build_problem(
        scenario, arch, kit, classes, vessels, keel_ratio=1.3, water={"port-pp-gayam": (2.5, "")}
    )
    assert deeper.can_berth(pier, "port-pp-gayam") is True
    # A draft beyond the known depth is the reason a vessel cannot serve a village there.
    lst = next(v for v in problem.vessels if v.class_id == "lst_teluk_bintuni")  # 3 m draft
    at_gayam = next(c for c in problem.consignments if c.landing_id == "port-pp-gayam")
    from routing.sea.matrix import Matrix

    ids = tuple(sorted({*problem.depots, at_gayam.landing_id}))
    n = len(ids)
    m = Matrix(  # every place reachable at once: only the depth can refuse
        vessel_class="lst_teluk_bintuni",
        ids=ids,
        distance_m=np.zeros((n, n), dtype=np.int64),
        duration_s=np.zeros((n, n), dtype=np.int64),
        reachable=np.ones((n, n), dtype=bool),
    )
    assert check(problem, {"lst_teluk_bintuni": m}, lst, at_gayam).code == "DRAFT_TOO_DEEP"
    assert UNKNOWN_DEPTH == "depth alongside not known"


def test_check_coast_lists_the_land_mask_disagreements_on_file() -> None:
    """The places the issue found by sampling the sea paths (around Sapeken, south of Sapudi,
    off Kangean's east coast) are among the candidates, each already on file."""
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "data", "check-coast"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()[2:]]
    assert rows and all(len(r) == 6 for r in rows)
    found = [(float(r[1]), float(r[2]), r[5]) for r in rows]
    for lat, lon in ((-7.03, 115.575), (-7.16, 114.285), (-6.95, 115.85)):
        near = [f for f in found if abs(f[0] - lat) < 0.02 and abs(f[1] - lon) < 0.02]
        assert near, (lat, lon, found)
    on_file = {h.id for h in load_hazards(DATA / "hazards.geojson")}
    assert {f[2] for f in found} <= on_file


def test_no_class_sails_through_a_hazard_on_record(network_cache: Path, sea_land, arch) -> None:
    """Every edge of every class's sea network (the networks a plan is made on, built by
    ``load_inputs`` from the bundled data) keeps out of the three reported hazards, and each
    class reaches every landing it reaches without them."""
    from routing import load_inputs
    from routing.inputs.fleet import load_fleet

    given = load_inputs(DATA, cache_dir=network_cache)
    reported = [
        h.geometry for h in load_hazards(DATA / "hazards.geojson") if h.status == "reported"
    ]
    assert len(reported) == 3
    tree = shapely.STRtree(reported)
    for class_id in load_fleet(DATA / "fleet.toml"):
        graph = given.network(class_id).graph
        edges = graph.G.tocoo()
        lines = shapely.linestrings(
            np.stack([graph.node_xy[edges.row], graph.node_xy[edges.col]], axis=1)
        )
        hits = tree.query(lines, predicate="intersects")
        assert hits.size == 0, (class_id, hits[:, :5])
        reached = np.isfinite(given.network(class_id).paths.terminal_dist_m)
        clearance = load_fleet(DATA / "fleet.toml")[class_id].clearance_m
        without = sea_network(
            sea_land, arch.terminals(), clearance_m=clearance, cache_dir=network_cache
        )
        before = np.isfinite(without.paths.terminal_dist_m)
        assert (reached == before).all(), class_id
