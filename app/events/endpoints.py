"""Field events on voyage stops and the event types."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt

from app import auth
from app.deps import CurrentKey, PlanId, SettingsDep
from app.errors import problems
from app.events import service as events
from app.events.schemas import EventRecord, Events, EventTypeRecord
from routing import fieldlog
from routing.errors import DataError, Issue
from routing.fieldlog import EventType
from routing.inputs.schema import NO_CONTROL, WHOLE, Id, Name, Text, Time

router = APIRouter(tags=["field events and status"])
# What each event type must carry (``fieldlog.REQUIRED``: neither null nor empty), in the schema.
REQUIRED_BY_TYPE: list[Any] = [
    {
        "if": {"properties": {"type": {"const": kind}}},
        "then": {
            "required": list(names),
            "properties": {name: {"not": {"enum": [None, ""]}} for name in names},
        },
    }
    for kind, names in fieldlog.REQUIRED.items()
]


class EventIn(BaseModel):
    """What happened at a voyage stop, or at a call of a booked scheduled sailing."""

    vessel_id: Id | None = Field(None, description="The vessel whose voyage it is (or sailing_id)")
    sailing_id: Id | None = Field(
        None,
        description="A booked sailing of the plan (`sailings[].sailing_id`), instead of a vessel",
    )
    stop: Annotated[StrictInt, Field(ge=0, le=100_000), WHOLE] = Field(
        ..., description="Index of the stop in the voyage's stops (or in the sailing's calls)"
    )
    type: EventType
    at: Time | None = Field(
        None, description="When it happened (RFC 3339 with offset); default: when it arrives"
    )
    boxes: Annotated[StrictInt, Field(ge=0, le=100_000), WHOLE] | None = Field(
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
            ],
            "allOf": [
                *REQUIRED_BY_TYPE,
                {  # one of the two, never both
                    "oneOf": [
                        {"required": ["vessel_id"], "properties": {"sailing_id": {"enum": [None]}}},
                        {"required": ["sailing_id"], "properties": {"vessel_id": {"enum": [None]}}},
                    ]
                },
            ],
        },
    }


@router.get(
    "/event-types",
    dependencies=[auth.any_reader],
    response_model=list[EventTypeRecord],
    responses=problems(401),
)
def event_types() -> list[dict[str, Any]]:
    """The field event types: labels (Indonesian, English), required fields, stops they fit.
    Any key reads them, a field key bound to a vessel too."""
    return fieldlog.describe()


@router.post(
    "/plans/{plan_id}/events",
    status_code=201,
    dependencies=[auth.field_worker],
    response_model=EventRecord,
    responses={
        200: {
            "description": "The same event again under its Idempotency-Key: nothing changed",
            "model": EventRecord,
        },
        **problems(401, 403, 404, 409, 413, 422),
    },
)
def post_event(
    settings: SettingsDep,
    key: CurrentKey,
    plan_id: PlanId,
    event: EventIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", max_length=200, pattern=NO_CONTROL
    ),
) -> Response:
    """Record what happened at a stop; a retry with the same Idempotency-Key changes nothing.

    A field key bound to a vessel posts for that vessel only (403 naming `/vessel_id`), and one
    bound to a plan for that plan and the re-plans descending from it only (403 naming
    `/path/plan_id`). The stored event records the key (`recorded_by`, `recorded_by_name`).

    A booked scheduled sailing is followed with `sailing_id` instead of `vessel_id` and the
    index of a call as `stop`: `loaded`, `departed` where the kits go on board, `arrived`,
    `handed_over`, `departed` at a hub, `arrived`, `departed` at any other call (`delayed` any
    time); the live status then shifts what goes on from its hubs by how late it runs."""
    if (event.vessel_id is None) == (event.sailing_id is None):
        why = "give vessel_id (a voyage's event) or sailing_id (a booked sailing's), one of them"
        path = "/sailing_id" if event.vessel_id is not None else "/vessel_id"
        code = "conflicting_fields" if event.vessel_id is not None else "missing_field"
        raise DataError([Issue(code, path, why)], source="request")
    new = events.NewEvent(
        vessel_id=event.vessel_id,
        sailing_id=event.sailing_id,
        stop=event.stop,
        type=event.type.value,
        at=event.at,
        details=event.model_dump(
            include={"boxes", "condition", "receiver", "receiver_position", "reason"}
        ),
    )
    stored, replayed = events.record(settings, plan_id, new, idempotency_key, key=key)
    if replayed:
        return JSONResponse(stored, status_code=200, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(stored, status_code=201, headers={"Location": f"/plans/{plan_id}/events"})


@router.get(
    "/plans/{plan_id}/events",
    dependencies=[auth.reader],
    response_model=Events,
    responses=problems(401, 403, 404, 422),
)
def list_events(settings: SettingsDep, plan_id: PlanId) -> JSONResponse:
    """The plan's field events, oldest first (append-only): each with when it happened (`at`),
    when it reached the service (`recorded_at`), and the key that recorded it (`recorded_by`,
    its id) with its holder's name (`recorded_by_name`)."""
    # Written as stored: what each event carried stays where it is among its columns.
    return JSONResponse({"events": events.listing(settings, plan_id)})
