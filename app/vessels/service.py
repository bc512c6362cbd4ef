"""Vessels: the fleet file's vessels with the availability windows and active flags planners set
(``PUT /vessels/{id}``), merged in one place for the vessel list and for every plan.

A vessel's settings carry an ETag; once a planner has set them, a change names the state it
was made from (``If-Match``), checked in the change's own transaction, so that of two planners
changing one vessel the second is told (412) instead of undoing the first's change."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from app import db
from app.config import Settings
from app.preconditions import Preconditions, etag
from routing import inputs as data
from routing.domain import Vessel
from routing.errors import NotFound
from routing.inputs.scenario import Scenario, load_vessels


@dataclasses.dataclass(frozen=True)
class Override:
    available_from: datetime | None
    available_until: datetime | None
    active: bool


def fleet_vessels(settings: Settings) -> dict[str, Vessel]:
    return load_vessels(settings.fleet_file, data.fleet(settings.data_dir))


def overrides(settings: Settings) -> dict[str, Override]:
    """What planners set per vessel id."""
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(select(db.vessel_overrides)).all()
    return {r.id: _override(r) for r in rows}


def _override(r: Any) -> Override:
    return Override(
        datetime.fromisoformat(r.available_from) if r.available_from else None,
        datetime.fromisoformat(r.available_until) if r.available_until else None,
        bool(r.active),
    )


def with_overrides(settings: Settings, scenario: Scenario) -> Scenario:
    """The scenario with the planners' vessel windows (where the scenario sets none) and without
    the vessels they set inactive."""
    windows = dict(scenario.vessel_windows)
    inactive = set()
    for vid, o in overrides(settings).items():
        if not o.active:
            inactive.add(vid)
        if vid not in scenario.vessel_ids or vid in windows:
            continue
        if o.available_from and o.available_until:
            windows[vid] = (o.available_from, o.available_until)
    return dataclasses.replace(scenario, vessel_windows=windows, inactive=frozenset(inactive))


def listing(settings: Settings) -> list[dict[str, Any]]:
    """Every vessel with its class, home depot, availability window and active flag."""
    given = overrides(settings)
    return [_shown(v, given.get(v.id)) for v in fleet_vessels(settings).values()]


def _shown(v: Vessel, o: Override | None) -> dict[str, Any]:
    return {
        "id": v.id,
        "vessel_class": v.class_id,
        "home_depot": v.home_depot,
        "available_from": ((o and o.available_from) or v.available_from).isoformat(),
        "available_until": ((o and o.available_until) or v.available_until).isoformat(),
        "active": o.active if o else True,
        "source": v.source,
    }


def _etag(shown: dict[str, Any], updated_at: float | None) -> str:
    """A vessel as shown and the time its settings were last set (none: as the fleet file has
    it), so that every change gives a new tag."""
    return etag(json.dumps(shown, sort_keys=True), repr(updated_at))


def _vessel(settings: Settings, vessel_id: str) -> Vessel:
    found = fleet_vessels(settings).get(vessel_id)
    if found is None:
        raise NotFound("vessel", vessel_id)
    return found


def _row(conn: Connection, vessel_id: str) -> Any:
    vo = db.vessel_overrides
    return conn.execute(select(vo).where(vo.c.id == vessel_id).with_for_update()).first()


def one(settings: Settings, vessel_id: str) -> tuple[dict[str, Any], str]:
    """A vessel with its class, home depot, window and active flag, and its ETag."""
    v = _vessel(settings, vessel_id)
    with db.engine_for(settings.database).connect() as conn:
        row = _row(conn, vessel_id)
    shown = _shown(v, _override(row) if row is not None else None)
    return shown, _etag(shown, row.updated_at if row is not None else None)


def set_availability(
    settings: Settings,
    vessel_id: str,
    *,
    available_from: datetime | None,
    available_until: datetime | None,
    active: bool,
    pre: Preconditions | None = None,
) -> tuple[dict[str, Any], str]:
    """Set a vessel's window (both or neither) and active flag; later plans use them. Once a
    planner has set them, a change needs ``If-Match`` (``pre``; 428 without it, 412 when they
    changed since). Returns the vessel as this change set it, and its ETag.
    """
    v = _vessel(settings, vessel_id)
    pre = pre or Preconditions()
    what = f"vessel {vessel_id}'s settings"
    stamp = db.now()
    values = {
        "available_from": available_from.isoformat() if available_from else None,
        "available_until": available_until.isoformat() if available_until else None,
        "active": active,
        "updated_at": stamp,
    }
    vo = db.vessel_overrides
    with db.write(db.engine_for(settings.database)) as conn:
        row = _row(conn, vessel_id)  # locked on PostgreSQL; SQLite: the write lock is held
        before = _shown(v, _override(row) if row is not None else None)
        current = _etag(before, row.updated_at if row is not None else None)
        pre.check(current, what=what, required=row is not None)
        if row is not None:
            stmt: Any = (
                vo.update()
                .where(vo.c.id == vessel_id, vo.c.updated_at == row.updated_at)
                .values(**values)
                .returning(vo.c.id)
            )
        else:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            stmt = (
                dialect.insert(vo)
                .values(id=vessel_id, **values)
                .on_conflict_do_nothing()
                .returning(vo.c.id)
            )
        if conn.execute(stmt).first() is None:  # not as read: another change came first
            raise pre.lost(what)
    after = _shown(v, Override(available_from, available_until, active))
    return after, _etag(after, stamp)
