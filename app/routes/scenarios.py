"""Stored scenarios and the vessels' availability."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool
from sqlalchemy import insert, select, update

from app import auth, db, deps, state
from app.deps import ScenarioId, VesselId
from app.errors import problems
from app.routes.plans import validate_scenario
from routing.errors import DataError
from routing.errors import Problem as Issue
from routing.scenario import load_vessels
from routing.schema import ScenarioModel, Time

router = APIRouter(tags=["scenarios and vessels"])


@router.post(
    "/scenarios",
    status_code=201,
    dependencies=[auth.planner],
    responses=problems(401, 403, 413, 422),
)
def create_scenario(request: Request, scenario: ScenarioModel) -> JSONResponse:
    """Store a scenario (the same fields as data/scenarios/*.toml) after checking it in full."""
    settings = deps.settings(request)
    engine = db.engine_for(settings.database)
    body = scenario.to_raw()
    name = validate_scenario(settings, engine, body)
    sid = str(uuid.uuid4())
    with db.write(engine) as conn:
        conn.execute(
            insert(db.scenarios).values(
                id=sid, name=name, body=json.dumps(body), created_at=db.now()
            )
        )
    return JSONResponse(
        {"id": sid, "name": name, "scenario": body},
        status_code=201,
        headers={"Location": f"/scenarios/{sid}"},
    )


@router.get("/scenarios", dependencies=[auth.reader], responses=problems(401))
def list_scenarios(request: Request) -> dict[str, Any]:
    """Stored scenarios, newest first, and the names of the bundled ones."""
    settings = deps.settings(request)
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(select(db.scenarios).order_by(db.scenarios.c.created_at.desc())).all()
    bundled = sorted(p.stem for p in (settings.data_dir / "scenarios").glob("*.toml"))
    return {"scenarios": [{"id": r.id, "name": r.name} for r in rows], "bundled": bundled}


@router.get(
    "/scenarios/{scenario_id}", dependencies=[auth.reader], responses=problems(401, 404, 422)
)
def get_scenario(request: Request, scenario_id: ScenarioId) -> dict[str, Any]:
    """One stored scenario."""
    with db.engine_for(deps.settings(request).database).connect() as conn:
        row = conn.execute(select(db.scenarios).where(db.scenarios.c.id == scenario_id)).first()
    if row is None:
        raise HTTPException(404, f"no scenario with id {scenario_id!r}")
    return {"id": row.id, "name": row.name, "scenario": json.loads(row.body)}


class VesselUpdate(BaseModel):
    """A vessel's availability window and whether plans may use it."""

    available_from: Time | None = Field(None, description="RFC 3339 with offset")
    available_until: Time | None = Field(None, description="RFC 3339 with offset")
    active: StrictBool = True

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "available_from": "2024-02-06T06:00:00+07:00",
                    "available_until": "2024-02-20T18:00:00+07:00",
                    "active": True,
                }
            ]
        },
    }


def _vessels(request: Request) -> list[dict[str, Any]]:
    settings = deps.settings(request)
    vessels = load_vessels(settings.fleet_file, state.fleet(settings.fleet_file))
    with db.engine_for(settings.database).connect() as conn:
        overrides = {r.id: r for r in conn.execute(select(db.vessel_overrides)).all()}
    out = []
    for v in vessels.values():
        o = overrides.get(v.id)
        out.append(
            {
                "id": v.id,
                "vessel_class": v.class_id,
                "home_depot": v.home_depot,
                "available_from": (
                    o.available_from if o and o.available_from else v.available_from.isoformat()
                ),
                "available_until": (
                    o.available_until if o and o.available_until else v.available_until.isoformat()
                ),
                "active": o.active if o else True,
                "source": v.source,
            }
        )
    return out


@router.get("/vessels", dependencies=[auth.reader], responses=problems(401))
def list_vessels(request: Request) -> list[dict[str, Any]]:
    """The fleet's vessels with their class, home depot, availability window and active flag."""
    return _vessels(request)


@router.put(
    "/vessels/{vessel_id}",
    dependencies=[auth.planner],
    responses=problems(401, 403, 404, 413, 422),
)
def put_vessel(request: Request, vessel_id: VesselId, body: VesselUpdate) -> dict[str, Any]:
    """Set a vessel's availability window and active flag; later plans use them."""
    known = {v["id"] for v in _vessels(request)}
    if vessel_id not in known:
        raise HTTPException(404, f"no vessel with id {vessel_id!r}")
    if (body.available_from is None) != (body.available_until is None):
        path = "/available_until" if body.available_until is None else "/available_from"
        raise DataError(
            [Issue("missing_field", path, "give both available_from and available_until")],
            source="request",
        )
    if body.available_from and body.available_until and body.available_from >= body.available_until:
        raise DataError(
            [Issue("bad_time", "/available_until", "must be after available_from")],
            source="request",
        )
    values = {
        "available_from": body.available_from.isoformat() if body.available_from else None,
        "available_until": body.available_until.isoformat() if body.available_until else None,
        "active": body.active,
        "updated_at": db.now(),
    }
    engine = db.engine_for(deps.settings(request).database)
    with db.write(engine) as conn:
        o = db.vessel_overrides
        done = conn.execute(update(o).where(o.c.id == vessel_id).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(o).values(id=vessel_id, **values))
    return next(v for v in _vessels(request) if v["id"] == vessel_id)
