"""The field page's data: one vessel's voyage with names, what to hand over where, the steps of
each stop, the event types and the events already recorded (``GET /field/voyage``). The page
itself (``/field``) carries no data; it reads this with the crew's key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app import auth
from app.deps import CurrentKey, SettingsDep
from app.errors import problems
from app.field import service as field
from routing.inputs.schema import NO_CONTROL

router = APIRouter(tags=["field page"])


class Label(BaseModel):
    id: str = Field(..., description="Indonesian")
    en: str = Field(..., description="English")


class FieldEventType(BaseModel):
    type: str
    label: Label
    required: list[str] = Field(..., description="Fields an event of this type must carry")
    note: bool = Field(..., description="A note (delayed): any time before the stop is done")


class FieldVillage(BaseModel):
    code: str
    name: str | None
    district_name: str | None


class FieldManifestItem(BaseModel):
    consignment: str
    village_code: str
    village_name: str | None
    tps: int
    ballot_boxes: int


class FieldStop(BaseModel):
    index: int = Field(..., description="The stop's index, as events name it (`stop`)")
    kind: Literal["depot", "landing", "start"]
    id: str
    name: str | None
    island_name: str | None
    trip: int
    arrival: str = Field(..., description="Planned arrival (RFC 3339)")
    departure: str = Field(..., description="Planned departure (RFC 3339)")
    access: str = Field(..., description="depot, berth, tender or start")
    tps: int
    ballot_boxes: int
    villages: list[FieldVillage]
    manifest: list[FieldManifestItem]
    steps: list[str] = Field(..., description="The event types this stop goes through, in order")


class FieldVoyage(BaseModel):
    """One vessel's voyage in one plan, as the field page shows it."""

    plan_id: str
    plan_kind: Literal["plan", "replan", "capacity"]
    scenario: str
    vessel_id: str
    vessel_name: str | None
    vessel_class: str
    stops: list[FieldStop]
    event_types: list[FieldEventType]
    events: list[dict[str, Any]] = Field(
        ...,
        description="The vessel's events in this plan, as GET /plans/{id}/events gives them "
        "(with `at`, `recorded_at`, `recorded_by`, `recorded_by_name`)",
    )
    events_url: str = Field(..., description="Where to POST the vessel's events")


QueryId = Annotated[str | None, Query(min_length=1, max_length=100, pattern=NO_CONTROL)]


@router.get(
    "/field/voyage",
    dependencies=[auth.field_page],
    response_model=FieldVoyage,
    responses=problems(401, 403, 404, 409, 422),
)
def field_voyage(
    settings: SettingsDep,
    key: CurrentKey,
    response: Response,
    plan_id: QueryId = None,
    vessel_id: QueryId = None,
) -> dict[str, Any]:
    """A vessel's voyage for the field page: stops with names, what is handed over at each,
    the steps each goes through, the event types and the events already recorded.

    A field key bound to a vessel reads its own vessel's voyage (`vessel_id` may be left out;
    another vessel is a 403); bound to a plan, that plan's or a re-plan's descending from it
    (another `plan_id` is a 403). A field key bound to no vessel, or a planner key, names the
    vessel with `vessel_id` (422 without it). The plan is `plan_id`, else the key's plan (or
    the newest finished re-plan descending from it), else the newest finished plan (completed
    or infeasible, re-plans and capacity plans included) with a voyage for the vessel; 404
    when there is none."""
    response.headers["Cache-Control"] = "no-cache"
    return field.voyage(settings, key, vessel_id=vessel_id, plan_id=plan_id)
