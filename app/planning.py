"""Planning glue of the service: the pipeline's inputs from the settings (loaded once per
process), and a plan's files written to a folder (the command line and batches)."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from datetime import datetime, time
from pathlib import Path
from typing import Any

from app.config import Settings
from routing import inputs as data
from routing import pipeline
from routing.inputs import Inputs, load_inputs
from routing.inputs.climate import Climate, load_climate
from routing.inputs.fleet import load_class_names
from routing.inputs.scenario import Scenario, load_scenario
from routing.local import Lang
from routing.outputs import formats
from routing.plandoc import PlanDocument
from routing.risk.robust import CHECK_RUNS


def inputs(settings: Settings, *, hazard_changes: bool = False) -> Inputs:
    """What the planning pipeline needs besides a scenario, from the settings' data folder;
    with ``hazard_changes`` (the service), the hazards in force are the file's with the changes
    made through the API (``app.hazards.service``), else the file's, and a scenario's timetable
    is a stored feed's id or a bundled feed's name (else also a feed's folder)."""
    if not hazard_changes:
        return load_inputs(settings.data_dir, cache_dir=settings.matrix_cache_dir)
    from app.hazards import service as hazards
    from app.timetables import service as timetables

    in_force = hazards.in_force(settings).hazards
    given = load_inputs(settings.data_dir, cache_dir=settings.matrix_cache_dir, in_force=in_force)
    # the service's scenarios name a stored feed or a bundled one, never a server path
    return dataclasses.replace(given, timetable=functools.partial(timetables.resolve, settings))


def write_plan(
    settings: Settings,
    run: pipeline.PlanRun,
    out: Path,
    *,
    names: Sequence[str] | None = None,
    lang: Lang = "id",
    daylight: tuple[time, time] | None = None,
) -> list[Path]:
    """Write a plan's files into ``out``: the formats of the registry named (default: those
    it writes by default, plan.json, plan.geojson, manifests.csv and timeline.csv), each
    rendered from the plan document (the papers in ``lang``, with the scenario's handover
    hours ``daylight``); returns the paths written."""
    document = PlanDocument.from_json(run.document)
    return write_files(settings, document, out, names=names, lang=lang, daylight=daylight)


def write_files(
    settings: Settings,
    document: PlanDocument,
    out: Path,
    *,
    names: Sequence[str] | None = None,
    lang: Lang = "id",
    vessels: Sequence[str] = (),
    plan_id: str | None = None,
    daylight: tuple[time, time] | None = None,
) -> list[Path]:
    """Write a plan document's files into ``out`` in the formats of the registry named
    (``routing.outputs.formats``; default: those written by default), a per-vessel format
    (the papers) once per vessel of ``vessels`` (default: every vessel the plan uses), in
    ``lang``. ``NotFound`` names an unknown format (``/format``) before anything is written."""
    chosen = (
        [formats.get(n) for n in dict.fromkeys(names)]
        if names
        else [f for f in formats.FORMATS.values() if f.default]
    )
    used = [v.vessel_id for v in document.voyages]
    context = formats.Context(
        lambda: data.archipelago(settings.data_dir),
        lang=lang,
        plan_id=plan_id,
        class_names=load_class_names(settings.fleet_file),
        daylight=daylight,
    )
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in chosen:
        if not fmt.per_vessel:
            paths.append(out / fmt.name)
            paths[-1].write_bytes(fmt.render(document, context))
            continue
        from routing.outputs.papers import filename

        for vessel in vessels or used:
            context.vessel_id = vessel
            paths.append(out / filename(vessel, lang, fmt.extension))
            paths[-1].write_bytes(fmt.render(document, context))
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
    given = inputs(settings)
    problem = pipeline.problem_for(given, load_scenario(path))
    run = pipeline.plan(given, problem, seed=seed, seconds=seconds, iterations=iterations)
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


def risk(
    settings: Settings,
    document: dict[str, Any],
    scenario: Scenario,
    *,
    runs: int,
    seed: int,
    breakdowns: bool = True,
    replan_breakdowns: bool = False,
    executor: Executor | None = None,
    hazard_changes: bool = False,
    climate: str = "bundled",
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """The risk report of a plan (``routing.risk``): ``runs`` runs of its voyages under the
    climate of ``data/climate.toml`` (or one of ``routing.inputs.climate.VARIANTS``), from the
    scenario it was made from (as the plan says: its start, and any vessel it adds)."""
    from routing.risk.robust import as_planned

    given = inputs(settings, hazard_changes=hazard_changes)
    scenario = as_planned(scenario, document, given.vessels)
    return pipeline.risk_report(
        given,
        pipeline.problem_for(given, scenario),
        document,
        _climate(settings, given, climate),
        election_day=scenario.election_day,
        runs=runs,
        seed=seed,
        breakdowns=breakdowns,
        replan_breakdowns=replan_breakdowns,
        executor=executor,
        progress=progress,
    )


def closures(
    settings: Settings,
    document: dict[str, Any],
    scenario: Scenario,
    *,
    episodes: Path | None = None,
    iterations: int = 100,
    hazard_changes: bool = False,
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """The closures on record (``data/closures.toml``, or the file ``episodes``) replayed over a
    plan from each day of its window (``routing.stress``), from the scenario it was made from."""
    from routing.inputs.closures import load_closures
    from routing.risk.robust import as_planned

    given = inputs(settings, hazard_changes=hazard_changes)
    problem = pipeline.problem_for(given, as_planned(scenario, document, given.vessels))
    path = episodes or data.DataFiles(settings.data_dir).closures
    found = load_closures(path, [a.id for a in problem.sea_areas])
    plan = PlanDocument.from_json(document)
    report = pipeline.closures_replay(
        given, problem, plan, found, iterations=iterations, progress=progress
    )
    report["closures_file"] = str(path)
    return report


def _climate(settings: Settings, given: Inputs, name: str) -> Climate:
    """The service's climate table (``data/climate.toml``), or one of its
    ``routing.inputs.climate.VARIANTS``."""
    from routing.inputs.climate import variant

    return variant(load_climate(settings.climate_file, given.sea_areas, given.classes), name)


def plan_to_target(
    settings: Settings,
    scenario: Scenario,
    target: float,
    *,
    seed: int,
    seconds: float | None,
    iterations: int | None,
    runs: int = 300,
    sim_seed: int = 1,
    check_runs: int = CHECK_RUNS,
    climate: str = "bundled",
    executor: Executor | None = None,
    progress: Callable[[str], object] | None = None,
    hazard_changes: bool = False,
) -> tuple[pipeline.PlanRun, dict[str, Any], list[dict[str, Any]]]:
    """The cheapest plan found whose simulated chance on time reaches ``target`` in every
    district, under the service's climate (or one of ``routing.inputs.climate.VARIANTS``):
    ``routing.risk.robust`` pulls its levers (buffers, dispatched vessels instead of sailings, more
    vessels, an earlier start), and checks the plan chosen on ``check_runs`` runs of seas the
    search never met (the chances it claims). Returns that plan, its risk report with the
    search beside it (``robust``: every candidate tried), and per district still below the
    target why and what would reach it."""
    from routing.risk import robust

    given = inputs(settings, hazard_changes=hazard_changes)
    chosen_climate = _climate(settings, given, climate)
    options = robust.Options(
        target=target,
        runs=runs,
        sim_seed=sim_seed,
        check_runs=check_runs,
        seed=seed,
        iterations=iterations,
        seconds=seconds,
    )
    result = robust.robust_plan(
        given, scenario, chosen_climate, options, executor=executor, progress=progress
    )
    report = result.report()
    report["climate"] = climate
    result.chosen.run.document["robust"] = result.summary(climate)
    return result.chosen.run, report, result.below_target


def capacity_under_risk(
    settings: Settings,
    scenario: Scenario,
    target: float,
    *,
    seed: int,
    seconds: float | None,
    iterations: int | None,
    runs: int = 300,
    sim_seed: int = 1,
    check_runs: int = CHECK_RUNS,
    climate: str = "bundled",
    days_before: Iterable[int] | None = None,
    executor: Executor | None = None,
    progress: Callable[[str], object] | None = None,
    hazard_changes: bool = False,
) -> tuple[dict[str, Any], pipeline.PlanRun]:
    """The least fleet and the latest safe start per district for a chance on time of
    ``target`` (``routing.risk.robust.capacity_under_risk``), under the service's climate or one of
    its variants, and the plan of the fleet chosen at the latest safe start."""
    from routing.risk import robust

    given = inputs(settings, hazard_changes=hazard_changes)
    chosen_climate = _climate(settings, given, climate)
    options = robust.Options(
        target=target, runs=runs, sim_seed=sim_seed, check_runs=check_runs, seed=seed,
        iterations=iterations, seconds=seconds,
    )  # fmt: skip
    report, run = robust.capacity_under_risk(
        given,
        scenario,
        chosen_climate,
        options,
        days_before=robust.DAYS_BEFORE if days_before is None else days_before,
        executor=executor,
        progress=progress,
    )
    report["climate"] = climate
    return report, run
