"""The vessels' availability: the window in which plans may use each vessel, and whether they
may; changed with ETags and If-Match."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool

from app import auth
from app.deps import SettingsDep, VesselId
from app.errors import problems
from app.preconditions import IfMatch, IfNoneMatch, Preconditions, etag_header
from app.vessels import service as vessels
from app.vessels.schemas import VesselRecord
from routing.errors import DataError, Issue
from routing.inputs.schema import Time

router = APIRouter(tags=["scenarios and vessels"])


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
            ],
            # Both ends of the window or neither (null is as good as absent).
            "anyOf": [
                {
                    "required": ["available_from", "available_until"],
                    "properties": {
                        "available_from": {"type": "string"},
                        "available_until": {"type": "string"},
                    },
                },
                {
                    "properties": {
                        "available_from": {"type": "null"},
                        "available_until": {"type": "null"},
                    }
                },
            ],
        },
    }


@router.get(
    "/vessels",
    dependencies=[auth.reader],
    response_model=list[VesselRecord],
    responses=problems(401, 403),
)
def list_vessels(settings: SettingsDep) -> list[dict[str, Any]]:
    """The fleet's vessels with their class, home depot, availability window and active flag."""
    return vessels.listing(settings)


ETAG = etag_header("vessel")


@router.get(
    "/vessels/{vessel_id}",
    dependencies=[auth.reader],
    response_model=VesselRecord,
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 422)},
)
def get_vessel(settings: SettingsDep, vessel_id: VesselId) -> JSONResponse:
    """One vessel with its class, home depot, availability window and active flag, and its
    ETag (for If-Match)."""
    found, tag = vessels.one(settings, vessel_id)
    return JSONResponse(found, headers={"ETag": tag})


@router.put(
    "/vessels/{vessel_id}",
    dependencies=[auth.planner],
    response_model=VesselRecord,
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 412, 413, 422, 428)},
)
def put_vessel(
    settings: SettingsDep,
    vessel_id: VesselId,
    body: VesselUpdate,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> JSONResponse:
    """Set a vessel's availability window and active flag; later plans use them. Once set, a
    change needs If-Match: the ETag it was read with (428 without, 412 when it changed
    since). The answer is the vessel as this change set it, with its new ETag."""
    a, b = body.available_from, body.available_until
    if (a is None) != (b is None):
        path = "/available_until" if b is None else "/available_from"
        why = "give both available_from and available_until, or neither"
        raise DataError([Issue("missing_field", path, why)], source="request")
    if a is not None and b is not None and a >= b:
        why = "must be after available_from"
        raise DataError([Issue("bad_time", "/available_until", why)], source="request")
    found, tag = vessels.set_availability(
        settings,
        vessel_id,
        available_from=a,
        available_until=b,
        active=body.active,
        pre=Preconditions(if_match, if_none_match),
    )
    return JSONResponse(found, headers={"ETag": tag})
