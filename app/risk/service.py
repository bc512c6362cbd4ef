"""Risk runs of finished plans: queued by ``POST /plans/{id}/risk`` as jobs of the one queue
(``app.jobs.queue``, the same as plans'), run by any API worker's job runner (``app.jobs.runner``:
its local solver processes, or the Dask cluster when one is configured) with their progress
and report stored as they go (``app.jobs.work``), cancelled by ``POST /risk/{id}/cancel``.

A run is ``queued``, ``running``, then ``completed``, ``failed`` or ``cancelled``. A worker that
stops releases the runs it held, and one that dies stops renewing their leases: either way the
next worker takes them up again, from the first run. How many runs may be queued or running at
once is capped per plan (``BALLOT_MAX_RISK_RUNS_PER_PLAN``) and in all
(``BALLOT_MAX_RISK_RUNS``): each run holds a place of the job runner as a plan does.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from app import db
from app.config import Settings
from app.exceptions import Conflict
from app.jobs import queue as jobs_queue
from app.plans import service as plans
from routing.errors import NotFound


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def record(r: Any, *, full: bool = True) -> dict[str, Any]:
    """A risk run as the API shows it."""
    out: dict[str, Any] = {
        "id": r.id,
        "plan_id": r.plan_id,
        "phase": r.phase,
        "options": {
            "runs": r.runs,
            "seed": r.seed,
            "breakdowns": r.breakdowns,
            "replan_breakdowns": r.replan_breakdowns,
        },
        "progress": {"runs_done": r.runs_done, "runs": r.runs},
        "cancel_requested": bool(r.cancel_requested),
        "attempts": r.attempts,
        "created_at": _iso(r.created_at),
        "updated_at": _iso(r.updated_at),
        "links": {
            "self": f"/risk/{r.id}",
            "plan": f"/plans/{r.plan_id}",
            "cancel": f"/risk/{r.id}/cancel",
        },
    }
    if r.closures:  # a replay of the closures on record: its re-plans are its runs
        out["options"].update(closures=r.closures, replan_iterations=r.replan_iterations)
    if r.error:
        out["errors"] = json.loads(r.error)
    if full and r.result:
        out["result"] = json.loads(r.result)
    return out


def queue(
    settings: Settings,
    plan_id: str,
    *,
    runs: int,
    seed: int,
    breakdowns: bool,
    replan_breakdowns: bool,
    closures: str | None = None,
    replan_iterations: int | None = None,
) -> str:
    """Queue a risk run of a finished plan; its id (the caller wakes the job runner). Refused
    (409) while the plan, or the service, has as many runs queued or running as it may."""
    found = plans.row(settings, plan_id)  # NotFound: 404
    if found.phase not in ("completed", "infeasible") or not found.result:
        raise Conflict("not_finished", "", f"plan {plan_id} is {found.phase}; wait for its result")
    if found.kind == "capacity":
        raise Conflict("capacity_plan", "", "a capacity plan has no voyages to simulate")
    if found.kind == "replan":
        raise Conflict("replan", "", "a re-plan starts under way: simulate the plan it continues")
    risk_id = str(uuid.uuid4())
    k = db.risk_runs
    with db.write(db.engine_for(settings.database)) as conn:
        jobs_queue.lock_risk_caps(conn)
        active = k.c.phase.in_(jobs_queue.RISK_ACTIVE_PHASES)
        of_plan = conn.execute(
            select(func.count()).select_from(k).where(active, k.c.plan_id == plan_id)
        ).scalar_one()
        if of_plan >= settings.max_risk_runs_per_plan:
            raise Conflict(
                "too_many_risk_runs_of_plan",
                "",
                f"plan {plan_id} has {of_plan} risk run(s) queued or running, the most one plan "
                f"may have (BALLOT_MAX_RISK_RUNS_PER_PLAN={settings.max_risk_runs_per_plan}); "
                "wait for one to finish or cancel one (POST /risk/{id}/cancel)",
            )
        in_all = conn.execute(select(func.count()).select_from(k).where(active)).scalar_one()
        if in_all >= settings.max_risk_runs:
            raise Conflict(
                "too_many_risk_runs",
                "",
                f"{in_all} risk runs are queued or running, the most the service takes "
                f"(BALLOT_MAX_RISK_RUNS={settings.max_risk_runs}); wait for one to finish or "
                "cancel one (POST /risk/{id}/cancel)",
            )
        jobs_queue.enqueue(
            conn,
            "risk",
            id=risk_id,
            plan_id=plan_id,
            runs=runs,
            seed=seed,
            breakdowns=breakdowns,
            replan_breakdowns=replan_breakdowns,
            closures=closures,
            replan_iterations=replan_iterations,
            runs_done=0,
        )
    return risk_id


def get(settings: Settings, risk_id: str) -> dict[str, Any]:
    r = jobs_queue.risk_row(db.engine_for(settings.database), risk_id)
    if r is None:
        raise NotFound("risk run", risk_id)
    return record(r)


def of_plan(settings: Settings, plan_id: str) -> list[dict[str, Any]]:
    """A plan's risk runs, newest first (without their reports)."""
    plans.row(settings, plan_id)
    k = db.risk_runs
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(
            select(k).where(k.c.plan_id == plan_id).order_by(k.c.created_at.desc(), k.c.id)
        ).all()
    return [record(r, full=False) for r in rows]


def cancel(settings: Settings, risk_id: str) -> dict[str, Any]:
    """Stop a risk run: one no worker holds (queued, or released by a worker that stopped) at
    once; a running one at its next chunk of runs, by its worker. A finished one is a 409."""
    k = db.risk_runs
    engine = db.engine_for(settings.database)
    with db.write(engine) as conn:
        # Read under the write lock: a worker may claim the run meanwhile.
        q = select(k.c.phase, k.c.lease_until).where(k.c.id == risk_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        found = conn.execute(q).first()
        if found is None:
            raise NotFound("risk run", risk_id)
        if found.phase not in jobs_queue.RISK_ACTIVE_PHASES:
            raise Conflict("already_done", "", f"risk run {risk_id} is already {found.phase}")
        values: dict[str, Any] = {"cancel_requested": True, "updated_at": db.now()}
        if found.lease_until is None:
            values.update(phase="cancelled", lease_owner=None)
        conn.execute(update(k).where(k.c.id == risk_id).values(**values))
    return get(settings, risk_id)
