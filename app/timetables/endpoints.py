"""Timetables of the regular sailings as GTFS feeds: upload one (a zip), check one without
keeping it, list them, read one with its dated sailings."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app import auth
from app.deps import SettingsDep, TimetableId
from app.errors import problems
from app.timetables import service as timetables
from app.timetables.schemas import TimetableCheck, TimetableDetail, TimetableList, TimetableSummary
from routing.errors import DataError, Issue
from routing.inputs.schema import NO_CONTROL

router = APIRouter(tags=["timetables"])
ZIP_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The feed as a zip: the GTFS .txt files (agency, stops, routes, trips, "
        "stop_times, calendar and/or calendar_dates, feed_info) and cargo.txt, at the zip's "
        "root or in one folder",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def _zip(request: Request) -> bytes:
    body = await request.body()
    if not body:
        raise DataError(
            [Issue("missing_field", "/body", "send the feed as a zip")], source="request"
        )
    return body


@router.post(
    "/timetables",
    status_code=201,
    dependencies=[auth.planner],
    response_model=TimetableSummary,
    responses=problems(401, 403, 413, 422),
    openapi_extra=ZIP_BODY,
)
async def create_timetable(
    request: Request,
    settings: SettingsDep,
    name: str | None = Query(
        None, max_length=200, pattern=NO_CONTROL, description="Default: the feed's version"
    ),
) -> JSONResponse:
    """Store a timetable feed after checking it in full against the dataset: every stop a
    landing point or depot, times in order, each trip's cargo terms (capacity, cut-off,
    freight) with status and source. A broken feed is a 422 naming each problem's file, line
    and column (`/stop_times.txt/5/arrival_time`)."""
    body = await _zip(request)
    stored = timetables.create(settings, body, name)
    return JSONResponse(stored, status_code=201, headers={"Location": stored["links"]["self"]})


@router.post(
    "/timetables:validate",
    dependencies=[auth.planner],
    response_model=TimetableCheck,
    responses=problems(401, 403, 413, 422),
    openapi_extra=ZIP_BODY,
)
async def validate_timetable(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Check a timetable feed without storing it: `valid`, and its problems as an error answer
    lists them."""
    return timetables.validate(settings, await _zip(request))


@router.get(
    "/timetables",
    dependencies=[auth.reader],
    response_model=TimetableList,
    responses=problems(401, 403),
)
def list_timetables(settings: SettingsDep) -> dict[str, Any]:
    """The stored timetable feeds, newest first."""
    return timetables.listing(settings)


@router.get(
    "/timetables/{timetable_id}",
    dependencies=[auth.reader],
    response_model=TimetableDetail,
    responses=problems(401, 403, 404, 422),
)
def get_timetable(
    settings: SettingsDep,
    timetable_id: TimetableId,
    first: date | None = Query(None, alias="from", description="First service day listed"),
    last: date | None = Query(None, alias="to", description="Last service day listed"),
) -> dict[str, Any]:
    """A stored feed and its dated sailings (WIB), from `from` to `to` (default: the feed's
    dates)."""
    return timetables.get(settings, timetable_id, first, last)
