"""The FastAPI application: create_app() wires settings, routers and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import state
from app.config import Settings, get_settings
from app.errors import install_error_handlers
from app.routes import dataset, health, sea

API_DESCRIPTION = """Plans the sea delivery of election logistics to the island villages of
Sumenep Regency (East Java): islands, villages and their polling-station demand, landing points,
depots, sea routes and delivery plans. Errors are application/problem+json (RFC 9457)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the dataset is loaded at start-up so a broken one fails fast."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.archipelago(settings.dataset_dir)
        state.kit(settings.kit_file)
        yield

    app = FastAPI(
        title="Island ballot routing",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(dataset.router)
    app.include_router(sea.router)
    return app
