from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from routing import pipeline
from routing.domain import Consignment, Problem, Vessel
from routing.inputs.fleet import load_fleet
from routing.inputs.scenario import build_problem, load_scenario, load_vessels
from routing.outputs.export import plan_json
from routing.planner import input_hash, make_plan
from routing.sea.matrix import Matrix
from routing.solver import SolveOptions
from tests.conftest import DATA
from tests.routing.check import check_plan

CLASSES = load_fleet(DATA / "fleet.toml")
VESSELS = load_vessels(DATA / "fleet.toml", CLASSES)
SCENARIO = load_scenario(DATA / "scenarios" / "pemilu2024.toml").all_dispatched()


@pytest.fixture(scope="module")
def land(sea_land):
    return sea_land


@pytest.fixture(scope="module")
def problem(inputs) -> Problem:
    return pipeline.problem_for(inputs, SCENARIO)


@pytest.fixture(scope="module")
def sea(inputs, problem):
    return pipeline.sea(inputs, problem)


@pytest.fixture(scope="module")
def matrices(sea) -> dict[str, Matrix]:
    return sea[0]


def test_pemilu2024_serves_every_sea_village_on_time(
    problem, matrices, sea, arch, kit, land
) -> None:
    plan = make_plan(
        problem, matrices, options=SolveOptions(seed=1, max_iterations=600), path=sea[1]
    )
    check_plan(plan, arch=arch, kit=kit, land=land)
    assert plan.status == "completed", [(u.village_code, u.reasons) for u in plan.unassigned]
    served = {
        s_village
        for v in plan.voyages
        for s in v.stops
        for s_village in s.village_codes
        if s.kind == "landing"
    }
    assert len(served) == 88


def test_same_seed_and_iterations_give_the_same_plan(problem, matrices) -> None:
    docs = []
    for _ in range(2):
        plan = make_plan(problem, matrices, options=SolveOptions(seed=7, max_iterations=150))
        docs.append(plan_json(plan, input_hash=input_hash(problem, matrices, 7), versions={}))
    assert docs[0] == docs[1]


def test_masalembu_out_of_reach_is_infeasible_and_explained(arch, kit, matrices, land) -> None:
    early = SCENARIO.planning_start + timedelta(
        hours=5
    )  # no vessel sails 100 nm in 5 h with loading
    scenario = dataclasses.replace(SCENARIO, deadlines={**SCENARIO.deadlines, "35.29.23": early})
    problem = build_problem(scenario, arch, kit, CLASSES, VESSELS)
    plan = make_plan(problem, matrices, options=SolveOptions(seed=1, max_iterations=400))
    check_plan(plan, arch=arch, kit=kit)
    assert plan.status == "infeasible"
    masalembu = {c for c, v in arch.villages.items() if v.district_code == "35.29.23"}
    assert {u.village_code for u in plan.unassigned} == masalembu
    for u in plan.unassigned:
        assert {r.code for r in u.reasons} <= {"DEADLINE_UNREACHABLE", "NO_SEA_PATH"}
        assert any(r.vessels for r in u.reasons)


def test_villages_too_big_for_the_smallest_vessel_are_split(problem) -> None:
    boat = CLASSES["motor_boat"]
    assert all(
        c.weight_kg <= boat.capacity_kg and c.volume_m3 <= boat.capacity_m3
        for c in problem.consignments
    )
    split = [c for c in problem.consignments if c.parts > 1]
    assert split and {c.village_code for c in split} < {
        c.village_code for c in problem.consignments
    }


# ---- a hand-made problem: one depot, three landings, explicit matrices


def _tiny(*, landing_reachable=True, heavy=False):
    start = SCENARIO.planning_start
    ids = ("D", "A", "B", "C")
    metres = np.array(
        [
            [0, 20_000, 30_000, 40_000],
            [20_000, 0, 10_000, 20_000],
            [30_000, 10_000, 0, 10_000],
            [40_000, 20_000, 10_000, 0],
        ],
        dtype=np.int64,
    )
    reach = np.ones((4, 4), dtype=bool)
    if not landing_reachable:
        reach[:, 3] = reach[3, :] = False
        reach[3, 3] = True
    boat = CLASSES["motor_boat"]
    secs = np.rint(metres / (boat.speed_kn * 1852 / 3600)).astype(np.int64)
    m = Matrix("motor_boat", ids, np.where(reach, metres, -1), np.where(reach, secs, -1), reach)
    deadline = start + timedelta(days=3)
    cons = tuple(
        Consignment(
            f"v{k}", f"v{k}", lid, "d1", 2, 10, 5000.0 if heavy and k == 2 else 100.0, 1.0, deadline
        )
        for k, lid in enumerate(("A", "B", "C"))
    )
    vessel = Vessel("boat-1", "motor_boat", "D", start, start + timedelta(days=10))
    problem = Problem("tiny", start, ("D",), (vessel,), {"motor_boat": boat}, cons, (21600, 64800))
    return problem, {"motor_boat": m}


def test_unreachable_landing_is_no_sea_path() -> None:
    problem, matrices = _tiny(landing_reachable=False)
    plan = make_plan(problem, matrices, options=SolveOptions(seed=1, max_iterations=100))
    check_plan(plan)
    assert plan.status == "infeasible"
    (u,) = plan.unassigned
    assert u.village_code == "v2" and [r.code for r in u.reasons] == ["NO_SEA_PATH"]
    assert u.reasons[0].vessels == ("boat-1",)


def test_consignment_heavier_than_every_vessel() -> None:
    problem, matrices = _tiny(heavy=True)
    plan = make_plan(problem, matrices, options=SolveOptions(seed=1, max_iterations=100))
    check_plan(plan)
    (u,) = plan.unassigned
    assert [r.code for r in u.reasons] == ["DEMAND_EXCEEDS_CAPACITY"]


def test_daylight_holds_landings_until_morning() -> None:
    problem, matrices = _tiny()
    late_start = problem.start.replace(hour=17)  # leaves at 17:00, arrives after dark
    problem = dataclasses.replace(
        problem,
        start=late_start,
        vessels=(dataclasses.replace(problem.vessels[0], available_from=late_start),),
    )
    plan = make_plan(problem, matrices, options=SolveOptions(seed=1, max_iterations=100))
    check_plan(plan)
    first = next(s for s in plan.voyages[0].stops if s.kind == "landing")
    assert first.work_start.hour == 6 and first.wait_s > 0


def test_an_empty_vessel_window_or_cargo_released_too_late_is_unserved_not_an_error(
    problem, matrices
) -> None:
    """A re-plan may resume a vessel after its window ends, or bring cargo back to the depot
    after its village's deadline: the solver refuses such windows, so they are left out and the
    consignments they concern are unserved (found by the risk simulation's re-plans)."""
    from routing.solver import PyVRPSolver

    first, *rest = problem.vessels
    closed = dataclasses.replace(first, available_from=first.available_until + timedelta(hours=1))
    late = problem.consignments[0]
    released = dataclasses.replace(late, release=late.deadline + timedelta(hours=2))
    odd = dataclasses.replace(
        problem,
        vessels=(closed, *rest),
        consignments=(released, *problem.consignments[1:]),
    )
    out = PyVRPSolver().solve(odd, matrices, SolveOptions(seed=1, max_iterations=50))
    assert first.id not in {r.vessel_id for r in out.routes}
    assert late.id in out.unassigned
    nobody = dataclasses.replace(odd, vessels=(closed,))
    none = PyVRPSolver().solve(nobody, matrices, SolveOptions(seed=1, max_iterations=50))
    assert none.routes == () and set(none.unassigned) == {c.id for c in odd.consignments}


def test_a_reload_with_nothing_loaded_makes_no_trip_and_no_gap_in_the_voyage() -> None:
    from routing.domain import SolvedTrip
    from routing.solver import split_trips

    # Out of Kalianget, a reload call there with nothing handed over before Dungkek's, then the
    # last trip from Dungkek and home by another empty call.
    calls = [
        ("kalianget", None),
        (None, "a"),
        ("kalianget", None),
        ("dungkek", None),
        (None, "b"),
        (None, "c"),
        ("dungkek", None),
        ("kalianget", None),
    ]
    assert split_trips(calls) == [
        SolvedTrip("kalianget", ("a",), "dungkek"),  # sails on to where the next trip loads
        SolvedTrip("dungkek", ("b", "c"), "kalianget"),  # and ends where the route ends
    ]
    assert split_trips([("kalianget", None), ("kalianget", None)]) == []
    # An empty call at the start: the first trip loads where the route starts (no leg is lost).
    first = [("kalianget", None), ("dungkek", None), (None, "a"), ("kalianget", None)]
    assert split_trips(first) == [SolvedTrip("kalianget", ("a",), "kalianget")]
    plain = [("kalianget", None), (None, "a"), ("dungkek", None), (None, "b"), ("dungkek", None)]
    assert split_trips(plain) == [
        SolvedTrip("kalianget", ("a",), "dungkek"),
        SolvedTrip("dungkek", ("b",), "dungkek"),
    ]
