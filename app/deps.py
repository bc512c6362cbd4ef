"""FastAPI dependencies: settings, the loaded dataset, the live status and the caller's key,
and their typed aliases for route signatures (``settings: SettingsDep``)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError

from app.auth import key_of
from app.config import Settings
from app.keys.service import KeyRecord
from app.live.service import LiveStatus
from routing import inputs as data
from routing.domain import VesselClass
from routing.inputs.demand import Kit
from routing.inputs.geodata import Archipelago
from routing.inputs.schema import CONTROL, NO_CONTROL


def settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def live_status(request: Request) -> LiveStatus:
    """This worker's live status (made in the app's lifespan)."""
    live: LiveStatus = request.app.state.live_status
    return live


def stopping(request: Request) -> asyncio.Event | None:
    """Set when the service is told to stop: long polls answer at once (made in the app's
    lifespan; ``None`` outside it)."""
    return getattr(request.app.state, "stopping", None)


def archipelago(request: Request) -> Archipelago:
    return data.archipelago(settings(request).data_dir)


def kit(request: Request) -> Kit:
    return data.kit(settings(request).data_dir)


def fleet(request: Request) -> dict[str, VesselClass]:
    return data.fleet(settings(request).data_dir)


async def _settings(request: Request) -> Settings:
    return settings(request)


async def _live_status(request: Request) -> LiveStatus:
    return live_status(request)


async def _stopping(request: Request) -> asyncio.Event | None:
    return stopping(request)


async def _key(request: Request) -> KeyRecord | None:
    return key_of(request)


# In route signatures. The first four read the app's state only, so they run in the event loop
# (no thread, as the routes that called them did); the dataset's are plain functions, run in a
# thread as before.
SettingsDep = Annotated[Settings, Depends(_settings)]
LiveStatusDep = Annotated[LiveStatus, Depends(_live_status)]
StoppingDep = Annotated[asyncio.Event | None, Depends(_stopping)]
CurrentKey = Annotated[KeyRecord | None, Depends(_key)]
"""The caller's key (``None`` for an anonymous read), checked by ``auth.KeyCheck``."""
ArchipelagoDep = Annotated[Archipelago, Depends(archipelago)]
KitDep = Annotated[Kit, Depends(kit)]
FleetDep = Annotated[dict[str, VesselClass], Depends(fleet)]


def _id_param(what: str) -> Any:
    return Path(description=what, min_length=1, max_length=100, pattern=NO_CONTROL)


PlanId = Annotated[str, _id_param("Plan id")]
ScenarioId = Annotated[str, _id_param("Scenario id")]
VesselId = Annotated[str, _id_param("Vessel id")]
ClassId = Annotated[str, _id_param("Vessel class id")]
PlaceCode = Annotated[str, _id_param("Island or village code")]
KeyId = Annotated[str, _id_param("API key id (not the key itself)")]
HazardId = Annotated[str, _id_param("Hazard id")]
RiskId = Annotated[str, _id_param("Risk run id")]
TimetableId = Annotated[str, _id_param("Timetable id")]


def clean_query(request: Request) -> None:
    """Refuse a query string whose names or values hold a control character (NUL included),
    naming the parameter (422 at ``/query/NAME``), before any route reads it: no control
    character reaches the database or a log from a query string."""
    found = [
        {
            "type": "string_pattern_mismatch",
            "loc": ("query", name if not CONTROL.search(name) else CONTROL.sub("?", name)),
            "msg": "control characters (NUL, line breaks, ...) are not allowed",
            "input": value,
        }
        for name, value in request.query_params.multi_items()
        if CONTROL.search(name) or CONTROL.search(value)
    ]
    if found:
        raise RequestValidationError(found)
