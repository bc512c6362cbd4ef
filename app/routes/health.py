"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app import deps
from routing.geodata import Archipelago

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(arch: Archipelago = Depends(deps.archipelago)) -> dict[str, object]:
    """Service health and the size of the loaded dataset."""
    return {
        "status": "ok",
        "islands": len(arch.islands),
        "villages": len(arch.villages),
        "landing_points": len(arch.landing_points),
        "depots": len(arch.depots),
    }
