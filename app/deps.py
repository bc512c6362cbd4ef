"""FastAPI dependencies: settings and the loaded dataset."""

from __future__ import annotations

from fastapi import Request

from app import state
from app.config import Settings
from routing.demand import Kit
from routing.domain import VesselClass
from routing.geodata import Archipelago


def settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def archipelago(request: Request) -> Archipelago:
    return state.archipelago(settings(request).dataset_dir)


def kit(request: Request) -> Kit:
    return state.kit(settings(request).kit_file)


def fleet(request: Request) -> dict[str, VesselClass]:
    return state.fleet(settings(request).fleet_file)
