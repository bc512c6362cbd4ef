"""Planning glue of the service: the pipeline's inputs from the settings (loaded once per
process), and a plan's files written to a folder (the command line and batches)."""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from app import state
from app.config import Settings
from routing import export, pipeline
from routing.hazards import Hazard, version_of
from routing.scenario import load_scenario, load_vessels


def inputs(settings: Settings, *, hazard_changes: bool = False) -> pipeline.Inputs:
    """What the planning pipeline needs besides a scenario, from the settings' files; with
    ``hazard_changes`` (the service), the hazards in force are the file's with the changes
    made through the API (``app.services.hazards``), else the file's."""
    classes = state.fleet(settings.fleet_file)
    if hazard_changes:
        from app.services import hazards

        in_force = hazards.in_force(settings).hazards
    else:
        in_force = state.hazards(state.hazards_file(settings.fleet_file))
    return pipeline.Inputs(
        archipelago=state.archipelago(settings.dataset_dir),
        kit=state.kit(settings.kit_file),
        classes=classes,
        vessels=load_vessels(settings.fleet_file, classes),
        sea_areas=state.sea_areas(settings.sea_areas_file, settings.dataset_dir),
        land=state.land(settings.dataset_dir),
        network=partial(_network, settings, in_force),
        cache_dir=settings.matrix_cache_dir,
        water=state.water(settings.fleet_file, settings.dataset_dir),
        keel_ratio=state.keel_rule(settings.fleet_file).ratio,
        hazards_version=version_of(in_force),
    )


def _network(
    settings: Settings,
    in_force: tuple[Hazard, ...],
    class_id: str,
    *,
    unverified_hazards: bool = False,
) -> Any:
    return state.network(
        settings.dataset_dir,
        settings.fleet_file,
        class_id,
        settings.matrix_cache_dir,
        unverified_hazards=unverified_hazards,
        in_force=in_force,
    )[1]


def write_plan(
    settings: Settings, run: pipeline.PlanRun, out: Path, *, gpkg: bool = False
) -> list[Path]:
    """Write plan.json, plan.geojson, manifests.csv and timeline.csv into ``out`` (and, with
    ``gpkg``, plan.gpkg for QGIS); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "plan.json": json.dumps(run.document, indent=1, ensure_ascii=False) + "\n",
        "plan.geojson": json.dumps(
            export.plan_geojson(run.plan, pipeline.places(state.archipelago(settings.dataset_dir))),
            ensure_ascii=False,
        )
        + "\n",
        "manifests.csv": export.manifests_csv(run.plan),
        "timeline.csv": export.timeline_csv(run.plan),
    }
    paths = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        paths.append(out / name)
    if gpkg:
        from routing.gpkg import write_gpkg
        from routing.plandoc import PlanDocument

        arch = state.archipelago(settings.dataset_dir)
        paths.append(write_gpkg(PlanDocument.from_json(run.document), arch, out / "plan.gpkg"))
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
