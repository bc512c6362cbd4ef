"""Field events on voyage stops, and the live status that the dashboard polls."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app import auth, db, fieldops
from app.errors import problem_response
from app.routes.plans import engine_of, finished_plan, plan_row
from routing.errors import DataError
from routing.errors import Problem as Issue

router = APIRouter(tags=["field events and status"])
_STATUS_CACHE = fieldops.StatusCache(256)
_STATUS_LOCK = threading.Lock()


class EventIn(BaseModel):
    """What happened at a voyage stop."""

    vessel_id: str
    stop: int = Field(..., ge=0, description="Index of the stop in the voyage's stops")
    type: Literal["loaded", "departed", "arrived", "handed_over", "delayed"]
    at: datetime | None = Field(None, description="When it happened (RFC 3339); default: now")
    boxes: int | None = Field(None, ge=0, description="handed_over: ballot boxes handed over")
    condition: Literal["good", "damaged"] | None = Field(
        None, description="handed_over: their condition"
    )
    receiver: str | None = Field(None, max_length=200, description="handed_over: who received them")
    reason: str | None = Field(None, max_length=500, description="delayed: why (e.g. weather)")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "vessel_id": "kal-28-1",
                    "stop": 1,
                    "type": "handed_over",
                    "boxes": 75,
                    "condition": "good",
                    "receiver": "PPS Tonduk",
                }
            ]
        }
    }


def _event_problems(event: EventIn, plan: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    voyages = {v["vessel_id"]: v for v in plan["voyages"]}
    issues = []
    if event.vessel_id not in voyages:
        issues.append(
            Issue(
                "unknown_vessel",
                "/vessel_id",
                f"no voyage for vessel {event.vessel_id!r} in this plan",
            )
        )
    elif event.stop >= len(voyages[event.vessel_id]["stops"]):
        issues.append(
            Issue(
                "unknown_stop",
                "/stop",
                f"the voyage has {len(voyages[event.vessel_id]['stops'])} stops",
            )
        )
    if event.type == "handed_over":
        for name in ("boxes", "condition", "receiver"):
            if getattr(event, name) in (None, ""):
                issues.append(Issue("missing_field", f"/{name}", f"handed_over needs {name}"))
    if event.type == "delayed" and not event.reason:
        issues.append(Issue("missing_field", "/reason", "delayed needs a reason"))
    if issues:
        raise DataError(issues, source="event")
    stops = voyages[event.vessel_id]["stops"]
    return stops[event.stop], event.stop == len(stops) - 1


@router.post("/plans/{plan_id}/events", status_code=201, dependencies=[auth.field_worker])
def post_event(
    request: Request,
    plan_id: str,
    event: EventIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
) -> Response:
    """Record what happened at a stop; a retry with the same Idempotency-Key changes nothing."""
    engine = engine_of(request)
    row = finished_plan(engine, plan_id)
    plan = json.loads(row.result)
    plan = plan.get("plan", plan)
    stop, last = _event_problems(event, plan)
    payload = {
        "at": (event.at or datetime.now().astimezone()).isoformat(),
        **{
            k: v
            for k, v in event.model_dump(
                include={"boxes", "condition", "receiver", "reason"}
            ).items()
            if v is not None
        },
    }
    p = db.plans
    try:
        with db.write(engine) as conn:
            conn.execute(
                select(p.c.id).where(p.c.id == plan_id).with_for_update()
            )  # one writer per plan
            if idempotency_key:
                prior = conn.execute(
                    select(db.events).where(
                        db.events.c.plan_id == plan_id,
                        db.events.c.idempotency_key == idempotency_key,
                    )
                ).first()
                if prior is not None:
                    return _replay(prior, event)
            done = [
                e["type"]
                for e in db.plan_events(conn, plan_id)
                if e["vessel_id"] == event.vessel_id
                and e["stop"] == event.stop
                and e["type"] != "delayed"
            ]
            why = fieldops.check_transition(stop, last=last, done=done, event=event.type)
            if why:
                return problem_response(
                    409,
                    "Conflict",
                    why,
                    errors=[{"code": "bad_transition", "path": "/type", "message": why}],
                )
            inserted = conn.execute(
                insert(db.events).values(
                    plan_id=plan_id,
                    vessel_id=event.vessel_id,
                    stop=event.stop,
                    type=event.type,
                    payload=json.dumps(payload),
                    idempotency_key=idempotency_key,
                    created_at=db.now(),
                )
            ).inserted_primary_key
            assert inserted is not None
            new_id = inserted[0]
            conn.execute(update(p).where(p.c.id == plan_id).values(version=p.c.version + 1))
            stored = conn.execute(select(db.events).where(db.events.c.id == new_id)).first()
    except IntegrityError:  # the same key raced in from another request: answer as a replay
        with engine.connect() as conn:
            prior = conn.execute(
                select(db.events).where(
                    db.events.c.plan_id == plan_id, db.events.c.idempotency_key == idempotency_key
                )
            ).first()
        if prior is None:
            raise
        return _replay(prior, event)
    return JSONResponse(
        db.event_record(stored), status_code=201, headers={"Location": f"/plans/{plan_id}/events"}
    )


def _replay(prior: Any, event: EventIn) -> Response:
    same = (
        prior.vessel_id == event.vessel_id and prior.stop == event.stop and prior.type == event.type
    )
    if not same:
        why = "this Idempotency-Key was used for a different event"
        return problem_response(
            409,
            "Conflict",
            why,
            errors=[{"code": "idempotency_conflict", "path": "/", "message": why}],
        )
    return JSONResponse(
        db.event_record(prior), status_code=200, headers={"Idempotent-Replayed": "true"}
    )


@router.get("/plans/{plan_id}/events", dependencies=[auth.reader])
def list_events(request: Request, plan_id: str) -> dict[str, Any]:
    """The plan's field events, oldest first (append-only)."""
    plan_row(engine_of(request), plan_id)
    with engine_of(request).connect() as conn:
        return {"events": db.plan_events(conn, plan_id)}


@router.get(
    "/plans/{plan_id}/status",
    dependencies=[auth.reader],
    responses={304: {"description": "Not modified since the ETag given in If-None-Match"}},
)
def get_status(
    request: Request, plan_id: str, if_none_match: str | None = Header(None, alias="If-None-Match")
) -> Response:
    """Live status per voyage and per district; send If-None-Match with the last ETag to get 304."""
    engine = engine_of(request)
    with engine.connect() as conn:
        # Cheap first: the plan's version and newest event make the ETag; the plan itself is
        # read only for a stale client, and the answer is kept for the next poller.
        row = conn.execute(
            select(db.plans.c.phase, db.plans.c.version).where(db.plans.c.id == plan_id)
        ).first()
        if row is None:
            raise HTTPException(404, f"no plan with id {plan_id!r}")
        last_event = conn.execute(
            select(func.max(db.events.c.id)).where(db.events.c.plan_id == plan_id)
        ).scalar()
        tag = fieldops.etag(plan_id, row.phase, row.version, last_event)
        if if_none_match and tag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers={"ETag": tag})
        with _STATUS_LOCK:  # one computation per new ETag, however many pollers ask at once
            content = _STATUS_CACHE.get((plan_id, tag))
            if content is None:
                body: dict[str, Any] = {"plan_id": plan_id, "phase": row.phase}
                result = conn.execute(
                    select(db.plans.c.result).where(db.plans.c.id == plan_id)
                ).scalar()
                if result:
                    plan = json.loads(result)
                    body.update(
                        fieldops.status(plan.get("plan", plan), db.plan_events(conn, plan_id))
                    )
                content = json.dumps(body, ensure_ascii=False).encode()
                _STATUS_CACHE.put((plan_id, tag), content)
    return Response(
        content,
        media_type="application/json",
        headers={"ETag": tag, "Cache-Control": "no-cache"},
    )
