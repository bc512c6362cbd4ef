"""Weather windows: wave forecasts close sea areas to the vessels they are too rough for."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import datetime, timedelta

import pytest
from shapely.geometry import Point

from routing import pipeline
from routing.domain import WaveForecast
from routing.errors import DataError
from routing.inputs.scenario import build_problem, load_vessels, parse_scenario
from routing.outputs.export import plan_json
from routing.planner import make_plan
from routing.sea.weather import Weather, open_windows
from routing.solver import SolveOptions
from tests.conftest import DATA
from tests.routing.check import check_plan, check_weather
from tests.routing.conftest import CLASSES

VESSELS = load_vessels(DATA / "fleet.toml", CLASSES)
with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
    RAW = tomllib.load(fh)
START = datetime.fromisoformat("2024-02-05T06:00:00+07:00")
MASALEMBU = "35.29.23"


def _problem(arch, kit, sea_areas, **changes):
    raw = {**RAW, **changes}
    return build_problem(
        parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas
    )


def _storm(area: str, hours: float, wave_m: float = 3.0, start: datetime = START) -> dict:
    return {
        "area": area,
        "from": start.isoformat(),
        "until": (start + timedelta(hours=hours)).isoformat(),
        "wave_m": wave_m,
        "source": "test",
    }


def test_sea_areas_cover_their_districts_and_not_the_depots(arch, sea_areas) -> None:
    assert set(sea_areas) == {
        "masalembu",
        "kangean",
        "sapeken",
        "sapudi_raas",
        "madura_strait_east",
    }
    for area_id, districts in [("masalembu", {MASALEMBU}), ("sapeken", {"35.29.25"})]:
        geom = sea_areas[area_id].geometry
        for v in arch.villages.values():
            if v.sea and v.district_code in districts:
                lp = arch.landing_points[v.landing_point_id]
                assert geom.contains(Point(lp.lon, lp.lat)), (area_id, v.code)
    # The open-sea areas leave the depots out; the eastern strait is Kalianget's own water.
    for d in arch.depots.values():
        far = [a for k, a in sea_areas.items() if k != "madura_strait_east"]
        assert not any(a.geometry.contains(Point(d.lon, d.lat)) for a in far)


def test_three_metre_waves_over_masalembu_keep_smaller_vessels_out(
    arch, kit, sea_areas, sea_matrices, sea_path, sea_land
) -> None:
    problem = _problem(arch, kit, sea_areas, forecast=[_storm("masalembu", 48)])
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=500), path=sea_path
    )
    check_plan(plan, arch=arch, kit=kit, land=sea_land)
    check_weather(plan)
    assert plan.status == "completed", [(u.village_code, u.reasons) for u in plan.unassigned]
    # Whoever serves Masalembu in the storm is a vessel rated for 3 m or more.
    storm_end = START + timedelta(hours=48)
    for v in plan.voyages:
        for s in v.stops:
            ours = any(c.startswith(MASALEMBU) for c in s.consignments)
            if s.kind == "landing" and ours and s.arrival < storm_end:
                assert problem.classes[v.class_id].max_wave_m >= 3.0


def test_without_a_ship_for_the_storm_masalembu_is_weather_closed(
    arch, kit, sea_areas, sea_matrices, sea_path, sea_land
) -> None:
    # 3 m waves until after the Masalembu deadline (11 Feb 18:00), and no landing ship.
    vessels = [v for v in RAW["vessels"] if "bintuni" not in v]
    problem = _problem(
        arch, kit, sea_areas, vessels=vessels, forecast=[_storm("masalembu", 7 * 24)]
    )
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=400), path=sea_path
    )
    check_plan(plan, arch=arch, kit=kit, land=sea_land)
    check_weather(plan)
    masalembu = {v.code for v in arch.villages.values() if v.district_code == MASALEMBU}
    unserved = {u.village_code: {r.code for r in u.reasons} for u in plan.unassigned}
    assert set(unserved) == masalembu
    assert all(codes == {"WEATHER_WINDOW_CLOSED"} for codes in unserved.values())
    # Everyone else is still served on time.
    assert plan.status == "infeasible"
    doc = plan_json(plan, input_hash="", versions={})
    assert {u["reasons"][0]["code"] for u in doc["unassigned"]} == {"WEATHER_WINDOW_CLOSED"}


def test_a_small_boat_waits_in_port_for_the_waves_to_drop(
    arch, kit, sea_areas, sea_matrices, sea_path, sea_land
) -> None:
    gayam = sorted(
        v.code for v in arch.villages.values() if v.sea and v.district_code == "35.29.20"
    )[:2]
    problem = _problem(
        arch,
        kit,
        sea_areas,
        villages=gayam,
        vessels=["perahu-kalianget-1"],
        forecast=[_storm("sapudi_raas", 30, wave_m=2.0)],
    )
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=200), path=sea_path
    )
    check_plan(plan, arch=arch, kit=kit, land=sea_land)
    check_weather(plan)
    assert plan.status == "completed"
    (voyage,) = plan.voyages
    held = [s for s in voyage.stops if s.hold_s]
    assert held and held[0].kind == "depot" and "Sapudi" in held[0].hold_reason
    assert held[0].departure > held[0].work_end
    # It enters the Sapudi waters only once the 2 m waves are over.
    first_leg = voyage.legs[0]
    assert first_leg.depart == held[0].departure
    assert first_leg.arrive > START + timedelta(hours=30)
    doc = plan_json(plan, input_hash="", versions={})
    hold = doc["weather"]["holds"][0]
    assert hold["vessel_id"] == "perahu-kalianget-1" and hold["vessel_name"]
    # The hold says which area and which waves, as values (readers word them in their language).
    assert (hold["area_id"], hold["wave_m"]) == ("sapudi_raas", 2.0) and hold["area_name"]
    assert hold["at_name"] == arch.depots["kalianget"].name
    area = next(f for f in doc["weather"]["sea_areas"]["features"] if f["id"] == "sapudi_raas")
    assert area["properties"]["forecast"][0]["wave_m"] == 2.0


def test_waves_below_the_limit_change_nothing(arch, kit, sea_areas, sea_matrices, sea_path):
    problem = _problem(arch, kit, sea_areas, forecast=[_storm("kangean", 48, wave_m=1.0)])
    assert not Weather(problem, sea_path).active
    calm = _problem(arch, kit, sea_areas)
    opts = SolveOptions(seed=3, max_iterations=150)
    a = make_plan(problem, sea_matrices, options=opts, path=sea_path)
    b = make_plan(calm, sea_matrices, options=opts, path=sea_path)
    assert a.delivered == b.delivered


def test_closed_landing_waits_or_is_explained(
    arch, kit, sea_areas, sea_matrices, sea_path, sea_land
) -> None:
    code = sorted(v.code for v in arch.villages.values() if v.district_code == "35.29.20")[0]
    landing = arch.villages[code].landing_point_id
    until = START + timedelta(hours=50)
    closed = [{"landing": landing, "from": START.isoformat(), "until": until.isoformat()}]
    problem = _problem(
        arch, kit, sea_areas, villages=[code], vessels=["kmp-dbs-3"], closed_landings=closed
    )
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=100), path=sea_path
    )
    check_plan(plan, arch=arch, kit=kit, land=sea_land)
    stop = next(s for v in plan.voyages for s in v.stops if s.kind == "landing")
    assert stop.work_start >= until
    # Closed for good: explained, not silently dropped.
    forever = [{"landing": landing, "from": START.isoformat()}]
    problem = _problem(
        arch, kit, sea_areas, villages=[code], vessels=["kmp-dbs-3"], closed_landings=forever
    )
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=100), path=sea_path
    )
    assert [r.code for r in plan.unassigned[0].reasons] == ["LANDING_CLOSED"]


def test_bad_forecasts_are_reported_by_field(arch, kit, sea_areas) -> None:
    with pytest.raises(DataError) as err:
        parse_scenario(
            {
                **RAW,
                "forecast": [
                    {"area": "masalembu", "from": "2024-02-05T06:00", "until": "x", "wave_m": 3},
                    {"from": START.isoformat(), "until": START.isoformat(), "wave_m": -1},
                ],
            }
        )
    paths = {p.path for p in err.value.problems}
    assert {"/forecast/0/from", "/forecast/0/until", "/forecast/1/area"} <= paths
    assert "/forecast/1/wave_m" in paths
    with pytest.raises(DataError) as err:
        _problem(arch, kit, sea_areas, forecast=[_storm("atlantis", 5)])
    assert [p.code for p in err.value.problems] == ["unknown_sea_area"]


def test_departure_is_moved_past_every_closure_on_the_way(arch, kit, sea_areas, sea_path):
    problem = _problem(arch, kit, sea_areas)
    problem = dataclasses.replace(
        problem,
        forecast=(
            WaveForecast("sapudi_raas", START, START + timedelta(hours=10), 2.0),
            WaveForecast(
                "sapudi_raas", START + timedelta(hours=11), START + timedelta(hours=20), 2.0
            ),
        ),
    )
    weather = Weather(problem, sea_path)
    landing = next(
        v.landing_point_id
        for v in arch.villages.values()
        if v.sea and v.district_code == "35.29.20"
    )
    ((area, f0, f1),) = weather.exposure("motor_boat", "kalianget", landing)
    assert area == "sapudi_raas" and 0 < f0 < f1 <= 1
    duration = 4 * 3600.0
    hold = weather.depart("motor_boat", "kalianget", landing, 0.0, duration)
    assert hold is not None
    # Inside the area only after the second closure ends (the 1 h gap is too short).
    assert hold.until_s + f0 * duration == pytest.approx(20 * 3600)
    assert weather.depart("lst_teluk_bintuni", "kalianget", landing, 0.0, duration) is None
    assert open_windows([(10.0, 20.0), (30.0, 40.0)], 0.0, 35.0) == [(0.0, 10.0), (20.0, 30.0)]


def test_a_ferry_goes_around_closed_waters_when_that_is_sooner(
    arch, kit, sea_areas, sea_matrices, sea_path, sea_land, inputs
) -> None:

    arjasa = next(v.code for v in arch.villages.values() if v.landing_point_id == "port-pp-arjasa")
    storm = _storm("sapudi_raas", 4 * 24)  # 3 m between Kalianget and Kangean for four days
    problem = _problem(
        arch, kit, sea_areas, villages=[arjasa], vessels=["kmp-dbs-3"], forecast=[storm]
    )
    opts = SolveOptions(seed=1, max_iterations=100)
    waited = make_plan(problem, sea_matrices, options=opts, path=sea_path)
    around = make_plan(
        problem, sea_matrices, options=opts, path=sea_path, detour=pipeline.detours(inputs, problem)
    )
    for plan in (waited, around):
        check_plan(plan, arch=arch, kit=kit, land=sea_land)
        check_weather(plan)
        assert plan.status == "completed"
    (held,) = [s for s in waited.voyages[0].stops if s.hold_s]
    assert held.kind == "depot"
    voyage = around.voyages[0]
    assert not any(s.hold_s for s in voyage.stops)
    out = voyage.legs[0]
    assert out.note == "around Perairan Sapudi - Ra'as"
    assert out.depart < START + timedelta(hours=24)  # it does not wait for the four days
    assert around.delivered[arjasa] < waited.delivered[arjasa]
    direct = sea_matrices["regency_ferry"].distance("kalianget", "port-pp-arjasa")
    assert out.distance_m > direct  # the long way round
    doc = plan_json(around, input_hash="", versions={})
    assert doc["voyages"][0]["legs"][0]["note"].startswith("around")


def test_the_way_around_closed_waters_keeps_out_of_the_class_hazards(
    arch, kit, sea_areas, inputs
) -> None:
    """A reef (no-go) laid on the middle of the detour around the Sapudi - Ra'as storm: the
    detour network built with the class's hazards goes around the reef as well."""
    from shapely.geometry import LineString

    arjasa = next(v.code for v in arch.villages.values() if v.landing_point_id == "port-pp-arjasa")
    storm = _storm("sapudi_raas", 4 * 24)
    problem = _problem(
        arch, kit, sea_areas, villages=[arjasa], vessels=["kmp-dbs-3"], forecast=[storm]
    )
    first = pipeline.detours(inputs, problem)
    assert first is not None
    found = first("regency_ferry", "kalianget", "port-pp-arjasa")
    assert found is not None
    metres, coords = found
    line = LineString(coords)
    reef = line.interpolate(0.5, normalized=True).buffer(0.01)  # about 1.1 km across
    assert not reef.contains(Point(coords[0])) and not reef.contains(Point(coords[-1]))
    with_reef = dataclasses.replace(inputs, hazards_for=lambda cid, unverified: (reef,))
    second = pipeline.detours(with_reef, problem)
    assert second is not None
    around = second("regency_ferry", "kalianget", "port-pp-arjasa")
    assert around is not None
    metres2, coords2 = around
    assert not LineString(coords2).intersects(reef)
    assert metres2 > metres
