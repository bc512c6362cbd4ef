"""The solver interface and its PyVRP adapter: the only module that imports pyvrp.

The model: one PyVRP location per depot and landing; one routing profile per vessel class
(distances and durations from that class's sea-graph matrix; a landing the class cannot reach
gets a prohibitive edge); one vehicle type per vessel (its class's profile, capacity in kg and
litres, home depot, availability window, reloads at every scenario depot); one client per
consignment (delivery in kg and litres, a service time from its load and the slowest access
mode among the classes, and a latest start so that it is handed over by its deadline). Clients
are optional with a prize far above what serving any one of them can cost (``_prize``), so the
solver serves all it can and the rest is explained, never silently dropped. Objective: ship-hours
(one scenario weight per hour, whatever the vessel) plus each class's fuel cost per nautical mile.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from routing.domain import (
    Consignment,
    Problem,
    SolvedRoute,
    SolvedTrip,
    Vessel,
    VesselClass,
    join_trips,
)
from routing.sea.matrix import Matrix
from routing.units import loading_seconds, unloading_seconds

PROHIBITIVE = 10**9  # metres or seconds on an edge a class cannot sail
GROUP_FROM = 3  # identical vessels from this many on share one vehicle type
PRIZE_MARGIN = 100  # a consignment's prize over the most serving it can cost (``_prize``)
MAX_PRIZE = 10**15
LITRES_PER_M3 = 1000
# Costs are in rupiah, so one more trip costs ~1e8-1e9; the search's penalty for an overloaded
# or late solution must be able to exceed that (the default cap, 1e5 per unit, does not).
SOLVE_PARAMS = pyvrp.SolveParams(penalty=pyvrp.PenaltyParams(max_penalty=1e9))

Progress = Callable[[int, float, float], bool | None]
"""Called as ``progress(iteration, elapsed_s, best_cost)`` while solving; True stops the search
(keeping the best solution found so far)."""


@dataclass(frozen=True)
class SolverResult:
    routes: tuple[SolvedRoute, ...]
    unassigned: tuple[str, ...]
    feasible: bool
    objective: float
    iterations: int
    runtime_s: float
    engine: str = "pyvrp"
    stopped: bool = False  # the search was stopped by the caller before its budget


@dataclass(frozen=True)
class SolveOptions:
    seed: int = 0
    max_iterations: int | None = None
    max_seconds: float | None = None
    fixed_cost_per_vessel: int = 0
    latest_finish_s: Mapping[str, int] = field(default_factory=dict)  # tightened deadlines
    # consignment -> class -> the intervals (seconds) in which its handover may start; absent:
    # any time. Weather and closed landings make these.
    windows: Mapping[str, Mapping[str, tuple[tuple[int, int], ...]]] = field(default_factory=dict)
    # vessel -> trips of consignment ids: a starting solution (the plan being re-planned)
    hint: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    # The two below exist for standard benchmark instances (testkit.vrplib), whose service times
    # do not follow from a load and handling rates and whose objective is distance only. Plans
    # leave them at their defaults.
    # consignment -> service seconds, replacing ``service_seconds`` (absent: computed)
    service_s: Mapping[str, int] = field(default_factory=dict)
    duration_cost: bool = True  # False: ship-time is not in the objective (only distance)


class Solver(Protocol):
    """A solver turns a problem and its matrices into routes."""

    def solve(
        self,
        problem: Problem,
        matrices: Mapping[str, Matrix],
        options: SolveOptions,
        progress: Progress | None = None,
    ) -> SolverResult: ...


def daylight_wall_seconds(work_s: float, daylight: tuple[int, int]) -> float:
    """Expected wall time of ``work_s`` of daylight-only work started at a random hour.

    With a daylight window of W seconds and a night of N = 1 day - W: a start at night waits
    N/2 on average (probability N/day), and work that runs into the night pauses for N
    (probability about work/day while the work fits one window).
    """
    day = 86_400.0
    window = float(daylight[1] - daylight[0])
    night = day - window
    if night <= 0:
        return work_s
    full_days, rest = divmod(work_s, window)
    return full_days * day + rest + night * rest / day + night * night / (2 * day)


def service_seconds(problem: Problem, c: Consignment) -> int:
    """Time a consignment adds to a route, for the slowest class in the problem.

    Loading at the depot plus the expected wall time of the daylight-only handover; the
    schedule then times the route exactly.
    """
    return max(
        math.ceil(
            loading_seconds(vc, c.weight_kg)
            + daylight_wall_seconds(
                unloading_seconds(vc, c.weight_kg, berth=problem.can_berth(vc, c.landing_id)),
                problem.daylight,
            )
        )
        for vc in problem.classes.values()
    )


class _Watch(StoppingCriterion):
    """Wraps a stopping criterion to report progress each iteration."""

    def __init__(self, inner: StoppingCriterion, progress: Progress | None) -> None:
        self.inner = inner
        self.progress = progress
        self.iterations = 0
        self.stopped = False  # stopped by the caller, not by the budget
        self.started = time.perf_counter()

    def __call__(self, best_cost: int) -> bool:
        self.iterations += 1
        if self.progress is not None and self.progress(
            self.iterations, time.perf_counter() - self.started, best_cost
        ):
            self.stopped = True
            return True
        return bool(self.inner(best_cost))


def _service_s(problem: Problem, options: SolveOptions, c: Consignment) -> int:
    """The consignment's service time: the option's override, else ``service_seconds``."""
    given = options.service_s.get(c.id)
    return service_seconds(problem, c) if given is None else given


def _stop(options: SolveOptions) -> StoppingCriterion:
    criteria: list[StoppingCriterion] = []
    if options.max_iterations is not None:
        criteria.append(MaxIterations(options.max_iterations))
    if options.max_seconds is not None:
        criteria.append(MaxRuntime(max(options.max_seconds, 0.01)))
    if not criteria:
        raise ValueError("give max_iterations or max_seconds")
    return criteria[0] if len(criteria) == 1 else MultipleCriteria(criteria)


def _variants(
    problem: Problem, matrices: Mapping[str, Matrix], options: SolveOptions, c: Consignment
) -> list[tuple[frozenset[str] | None, int, int]]:
    """The clients that stand for one consignment: ``(allowed classes or None for all, earliest
    start, latest start)``. Several are alternatives (a client group: at most one is served)."""
    service = _service_s(problem, options, c)
    finish = options.latest_finish_s.get(c.id, problem.seconds(c.deadline))
    if problem.direction == "return":
        finish -= min(
            _to_destination_s(problem, matrices[vc.id], vc, c) for vc in problem.classes.values()
        )
    early = max(0, problem.seconds(c.ready)) if c.ready else 0
    late = max(0, finish - service)
    windows = options.windows.get(c.id)
    if not windows:
        return [(None, early, late)] if early <= late else []
    by_windows: dict[tuple[tuple[int, int], ...], set[str]] = {}
    for cid in problem.classes:
        by_windows.setdefault(tuple(windows.get(cid, ((0, late),))), set()).add(cid)
    out: list[tuple[frozenset[str] | None, int, int]] = []
    for spans, classes in sorted(by_windows.items(), key=lambda kv: sorted(kv[1])):
        allowed = None if len(classes) == len(problem.classes) else frozenset(classes)
        for a, b in spans:
            lo, hi = max(early, a), min(late, b)
            if lo <= hi:
                out.append((allowed, lo, hi))
    return out


def _to_destination_s(problem: Problem, matrix: Matrix, vc: VesselClass, c: Consignment) -> int:
    """Sailing from the landing to the destination depot and unloading there (return plans)."""
    i, j = matrix.index(c.landing_id), matrix.index(problem.depots[0])
    sail = int(matrix.duration_s[i, j]) if matrix.reachable[i, j] else 0
    return sail + math.ceil(loading_seconds(vc, c.weight_kg))


def _edge_cost(problem: Problem, vc: VesselClass) -> tuple[int, int]:
    """Objective weights: the class's fuel cost per metre, and one weight per ship-second."""
    per_m = max(1, round(vc.cost_per_nm_idr / 1852.0))
    per_s = max(1, round(problem.ship_hour_idr / 3600.0))
    return per_m, per_s


def split_trips(calls: list[tuple[str, None] | tuple[None, str]]) -> list[SolvedTrip]:
    """A route's calls in order, each ``(depot, None)`` or ``(None, consignment)``, as trips:
    from a depot, the consignments up to the next depot call, to that depot; those that carry
    nothing left out and the others joined up (``routing.domain.join_trips``).

    Parameters
    ----------
    calls
        The route's depot calls and handovers in order, from its start depot to its end depot.

    Returns
    -------
    list[SolvedTrip]
        The trips that hand something over.
    """
    trips: list[SolvedTrip] = []
    start: str | None = None
    visits: list[str] = []
    for depot, consignment in calls:
        if depot is not None:
            if start is not None:
                trips.append(SolvedTrip(start, tuple(visits), depot))
            start, visits = depot, []
        elif consignment is not None:
            visits.append(consignment)
    return join_trips(trips)


def _prize(
    problem: Problem,
    matrices: Mapping[str, Matrix],
    options: SolveOptions,
    horizon: int,
    clients: int,
) -> int:
    """What serving one consignment is worth to the search: ``PRIZE_MARGIN`` times the most that
    serving any one of them can add to a plan's cost, so that a plan leaving out one it could
    serve is always dearer than serving it.

    Serving a consignment adds at most a vessel's fixed cost, two detours (to the landing and
    back, and one more depot call to reload) of the longest reachable sailing, and, with
    ship-time in the objective, the ship-time up to the horizon plus those sailings and its
    handover. A prize far above that (10**12 before) served no more and cost the search: the
    adapter ended 1.95 % and 2.25 % from the best known on X-n101-k25 and X-n157-k13 at 10 s,
    against 0.26 % and 0.09 % now (bench/engine.py). The margin keeps the search's pull to serve
    every consignment: at twice the bound, a 200-iteration search left one of a small boat's
    loads behind that it serves at a hundred times (tests/routing/test_weather.py).
    """
    most = 0
    handover = max((_service_s(problem, options, c) for c in problem.consignments), default=0)
    for cid, vc in problem.classes.items():
        mat = matrices[cid]
        sailable = mat.reachable.astype(bool)
        far_m = int(mat.distance_m[sailable].max(initial=0))
        far_s = int(mat.duration_s[sailable].max(initial=0))
        per_m, per_s = _edge_cost(problem, vc)
        cost = options.fixed_cost_per_vessel + per_m * 4 * far_m
        if options.duration_cost:
            cost += per_s * (max(horizon, 0) + 4 * far_s + handover)
        most = max(most, cost)
    # The solver sums the prizes of its ``clients`` in 64-bit integers: they stay below 2**62.
    return min(PRIZE_MARGIN * most + 1, MAX_PRIZE, 2**62 // (clients + 1))


def _hint(
    model: pyvrp.Model,
    hint: Mapping[str, tuple[tuple[str, ...], ...]],
    client_ids: list[str],
    vessel_types: list[tuple[str, ...]],
    depot_ids: list[str],
) -> pyvrp.Solution | None:
    """A starting solution from earlier routes (the first client standing for each consignment);
    ``None`` when there is none or it does not fit this model."""
    type_of = {vid: t for t, ids in enumerate(vessel_types) for vid in ids}
    if not hint:
        return None
    data = model.data()
    first: dict[str, int] = {}
    for idx, cid in enumerate(client_ids):
        first.setdefault(cid, idx)
    routes = []
    try:
        for vid, trips in hint.items():
            if vid not in type_of:
                continue
            t = type_of[vid]
            vt = data.vehicle_type(t)
            acts = [pyvrp.Activity(pyvrp.ActivityType.DEPOT, vt.start_depot)]
            for k, trip in enumerate(x for x in trips if any(c in first for c in x)):
                if k > 0:
                    acts.append(pyvrp.Activity(pyvrp.ActivityType.DEPOT, vt.reload_depots[0]))
                acts += [
                    pyvrp.Activity(pyvrp.ActivityType.CLIENT, first[c]) for c in trip if c in first
                ]
            acts.append(pyvrp.Activity(pyvrp.ActivityType.DEPOT, vt.end_depot))
            if len(acts) > 2:
                routes.append(pyvrp.Route(data, acts, t))
        return pyvrp.Solution(data, routes) if routes else None
    except (ValueError, IndexError, RuntimeError):
        return None


class PyVRPSolver:
    """Heterogeneous fleet, two capacities, time windows, multiple trips: PyVRP 0.14."""

    def solve(
        self,
        problem: Problem,
        matrices: Mapping[str, Matrix],
        options: SolveOptions,
        progress: Progress | None = None,
    ) -> SolverResult:
        # A vessel whose window is empty (a re-plan resuming it after its window ends) can do
        # nothing: it is left out rather than given to the solver, which refuses such a window.
        usable = tuple(
            v
            for v in problem.vessels
            if problem.seconds(v.available_from) <= problem.seconds(v.available_until)
        )
        if not usable or not problem.consignments:
            return SolverResult(
                routes=(),
                unassigned=tuple(c.id for c in problem.consignments),
                feasible=True,
                objective=0.0,
                iterations=0,
                runtime_s=0.0,
            )
        if len(usable) < len(problem.vessels):
            problem = dataclasses.replace(problem, vessels=usable)
        model, client_ids, vessel_types, depot_ids = self._model(problem, matrices, options)
        watch = _Watch(_stop(options), progress)
        start = _hint(model, options.hint, client_ids, vessel_types, depot_ids)
        result = model.solve(
            watch,
            seed=options.seed,
            collect_stats=False,
            display=False,
            params=SOLVE_PARAMS,
            initial_solution=start,
        )
        out = self._result(
            result, client_ids, vessel_types, depot_ids, watch.iterations, options.hint
        )
        # Every consignment not served, including one no time window of which could be met
        # (never given to the solver).
        served = {c for r in out.routes for t in r.trips for c in t.consignments}
        unassigned = tuple(c.id for c in problem.consignments if c.id not in served)
        return dataclasses.replace(out, stopped=watch.stopped, unassigned=unassigned)

    def _model(
        self, problem: Problem, matrices: Mapping[str, Matrix], options: SolveOptions
    ) -> tuple[pyvrp.Model, list[str], list[tuple[str, ...]], list[str]]:
        m = pyvrp.Model()
        back = problem.direction == "return"
        landings = sorted({c.landing_id for c in problem.consignments})
        variants = {c.id: _variants(problem, matrices, options, c) for c in problem.consignments}
        # One location per depot and landing; a landing some classes may only visit at some times
        # gets a copy per set of allowed classes, with prohibitive edges for the others.
        nodes: list[tuple[str, frozenset[str] | None]] = [(d, None) for d in problem.depots]
        nodes += [(lid, None) for lid in landings]
        nodes += sorted(
            {(c.landing_id, v[0]) for c in problem.consignments for v in variants[c.id] if v[0]},
            key=lambda n: (n[0], sorted(n[1] or ())),
        )
        locations = {
            n: m.add_location(x=i, y=0, name=n[0] if not n[1] else f"{n[0]}~{len(n[1])}")
            for i, n in enumerate(nodes)
        }
        depots = {d: m.add_depot(locations[(d, None)], name=d) for d in problem.depots}
        profiles = {cid: m.add_profile(name=cid) for cid in problem.classes}
        for cid, profile in profiles.items():
            mat = matrices[cid]
            index = [mat.index(n[0]) for n in nodes]
            for a, ia in zip(nodes, index, strict=True):
                for b, ib in zip(nodes, index, strict=True):
                    ok = a == b or (
                        bool(mat.reachable[ia, ib])
                        and all(n[1] is None or cid in n[1] for n in (a, b))
                    )
                    dist = int(mat.distance_m[ia, ib]) if ok else PROHIBITIVE
                    dur = int(mat.duration_s[ia, ib]) if ok else PROHIBITIVE
                    m.add_edge(
                        locations[a], locations[b], distance=dist, duration=dur, profile=profile
                    )
        horizon = max(problem.seconds(c.deadline) for c in problem.consignments)
        prize = _prize(problem, matrices, options, horizon, sum(map(len, variants.values())))
        destination = problem.depots[0]
        # GROUP_FROM or more identical vessels (class, home, window) are one vehicle type with
        # as many available: the search then does not try the same route on each of them in
        # turn (bench/engine.py: X-n157-k13 at 10 s, 6.54 % from the best known -> 2.25 %).
        # A pair stays two types: on the 2024 scenario that changed the search's path without a
        # gain (5 of 6 seeds a little dearer at 300 and 600 iterations). Nor in a search that
        # starts from earlier routes (a re-plan): each vessel stays a type of its own there,
        # which keeps the search near the plan being carried out.
        same: dict[tuple[str, str, datetime, datetime], list[str]] = {}
        for v in problem.vessels:
            same.setdefault((v.class_id, v.home_depot, v.available_from, v.available_until), [])
            same[(v.class_id, v.home_depot, v.available_from, v.available_until)].append(v.id)
        groups: dict[tuple[str, str, datetime, datetime] | str, list[str]] = {}
        first_of: dict[tuple[str, str, datetime, datetime] | str, Vessel] = {}
        for v in problem.vessels:
            shared = (v.class_id, v.home_depot, v.available_from, v.available_until)
            grouped = not options.hint and len(same[shared]) >= GROUP_FROM
            key: tuple[str, str, datetime, datetime] | str = shared if grouped else v.id
            groups.setdefault(key, []).append(v.id)
            first_of.setdefault(key, v)
        for key, ids in groups.items():
            v = first_of[key]
            vc = problem.classes[v.class_id]
            per_m, per_s = _edge_cost(problem, vc)
            m.add_vehicle_type(
                num_available=len(ids),
                capacity=[math.floor(vc.capacity_kg), math.floor(vc.capacity_m3 * LITRES_PER_M3)],
                start_depot=depots[v.home_depot],
                end_depot=depots[destination if back else v.home_depot],
                fixed_cost=options.fixed_cost_per_vessel,
                tw_early=max(0, problem.seconds(v.available_from)),
                tw_late=max(0, problem.seconds(v.available_until)),
                unit_distance_cost=per_m,
                unit_duration_cost=per_s if options.duration_cost else 0,
                profile=profiles[v.class_id],
                reload_depots=[depots[destination]] if back else list(depots.values()),
                name=",".join(ids),
            )
        client_ids: list[str] = []
        for c in problem.consignments:
            load = [math.ceil(c.weight_kg), math.ceil(c.volume_m3 * LITRES_PER_M3)]
            # A window that closes before it opens, or before the cargo is released at the
            # depot (a re-plan's cargo brought back late), cannot be served then.
            release = max(0, problem.seconds(c.release)) if c.release else 0
            open_ = [
                (a, e, lt) for a, e, lt in variants[c.id] if max(e, release) <= min(lt, horizon)
            ]
            group = m.add_client_group(required=False) if len(open_) > 1 else None
            for allowed, early, late in open_:
                m.add_client(
                    locations[(c.landing_id, allowed)],
                    delivery=[] if back else load,
                    pickup=load if back else [],
                    service_duration=_service_s(problem, options, c),
                    tw_early=early,
                    tw_late=min(late, horizon),
                    release_time=release,
                    prize=prize,
                    required=False,
                    group=group,
                    name=c.id,
                )
                client_ids.append(c.id)
        return m, client_ids, [tuple(ids) for ids in groups.values()], list(problem.depots)

    def _result(
        self,
        result: pyvrp.Result,
        client_ids: list[str],
        vessel_types: list[tuple[str, ...]],
        depot_ids: list[str],
        iterations: int,
        hint: Mapping[str, tuple[tuple[str, ...], ...]] | None = None,
    ) -> SolverResult:
        best = result.best
        routes = []
        served: set[str] = set()
        # A type's routes go to its vessels: to the one whose earlier routes (the hint, in a
        # re-plan) share most of the route's consignments, else in order (identical vessels:
        # which is which does not change what the plan does).
        had = {vid: {c for trip in trips for c in trip} for vid, trips in (hint or {}).items()}
        free = [list(ids) for ids in vessel_types]
        order = [vid for ids in vessel_types for vid in ids]
        for route in best.routes():
            trips = split_trips(
                [
                    (depot_ids[a.idx], None) if a.is_depot() else (None, client_ids[a.idx])
                    for a in route.schedule()
                ]
            )
            served.update(c for t in trips for c in t.consignments)
            if trips:
                mine = {c for t in trips for c in t.consignments}
                pool = free[route.vehicle_type()]
                vid = max(pool, key=lambda v: (len(had.get(v, set()) & mine), -pool.index(v)))
                pool.remove(vid)
                routes.append(SolvedRoute(vid, tuple(trips)))
        routes.sort(key=lambda r: order.index(r.vessel_id))
        feasible = best.is_feasible()
        cost = best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost()
        return SolverResult(
            routes=tuple(routes),
            unassigned=tuple(c for c in dict.fromkeys(client_ids) if c not in served),
            feasible=feasible,
            objective=float(cost) if feasible else math.inf,
            iterations=iterations,
            runtime_s=float(result.runtime),
        )


@dataclass(frozen=True)
class VrplibData:
    """A single-depot VRPLIB instance (CVRP or VRPTW) as plain arrays, in the instance's units
    times ``scale``. Index 0 of the matrices is the depot; client ``k`` is index ``k + 1``."""

    name: str
    scale: int  # 10 under the DIMACS convention (one decimal), else 1
    capacity: int
    num_vehicles: int
    demand: np.ndarray  # per client
    service: np.ndarray  # per client
    time_windows: np.ndarray | None  # (client, 2): earliest and latest start; None: none
    depot_window: tuple[int, int]
    distance: np.ndarray  # (1 + clients) square
    duration: np.ndarray


def read_vrplib(path: str | Path, *, round_func: str = "round") -> VrplibData:
    """Read a VRPLIB instance with PyVRP's own reader, so that its matrix is PyVRP's.

    Parameters
    ----------
    path
        The ``.vrp`` file.
    round_func
        The instance's distance convention: ``"round"`` (nint, CVRPLIB X set) or ``"dimacs"``
        (one decimal, truncated: every value is multiplied by 10).

    Returns
    -------
    VrplibData
        The instance's values as arrays.

    Raises
    ------
    ValueError
        The instance has more than one depot, vehicle type, load dimension or profile, or
        optional or grouped clients: none of which the benchmark conversion expresses.
    """
    data = pyvrp.read(str(path), round_func=round_func)
    if (
        data.num_depots != 1
        or data.num_vehicle_types != 1
        or data.num_load_dimensions != 1
        or data.num_profiles != 1
        or data.num_groups
        or data.num_shipments
        or any(not c.required for c in data.clients())
    ):
        raise ValueError(f"{path}: not a single-depot CVRP or VRPTW instance")
    vt = data.vehicle_type(0)
    clients = data.clients()
    windows = np.array([(c.tw_early, c.tw_late) for c in clients], dtype=np.int64)
    timed = bool((windows[:, 1] < np.iinfo(np.int64).max).any())
    return VrplibData(
        name=Path(path).stem,
        scale=10 if round_func == "dimacs" else 1,
        capacity=int(vt.capacity[0]),
        num_vehicles=int(vt.num_available),
        demand=np.array([c.delivery[0] for c in clients], dtype=np.int64),
        service=np.array([c.service_duration for c in clients], dtype=np.int64),
        time_windows=windows if timed else None,
        depot_window=(int(vt.tw_early), int(vt.tw_late)),
        distance=np.asarray(data.distance_matrix(0), dtype=np.int64),
        duration=np.asarray(data.duration_matrix(0), dtype=np.int64),
    )
