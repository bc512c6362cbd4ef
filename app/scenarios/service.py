"""Scenarios: stored ones (checked in full before they are kept), bundled ones, and the one
check every plan request goes through."""

from __future__ import annotations

import json
import tomllib
import uuid
from typing import Any

from sqlalchemy import insert, select

from app import db, planning
from app.config import Settings
from app.vessels import service as vessels
from routing import pipeline
from routing.errors import DataError, Issue, NotFound
from routing.inputs.scenario import Scenario, parse_scenario
from routing.outputs.export import jsonable


def checked(settings: Settings, raw: dict[str, Any], *, prefix: str = "") -> Scenario:
    """A scenario checked in full (schema, then against the dataset and the fleet, with the
    planners' vessel settings); every problem is raised at once, its path under ``prefix``."""
    try:
        scenario = vessels.with_overrides(settings, parse_scenario(raw, source="scenario"))
        pipeline.problem_for(planning.inputs(settings, hazard_changes=True), scenario)
    except DataError as exc:
        if not prefix:
            raise
        moved = [Issue(p.code, prefix + p.path, p.message) for p in exc.problems]
        raise DataError(moved, source=exc.source) from None
    return scenario


def bundled_names(settings: Settings) -> list[str]:
    return sorted(p.stem for p in (settings.data_dir / "scenarios").glob("*.toml"))


def bundled(settings: Settings, name: str) -> dict[str, Any]:
    """A scenario shipped with the service, by name."""
    path = settings.data_dir / "scenarios" / f"{name}.toml"
    if not name or name not in bundled_names(settings):
        raise DataError(
            [Issue("unknown_scenario", "/bundled", f"no bundled scenario {name!r}")],
            source="request",
        )
    with path.open("rb") as fh:
        return dict(jsonable(tomllib.load(fh)))


def stored(settings: Settings, scenario_id: str, *, path: str = "/scenario_id") -> dict[str, Any]:
    """A stored scenario's body; unknown ids are a problem at ``path`` of the request."""
    with db.engine_for(settings.database).connect() as conn:
        row = conn.execute(
            select(db.scenarios.c.body).where(db.scenarios.c.id == scenario_id)
        ).first()
    if row is None:
        raise DataError(
            [Issue("unknown_scenario", path, f"no scenario {scenario_id!r}")], source="request"
        )
    return dict(json.loads(row.body))


def create(settings: Settings, raw: dict[str, Any]) -> dict[str, Any]:
    """Check a scenario in full and store it."""
    name = checked(settings, raw).name
    sid = str(uuid.uuid4())
    with db.write(db.engine_for(settings.database)) as conn:
        conn.execute(
            insert(db.scenarios).values(
                id=sid, name=name, body=json.dumps(raw), created_at=db.now()
            )
        )
    return {"id": sid, "name": name, "scenario": raw}


def listing(settings: Settings) -> dict[str, Any]:
    """Stored scenarios, newest first, and the names of the bundled ones."""
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(
            select(db.scenarios.c.id, db.scenarios.c.name).order_by(
                db.scenarios.c.created_at.desc()
            )
        ).all()
    return {
        "scenarios": [{"id": r.id, "name": r.name} for r in rows],
        "bundled": bundled_names(settings),
    }


def get(settings: Settings, scenario_id: str) -> dict[str, Any]:
    with db.engine_for(settings.database).connect() as conn:
        row = conn.execute(select(db.scenarios).where(db.scenarios.c.id == scenario_id)).first()
    if row is None:
        raise NotFound("scenario", scenario_id)
    return {"id": row.id, "name": row.name, "scenario": json.loads(row.body)}
