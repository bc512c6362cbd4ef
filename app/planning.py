"""Planning glue of the service: the pipeline's inputs from the settings (loaded once per
process), and a plan's files written to a folder (the command line and batches)."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.config import Settings
from routing import inputs as data
from routing import pipeline
from routing.domain import Problem
from routing.inputs import Inputs, load_inputs
from routing.inputs.climate import Climate, load_climate
from routing.inputs.fleet import load_class_names
from routing.inputs.scenario import Scenario, load_scenario
from routing.local import Lang
from routing.outputs import formats
from routing.plandoc import PlanDocument


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
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """The risk report of a plan (``routing.risk``): ``runs`` runs of its voyages under the
    climate of ``data/climate.toml``, from the scenario it was made from."""

    given = inputs(settings, hazard_changes=hazard_changes)
    return _risk_report(
        given,
        pipeline.problem_for(given, scenario),
        document,
        load_climate(settings.climate_file, given.sea_areas, given.classes),
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

    given = inputs(settings, hazard_changes=hazard_changes)
    problem = pipeline.problem_for(given, scenario)
    path = episodes or data.DataFiles(settings.data_dir).closures
    found = load_closures(path, [a.id for a in problem.sea_areas])
    plan = PlanDocument.from_json(document)
    report = pipeline.closures_replay(
        given, problem, plan, found, iterations=iterations, progress=progress
    )
    report["closures_file"] = str(path)
    return report


def _risk_report(
    given: Inputs,
    problem: Problem,
    document: dict[str, Any],
    climate: Climate,
    *,
    election_day: date,
    runs: int,
    seed: int,
    breakdowns: bool = True,
    replan_breakdowns: bool = False,
    executor: Executor | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """Simulate a plan document against ``problem`` (its deadlines judge it) and report."""
    from routing import risk as mc

    model = pipeline.risk_model(
        given,
        problem,
        PlanDocument.from_json(document),
        climate,
        election_day=election_day,
        breakdowns=breakdowns,
        replan_breakdowns=replan_breakdowns,
    )
    times = mc.simulate(model, runs, seed, executor=executor, progress=progress)
    out = mc.report(model, times, seed=seed)
    out["scenario"] = document.get("scenario")
    return out


TARGET_ROUNDS = 6  # plans made at most to reach an on-time target
TARGET_STEP_H = (6.0, 24.0)  # a district's deadline moves this much earlier per round, at most


def plan_to_target(
    settings: Settings,
    scenario: Scenario,
    target: float,
    *,
    seed: int,
    seconds: float | None,
    iterations: int | None,
    runs: int = 300,
    executor: Executor | None = None,
    progress: Callable[[str], object] | None = None,
) -> tuple[pipeline.PlanRun, dict[str, Any], list[dict[str, Any]]]:
    """Plan, simulate (``risk``), and while a district's chance of delivery by its deadline is
    below ``target``, plan again with that district's deadline earlier (by how late its
    completion runs at the target's percentile, between 6 and 24 hours a round), at most
    ``TARGET_ROUNDS`` plans. A deadline that leaves its district unserved in the plan goes back
    to where it was and moves no more. Returns the plan whose districts fare best, its risk
    report (against the scenario's own deadlines), and per district still below the target why.

    An earlier deadline makes the solver serve that district earlier, so that the weather and
    delays the simulation samples still leave it on time; it cannot help a district whose
    runs fail for breakdowns or waters closed past the plan's end: those are explained."""
    import dataclasses

    given = inputs(settings)
    judged = pipeline.problem_for(given, scenario)  # the scenario's own deadlines
    climate = load_climate(settings.climate_file, given.sea_areas, given.classes)
    original = {c: scenario.deadline_for(c) for c in {x.district_code for x in judged.consignments}}
    current = dict(scenario.deadlines)
    fixed: set[str] = set()  # districts whose deadline cannot move earlier
    served_at: dict[str, datetime] = {}  # each district's earliest deadline that was served
    best: tuple[tuple[int, float], pipeline.PlanRun, dict[str, Any], dict[str, Any]] | None = None
    history: dict[str, list[float]] = {}
    for round_no in range(1, TARGET_ROUNDS + 1):
        tried = dataclasses.replace(scenario, deadlines=dict(current))
        run = pipeline.plan(
            given, pipeline.problem_for(given, tried), seed=seed, seconds=seconds,
            iterations=iterations,
        )  # fmt: skip
        unserved = {u["district_code"] for u in run.document["unassigned"]}
        for code in original:
            if code not in unserved:
                served_at[code] = current.get(code, original[code])
        report = _risk_report(
            given,
            judged,
            run.document,
            climate,
            election_day=scenario.election_day,
            runs=runs,
            seed=seed,
            executor=executor,
        )
        for d in report["districts"]:
            history.setdefault(d["district_code"], []).append(d["on_time"])
        below = [d for d in report["districts"] if d["on_time"] < target]
        if progress is not None:
            progress(f"plan {round_no}: {len(below)} district(s) below {target:.0%} on time")
        score = _score(report, target)
        if best is None or score > best[0]:
            best = (score, run, report, dict(current))
        if not below:
            break
        moved = _move_deadlines(
            below, target, scenario, original, current, unserved, served_at, fixed
        )
        if not moved:
            break
    assert best is not None
    _, run, report, used = best
    reasons = _why_below(report, target, history, original, used, fixed)
    report["deadlines_planned"] = {k: v.isoformat() for k, v in sorted(used.items())}
    return run, report, reasons


def _move_deadlines(
    below: list[dict[str, Any]],
    target: float,
    scenario: Scenario,
    original: dict[str, datetime],
    current: dict[str, datetime],
    unserved: set[str],
    served_at: dict[str, datetime],
    fixed: set[str],
) -> bool:
    """One round of ``plan_to_target``: move each district below the target to an earlier
    deadline in ``current`` (or back to its last served one, then ``fixed``); whether any moved."""
    moved = False
    for d in below:
        code = d["district_code"]
        deadline = current.get(code, original[code])
        if code in unserved:
            tried_at = current.get(code, original[code])
            if code in served_at and served_at[code] != tried_at and code not in fixed:
                # Too early to serve: back to the last deadline that was served, and stay.
                current[code] = served_at[code]
                fixed.add(code)
                moved = True
            continue  # unserved for another reason: an earlier deadline will not help
        if code in fixed:
            continue
        step = min(TARGET_STEP_H[1], max(TARGET_STEP_H[0], _late_by_h(d, target)))
        new = max(scenario.planning_start + timedelta(hours=12), deadline - timedelta(hours=step))
        if new < deadline:
            current[code] = new
            moved = True
    return moved


def _why_below(
    report: dict[str, Any],
    target: float,
    history: dict[str, list[float]],
    original: dict[str, datetime],
    used: dict[str, datetime],
    fixed: set[str],
) -> list[dict[str, Any]]:
    """Per district of the kept plan still below ``target``: why, in words and as values."""
    reasons = []
    for d in report["districts"]:
        if d["on_time"] >= target:
            continue
        code = d["district_code"]
        seen = ", ".join(f"{x:.0%}" for x in history.get(code, []))
        why = (
            f"on time in {d['on_time']:.0%} of runs in the plan kept ({len(history[code])} "
            f"plan(s) made: {seen})"
        )
        if code in used and used[code] != original[code]:
            why += f", planned for {used[code].isoformat()} instead of {original[code].isoformat()}"
        if code in fixed:
            why += "; an earlier deadline left it unserved"
        if d["delivered_in_runs"] is not None and d["delivered_in_runs"] < target:
            why += (
                f"; it is not served at all in {1 - d['delivered_in_runs']:.0%} of runs "
                "(breakdowns, or waters closed past the plan's end): more vessels or an "
                "earlier start would help, not an earlier deadline"
            )
        reasons.append(
            {
                "district_code": code,
                "district_name": d["district_name"],
                "why": why,
                # the same, as values (the command line words them in either language)
                "on_time": d["on_time"],
                "chances": history.get(code, []),
                "planned_for": used[code].isoformat()
                if code in used and used[code] != original[code]
                else None,
                "earlier_deadline_unserved": code in fixed,
                "never_delivered": (
                    round(1 - d["delivered_in_runs"], 4)
                    if d["delivered_in_runs"] is not None and d["delivered_in_runs"] < target
                    else None
                ),
            }
        )
    return reasons


def _late_by_h(district: dict[str, Any], target: float) -> float:
    """How many hours past its deadline the district's completion runs at the target's
    percentile (from its histogram: hours against the deadline)."""
    h = district["histogram"]
    total = h["before"] + sum(h["counts"]) + h["after"] + h["not_delivered"]
    need = target * total
    seen = h["before"]
    for edge, count in zip(h["edges_h"][1:], h["counts"], strict=False):
        seen += count
        if seen >= need:
            return max(0.0, float(edge))
    return float(h["edges_h"][-1])


def _score(report: dict[str, Any], target: float) -> tuple[int, float]:
    """Districts at or above the target, then the mean chance."""
    chances = [d["on_time"] for d in report["districts"]]
    return sum(c >= target for c in chances), sum(chances) / max(1, len(chances))
