"""Field events on voyage stops, and the live status that the dashboard polls."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app import auth, db, deps, fieldops
from app.deps import PlanId
from app.errors import problem_response, problems
from app.routes.plans import engine_of, finished_plan, plan_row
from routing.errors import DataError
from routing.errors import Problem as Issue
from routing.fieldlog import EventType, check_event, usable_events
from routing.schema import NO_CONTROL, Id, Name, Text, Time

router = APIRouter(tags=["field events and status"])
_STATUS_CACHE = fieldops.StatusCache(256)
_STATUS_LOCK = threading.Lock()


class EventIn(BaseModel):
    """What happened at a voyage stop."""

    vessel_id: Id
    stop: Annotated[StrictInt, Field(ge=0, le=100_000)] = Field(
        ..., description="Index of the stop in the voyage's stops"
    )
    type: EventType
    at: Time | None = Field(
        None, description="When it happened (RFC 3339 with offset); default: when it arrives"
    )
    boxes: Annotated[StrictInt, Field(ge=0, le=100_000)] | None = Field(
        None, description="handed_over: ballot boxes handed over"
    )
    condition: Literal["good", "damaged"] | None = Field(
        None, description="handed_over: their condition"
    )
    receiver: Name | None = Field(None, description="handed_over: who received them")
    reason: Text | None = Field(None, description="delayed: why (e.g. weather)")

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "vessel_id": "kal-28-1",
                    "stop": 1,
                    "type": "handed_over",
                    "boxes": 75,
                    "condition": "good",
                    "receiver": "PPS Tonduk",
                    "at": "2024-02-06T10:30:00+07:00",
                }
            ]
        },
    }


def _missing_fields(event: EventIn) -> None:
    issues = []
    if event.type == "handed_over":
        for name in ("boxes", "condition", "receiver"):
            if getattr(event, name) in (None, ""):
                issues.append(Issue("missing_field", f"/{name}", f"handed_over needs {name}"))
    if event.type == "delayed" and not event.reason:
        issues.append(Issue("missing_field", "/reason", "delayed needs a reason"))
    if issues:
        raise DataError(issues, source="event")


def _unknown_stop(event: EventIn, plan: dict[str, Any]) -> Response | None:
    """409 when the plan has no such voyage or stop (the plan, not the request, decides)."""
    stops = next((v["stops"] for v in plan["voyages"] if v["vessel_id"] == event.vessel_id), None)
    if stops is None:
        why = f"no voyage for vessel {event.vessel_id!r} in this plan"
        return _conflict("unknown_vessel", "/vessel_id", why)
    if event.stop >= len(stops):
        return _conflict("unknown_stop", "/stop", f"the voyage has {len(stops)} stops")
    return None


def _conflict(code: str, path: str, why: str) -> Response:
    return problem_response(
        409, "Conflict", why, errors=[{"code": code, "path": path, "message": why}]
    )


@router.post(
    "/plans/{plan_id}/events",
    status_code=201,
    dependencies=[auth.field_worker],
    responses={
        200: {"description": "The same event again under its Idempotency-Key: nothing changed"},
        **problems(401, 403, 404, 409, 413, 422),
    },
)
def post_event(
    request: Request,
    plan_id: PlanId,
    event: EventIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", max_length=200, pattern=NO_CONTROL
    ),
) -> Response:
    """Record what happened at a stop; a retry with the same Idempotency-Key changes nothing."""
    engine = engine_of(request)
    plan = json.loads(finished_plan(engine, plan_id).result)
    plan = plan.get("plan", plan)
    _missing_fields(event)
    refused = _unknown_stop(event, plan)
    if refused is not None:
        return refused
    details = event.model_dump(include={"boxes", "condition", "receiver", "reason"})
    skew = timedelta(seconds=deps.settings(request).event_clock_skew_s)
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
            stored_events, _ = usable_events(plan, db.plan_events(conn, plan_id))
            previous = [e for e in stored_events if e["vessel_id"] == event.vessel_id]
            now = datetime.now(UTC)
            at = event.at or max([now, *(datetime.fromisoformat(e["at"]) for e in previous)])
            refusal = check_event(
                plan,
                previous,
                vessel_id=event.vessel_id,
                stop=event.stop,
                type=event.type,
                at=at,
                now=now,
                skew=skew,
            )
            if refusal is not None:
                status = 422 if refusal.code == "in_the_future" else 409
                return problem_response(
                    status,
                    "Conflict" if status == 409 else "Invalid request",
                    refusal.message,
                    errors=[
                        {"code": refusal.code, "path": refusal.path, "message": refusal.message}
                    ],
                )
            payload = {"at": at.isoformat(), **{k: v for k, v in details.items() if v is not None}}
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


@router.get(
    "/plans/{plan_id}/events", dependencies=[auth.reader], responses=problems(401, 404, 422)
)
def list_events(request: Request, plan_id: PlanId) -> dict[str, Any]:
    """The plan's field events, oldest first (append-only)."""
    plan_row(engine_of(request), plan_id)
    with engine_of(request).connect() as conn:
        return {"events": db.plan_events(conn, plan_id)}


@router.get(
    "/plans/{plan_id}/status",
    dependencies=[auth.reader],
    responses={
        304: {"description": "Not modified since the ETag given in If-None-Match"},
        **problems(401, 404, 422),
    },
)
def get_status(
    request: Request,
    plan_id: PlanId,
    if_none_match: str | None = Header(None, alias="If-None-Match"),
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
