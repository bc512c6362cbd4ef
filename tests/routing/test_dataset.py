from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import shapely
from shapely.geometry import Point, shape

from routing.inputs.geodata import Archipelago
from routing.sea.geo import to_metric
from routing.tools.dataset import OUTPUTS, apportion, build_dataset, dotted_code, write_dataset
from tests.conftest import DATA

SOURCES = DATA / "islands" / "sources"
ISLAND_DISTRICTS = {
    "Talango",
    "Giliginting",
    "Gayam",
    "Nonggunong",
    "Ra'as",
    "Masalembu",
    "Arjasa",
    "Sapeken",
    "Kangayan",
}


def test_rebuild_is_identical_to_committed_files(tmp_path: Path) -> None:
    write_dataset(build_dataset(SOURCES), tmp_path)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (DATA / "islands" / name).read_bytes(), name


def test_villages_tps_and_sea_service(arch: Archipelago) -> None:
    villages = list(arch.villages.values())
    assert len(villages) == 334
    assert sum(v.tps for v in villages) == 3863
    sea = [v for v in villages if v.sea]
    assert len(sea) == 88
    by_district = Counter(v.district for v in sea)
    assert sum(n for d, n in by_district.items() if d in ISLAND_DISTRICTS) == 86
    assert by_district["Dungkek"] == 2
    assert {v.name for v in sea if v.district == "Dungkek"} == {"Bancamara", "Banra'as"}
    # The source lists special TPS 901 twice for desa Arjasa (tps_total 20); counted as given, the
    # regency total matches KPU's 3,863 and the island districts hold 1,346 (1,345 if counted once).
    assert sum(v.tps for v in sea if v.district in ISLAND_DISTRICTS) == 1346
    assert arch.villages["35.29.24.2020"].tps_special == 2


def test_sea_landing_points_are_on_water_near_their_island(arch: Archipelago) -> None:
    land = [
        shape(f["geometry"])
        for f in json.loads((SOURCES / "osm_land_polygons_bbox.geojson").read_text())["features"]
    ]
    tree = shapely.STRtree(land)
    for v in arch.villages.values():
        if not v.sea:
            assert v.landing_point_id is None
            continue
        lp = arch.landing_points[v.landing_point_id]
        pt = Point(lp.lon, lp.lat)
        assert len(tree.query(pt, predicate="intersects")) == 0, f"{v.code} landing point on land"
        island = to_metric(arch.islands[v.island_code].geometry)
        dist = island.distance(to_metric(pt))
        assert 0 < dist <= 1000, f"{v.code}: {dist:.0f} m from its island"
        assert lp.island_code == v.island_code
        assert v.code in lp.village_codes


def test_registry_ports_serve_the_village_they_lie_in(arch: Archipelago) -> None:
    ports = {lp.id: lp for lp in arch.landing_points.values() if lp.source == "registry_port"}
    # Kemenhub public ports on the islands (Masalembo, Keramaian, Kangean, Sapeken) are all used.
    assert {"port-mes", "port-krm", "port-kng", "port-spk"} <= set(ports)
    assert arch.villages[ports["port-krm"].village_codes[0]].name == "Kramian"
    for lp in ports.values():
        assert lp.registry_lon is not None and lp.registry_lat is not None


def test_seat_islands_agree_with_the_independent_assignment(arch: Archipelago) -> None:
    with (SOURCES / "sumenep_village_island_assignment.csv").open() as fh:
        reference = {r["kode"]: int(r["osm_island_id"]) for r in csv.DictReader(fh)}
    for v in arch.villages.values():
        assert arch.islands[v.island_code].osm_poly_id == reference[v.code], v.code


def test_all_gazetteer_islands_with_codes(arch: Archipelago) -> None:
    gaz = [i for i in arch.islands.values() if i.source == "gazetteer"]
    assert sorted(i.code for i in gaz) == [f"35.29.{40000 + n}" for n in range(1, 120)]
    assert sum(i.gazetteer_status == "BP" for i in gaz) == 38
    inhabited = [i for i in arch.islands.values() if i.inhabited]
    assert len(inhabited) >= 38
    # Guwa-Guwa is flagged uninhabited by the gazetteer but carries a village seat.
    guwa = arch.islands["35.29.40022"]
    assert (
        guwa.gazetteer_status == "TBP"
        and guwa.inhabited
        and guwa.inhabited_evidence == ("village_seat",)
    )
    seat_islands = {v.island_code for v in arch.villages.values() if v.sea}
    assert len(seat_islands) == 24  # 23 islands; OSM splits Ra'as in two
    mainland = [i for i in arch.islands.values() if i.is_madura_mainland]
    assert len(mainland) == 1 and len(mainland[0].village_seats) == 246


def test_shared_polygons_are_carried_once(arch: Archipelago) -> None:
    polys = Counter(i.osm_poly_id for i in arch.islands.values() if i.geometry_source == "osm_land")
    assert max(polys.values()) == 1
    for i in arch.islands.values():
        if i.shares_polygon_with:
            primary = arch.islands[i.shares_polygon_with]
            assert primary.osm_poly_id == i.osm_poly_id and primary.geometry_source == "osm_land"
            assert i.geometry.geom_type == "Point"


def test_voter_estimate_scales_2019_shares_and_respects_the_cap(arch: Archipelago) -> None:
    villages = list(arch.villages.values())
    total = sum(v.voters_est for v in villages)
    assert total <= 877_135
    assert total > 876_000
    assert all(v.voters_est <= 300 * v.tps for v in villages)
    assert sum(v.dpt_2019 for v in villages) == 872_764


def test_apportion_keeps_the_total_exact() -> None:
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(apportion(877_135, [3, 7, 11, 13])) == 877_135


def test_dotted_code() -> None:
    assert dotted_code("3529011015") == "35.29.01.1015"


def test_depots(arch: Archipelago) -> None:
    assert {"kalianget", "dungkek"} <= set(arch.depots)
    assert arch.depots["kalianget"].registry_name == "Kalianget (KLN)"


def test_landing_points_are_distinct_places(arch: Archipelago) -> None:
    points = [to_metric(Point(lp.lon, lp.lat)) for lp in arch.landing_points.values()]
    tree = shapely.STRtree(points)
    left, right = tree.query(points, predicate="dwithin", distance=50.0)
    assert (left == right).all(), "two landing points lie within 50 m of each other"
    shared = [lp for lp in arch.landing_points.values() if len(lp.village_codes) > 1]
    assert len(arch.landing_points) + sum(len(lp.village_codes) - 1 for lp in shared) == 88
    for lp in shared:
        assert all(arch.villages[c].landing_point_id == lp.id for c in lp.village_codes)
