"""Field events on voyage stops, the event types, and the live status that dashboards poll."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt

from app import auth, deps
from app.deps import PlanId
from app.errors import problems
from app.services import events
from routing import fieldlog
from routing.fieldlog import EventType
from routing.schema import NO_CONTROL, Id, Name, Text, Time

router = APIRouter(tags=["field events and status"])


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
    receiver: Name | None = Field(None, description="handed_over: who received them (name)")
    receiver_position: Name | None = Field(
        None, description="handed_over: the receiver's position (jabatan), e.g. Ketua PPS"
    )
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


@router.get("/event-types", dependencies=[auth.any_reader], responses=problems(401))
def event_types() -> list[dict[str, Any]]:
    """The field event types: labels (Indonesian, English), required fields, stops they fit.
    Any key reads them, a field key bound to a vessel too."""
    return fieldlog.describe()


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
    """Record what happened at a stop; a retry with the same Idempotency-Key changes nothing.

    A field key bound to a vessel posts for that vessel only (403 naming `/vessel_id`), and one
    bound to a plan for that plan and the re-plans descending from it only (403 naming
    `/path/plan_id`). The stored event records the key (`recorded_by`, `recorded_by_name`)."""
    new = events.NewEvent(
        vessel_id=event.vessel_id,
        stop=event.stop,
        type=event.type.value,
        at=event.at,
        details=event.model_dump(
            include={"boxes", "condition", "receiver", "receiver_position", "reason"}
        ),
    )
    stored, replayed = events.record(
        deps.settings(request), plan_id, new, idempotency_key, key=auth.key_of(request)
    )
    if replayed:
        return JSONResponse(stored, status_code=200, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(stored, status_code=201, headers={"Location": f"/plans/{plan_id}/events"})


@router.get(
    "/plans/{plan_id}/events", dependencies=[auth.reader], responses=problems(401, 403, 404, 422)
)
def list_events(request: Request, plan_id: PlanId) -> dict[str, Any]:
    """The plan's field events, oldest first (append-only): each with when it happened (`at`),
    when it reached the service (`recorded_at`), and the key that recorded it (`recorded_by`,
    its id) with its holder's name (`recorded_by_name`)."""
    return {"events": events.listing(deps.settings(request), plan_id)}


@router.get(
    "/plans/{plan_id}/status",
    dependencies=[auth.reader],
    responses={
        304: {"description": "Not modified since the ETag given in If-None-Match"},
        **problems(401, 403, 404, 422),
    },
)
def get_status(
    request: Request,
    plan_id: PlanId,
    if_none_match: str | None = Header(None, alias="If-None-Match", max_length=2000),
) -> Response:
    """Live status per voyage and per district; send If-None-Match with the last ETag to get 304."""
    tag, content = events.live_status(deps.settings(request), plan_id, if_none_match)
    if content is None:
        return Response(status_code=304, headers={"ETag": tag})
    return Response(
        content, media_type="application/json", headers={"ETag": tag, "Cache-Control": "no-cache"}
    )
