"""The return of the sealed boxes to Kalianget, and re-planning a plan under way."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import datetime, timedelta

import pytest

from routing.errors import DataError
from routing.inputs.scenario import (
    build_problem,
    default_ppk_office,
    load_scenario,
    load_vessels,
    parse_scenario,
)
from routing.outputs.export import plan_json, replan_json
from routing.plandoc import PlanDocument
from routing.planner import make_plan
from routing.replan import apply_change, field_state, replan
from routing.solver import SolveOptions
from tests.conftest import DATA
from tests.routing.check import before_depot, check_plan, check_weather
from tests.routing.conftest import CLASSES

VESSELS = load_vessels(DATA / "fleet.toml", CLASSES)
ISLAND_DISTRICTS = {
    "35.29.04",  # Talango
    "35.29.08",  # Giliginting
    "35.29.20",  # Gayam
    "35.29.21",  # Nonggunong
    "35.29.22",  # Ra'as
    "35.29.23",  # Masalembu
    "35.29.24",  # Arjasa
    "35.29.25",  # Sapeken
    "35.29.27",  # Kangayan
}
LST = "kri-teluk-bintuni-520"


# --- return -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def return_plan(arch, kit, sea_areas, sea_matrices, sea_path):
    scenario = load_scenario(DATA / "scenarios" / "pemilu2024-return.toml")
    problem = build_problem(scenario, arch, kit, CLASSES, VESSELS, sea_areas)
    return make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=600), path=sea_path
    )


def test_return_brings_every_island_district_office_to_kalianget(
    return_plan, arch, kit, sea_land
) -> None:
    plan = return_plan
    check_plan(plan, arch=arch, kit=kit, land=sea_land)
    assert plan.status == "completed", plan.unassigned
    problem = plan.problem
    assert problem.direction == "return" and problem.depots[0] == "kalianget"
    assert {c.district_code for c in problem.consignments} == ISLAND_DISTRICTS
    # All TPS of the nine districts come back: 1,346 (the island districts' TPS count).
    assert sum(c.tps for c in problem.consignments) == sum(
        v.tps for v in arch.villages.values() if v.district_code in ISLAND_DISTRICTS
    )
    unloaded = {}
    for v in plan.voyages:
        collected = []
        for s in v.stops:
            if s.kind == "landing":
                assert s.operation == "collect"
                # Collected at the district office's landing.
                for cid in s.consignments:
                    c = next(x for x in problem.consignments if x.id == cid)
                    assert arch.villages[c.village_code].district_code == c.district_code
                    assert s.id == arch.villages[c.village_code].landing_point_id
                collected += s.consignments
            elif s.kind == "depot" and s.consignments:
                # Everything collected on a trip is unloaded at Kalianget, and only there.
                assert s.id == "kalianget" and s.operation == "unload"
                assert sorted(s.consignments) == sorted(collected)
                unloaded.update(dict.fromkeys(s.consignments, s.work_end))
                collected = []
        assert not collected and v.stops[-1].id == "kalianget"
    assert set(unloaded) == {c.id for c in problem.consignments} == set(plan.delivered)
    assert all(unloaded[c.id] <= c.deadline for c in problem.consignments)


def test_return_waits_for_the_boxes_and_reports_them_in_the_document(
    arch, kit, sea_areas, sea_matrices, sea_path
) -> None:
    with (DATA / "scenarios" / "pemilu2024-return.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    ready = datetime.fromisoformat("2024-02-20T08:00:00+07:00")
    raw |= {"ready": {"35.29.23": ready}, "vessels": ["km-sabuk-nusantara-92"]}
    raw |= {"villages": [v.code for v in arch.villages.values() if v.district_code == "35.29.23"]}
    problem = build_problem(
        parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas
    )
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=100), path=sea_path
    )
    check_plan(plan, arch=arch, kit=kit)
    (stop,) = [s for v in plan.voyages for s in v.stops if s.kind == "landing"]
    assert stop.work_start >= ready
    doc = plan_json(plan, input_hash="", versions={})
    assert doc["direction"] == "return"
    assert doc["voyages"][0]["stops"][1]["operation"] == "collect"


def test_ppk_offices_default_and_bad_override(arch, kit, sea_areas) -> None:
    # The village named as its district when there is one (Sapeken), else the largest village.
    assert arch.villages[default_ppk_office(arch, "35.29.25")].name == "Sapeken"
    masalembu = [v for v in arch.villages.values() if v.district_code == "35.29.23"]
    assert default_ppk_office(arch, "35.29.23") == max(masalembu, key=lambda v: v.tps).code
    with (DATA / "scenarios" / "pemilu2024-return.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    raw["ppk_offices"] = {"35.29.23": "35.29.24.2001"}  # a village of another district
    with pytest.raises(DataError) as err:
        build_problem(parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas)
    assert [p.path for p in err.value.problems] == ["/ppk_offices/35.29.23"]
    raw = {**raw, "direction": "sideways"}
    with pytest.raises(DataError) as err:
        parse_scenario(raw)
    assert "/direction" in {p.path for p in err.value.problems}


# --- re-planning ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outbound(arch, kit, sea_areas, sea_matrices, sea_path):
    problem = build_problem(
        load_scenario(DATA / "scenarios" / "pemilu2024.toml").all_dispatched(),
        arch,
        kit,
        CLASSES,
        VESSELS,
        sea_areas,
    )
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=800), path=sea_path
    )
    assert plan.status == "completed"
    assert LST in {v.vessel_id for v in plan.voyages}  # the test needs the landing ship in use
    return problem, plan_json(plan, input_hash="", versions={})


def _events(doc, vessel_id, upto_landings: int, *, depart_last: bool = True):
    """Field events of a vessel: loaded and left, then arrived/handed over/left its first
    ``upto_landings`` landings, at the planned times."""
    voyage = next(v for v in doc["voyages"] if v["vessel_id"] == vessel_id)
    stops = voyage["stops"]
    out = [
        {"vessel_id": vessel_id, "stop": 0, "type": "loaded", "at": stops[0]["work_end"]},
        {"vessel_id": vessel_id, "stop": 0, "type": "departed", "at": stops[0]["departure"]},
    ]
    for i in range(1, upto_landings + 1):
        assert stops[i]["kind"] == "landing"
        out += [
            {"vessel_id": vessel_id, "stop": i, "type": "arrived", "at": stops[i]["arrival"]},
            {"vessel_id": vessel_id, "stop": i, "type": "handed_over", "at": stops[i]["work_end"]},
        ]
        if depart_last or i < upto_landings:
            out.append(
                {"vessel_id": vessel_id, "stop": i, "type": "departed", "at": stops[i]["departure"]}
            )
    return out


def test_field_state_reads_deliveries_and_positions(outbound) -> None:
    _, doc = outbound
    others = [v["vessel_id"] for v in doc["voyages"] if v["vessel_id"] != LST]
    events = _events(doc, others[0], 2) + _events(doc, others[1], 1, depart_last=False)
    state = field_state(PlanDocument.from_json(doc), events, None)
    first = next(v for v in doc["voyages"] if v["vessel_id"] == others[0])
    delivered = set(first["stops"][1]["consignments"] + first["stops"][2]["consignments"])
    second = next(v for v in doc["voyages"] if v["vessel_id"] == others[1])
    delivered |= set(second["stops"][1]["consignments"])
    assert set(state.delivered) == delivered
    # The first is under way to its third stop; the second lies at its first landing.
    a, b = state.vessels[others[0]], state.vessels[others[1]]
    assert a.place == first["stops"][3]["id"] and a.started
    assert b.place == second["stops"][1]["id"]
    assert b.at == state.as_of == max(datetime.fromisoformat(e["at"]) for e in events)
    loaded = set(second["stops"][0]["consignments"])
    assert set(b.onboard) == loaded - delivered
    assert state.vessels[LST].started is False


def test_replan_without_the_landing_ship_keeps_deliveries_and_serves_the_rest(
    outbound, arch, kit, sea_matrices, sea_path, sea_land
) -> None:
    problem, doc = outbound
    others = [v["vessel_id"] for v in doc["voyages"] if v["vessel_id"] != LST]
    events = _events(doc, others[0], 2) + _events(doc, others[1], 1)
    as_of = max(datetime.fromisoformat(e["at"]) for e in events)
    result = replan(
        problem,
        PlanDocument.from_json(doc),
        events,
        sea_matrices,
        options=SolveOptions(seed=1, max_iterations=2500),
        out_of_service={LST: as_of - timedelta(hours=1)},
        path=sea_path,
    )
    plan = result.plan
    check_plan(plan, arch=None, kit=None, land=sea_land)
    check_weather(plan)
    assert result.gone == (LST,)
    assert LST not in {v.vessel_id for v in plan.voyages}
    # Delivered stops stay delivered: they are not planned again.
    planned = {c for v in plan.voyages for s in v.stops for c in s.consignments}
    assert set(result.state.delivered) and not planned & set(result.state.delivered)
    # Every other consignment is served or explained.
    explained = {c for u in plan.unassigned for c in u.consignments}
    remaining = {c.id for c in problem.consignments} - set(result.state.delivered)
    assert set(plan.delivered) | explained == remaining
    # Vessels under way go on with what they carry, in the old order, before anything new.
    for vid in others[:2]:
        voyage = next(v for v in plan.voyages if v.vessel_id == vid)
        assert voyage.stops[0].kind == "start"
        state = result.state.vessels[vid]
        handed = [c for s in before_depot(voyage.stops) for c in s.consignments]
        assert handed == list(state.onboard)
        assert voyage.stops[0].id == state.place
    # The diff lists what moved: all of the landing ship's deliveries, to other vessels.
    lst_cons = {
        c
        for v in doc["voyages"]
        if v["vessel_id"] == LST
        for s in v["stops"]
        if s["kind"] == "landing"
        for c in s["consignments"]
    }
    moved = {m["consignment"]: m for m in result.diff["moved"]}
    served_lst = lst_cons & set(plan.delivered)
    assert served_lst and served_lst <= set(moved)
    assert all(moved[c]["from_vessel"] == LST and moved[c]["to_vessel"] != LST for c in served_lst)
    assert result.diff["delivered_before"] == len(result.state.delivered)
    assert {m["village_code"] for m in result.diff["moved"]} == set(result.diff["villages_moved"])


def test_replan_with_nothing_changed_keeps_the_old_assignment(
    outbound, sea_matrices, sea_path
) -> None:
    problem, doc = outbound
    result = replan(
        problem,
        PlanDocument.from_json(doc),
        [],
        sea_matrices,
        options=SolveOptions(seed=1, max_iterations=50),
        as_of=problem.start,
        path=sea_path,
    )
    # Started from the old routes, a short search serves the same villages, is no dearer, and
    # keeps nearly every vessel assignment: what it moves (about a tenth) it moves because the
    # move is cheaper.
    total = len(problem.consignments)
    assert result.diff["now_unserved"] == [] and result.diff["now_served"] == []
    assert result.plan.objective <= doc["objective"]
    assert len(result.diff["moved"]) <= total // 8, result.diff["moved"]


def test_changes_are_checked_by_field() -> None:
    raw = {"name": "x", "forecast": [{"area": "a"}]}
    new, out = apply_change(
        raw,
        {
            "out_of_service": [{"vessel": "kal-28-1", "from": "2024-02-06T12:00:00+07:00"}],
            "forecast": [{"area": "masalembu"}],
            "deadlines": {"35.29.23": "2024-02-12T18:00:00+07:00"},
        },
    )
    assert len(new["forecast"]) == 2 and new["deadlines"]["35.29.23"].startswith("2024-02-12")
    assert out == {"kal-28-1": datetime.fromisoformat("2024-02-06T12:00:00+07:00")}
    assert raw["forecast"] == [{"area": "a"}]  # the scenario itself is not changed
    with pytest.raises(DataError) as err:
        apply_change(
            raw,
            {"out_of_service": [{"vessel": "kal-28-1", "from": "noon"}], "weather": "bad"},
        )
    assert {p.path for p in err.value.problems} == {
        "/change/out_of_service/0/from",
        "/change/weather",
    }


def test_replan_rejects_an_unknown_vessel_and_return_plans(outbound, sea_matrices) -> None:
    problem, doc = outbound
    with pytest.raises(DataError) as err:
        replan(
            problem,
            PlanDocument.from_json(doc),
            [],
            sea_matrices,
            options=SolveOptions(max_iterations=10),
            out_of_service={"ghost": problem.start},
        )
    assert err.value.problems[0].code == "unknown_vessel"
    with pytest.raises(DataError):
        replan(
            dataclasses.replace(problem, direction="return"),
            PlanDocument.from_json(doc),
            [],
            sea_matrices,
            options=SolveOptions(max_iterations=10),
        )


def test_a_replan_of_a_replan_keeps_deliveries_cargo_and_the_vessel_out(
    outbound, arch, kit, sea_areas, sea_matrices, sea_path, sea_land
) -> None:
    _, doc = outbound
    others = [v["vessel_id"] for v in doc["voyages"] if v["vessel_id"] != LST]
    events = _events(doc, others[0], 2) + _events(doc, others[1], 1)
    as_of = max(datetime.fromisoformat(e["at"]) for e in events)
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    raw, out = apply_change(raw, {"out_of_service": [{"vessel": LST, "from": as_of.isoformat()}]})
    changed = build_problem(
        parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas
    )
    opts = SolveOptions(seed=1, max_iterations=1500)
    first = replan(
        changed,
        PlanDocument.from_json(doc),
        events,
        sea_matrices,
        options=opts,
        out_of_service=out,
        path=sea_path,
    )
    doc1 = PlanDocument.from_json(
        replan_json(first, out_of_service=out, input_hash="", versions={})
    )
    # Again, with no new events and no new change: the scenario still has the ship out.
    raw2, out2 = apply_change(raw, {})
    assert out2 == {} and LST in raw2["out_of_service"]
    again = build_problem(
        parse_scenario(raw2).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas
    )
    second = replan(again, doc1, [], sea_matrices, options=opts, path=sea_path)
    check_plan(second.plan, land=sea_land)
    assert second.state.as_of == first.state.as_of
    assert set(second.state.delivered) == set(first.state.delivered)
    assert LST in second.gone and LST not in {v.vessel_id for v in second.plan.voyages}
    planned = {c for v in second.plan.voyages for s in v.stops for c in s.consignments}
    assert not planned & set(first.state.delivered)
    # The vessels that were under way still carry what they carried, in the same order.
    for v1 in first.plan.voyages:
        if v1.stops[0].kind != "start":
            continue
        cargo = [c for s in before_depot(v1.stops) for c in s.consignments]
        v2 = next(v for v in second.plan.voyages if v.vessel_id == v1.vessel_id)
        assert v2.stops[0].kind == "start" and v2.stops[0].id == v1.stops[0].id
        handed = [c for s in before_depot(v2.stops) for c in s.consignments]
        assert handed == cargo


def test_out_of_service_in_a_scenario_shortens_or_removes_the_vessel(arch, kit, sea_areas) -> None:
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    start = raw["planning_start"]
    raw["out_of_service"] = {LST: start, "kal-28-1": "2024-02-07T06:00:00+07:00"}
    problem = build_problem(
        parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas
    )
    vessels = {v.id: v for v in problem.vessels}
    assert LST not in vessels  # out before its window opens: no part in the plan
    assert vessels["kal-28-1"].available_until == datetime.fromisoformat(
        "2024-02-07T06:00:00+07:00"
    )
    raw["out_of_service"] = {"ghost": start, "kal-28-1": "soon"}
    with pytest.raises(DataError) as err:
        build_problem(parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas)
    assert [p.path for p in err.value.problems] == ["/out_of_service/kal-28-1"]
    raw["out_of_service"] = {"ghost": start}
    with pytest.raises(DataError) as err:
        build_problem(parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas)
    assert [p.path for p in err.value.problems] == ["/out_of_service/ghost"]
