"""The queue of plans in the database: claim the next one with a lease, keep the lease alive,
record a job's progress and its end, give a plan up.

A plan is claimed with a short lease (``lease_until``, ``lease_owner``) taken in one transaction
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's write lock otherwise), so several
API workers share one queue and never take the same plan. A job renews its lease while it works;
a job that dies stops renewing, its lease lapses, and any worker takes the plan up again.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine, or_, select, update

from app import db
from app.services import changes

LEASE_S = 10.0  # how long a claim holds without renewal


def claim_next(engine: Engine, owner: str) -> str | None:
    """Take the oldest plan that is queued (or active with a lapsed lease) for ``owner``."""
    t = db.now()
    p = db.plans
    with db.write(engine) as conn:
        q = (
            select(p.c.id)
            .where(p.c.phase.in_(db.ACTIVE_PHASES))
            .where(or_(p.c.lease_until.is_(None), p.c.lease_until < t))
            .order_by(p.c.created_at, p.c.id)
            .limit(1)
        )
        if conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        row = conn.execute(q).first()
        if row is None:
            return None
        conn.execute(
            update(p)
            .where(p.c.id == row.id)
            .values(
                lease_until=t + LEASE_S,
                lease_owner=owner,
                attempts=p.c.attempts + 1,
                version=p.c.version + 1,
                updated_at=t,
            )
        )
        return str(row.id)


def _set_lease(engine: Engine, plan_id: str, owner: str, until: float | None) -> None:
    """Set the lease of an active plan that ``owner`` holds (no one else's)."""
    p = db.plans
    with db.write(engine) as conn:
        conn.execute(
            update(p)
            .where(p.c.id == plan_id, p.c.lease_owner == owner)
            .where(p.c.phase.in_(db.ACTIVE_PHASES))
            .values(lease_until=until)
        )


def renew_lease(engine: Engine, plan_id: str, owner: str) -> None:
    """Keep ``owner``'s lease on an active plan for another ``LEASE_S``."""
    _set_lease(engine, plan_id, owner, db.now() + LEASE_S)


def release(engine: Engine, plan_id: str, owner: str) -> None:
    """Give up ``owner``'s lease of a plan whose job died or was stopped, so that it is claimed
    again now."""
    _set_lease(engine, plan_id, owner, None)


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
