"""Background jobs of the queue in the database (``app.jobs.queue``): the job that solves
a plan (a capacity plan, a re-plan) and the job that simulates a risk run of a finished plan.

A job is claimed with a short lease (``lease_until``, ``lease_owner``) taken in one transaction
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's write lock otherwise), so several
API workers share one queue and never take the same job. The job renews the lease from a
heartbeat thread while it works; a job that dies (killed, out of memory, a lost Dask worker)
stops renewing, its lease lapses and any worker takes it up again from the start. A job
already finished is left alone. ``run_claimed`` is the one job function, for the local process
pool and for a Dask cluster alike.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from app import db, planning
from app.config import Settings
from app.exceptions import failure_errors
from app.jobs import queue
from app.jobs.queue import LEASE_S, Job
from app.vessels import service as vessels
from routing import pipeline
from routing.capacity import capacity_report
from routing.domain import Budget
from routing.errors import DataError, Issue, RoutingError
from routing.inputs.scenario import parse_scenario
from routing.plandoc import CapacityDocument, PlanDocument
from routing.risk.robust import CHECK_RUNS

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.0


class _Heartbeat:
    """Renews the lease of a job while it runs (only while ``owner`` still holds it)."""

    def __init__(self, engine: Engine, job: Job, owner: str) -> None:
        self.engine, self.job, self.owner = engine, job, owner
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(LEASE_S / 4):
            try:
                queue.renew_lease(self.engine, self.job, self.owner)
            except Exception:  # a database hiccup: try again on the next beat
                log.exception("lease renewal for %s %s failed", *self.job)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def run_claimed(settings_json: str, job_id: str, owner: str, kind: str = "plan") -> str:
    """The job: solve a plan, or simulate a risk run (``kind``), that ``owner`` claimed
    (``claim_next``) and store the result.

    Runs in a local solver process or on a Dask worker; the settings travel with the call."""
    settings = Settings.model_validate_json(settings_json)
    engine = db.engine_for(settings.database)
    job = Job(kind, job_id)
    if kind == "risk":
        row = queue.risk_row(engine, job_id)
        active: tuple[str, ...] = queue.RISK_ACTIVE_PHASES
    else:
        row = queue.plan_row(engine, job_id)
        active = db.ACTIVE_PHASES
    if row is None or row.phase not in active:
        return "nothing to do"
    if row.lease_owner != owner:
        return "held by another worker"
    with _Heartbeat(engine, job, owner):
        if kind == "risk":
            return _risk_guarded(settings, engine, job_id, owner)
        return _guarded(settings, engine, job_id)


def _guarded(settings: Settings, engine: Engine, plan_id: str) -> str:
    """Solve and store; every failure ends the plan as failed with its errors, never silently."""
    try:
        return _execute(settings, engine, plan_id)
    except RoutingError as exc:  # bad input (DataError) or the engine's refusal
        errors = json.dumps(failure_errors(exc))
        queue.set_plan(engine, plan_id, phase="failed", error=errors, lease_until=None)
        return "failed"
    except Exception:
        log.exception("plan %s failed", plan_id)
        queue.set_plan(
            engine,
            plan_id,
            phase="failed",
            lease_until=None,
            error=json.dumps(
                [{"code": "internal_error", "path": "", "message": "the solver failed"}]
            ),
        )
        return "failed"


class _Progress:
    """The solver's progress callback: records elapsed time and the best objective about once
    a second (renewing the lease), and stops the search once a cancel is requested."""

    def __init__(self, engine: Engine, plan_id: str, started: float) -> None:
        self.engine, self.plan_id, self.started = engine, plan_id, started
        self.last = 0.0
        self.cancelled = False

    def __call__(self, iteration: int, elapsed: float, best: float) -> bool:
        if elapsed - self.last < PROGRESS_EVERY_S:
            return False
        self.last = elapsed
        elapsed_s = time.monotonic() - self.started
        self.cancelled = queue.record_progress(
            self.engine, self.plan_id, elapsed_s=elapsed_s, best=best
        )
        return self.cancelled


def _execute(settings: Settings, engine: Engine, plan_id: str) -> str:
    row = queue.plan_row(engine, plan_id)
    started = time.monotonic()
    queue.set_plan(
        engine, plan_id, phase="building_matrix", elapsed_s=0.0, lease_until=db.now() + LEASE_S
    )
    scenario = vessels.with_overrides(
        settings, parse_scenario(json.loads(row.scenario_body), source="scenario")
    )
    given = planning.inputs(settings, hazard_changes=True)
    problem = pipeline.problem_for(given, scenario)
    pipeline.networks(given, problem)
    elapsed = time.monotonic() - started
    queue.set_plan(
        engine, plan_id, phase="solving", elapsed_s=elapsed, lease_until=db.now() + LEASE_S
    )
    progress = _Progress(engine, plan_id, started)
    seconds = Budget(row.seconds, row.iterations).left(time.monotonic() - started)
    target = json.loads(row.target) if row.target else None
    under_risk: dict[str, Any] | None = None
    if row.kind == "replan":
        run = _replan(given, engine, row, problem, seconds, progress)
    elif target is not None and row.kind == "capacity":
        under_risk, run = planning.capacity_under_risk(
            settings, scenario, target["target_on_time"], seed=row.seed, seconds=row.seconds,
            iterations=row.iterations, runs=target["risk_runs"], climate=target["climate"],
            check_runs=target.get("check_runs", CHECK_RUNS), days_before=target["days_before"],
            hazard_changes=True,
        )  # fmt: skip
    elif target is not None:  # the robust search: the budget is each of its plans'
        run, _, _ = planning.plan_to_target(
            settings, scenario, target["target_on_time"], seed=row.seed, seconds=row.seconds,
            iterations=row.iterations, runs=target["risk_runs"], climate=target["climate"],
            check_runs=target.get("check_runs", CHECK_RUNS), hazard_changes=True,
        )  # fmt: skip
    else:
        run = pipeline.plan(
            given,
            problem,
            seed=row.seed,
            seconds=seconds,
            iterations=row.iterations,
            fixed_cost_per_vessel=row.fixed_cost_idr,
            progress=progress,
        )
    phase = "cancelled" if progress.cancelled else run.document["status"]
    _store(engine, plan_id, row.kind, run, phase, time.monotonic() - started, under_risk)
    return phase


def _store(
    engine: Engine,
    plan_id: str,
    kind: str,
    run: pipeline.PlanRun,
    phase: str,
    elapsed_s: float,
    under_risk: dict[str, Any] | None = None,
) -> None:
    """Store a finished plan: its document (a capacity plan's inside its report, with capacity
    under risk where asked); its files render from it on request (``routing.outputs.formats``)."""
    document: dict[str, Any] = run.document
    if kind == "capacity":
        report = {**capacity_report(run.plan), "plan": run.document}
        if under_risk is not None:
            report["under_risk"] = under_risk
        document = CapacityDocument.from_json(report).to_json()
    queue.set_plan(
        engine,
        plan_id,
        phase=phase,
        elapsed_s=elapsed_s,
        best_objective=run.plan.objective if math.isfinite(run.plan.objective) else None,
        result=json.dumps(document, ensure_ascii=False),
        lease_until=None,
    )


def _replan(
    given: pipeline.Inputs,
    engine: Engine,
    row: Any,
    problem: Any,
    seconds: float | None,
    progress: Any,
) -> pipeline.PlanRun:
    """A re-plan: the parent's plan and its field events as they stand now, and the change."""
    parent = queue.plan_row(engine, row.parent_id)
    if parent is None or not parent.result:
        raise DataError(
            [Issue("unknown_plan", "/parent_id", f"plan {row.parent_id!r} has no result")],
            source="replan",
        )
    with engine.connect() as conn:
        events = db.plan_events(conn, parent.id)
    spec = json.loads(row.replan)
    parent_doc = json.loads(parent.result)
    return pipeline.replan(
        given,
        problem,
        PlanDocument.from_json(parent_doc.get("plan", parent_doc)),
        events,
        as_of=datetime.fromisoformat(spec["as_of"]) if spec.get("as_of") else None,
        out_of_service={k: datetime.fromisoformat(v) for k, v in spec["out_of_service"].items()},
        seed=row.seed,
        seconds=seconds,
        iterations=row.iterations,
        progress=progress,
    )


class _Stopped(Exception):
    """A risk run stops: a cancel was asked for, or it is no longer this worker's."""


def _risk_guarded(settings: Settings, engine: Engine, risk_id: str, owner: str) -> str:
    """Simulate and store; every failure ends the run as failed with its errors, never
    silently. A run stopped by a cancel ends cancelled with the runs done so far counted."""
    try:
        return _simulate(settings, engine, risk_id, owner)
    except _Stopped:
        row = queue.risk_row(engine, risk_id)
        if row is not None and row.cancel_requested:
            queue.set_risk(engine, risk_id, owner, phase="cancelled", lease_until=None)
            return "cancelled"
        return "taken over"
    except RoutingError as exc:  # bad input (DataError) or the engine's refusal
        errors = json.dumps(failure_errors(exc))
        queue.set_risk(engine, risk_id, owner, phase="failed", error=errors, lease_until=None)
        return "failed"
    except Exception:
        log.exception("risk run %s failed", risk_id)
        errors = json.dumps(
            [{"code": "internal_error", "path": "", "message": "the simulation failed"}]
        )
        queue.set_risk(engine, risk_id, owner, phase="failed", error=errors, lease_until=None)
        return "failed"


class _RiskProgress:
    """The simulation's progress callback (after each chunk of runs): records the runs done
    about once a second (renewing the lease) and stops the runs once a cancel is asked for."""

    def __init__(self, engine: Engine, risk_id: str, owner: str) -> None:
        self.engine, self.risk_id, self.owner = engine, risk_id, owner
        self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if done < total and time.monotonic() - self.last < PROGRESS_EVERY_S:
            return
        self.last = time.monotonic()
        if queue.record_risk_progress(
            self.engine, self.risk_id, self.owner, runs_done=done, runs=total
        ):
            raise _Stopped


def _simulate(settings: Settings, engine: Engine, risk_id: str, owner: str) -> str:
    r = queue.risk_row(engine, risk_id)
    if r.cancel_requested:  # asked for while its last worker held it
        raise _Stopped
    p = queue.plan_row(engine, r.plan_id)
    # From the first run again (a run taken up after a restart or a lost worker).
    if not queue.set_risk(
        engine, risk_id, owner, phase="running", runs_done=0, lease_until=db.now() + LEASE_S
    ):
        return "taken over"
    # The scenario as the plan job took it: with the planners' vessel settings.
    scenario = vessels.with_overrides(
        settings, parse_scenario(json.loads(p.scenario_body), source="scenario")
    )
    # The runs one after another in this job's process: the job holds one place of the
    # runner's executor, as a plan does.
    if r.closures:
        return _replay_closures(settings, engine, r, json.loads(p.result), scenario, owner)
    result = planning.risk(
        settings,
        json.loads(p.result),
        scenario,
        runs=r.runs,
        seed=r.seed,
        breakdowns=r.breakdowns,
        replan_breakdowns=r.replan_breakdowns,
        hazard_changes=True,
        progress=_RiskProgress(engine, risk_id, owner),
    )
    return _completed(engine, r, owner, result, runs=r.runs)


def _replay_closures(
    settings: Settings, engine: Engine, r: Any, plan: dict[str, Any], scenario: Any, owner: str
) -> str:
    """A risk run that replays the closures on record (``routing.stress``): its re-plans are
    its runs."""
    progress = _RiskProgress(engine, r.id, owner)
    result = planning.closures(
        settings,
        plan,
        scenario,
        iterations=r.replan_iterations or 100,
        hazard_changes=True,
        progress=progress,
    )
    return _completed(
        engine, r, owner, result, runs=sum(len(e["starts"]) for e in result["episodes"])
    )


def _completed(engine: Engine, r: Any, owner: str, result: dict[str, Any], *, runs: int) -> str:
    """Store a risk run's report, every run done, while ``owner`` still holds it."""
    result["plan_id"] = r.plan_id
    stored = queue.set_risk(
        engine,
        r.id,
        owner,
        phase="completed",
        runs=runs,
        runs_done=runs,
        result=json.dumps(result, ensure_ascii=False),
        lease_until=None,
    )
    return "completed" if stored else "taken over"
