"""From a problem to a checked plan: precheck, solve, time, tighten, explain."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Mapping
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version

from shapely.geometry.base import BaseGeometry

from routing import explain
from routing.domain import (
    Budget,
    Plan,
    Problem,
    Reason,
    SolvedRoute,
    SolvedTrip,
    Voyage,
    join_trips,
)
from routing.schedule import PathCoords, Resume, lateness_s, make_voyage
from routing.sea.matrix import Matrix
from routing.sea.weather import Detour, Weather, merge_intervals, open_windows
from routing.solver import (
    Progress,
    PyVRPSolver,
    SolveOptions,
    Solver,
    SolverResult,
)

TIGHTEN_ROUNDS = 4  # re-solves with tightened deadlines when the real timeline runs late
# The first round may use most of the wall-time budget; the rest is kept for the rounds that
# tighten the deadlines of consignments the real timeline found late (most plans need none).
FIRST_ROUND_SHARE = 0.8
TIGHTEN_MARGIN_S = 900


def versions() -> dict[str, str]:
    out = {}
    for pkg in ("island-ballot-routing", "pyvrp", "shapely", "scipy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def _canonical(value: object) -> object:
    if isinstance(value, BaseGeometry):
        return value.wkt
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def input_hash(problem: Problem, matrices: Mapping[str, Matrix], seed: int) -> str:
    """A hash of everything the plan depends on (problem, matrices, seed)."""
    h = hashlib.sha256()
    h.update(json.dumps(dataclasses.asdict(problem), default=_canonical, sort_keys=True).encode())
    for cid in sorted(matrices):
        m = matrices[cid]
        h.update(cid.encode())
        h.update(json.dumps(list(m.ids)).encode())
        h.update(m.distance_m.tobytes())
        h.update(m.duration_s.tobytes())
    h.update(str(seed).encode())
    return h.hexdigest()


def _without(routes: tuple[SolvedRoute, ...], drop: set[str]) -> tuple[SolvedRoute, ...]:
    out = []
    for r in routes:
        trips = tuple(
            SolvedTrip(
                t.start_depot, tuple(c for c in t.consignments if c not in drop), t.end_depot
            )
            for t in r.trips
        )
        joined = join_trips(trips)
        if joined:
            out.append(SolvedRoute(r.vessel_id, tuple(joined)))
    return tuple(out)


def _fit_capacity(
    problem: Problem, routes: tuple[SolvedRoute, ...]
) -> tuple[tuple[SolvedRoute, ...], set[str]]:
    """Routes whose trips fit their vessel; consignments past a trip's capacity (only in a
    solution the search could not make feasible within its budget) are taken out."""
    by_id = {c.id: c for c in problem.consignments}
    cls = {v.id: problem.classes[v.class_id] for v in problem.vessels}
    out: set[str] = set()
    for r in routes:
        vc = cls[r.vessel_id]
        for t in r.trips:
            kg = m3 = 0.0
            for cid in t.consignments:
                kg += by_id[cid].weight_kg
                m3 += by_id[cid].volume_m3
                if kg > vc.capacity_kg + 1e-6 or m3 > vc.capacity_m3 + 1e-6:
                    out.add(cid)
                    kg -= by_id[cid].weight_kg
                    m3 -= by_id[cid].volume_m3
    return _without(routes, out), out


def _time(
    problem: Problem,
    routes: tuple[SolvedRoute, ...],
    matrices: Mapping[str, Matrix],
    path: PathCoords | None,
    weather: Weather | None = None,
    resumes: Mapping[str, Resume] | None = None,
) -> tuple[tuple[Voyage, ...], dict[str, datetime]]:
    voyages, delivered = [], {}
    resumes = resumes or {}
    by_vessel = {r.vessel_id: r for r in routes}
    order = [v.id for v in problem.vessels if v.id in by_vessel or v.id in resumes]
    for vid in order:
        route = by_vessel.get(vid, SolvedRoute(vid, ()))
        voyage, done = make_voyage(
            problem, route, matrices, path=path, weather=weather, resume=resumes.get(vid)
        )
        voyages.append(voyage)
        delivered.update(done)
    return tuple(voyages), delivered


def solve_windows(problem: Problem, weather: Weather | None) -> dict[str, dict[str, tuple]]:
    """Per consignment and class, when its handover may start: outside the weather closures of
    the waters on the way from the depots, and outside the landing's closures."""
    horizon = max((problem.seconds(c.deadline) for c in problem.consignments), default=0)
    closed: dict[str, list[tuple[float, float]]] = {}
    for lid, a, b in problem.landing_closures:
        end = float(problem.seconds(b)) if b else float(horizon) + 1
        closed.setdefault(lid, []).append((float(problem.seconds(a)), end))
    active = weather is not None and weather.active
    out: dict[str, dict[str, tuple]] = {}
    for c in problem.consignments:
        per = {}
        for cid in problem.classes:
            blocked = list(closed.get(c.landing_id, []))
            if active:
                assert weather is not None
                blocked += weather.blocked(cid, problem.depots, c.landing_id)
            spans = open_windows(merge_intervals(blocked), 0.0, float(horizon))
            per[cid] = tuple((int(a), int(b)) for a, b in spans)
        if any(p != ((0, horizon),) for p in per.values()):
            out[c.id] = per
    return out


def make_plan(
    problem: Problem,
    matrices: Mapping[str, Matrix],
    *,
    options: SolveOptions,
    solver: Solver | None = None,
    path: PathCoords | None = None,
    progress: Progress | None = None,
    deadline_monotonic: float | None = None,
    resumes: Mapping[str, Resume] | None = None,
    detour: Detour | None = None,
) -> Plan:
    """Plan the problem.

    Consignments no vessel can serve alone are set aside with their reasons. The rest go to the
    solver; the routes are timed with the vessels' real loading, daylight, weather and handover
    rules, and where that runs past a deadline the consignment's latest finish is tightened and
    the problem solved again (up to ``TIGHTEN_ROUNDS``). What is still late is taken out of the
    plan and explained, so that every delivery in a plan is on time.

    Parameters
    ----------
    deadline_monotonic
        A ``time.monotonic()`` instant by which solving must end (splits a wall-time budget
        between the rounds); ``None`` for an iteration budget.
    resumes
        Re-planning: vessels under way, with what they still carry (those consignments are not
        given to the solver; the vessel hands them over first, then starts its new trips).
    detour
        Sea paths around the areas the forecast closes (see ``routing.sea.weather``); without it a
        vessel facing a closure waits in port.
    """
    solver = solver or PyVRPSolver()
    forecast = Weather(problem, path, detour)
    weather = forecast if forecast.active else None
    resumes = resumes or {}
    onboard = {cid for r in resumes.values() for cid in r.onboard}
    pre = explain.precheck(
        dataclasses.replace(
            problem, consignments=tuple(c for c in problem.consignments if c.id not in onboard)
        ),
        matrices,
        weather,
    )
    solvable = dataclasses.replace(
        problem,
        consignments=tuple(
            c for c in problem.consignments if c.id not in pre and c.id not in onboard
        ),
    )
    reasons: dict[str, tuple[Reason, ...]] = dict(pre)
    if not solvable.consignments and not resumes:
        empty = Plan("infeasible", problem, (), (), {}, 0.0, options.seed, "none", 0)
        return dataclasses.replace(empty, unassigned=explain.unassigned_villages(problem, reasons))
    timed = dataclasses.replace(
        problem, consignments=tuple(c for c in problem.consignments if c.id not in pre)
    )
    windows = solve_windows(solvable, weather)
    result = _solve_and_tighten(
        solver, solvable, timed, matrices, options, windows, weather, resumes, onboard,
        progress, deadline_monotonic,
    )  # fmt: skip
    routes, overload = _fit_capacity(solvable, result.routes)
    voyages, delivered = _time(timed, routes, matrices, None, weather, resumes)
    still_late = (set(lateness_s(timed, delivered)) - onboard) | overload
    routes = _without(routes, still_late)
    voyages, delivered = _time(timed, routes, matrices, path, weather, resumes)
    plan = Plan(
        "completed",
        problem,
        voyages,
        (),
        delivered,
        result.objective,
        options.seed,
        result.engine,
        result.iterations,
    )
    for cid in (*result.unassigned, *sorted(still_late)):
        reasons[cid] = explain.after_solve(solvable, matrices, plan, cid, weather)
    unassigned = explain.unassigned_villages(problem, reasons)
    return dataclasses.replace(
        plan, status="infeasible" if unassigned else "completed", unassigned=unassigned
    )


def _solve_and_tighten(
    solver: Solver,
    solvable: Problem,
    timed: Problem,
    matrices: Mapping[str, Matrix],
    options: SolveOptions,
    windows: dict[str, dict[str, tuple]],
    weather: Weather | None,
    resumes: Mapping[str, Resume],
    onboard: set[str],
    progress: Progress | None,
    deadline_monotonic: float | None,
) -> SolverResult:
    """Solve, time the routes with the real rules, and while a delivery runs late tighten its
    consignment's latest finish and solve again (at most ``TIGHTEN_ROUNDS``, within the wall
    time left); the last solver result."""
    latest: dict[str, int] = {}
    result = SolverResult((), (), True, 0.0, 0, 0.0, engine="none")
    for round_no in range(TIGHTEN_ROUNDS if solvable.consignments else 0):
        opts = dataclasses.replace(options, latest_finish_s=dict(latest), windows=windows)
        if deadline_monotonic is not None:
            left = deadline_monotonic - time.monotonic()
            if round_no > 0 and left < Budget.FLOOR_S:
                break  # out of time: what is still late is taken out below
            share = FIRST_ROUND_SHARE if round_no == 0 else 1.0
            opts = dataclasses.replace(opts, max_seconds=max(Budget.FLOOR_S, left * share))
        result = solver.solve(solvable, matrices, opts, progress)
        if result.stopped:
            break  # the caller asked to stop: keep the best plan found so far
        _, delivered = _time(timed, result.routes, matrices, None, weather, resumes)
        late = {k: v for k, v in lateness_s(timed, delivered).items() if k not in onboard}
        if not late:
            break
        by_id = {c.id: c for c in solvable.consignments}
        for cid, s in late.items():
            base = latest.get(cid, solvable.seconds(by_id[cid].deadline))
            latest[cid] = base - s - TIGHTEN_MARGIN_S
    return result
