"""The job queue in the database: plans (and capacity plans and re-plans) and risk runs. Claim
the next job of either kind with a lease, keep the lease alive, record a job's progress and its
end, give a job up.

A job is claimed with a short lease (``lease_until``, ``lease_owner``) taken in one transaction
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's write lock otherwise), so several
API workers share one queue and never take the same job; each claim counts an attempt. A job
renews its lease while it works; a job that dies stops renewing, its lease lapses, and any worker
takes it up again. A worker that stops (SIGTERM) releases the leases of the jobs it ran, so the
next start takes them up at once. Plans and risk runs keep their own tables (``plans``,
``risk_runs``), with the same lease columns; the oldest job of either is claimed first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Table, insert, or_, select, text, update

from app import db
from app.live import changes

LEASE_S = 10.0  # how long a claim holds without renewal
RISK_ACTIVE_PHASES = ("queued", "running")  # a risk run the queue still has to run
RISK_FINAL_PHASES = ("completed", "failed", "cancelled")
# The one lock (pg_advisory_xact_lock) under which PostgreSQL counts the risk runs queued or
# running and adds one, so that two requests at once cannot both pass a cap.
RISK_CAP_LOCK = 0x52_49_53_4B  # "RISK"


@dataclass(frozen=True)
class Kind:
    """A kind of job: its table and the phases in which the queue still has to run it."""

    name: str
    table: Table
    active: tuple[str, ...]


KINDS = {
    "plan": Kind("plan", db.plans, db.ACTIVE_PHASES),
    "risk": Kind("risk", db.risk_runs, RISK_ACTIVE_PHASES),
}


class Job(NamedTuple):
    """A claimed job: its kind (``plan`` or ``risk``) and id."""

    kind: str
    id: str


def claim_next(engine: Engine, owner: str) -> Job | None:
    """Take the oldest job of either kind that is queued (or active with a lapsed lease) for
    ``owner``, counting an attempt."""
    t = db.now()
    with db.write(engine) as conn:
        found: list[tuple[float, str, Kind]] = []
        for kind in KINDS.values():
            c = kind.table.c
            q = (
                select(c.id, c.created_at)
                .where(c.phase.in_(kind.active))
                .where(or_(c.lease_until.is_(None), c.lease_until < t))
                .order_by(c.created_at, c.id)
                .limit(1)
            )
            if conn.dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            row = conn.execute(q).first()
            if row is not None:
                found.append((row.created_at, str(row.id), kind))
        if not found:
            return None
        _, job_id, kind = min(found, key=lambda f: (f[0], f[1]))
        c = kind.table.c
        values: dict[str, Any] = {
            "lease_until": t + LEASE_S,
            "lease_owner": owner,
            "attempts": c.attempts + 1,
            "updated_at": t,
        }
        if kind.name == "plan":
            values["version"] = c.version + 1
        conn.execute(update(kind.table).where(c.id == job_id).values(**values))
        return Job(kind.name, job_id)


def enqueue(conn: Connection, kind: str, **values: Any) -> None:
    """Add a queued job of ``kind`` (its own columns in ``values``): no lease, no attempt yet."""
    t = db.now()
    row = {
        "phase": "queued",
        "cancel_requested": False,
        "lease_until": None,
        "lease_owner": None,
        "attempts": 0,
        "created_at": t,
        "updated_at": t,
        **values,
    }
    conn.execute(insert(KINDS[kind].table).values(**row))


def _set_lease(engine: Engine, job: Job, owner: str, until: float | None) -> None:
    """Set the lease of an active job that ``owner`` holds (no one else's)."""
    kind = KINDS[job.kind]
    c = kind.table.c
    with db.write(engine) as conn:
        conn.execute(
            update(kind.table)
            .where(c.id == job.id, c.lease_owner == owner)
            .where(c.phase.in_(kind.active))
            .values(lease_until=until)
        )


def renew_lease(engine: Engine, job: Job, owner: str) -> None:
    """Keep ``owner``'s lease on an active job for another ``LEASE_S``."""
    _set_lease(engine, job, owner, db.now() + LEASE_S)


def release(engine: Engine, job: Job, owner: str) -> None:
    """Give up ``owner``'s lease of a job that died or was stopped, so that it is claimed
    again now (its phase stays: queued, or running for the next worker to start again)."""
    _set_lease(engine, job, owner, None)


def lock_risk_caps(conn: Connection) -> None:
    """Serialise the requests that count risk runs against the caps (PostgreSQL; SQLite's
    writers are serialised already by BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": RISK_CAP_LOCK})


def risk_row(engine: Engine, risk_id: str) -> Any:
    """A risk run's row, or ``None``."""
    with engine.connect() as conn:
        return conn.execute(select(db.risk_runs).where(db.risk_runs.c.id == risk_id)).first()


def set_risk(engine: Engine, risk_id: str, owner: str, **values: Any) -> bool:
    """Change a risk run's columns while ``owner`` holds it and it is active; whether it did
    (a run cancelled, or taken over by another worker, is left alone)."""
    r = db.risk_runs
    values.setdefault("updated_at", db.now())
    with db.write(engine) as conn:
        done = conn.execute(
            update(r)
            .where(r.c.id == risk_id, r.c.lease_owner == owner)
            .where(r.c.phase.in_(RISK_ACTIVE_PHASES))
            .values(**values)
        )
    return bool(done.rowcount)


def record_risk_progress(
    engine: Engine, risk_id: str, owner: str, *, runs_done: int, runs: int | None = None
) -> bool:
    """Record a risk run's progress (renewing its lease); whether it should stop: a cancel is
    asked for, or the run is no longer this worker's."""
    r = db.risk_runs
    t = db.now()
    with db.write(engine) as conn:
        conn.execute(
            update(r)
            .where(r.c.id == risk_id, r.c.lease_owner == owner)
            .where(r.c.phase.in_(RISK_ACTIVE_PHASES))
            .values(
                runs_done=runs_done,
                **({} if runs is None else {"runs": runs}),
                lease_until=t + LEASE_S,
                updated_at=t,
            )
        )
        row = conn.execute(
            select(r.c.cancel_requested, r.c.phase, r.c.lease_owner).where(r.c.id == risk_id)
        ).first()
    return (
        row is None
        or bool(row.cancel_requested)
        or row.lease_owner != owner
        or (row.phase not in RISK_ACTIVE_PHASES)
    )


def plan_row(engine: Engine, plan_id: str) -> Any:
    """A plan's row, or ``None``."""
    with engine.connect() as conn:
        return conn.execute(select(db.plans).where(db.plans.c.id == plan_id)).first()


def set_plan(engine: Engine, plan_id: str, **values: Any) -> None:
    """Change a plan's columns (a new version, announced, so pollers see it)."""
    values.setdefault("updated_at", db.now())
    with db.write(engine) as conn:
        version = changes.new_version(conn, plan_id, **values)
    changes.changed(engine, plan_id, version)


def record_progress(engine: Engine, plan_id: str, *, elapsed_s: float, best: float) -> bool:
    """Record a job's progress (renewing its lease); whether a cancel has been asked for."""
    p = db.plans
    with db.write(engine) as conn:
        conn.execute(
            update(p)
            .where(p.c.id == plan_id)
            .values(
                elapsed_s=elapsed_s,
                best_objective=float(best) if math.isfinite(best) else None,
                lease_until=db.now() + LEASE_S,
                version=p.c.version + 1,
                updated_at=db.now(),
            )
        )
        flag = conn.execute(select(p.c.cancel_requested).where(p.c.id == plan_id)).scalar()
    return bool(flag)
