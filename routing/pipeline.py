"""One planning pipeline: scenario + dataset + fleet + options -> plan.

Every way of planning goes through here (the service's jobs, the command line, batches, the
benchmarks and the tests): the scenario becomes a ``Problem`` (with the hypothetical vessels of a
capacity plan), the sea networks give the matrices and the legs' geometry, a forecast adds the
detours around closed waters, the solver plans and the schedule times it, and the plan becomes
its JSON document. The pipeline reads no files and no environment: what it needs comes in as
``Inputs``, which the caller loads (and caches) as it likes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import shapely

from routing import stress
from routing.domain import Budget, Plan, Problem, Vessel, VesselClass
from routing.echelon import make_two_echelon_plan
from routing.errors import DataError, Issue, RoutingError
from routing.inputs import Inputs
from routing.inputs.climate import Climate
from routing.inputs.closures import Episode
from routing.inputs.scenario import Scenario, build_problem
from routing.local import WIB
from routing.outputs import export
from routing.plandoc import PlanDocument
from routing.planner import input_hash, make_plan, versions
from routing.replan import replan as replan_rest
from routing.risk import BookedPassage, Model, exposures, report, routes_of, simulate
from routing.schedule import PathCoords
from routing.sea.graph import SeaPath
from routing.sea.matrix import Matrix, build_matrix
from routing.sea.network import SeaNetwork, sea_network
from routing.sea.weather import Detour
from routing.solver import Progress, SolveOptions


@dataclass(frozen=True)
class PlanRun:
    plan: Plan
    document: dict[str, Any]  # plan.json
    matrices: Mapping[str, Matrix]
    runtime_s: float


def problem_for(inputs: Inputs, scenario: Scenario, *, extra_per_class: int = 0) -> Problem:
    """The solver problem of a scenario; ``extra_per_class`` hypothetical vessels of every class
    are added for a capacity plan."""
    extra = extra_vessels(scenario, inputs.classes, extra_per_class)
    scenario = dataclasses.replace(scenario, vessel_ids=scenario.vessel_ids + tuple(extra))
    timetable = None
    if scenario.timetable and inputs.timetable is not None:
        timetable = inputs.timetable(scenario.timetable)
    return build_problem(
        scenario,
        inputs.archipelago,
        inputs.kit,
        dict(inputs.classes),
        dict(inputs.vessels) | extra,
        inputs.sea_areas,
        water=inputs.water,
        keel_ratio=inputs.keel_ratio,
        hazards_version=inputs.hazards_version,
        timetable=timetable,
    )


def extra_vessels(
    scenario: Scenario, classes: Mapping[str, VesselClass], n: int
) -> dict[str, Vessel]:
    """Hypothetical vessels of every class, for capacity planning: one more of each, n times."""
    out = {}
    for cid in sorted(classes):
        for k in range(1, n + 1):
            vid = f"{cid}-extra-{k}"
            out[vid] = Vessel(
                vid,
                cid,
                scenario.depots[0],
                scenario.planning_start,
                scenario.default_deadline,
                "hypothetical vessel for capacity planning",
            )
    return out


def networks(inputs: Inputs, problem: Problem) -> dict[str, SeaNetwork]:
    """The sea network of every vessel class of the problem (around the unverified hazards too
    where its scenario says so)."""
    if problem.unverified_hazards:
        return {cid: inputs.network(cid, unverified_hazards=True) for cid in problem.classes}
    return {cid: inputs.network(cid) for cid in problem.classes}


def plan_versions(problem: Problem) -> dict[str, str]:
    """The versions a plan records: the engine's and the hazards' it went around."""
    hazards = problem.hazards_version + ("+unverified" if problem.unverified_hazards else "")
    return versions() | ({"hazards": hazards} if hazards else {})


def _coords(path: SeaPath) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in path.coords.round(6).tolist())


def sea(inputs: Inputs, problem: Problem) -> tuple[dict[str, Matrix], PathCoords]:
    """The problem's matrices and the coordinates of its sea paths."""
    nets = networks(inputs, problem)
    matrices = {cid: build_matrix(net, problem.classes[cid]) for cid, net in nets.items()}

    def path(cid: str, a: str, b: str) -> tuple[tuple[float, float], ...]:
        return _coords(nets[cid].path(a, b))

    return matrices, path


def detours(inputs: Inputs, problem: Problem) -> Detour | None:
    """Sea paths around the areas the problem's forecast closes to each class: a sea network
    with those areas as obstacles (built once per class and closed-area set, cached on disk);
    places inside the areas are left out of it, so legs to or from them cannot go around."""
    if not problem.forecast:
        return None
    areas = {a.id: a for a in problem.sea_areas}
    built: dict[tuple[str, tuple[str, ...]], SeaNetwork | None] = {}

    def network_around(cid: str, closed: tuple[str, ...]) -> SeaNetwork | None:
        zones = [areas[x].geometry for x in closed]
        inside = shapely.union_all(zones)
        terminals = [
            t
            for t in inputs.archipelago.terminals()
            if not inside.intersects(shapely.Point(t.lon, t.lat))
        ]
        hazards = inputs.hazards_for(cid, problem.unverified_hazards) if inputs.hazards_for else ()
        try:
            return sea_network(
                [*inputs.land, *zones],
                terminals,
                clearance_m=problem.classes[cid].clearance_m,
                cache_dir=inputs.cache_dir,
                hazards=hazards,
            )
        except RoutingError:
            return None

    def detour(cid: str, a: str, b: str) -> tuple[float, tuple[tuple[float, float], ...]] | None:
        vc = problem.classes[cid]
        closed = tuple(sorted({f.area_id for f in problem.forecast if f.wave_m > vc.max_wave_m}))
        if not closed:
            return None
        if (cid, closed) not in built:
            built[(cid, closed)] = network_around(cid, closed)
        net = built[(cid, closed)]
        if net is None or a not in net.graph.terminal_ids or b not in net.graph.terminal_ids:
            return None
        try:
            p = net.path(a, b)
        except RoutingError:
            return None
        return float(p.distance_m), _coords(p)

    return detour


def _deadline(started: float, seconds: float | None, iterations: int | None) -> float | None:
    """The monotonic time a wall-time budget ends (none under an iteration budget)."""
    return Budget(seconds, iterations).deadline(started)


def plan(
    inputs: Inputs,
    problem: Problem,
    *,
    seed: int = 0,
    seconds: float | None = Budget.DEFAULT_S,
    iterations: int | None = None,
    fixed_cost_per_vessel: int = 0,
    progress: Progress | None = None,
) -> PlanRun:
    """Plan a problem: matrices (networks built or loaded), solving and the schedule, within
    one wall-time budget (``seconds``) or an iteration budget (``iterations``: deterministic)."""
    started = time.monotonic()
    matrices, path = sea(inputs, problem)
    options = SolveOptions(
        seed=seed, max_iterations=iterations, fixed_cost_per_vessel=fixed_cost_per_vessel
    )
    planner = make_two_echelon_plan if problem.hubs else make_plan
    result = planner(
        problem,
        matrices,
        options=options,
        path=path,
        progress=progress,
        deadline_monotonic=_deadline(started, seconds, iterations),
        detour=detours(inputs, problem),
    )
    document = export.plan_json(
        result, input_hash=input_hash(problem, matrices, seed), versions=plan_versions(problem)
    )
    return PlanRun(result, document, matrices, time.monotonic() - started)


def replan(
    inputs: Inputs,
    problem: Problem,
    parent: PlanDocument,
    events: list[dict[str, Any]],
    *,
    as_of: datetime | None,
    out_of_service: Mapping[str, datetime],
    seed: int = 0,
    seconds: float | None = Budget.DEFAULT_S,
    iterations: int | None = None,
    progress: Progress | None = None,
) -> PlanRun:
    """Plan the rest of a plan (``parent``, its document) from its field events and a change
    (``problem`` has the change folded in); the document says what moved."""
    started = time.monotonic()
    matrices, path = sea(inputs, problem)
    result = replan_rest(
        problem,
        parent,
        events,
        matrices,
        options=SolveOptions(seed=seed, max_iterations=iterations),
        as_of=as_of,
        out_of_service=out_of_service,
        path=path,
        progress=progress,
        deadline_monotonic=_deadline(started, seconds, iterations),
        detour=detours(inputs, problem),
    )
    document = export.replan_json(
        result,
        out_of_service=out_of_service,
        input_hash=input_hash(result.plan.problem, matrices, seed),
        versions=plan_versions(result.plan.problem),
    )
    return PlanRun(result.plan, document, matrices, time.monotonic() - started)


def risk_report(
    inputs: Inputs,
    problem: Problem,
    document: Mapping[str, Any],
    climate: Climate,
    *,
    election_day: date,
    runs: int,
    seed: int,
    breakdowns: bool = True,
    replan_breakdowns: bool = False,
    weather_from: date | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """Simulate a plan document against ``problem`` (its deadlines judge it) ``runs`` times
    from ``seed`` and report (``routing.risk.report``), the plan's scenario named: what the
    risk command, the robust search and its bench each do."""
    model = risk_model(
        inputs,
        problem,
        PlanDocument.from_json(document),
        climate,
        election_day=election_day,
        breakdowns=breakdowns,
        replan_breakdowns=replan_breakdowns,
        weather_from=weather_from,
    )
    times = simulate(model, runs, seed, executor=executor, progress=progress)
    out = report(model, times, seed=seed)
    out["scenario"] = document.get("scenario")
    return out


def risk_model(
    inputs: Inputs,
    problem: Problem,
    document: PlanDocument,
    climate: Climate,
    *,
    election_day: date,
    breakdowns: bool = True,
    replan_breakdowns: bool = False,
    replan_iterations: int = 200,
    weather_from: date | None = None,
) -> Model:
    """What the risk simulation of a plan needs (``routing.risk``): its trips, the matrices of
    its classes, its legs' exposure to the sea areas; with ``replan_breakdowns``, a re-plan of
    the rest from each run's first breakdown (the re-planner, ``replan_iterations``)."""
    unknown = sorted(
        {c for v in document.voyages for s in v.stops for c in s.consignments}
        - {c.id for c in problem.consignments}
    )
    if unknown:
        raise DataError(
            [
                Issue(
                    "bad_value",
                    "/plan",
                    f"the plan hands over {len(unknown)} consignment(s) the scenario does not "
                    f"have (e.g. {unknown[0]}): it was made from another scenario",
                )
            ],
            source=problem.name,
        )
    matrices, _ = sea(inputs, problem)
    first = problem.start
    if weather_from is not None:  # the seas drawn from that day on (common random numbers)
        weather_from = min(weather_from, problem.start.astimezone(WIB).date())
        first = datetime.combine(weather_from, datetime.min.time(), tzinfo=WIB)
    horizon = max(c.deadline for c in problem.consignments) - first
    problem, onward, passages = _as_booked(problem, document)
    replan = None
    if replan_breakdowns:
        replan = _risk_replan(matrices, document, replan_iterations)
    return Model(
        problem=problem,
        routes=routes_of(document),
        matrices=dict(matrices),
        spans=exposures(document, problem.sea_areas),
        climate=climate,
        election_day=election_day,
        horizon_days=max(1, horizon.days + 8),  # room for holds past the last deadline
        breakdowns=breakdowns,
        replan=replan,
        onward=onward,
        sailings=passages,
        weather_from=weather_from,
    )


def _as_booked(
    problem: Problem, document: PlanDocument
) -> tuple[Problem, dict[str, float], tuple[BookedPassage, ...]]:
    """A two-echelon plan as the risk simulation takes it: a local boat's cargo is released at
    its hub at the sailing's arrival plus the transfer, the kits taken on by road or at the hub
    arrive as planned, and each booked sailing is a ``BookedPassage`` whose weather holds each
    run samples (``routing.risk.sailing_delays``), moving all of these by as much."""
    if not document.sailings:
        return problem, {}, ()
    hubs = {h.landing_id: h for h in problem.hubs}
    released: dict[str, datetime] = {}
    for b in document.sailings:
        for load in b.loads:
            arrival = next(c.arrival for c in b.calls if c.stop_id == load.stop_id)
            ready = arrival + timedelta(seconds=hubs[load.stop_id].transfer_s)
            released |= dict.fromkeys(load.consignments, ready)
    problem = dataclasses.replace(
        problem,
        consignments=tuple(
            dataclasses.replace(c, release=released[c.id]) if c.id in released else c
            for c in problem.consignments
        ),
    )
    passages = tuple(
        BookedPassage(
            key=b.sailing_id,
            depart=next((c.departure for c in b.calls if c.kind == "depot"), b.calls[0].departure),
            arrive=max(c.arrival for c in b.calls if any(x.stop_id == c.stop_id for x in b.loads)),
            areas=frozenset(problem.sailing_areas.get(b.trip_id, ())),
            consignments=tuple(c for load in b.loads for c in load.consignments),
        )
        for b in document.sailings
    )
    onward = {o.consignment: float(problem.seconds(o.arrive)) for o in document.onward}
    return problem, onward, passages


@dataclass(frozen=True)
class _RiskReplan:
    """The rest of a plan planned again from a run's first breakdown (picklable). The rest is
    timed without weather holds (the re-planner has no sea paths in a simulation worker)."""

    matrices: dict[str, Matrix]
    document: PlanDocument
    iterations: int

    def __call__(
        self,
        problem: Problem,
        events: list[dict[str, Any]],
        out_of_service: dict[str, datetime],
        as_of: datetime,
    ) -> dict[str, datetime]:
        try:
            result = replan_rest(
                problem,
                self.document,
                events,
                self.matrices,
                options=SolveOptions(seed=0, max_iterations=self.iterations),
                as_of=as_of,
                out_of_service=out_of_service,
            )
        except RoutingError:
            return {}
        return {**result.kept, **result.plan.delivered}


def _risk_replan(
    matrices: Mapping[str, Matrix], document: PlanDocument, iterations: int
) -> _RiskReplan:
    return _RiskReplan(dict(matrices), document, iterations)


def closures_replay(
    inputs: Inputs,
    problem: Problem,
    document: PlanDocument,
    episodes: Sequence[Episode],
    *,
    iterations: int = 100,
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """The closures on record replayed over a plan (``routing.stress``): each episode from each
    day of the plan's window, the rest planned again by the re-planner (``iterations`` each,
    seed 0) knowing the closure, with sea paths around closed areas."""
    started = time.monotonic()
    matrices, path = sea(inputs, problem)

    def replan_with(
        closed: Problem, events: list[dict[str, Any]], as_of: datetime
    ) -> dict[str, datetime]:
        result = replan_rest(
            closed,
            document,
            events,
            matrices,
            options=SolveOptions(seed=0, max_iterations=iterations),
            as_of=as_of,
            path=path,
            detour=detours(inputs, closed),
        )
        return {**result.state.delivered, **result.kept, **result.plan.delivered}

    report = stress.replay(problem, document, episodes, replan_with, progress=progress)
    report["iterations"] = iterations
    report["runtime_s"] = round(time.monotonic() - started, 1)
    return report
