"""Planning runs as the CLI (and later the API) start them: files in, plan and files out."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import shapely

from app import state
from app.config import Settings
from routing import export
from routing.domain import Plan, Problem, Vessel
from routing.errors import RoutingError
from routing.matrix import Matrix, SeaNetwork, build_matrix, sea_network
from routing.planner import input_hash, make_plan, versions
from routing.replan import replan
from routing.scenario import Scenario, build_problem, load_scenario, load_vessels
from routing.schedule import PathCoords
from routing.seagraph import SeaPath
from routing.solver import Progress, SolveOptions
from routing.weather import Detour


@dataclass(frozen=True)
class PlanRun:
    plan: Plan
    document: dict[str, Any]  # plan.json
    matrices: Mapping[str, Matrix]
    runtime_s: float


def problem_for(settings: Settings, scenario: Scenario, *, extra_per_class: int = 0) -> Problem:
    """The solver problem of a scenario, with the dataset, kit and fleet of ``settings``."""
    classes = state.fleet(settings.fleet_file)
    vessels = load_vessels(settings.fleet_file, classes)
    extra = _extra_vessels(scenario, classes, extra_per_class)
    scenario = dataclasses.replace(scenario, vessel_ids=scenario.vessel_ids + tuple(extra))
    return build_problem(
        scenario,
        state.archipelago(settings.dataset_dir),
        state.kit(settings.kit_file),
        classes,
        vessels | extra,
        state.sea_areas(settings.sea_areas_file, settings.dataset_dir),
    )


def _extra_vessels(scenario: Scenario, classes: Mapping[str, Any], n: int) -> dict[str, Vessel]:
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


def networks(settings: Settings, problem: Problem) -> dict[str, SeaNetwork]:
    return {
        cid: state.network(
            settings.dataset_dir, settings.fleet_file, cid, settings.matrix_cache_dir
        )[1]
        for cid in problem.classes
    }


def _coords(path: SeaPath) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in path.coords.round(6).tolist())


def _sea(settings: Settings, problem: Problem) -> tuple[dict[str, Matrix], PathCoords]:
    """The problem's matrices (networks built or loaded) and its sea-path coordinates."""
    nets = networks(settings, problem)
    matrices = {cid: build_matrix(net, problem.classes[cid]) for cid, net in nets.items()}

    def path(cid: str, a: str, b: str) -> tuple[tuple[float, float], ...]:
        return _coords(nets[cid].path(a, b))

    return matrices, path


def detours(settings: Settings, problem: Problem) -> Detour | None:
    """Sea paths around the areas the problem's forecast closes to each class: a sea network
    with those areas as obstacles (built once per class and closed-area set, cached on disk);
    places inside the areas are left out of it, so legs to or from them cannot go around."""
    if not problem.forecast:
        return None
    areas = {a.id: a for a in problem.sea_areas}
    arch = state.archipelago(settings.dataset_dir)
    built: dict[tuple[str, tuple[str, ...]], SeaNetwork | None] = {}

    def detour(cid: str, a: str, b: str) -> tuple[float, tuple[tuple[float, float], ...]] | None:
        vc = problem.classes[cid]
        closed = tuple(sorted({f.area_id for f in problem.forecast if f.wave_m > vc.max_wave_m}))
        if not closed:
            return None
        key = (cid, closed)
        if key not in built:
            zones = [areas[x].geometry for x in closed]
            inside = shapely.union_all(zones)
            terminals = [
                t for t in arch.terminals() if not inside.intersects(shapely.Point(t.lon, t.lat))
            ]
            try:
                built[key] = sea_network(
                    [*state.land(settings.dataset_dir), *zones],
                    terminals,
                    clearance_m=vc.clearance_m,
                    cache_dir=settings.matrix_cache_dir,
                )
            except RoutingError:
                built[key] = None
        net = built[key]
        if net is None or a not in net.graph.terminal_ids or b not in net.graph.terminal_ids:
            return None
        try:
            p = net.path(a, b)
        except RoutingError:
            return None
        return float(p.distance_m), _coords(p)

    return detour


def run_plan(
    settings: Settings,
    problem: Problem,
    *,
    seed: int = 0,
    seconds: float | None = 30.0,
    iterations: int | None = None,
    fixed_cost_per_vessel: int = 0,
    progress: Progress | None = None,
) -> PlanRun:
    """Build (or load) the matrices and plan; a wall-time budget covers both."""
    started = time.monotonic()
    matrices, path = _sea(settings, problem)
    options = SolveOptions(
        seed=seed, max_iterations=iterations, fixed_cost_per_vessel=fixed_cost_per_vessel
    )
    deadline = None
    if iterations is None:
        deadline = started + (seconds or 30.0)
    plan = make_plan(
        problem,
        matrices,
        options=options,
        path=path,
        progress=progress,
        deadline_monotonic=deadline,
        detour=detours(settings, problem),
    )
    document = export.plan_json(
        plan, input_hash=input_hash(problem, matrices, seed), versions=versions()
    )
    return PlanRun(plan, document, matrices, time.monotonic() - started)


def run_replan(
    settings: Settings,
    problem: Problem,
    parent: dict[str, Any],
    events: list[dict[str, Any]],
    *,
    as_of: datetime | None,
    out_of_service: Mapping[str, datetime],
    seed: int = 0,
    seconds: float | None = 30.0,
    iterations: int | None = None,
    progress: Progress | None = None,
) -> PlanRun:
    """Plan the rest of a plan from its field events and a change (``problem`` has the change)."""
    started = time.monotonic()
    matrices, path = _sea(settings, problem)
    result = replan(
        problem,
        parent,
        events,
        matrices,
        options=SolveOptions(seed=seed, max_iterations=iterations),
        as_of=as_of,
        out_of_service=out_of_service,
        path=path,
        progress=progress,
        deadline_monotonic=None if iterations else started + (seconds or 30.0),
        detour=detours(settings, problem),
    )
    document = export.plan_json(
        result.plan, input_hash=input_hash(result.plan.problem, matrices, seed), versions=versions()
    )
    document["replan"] = {
        "as_of": result.state.as_of.isoformat(),
        "out_of_service": {k: v.isoformat() for k, v in out_of_service.items()},
        "vessels_gone": list(result.gone),
        "delivered_before": [
            {"consignment": cid, "handed_over": when.isoformat()}
            for cid, when in sorted(result.state.delivered.items())
        ],
        "diff": result.diff,
    }
    return PlanRun(result.plan, document, matrices, time.monotonic() - started)


def places(settings: Settings) -> dict[str, tuple[float, float]]:
    arch = state.archipelago(settings.dataset_dir)
    out = {d.id: (d.lon, d.lat) for d in arch.depots.values()}
    out.update({lp.id: (lp.lon, lp.lat) for lp in arch.landing_points.values()})
    return out


def write_plan(settings: Settings, run: PlanRun, out: Path) -> list[Path]:
    """Write plan.json, plan.geojson, manifests.csv and timeline.csv into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "plan.json": json.dumps(run.document, indent=1, ensure_ascii=False) + "\n",
        "plan.geojson": json.dumps(
            export.plan_geojson(run.plan, places(settings)), ensure_ascii=False
        )
        + "\n",
        "manifests.csv": export.manifests_csv(run.plan),
        "timeline.csv": export.timeline_csv(run.plan),
    }
    paths = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        paths.append(out / name)
    return paths


def plan_scenario_file(
    path: Path,
    out: Path,
    *,
    seed: int,
    seconds: float | None,
    iterations: int | None,
    data_dir: Path,
    cache_dir: Path | None,
) -> dict[str, Any]:
    """Plan one scenario file into ``out``; the job function of a batch, on the local pool or a
    Dask cluster. Safe to run twice: a run that finds the scenario's ``summary.json`` (written
    last, atomically) returns it without solving again, as when a cluster recomputes a task
    whose result was lost with its worker. Each run that solves adds a line to ``runs.log``."""
    done = out / "summary.json"
    try:
        summary: dict[str, Any] = json.loads(done.read_text(encoding="utf-8"))
        return summary
    except (OSError, ValueError):
        pass  # not done yet (or a torn file): solve
    settings = Settings(data_dir=data_dir, cache_dir=cache_dir)
    problem = problem_for(settings, load_scenario(path))
    run = run_plan(settings, problem, seed=seed, seconds=seconds, iterations=iterations)
    write_plan(settings, run, out)
    k = run.document["kpis"]
    summary = {
        "scenario": run.document["scenario"],
        "file": str(path),
        "status": run.document["status"],
        "villages_unserved": len(run.document["unassigned"]),
        "tps_delivered": k["tps_delivered"],
        "tps_total": k["tps_total"],
        "vessels_used": k["vessels_used"],
        "trips": k["trips"],
        "ship_hours": k["ship_hours"],
        "distance_nm": k["distance_nm"],
        "makespan_h": k["makespan_h"],
        "min_margin_h": k["min_margin_h"],
        "runtime_s": round(run.runtime_s, 1),
    }
    partial = done.with_name(f".summary-{os.getpid()}.json")
    partial.write_text(json.dumps(summary), encoding="utf-8")
    os.replace(partial, done)
    with (out.parent / "runs.log").open("a", encoding="utf-8") as log:
        log.write(
            json.dumps(
                {
                    "scenario": summary["scenario"],
                    "file": str(path),
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "finished": datetime.now().astimezone().isoformat(),
                }
            )
            + "\n"
        )
    return summary
