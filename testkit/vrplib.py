"""Standard VRPLIB instances (CVRP, VRPTW) as the engine's own problems, for benchmarks.

A single-depot instance becomes a ``Problem`` and one ``Matrix`` and is solved by the same
adapter, model building and search parameters as a plan (``PyVRPSolver``): one depot, one vessel
class with the instance's capacity and a cost of one per unit of distance, as many vessels as
the instance allows, one consignment per client with its demand (in ``weight_kg``), its time
window and service time where the instance has them, and the instance's own distance matrix
(read by PyVRP's reader, so raw PyVRP and the adapter solve the same numbers).

What a real plan has and an instance has not gets a neutral value:

- daylight all day (``(0, 86400)``), so no handover waits for the morning;
- no volume (every consignment 0 m3, the class 0 m3; the adapter's second load dimension is
  then never binding);
- no ship-hour cost (``SolveOptions.duration_cost=False``: the benchmarks' objective is
  distance only, with or without time windows) and no fixed cost per vessel;
- service times given per consignment (``SolveOptions.service_s``) instead of derived from the
  load and the class's handling rates, which cannot express a constant service time;
- without time windows: a horizon of ``HORIZON_S`` for every deadline and vessel window, far
  beyond any route's duration; with them, the depot's window is every vessel's availability,
  and a client's deadline is its latest start plus its service time (the adapter's latest start
  is the deadline less the service time);
- landings, villages and districts are named after the VRPLIB node numbers.

The adapter's own modelling stays as it is: every client optional with the adapter's prize (so
an unserved client shows up as unassigned rather than as infeasible), one vehicle type per
vessel, and reloads at the depot allowed (with a distance-only objective a vessel's second trip
costs what a second vessel's would, so this changes no optimum while the fleet is not binding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from routing.domain import Consignment, Problem, Vessel, VesselClass
from routing.sea.matrix import Matrix
from routing.solver import PyVRPSolver, SolveOptions, Solver, VrplibData, read_vrplib

START = datetime(2024, 1, 1, tzinfo=UTC)  # time 0 of the instance
HORIZON_S = 10**9  # deadlines and vessel windows of an instance without time windows
DEPOT = "depot"
CLASS = "vrplib"
METRES_PER_NM = 1852.0  # so that a class cost of 1852 per nm is the adapter's 1 per metre


@dataclass(frozen=True)
class VrplibProblem:
    """An instance as the adapter's input, with what a plan would put in its options."""

    problem: Problem
    matrices: Mapping[str, Matrix]
    service_s: Mapping[str, int]  # consignment -> service time, for ``SolveOptions.service_s``
    scale: int  # instance units per adapter unit (10 under the DIMACS convention)

    def options(
        self, *, seed: int, max_seconds: float | None = None, max_iterations: int | None = None
    ) -> SolveOptions:
        """Solve options for this instance: its service times and a distance-only objective."""
        return SolveOptions(
            seed=seed,
            max_seconds=max_seconds,
            max_iterations=max_iterations,
            service_s=self.service_s,
            duration_cost=False,
        )


@dataclass(frozen=True)
class VrplibResult:
    """An instance solved through the adapter; ``cost`` in the instance's own units."""

    cost: float  # total distance over the scale; inf when infeasible or a client is unserved
    trips: int
    feasible: bool
    unassigned: int
    iterations: int
    runtime_s: float


def node_id(node: int) -> str:
    """The landing (and consignment) name of VRPLIB node ``node`` (the depot is node 1)."""
    return f"n{node:05d}"


def vrplib_problem(data: VrplibData) -> VrplibProblem:
    """Turn a VRPLIB instance into a ``Problem`` and its single ``Matrix``.

    Parameters
    ----------
    data
        The instance, as ``routing.solver.read_vrplib`` returns it.

    Returns
    -------
    VrplibProblem
        The problem, its matrices by class, its service times and its scale.
    """
    nodes = [node_id(k + 2) for k in range(len(data.demand))]
    timed = data.time_windows is not None
    early, late = data.depot_window if timed else (0, HORIZON_S)
    vc = _vessel_class(data.capacity)
    vessels = tuple(
        Vessel(
            id=f"v{k + 1:04d}",
            class_id=CLASS,
            home_depot=DEPOT,
            available_from=START + timedelta(seconds=early),
            available_until=START + timedelta(seconds=late),
            source="vrplib",
        )
        for k in range(data.num_vehicles)
    )
    consignments = tuple(
        _consignment(nid, int(data.demand[k]), int(data.service[k]), _window(data, k))
        for k, nid in enumerate(nodes)
    )
    problem = Problem(
        name=data.name,
        start=START,
        depots=(DEPOT,),
        vessels=vessels,
        classes={CLASS: vc},
        consignments=consignments,
        daylight=(0, 86_400),
        ship_hour_idr=0.0,
    )
    n = len(nodes) + 1
    matrix = Matrix(
        vessel_class=CLASS,
        ids=(DEPOT, *nodes),
        distance_m=np.asarray(data.distance, dtype=np.int64),
        duration_s=np.asarray(data.duration, dtype=np.int64),
        reachable=np.ones((n, n), dtype=bool),
    )
    service = {c.id: int(data.service[k]) for k, c in enumerate(consignments)}
    return VrplibProblem(problem, {CLASS: matrix}, service, data.scale)


def solve_vrplib(
    path: str | Path,
    *,
    round_func: str,
    seed: int,
    max_seconds: float | None = None,
    max_iterations: int | None = None,
    solver: Solver | None = None,
) -> VrplibResult:
    """Read a VRPLIB instance and solve it through the adapter, as a plan would be solved.

    Parameters
    ----------
    path
        The ``.vrp`` file.
    round_func
        ``"round"`` (nint distances) or ``"dimacs"`` (one decimal, truncated).
    seed, max_seconds, max_iterations
        The search's seed and budget.
    solver
        The solver (default: ``PyVRPSolver``).

    Returns
    -------
    VrplibResult
        The cost in the instance's units and the search's counts.
    """
    vp = vrplib_problem(read_vrplib(path, round_func=round_func))
    options = vp.options(seed=seed, max_seconds=max_seconds, max_iterations=max_iterations)
    result = (solver or PyVRPSolver()).solve(vp.problem, vp.matrices, options)
    complete = result.feasible and not result.unassigned
    return VrplibResult(
        cost=result.objective / vp.scale if complete else math.inf,
        trips=sum(len(r.trips) for r in result.routes),
        feasible=result.feasible,
        unassigned=len(result.unassigned),
        iterations=result.iterations,
        runtime_s=result.runtime_s,
    )


def _window(data: VrplibData, k: int) -> tuple[int, int] | None:
    if data.time_windows is None:
        return None
    return int(data.time_windows[k, 0]), int(data.time_windows[k, 1])


def _consignment(
    nid: str, demand: int, service_s: int, window: tuple[int, int] | None
) -> Consignment:
    """One client: its demand as weight, and a deadline that makes its latest start the
    instance's (the adapter subtracts the service time)."""
    early, late = window if window is not None else (0, HORIZON_S)
    return Consignment(
        id=nid,
        village_code=nid,
        landing_id=nid,
        district_code="",
        tps=0,
        ballot_boxes=0,
        weight_kg=float(demand),
        volume_m3=0.0,
        deadline=START + timedelta(seconds=late + service_s),
        ready=START + timedelta(seconds=early) if early > 0 else None,
    )


def _vessel_class(capacity: int) -> VesselClass:
    """A class with the instance's capacity and a cost of one per unit of distance. Speeds,
    rates and sizes are unused (the matrix gives durations, the options service times)."""
    return VesselClass(
        id=CLASS,
        name="VRPLIB vehicle",
        speed_kn=1.0,
        capacity_kg=float(capacity),
        capacity_m3=0.0,
        draft_m=0.0,
        length_m=0.0,
        berths_small_pier=True,
        max_wave_m=math.inf,
        clearance_m=0.0,
        cost_per_hour_idr=0.0,
        cost_per_nm_idr=METRES_PER_NM,
        load_rate_kg_per_h=math.inf,
        unload_rate_kg_per_h=math.inf,
        tender_rate_kg_per_h=math.inf,
        anchor_setup_min=0.0,
        sources={},
    )
