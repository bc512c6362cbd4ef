"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app import deps
from app.health.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> dict[str, object]:
    """Service health and the size of the loaded dataset."""
    # In the event loop, no thread: the dataset is loaded at start-up (app.main's lifespan), so
    # this reads memory only. bench/api_load.py uses it as the machine's floor.
    arch = deps.archipelago(request)
    return {
        "status": "ok",
        "islands": len(arch.islands),
        "villages": len(arch.villages),
        "landing_points": len(arch.landing_points),
        "depots": len(arch.depots),
    }
