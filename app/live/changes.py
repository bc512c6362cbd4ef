"""A plan changed: a new version of its row, announced to whoever keeps its live status.

Every write that changes what a plan's status shows (a field event stored, a phase, a result, a
cancel) gives the plan a new ``version`` with ``new_version`` inside its transaction. On
PostgreSQL that also sends ``NOTIFY plan_status, '<plan id> <version>'``, delivered to every
listening API worker when the transaction commits. After the commit the writer calls
``changed``, which tells the live status of this process at once (``app.live.service``
registers itself here with ``listen``); other processes learn it from the notification, or on
SQLite from their periodic check."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from app import db

CHANNEL = "plan_status"  # the PostgreSQL notification channel

Listener = Callable[[str, int | None], None]  # (plan id, its new version or None: unknown)
_listeners: dict[str, list[Listener]] = {}  # by database URL (an engine may be made again)
_lock = threading.Lock()


def new_version(conn: Connection, plan_id: str, **values: Any) -> int | None:
    """Give a plan a new version, setting ``values`` with it, and announce it on PostgreSQL
    (the notification goes out when the transaction commits).

    Parameters
    ----------
    conn : Connection
        The write transaction.
    plan_id : str
        The plan that changed.
    **values
        Other columns to set in the same statement.

    Returns
    -------
    int or None
        The plan's new version; ``None`` when there is no such plan.
    """
    p = db.plans
    version = conn.execute(
        update(p)
        .where(p.c.id == plan_id)
        .values(version=p.c.version + 1, **values)
        .returning(p.c.version)
    ).scalar()
    if version is not None and conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_notify(CHANNEL, payload(plan_id, version))))
    return None if version is None else int(version)


def payload(plan_id: str, version: int) -> str:
    return f"{plan_id} {version}"


def parse(text: str) -> tuple[str, int | None]:
    """A notification's plan id and version (``None`` when it carries none)."""
    plan_id, _, version = text.strip().partition(" ")
    return plan_id, int(version) if version.isdigit() else None


def changed(engine: Engine, plan_id: str, version: int | None) -> None:
    """Tell the live status of this process that a plan changed (after the commit); from any
    thread, without waiting."""
    with _lock:
        found = list(_listeners.get(_url(engine), ()))
    for listener in found:
        listener(plan_id, version)


def listen(engine: Engine, listener: Listener) -> None:
    """Call ``listener`` on each change written through this process to ``engine``'s
    database."""
    with _lock:
        _listeners.setdefault(_url(engine), []).append(listener)


def unlisten(engine: Engine, listener: Listener) -> None:
    with _lock:
        found = _listeners.get(_url(engine), [])
        if listener in found:
            found.remove(listener)
        if not found:
            _listeners.pop(_url(engine), None)


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)
