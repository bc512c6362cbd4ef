"""VRPLIB instances as the adapter's problems: conversion and a solve through ``PyVRPSolver``."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from routing.solver import PyVRPSolver, SolverResult, read_vrplib
from testkit.vrplib import START, VrplibProblem, node_id, solve_vrplib, vrplib_problem

# depot first; five clients
XY = [(0, 0), (3, 4), (6, 8), (0, 5), (5, 0), (-3, -4)]
DEMAND = [0, 4, 3, 5, 2, 6]
CAPACITY = 10
# VRPTW variant: [earliest, latest] start of service, in the instance's units
WINDOWS = [(0, 100), (0, 30), (5, 40), (0, 60), (20, 70), (0, 90)]
SERVICE = 2


def _vrplib_text(*, timed: bool) -> str:
    lines = [
        "NAME : tiny",
        f"TYPE : {'CVRPTW' if timed else 'CVRP'}",
        f"DIMENSION : {len(XY)}",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        f"CAPACITY : {CAPACITY}",
    ]
    if timed:
        lines += ["VEHICLES : 3", f"SERVICE_TIME : {SERVICE}"]
    lines.append("NODE_COORD_SECTION")
    lines += [f"{k + 1} {x} {y}" for k, (x, y) in enumerate(XY)]
    lines.append("DEMAND_SECTION")
    lines += [f"{k + 1} {d}" for k, d in enumerate(DEMAND)]
    if timed:
        lines.append("TIME_WINDOW_SECTION")
        lines += [f"{k + 1} {a} {b}" for k, (a, b) in enumerate(WINDOWS)]
    lines += ["DEPOT_SECTION", "1", "-1", "EOF", ""]
    return "\n".join(lines)


def _euclid() -> np.ndarray:
    xy = np.array(XY, dtype=float)
    return np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))


@pytest.fixture
def cvrp(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.vrp"
    path.write_text(_vrplib_text(timed=False))
    return path


@pytest.fixture
def vrptw(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-tw.vrp"
    path.write_text(_vrplib_text(timed=True))
    return path


def _solve(vp: VrplibProblem) -> SolverResult:
    options = vp.options(seed=1, max_iterations=200)
    return PyVRPSolver().solve(vp.problem, vp.matrices, options)


def _trips(result: SolverResult) -> list[list[list[int]]]:
    """Per route, per trip, the VRPLIB node indices (0-based: the depot is 0)."""
    index = {node_id(k + 1): k for k in range(len(XY))}
    return [[[index[c] for c in t.consignments] for t in r.trips] for r in result.routes]


def _best_cvrp_cost(dist: np.ndarray) -> int:
    """Exact optimum by brute force: every client order, split optimally into trips."""
    best = math.inf
    for order in itertools.permutations(range(1, len(XY))):
        cost = [0.0] + [math.inf] * len(order)  # cost[i]: first i clients of the order served
        for i in range(len(order)):
            load, inner = 0, 0
            for j in range(i, len(order)):
                load += DEMAND[order[j]]
                if load > CAPACITY:
                    break
                if j > i:
                    inner += dist[order[j - 1], order[j]]
                trip = dist[0, order[i]] + inner + dist[order[j], 0]
                cost[j + 1] = min(cost[j + 1], cost[i] + trip)
        best = min(best, cost[-1])
    return int(best)


def test_cvrp_becomes_one_depot_one_class_problem(cvrp: Path) -> None:
    vp = vrplib_problem(read_vrplib(cvrp, round_func="round"))
    problem = vp.problem
    assert problem.depots == ("depot",)
    assert len(problem.classes) == 1
    vc = next(iter(problem.classes.values()))
    assert vc.capacity_kg == CAPACITY
    assert len(problem.vessels) == len(XY) - 1  # no VEHICLES: one per client, as PyVRP reads it
    assert [c.weight_kg for c in problem.consignments] == DEMAND[1:]
    assert all(c.volume_m3 == 0 for c in problem.consignments)
    assert vp.service_s == {c.id: 0 for c in problem.consignments}
    (matrix,) = vp.matrices.values()
    assert matrix.ids == ("depot", *(c.landing_id for c in problem.consignments))
    np.testing.assert_array_equal(matrix.distance_m, np.round(_euclid()).astype(int))
    assert matrix.reachable.all()
    assert vp.scale == 1


def test_cvrp_solved_through_adapter_serves_every_client_once(cvrp: Path) -> None:
    vp = vrplib_problem(read_vrplib(cvrp, round_func="round"))
    result = _solve(vp)
    assert result.feasible and not result.unassigned
    trips = [trip for route in _trips(result) for trip in route]
    assert sorted(k for trip in trips for k in trip) == list(range(1, len(XY)))
    assert all(sum(DEMAND[k] for k in trip) <= CAPACITY for trip in trips)
    dist = vp.matrices["vrplib"].distance_m
    length = sum(
        dist[a, b] for trip in trips for a, b in itertools.pairwise([0, *trip, 0])
    )  # the objective is distance only: no ship-hour, no fixed cost
    assert result.objective == length == _best_cvrp_cost(dist)
    assert solve_vrplib(cvrp, round_func="round", seed=1, max_iterations=200).cost == length


def test_vrptw_windows_service_and_dimacs_scale(vrptw: Path) -> None:
    vp = vrplib_problem(read_vrplib(vrptw, round_func="dimacs"))
    problem = vp.problem
    assert vp.scale == 10
    assert len(problem.vessels) == 3
    assert next(iter(problem.classes.values())).capacity_kg == CAPACITY * 10  # PyVRP scales all
    assert [c.weight_kg for c in problem.consignments] == [10 * d for d in DEMAND[1:]]
    assert set(vp.service_s.values()) == {10 * SERVICE}
    (matrix,) = vp.matrices.values()
    np.testing.assert_array_equal(matrix.distance_m, (10 * _euclid()).astype(int))
    for c, (early, late) in zip(problem.consignments, WINDOWS[1:], strict=True):
        # the adapter's latest start is the deadline less the service time
        assert problem.seconds(c.deadline) == 10 * (late + SERVICE)
        assert (problem.seconds(c.ready) if c.ready else 0) == 10 * early
    assert all(problem.seconds(v.available_until) == 10 * WINDOWS[0][1] for v in problem.vessels)
    assert problem.start == START

    result = _solve(vp)
    assert result.feasible and not result.unassigned
    dist = matrix.duration_s
    served = []
    for route in _trips(result):
        t, here = 0, 0  # earliest departure: any later start only delays the route
        for trip in route:
            for k in [*trip, 0]:
                t = max(t + dist[here, k], 10 * WINDOWS[k][0])
                assert t <= 10 * WINDOWS[k][1], (route, k, t)
                t += 10 * SERVICE if k else 0
                here = k
            served += trip
    assert sorted(served) == list(range(1, len(XY)))


def test_identical_vessels_share_one_vehicle_type_and_keep_their_own_ids(cvrp: Path) -> None:
    """Three or more identical vessels are one vehicle type with as many available; each route
    found still goes to a vessel of its own, and a search from earlier routes (a re-plan)
    keeps every vessel a type of its own."""
    vp = vrplib_problem(read_vrplib(cvrp, round_func="round"))
    options = vp.options(seed=1, max_iterations=200)
    model, _, types, _ = PyVRPSolver()._model(vp.problem, vp.matrices, options)
    data = model.data()
    assert data.num_vehicle_types == 1 and data.num_vehicles == len(vp.problem.vessels)
    assert types == [tuple(v.id for v in vp.problem.vessels)]
    result = _solve(vp)
    used = [r.vessel_id for r in result.routes]
    assert len(used) == len(set(used)) and set(used) <= set(types[0])
    earlier = {r.vessel_id: tuple(t.consignments for t in r.trips) for r in result.routes}
    hinted = dataclasses.replace(options, hint=earlier)
    model, _, types, _ = PyVRPSolver()._model(vp.problem, vp.matrices, hinted)
    assert model.data().num_vehicle_types == len(vp.problem.vessels)
    assert all(len(t) == 1 for t in types)
