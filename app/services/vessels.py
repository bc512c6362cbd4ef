"""Vessels: the fleet file's vessels with the availability windows and active flags planners set
(``PUT /vessels/{id}``), merged in one place for the vessel list and for every plan."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app import db, state
from app.config import Settings
from routing.domain import Vessel
from routing.errors import NotFound
from routing.scenario import Scenario, load_vessels


@dataclasses.dataclass(frozen=True)
class Override:
    available_from: datetime | None
    available_until: datetime | None
    active: bool


def fleet_vessels(settings: Settings) -> dict[str, Vessel]:
    return load_vessels(settings.fleet_file, state.fleet(settings.fleet_file))


def overrides(settings: Settings) -> dict[str, Override]:
    """What planners set per vessel id."""
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(select(db.vessel_overrides)).all()
    return {
        r.id: Override(
            datetime.fromisoformat(r.available_from) if r.available_from else None,
            datetime.fromisoformat(r.available_until) if r.available_until else None,
            bool(r.active),
        )
        for r in rows
    }


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
    out = []
    for v in fleet_vessels(settings).values():
        o = given.get(v.id)
        out.append(
            {
                "id": v.id,
                "vessel_class": v.class_id,
                "home_depot": v.home_depot,
                "available_from": ((o and o.available_from) or v.available_from).isoformat(),
                "available_until": ((o and o.available_until) or v.available_until).isoformat(),
                "active": o.active if o else True,
                "source": v.source,
            }
        )
    return out


def set_availability(
    settings: Settings,
    vessel_id: str,
    *,
    available_from: datetime | None,
    available_until: datetime | None,
    active: bool,
) -> dict[str, Any]:
    """Set a vessel's window (both or neither) and active flag; later plans use them."""
    if vessel_id not in fleet_vessels(settings):
        raise NotFound("vessel", vessel_id)
    values = {
        "available_from": available_from.isoformat() if available_from else None,
        "available_until": available_until.isoformat() if available_until else None,
        "active": active,
        "updated_at": db.now(),
    }
    with db.write(db.engine_for(settings.database)) as conn:
        conn.execute(db.upsert(conn, db.vessel_overrides, {"id": vessel_id, **values}, key="id"))
    return next(v for v in listing(settings) if v["id"] == vessel_id)
