"""The FastAPI application: create_app() wires settings, database, job pool, routers, errors."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app import auth, db, jobs, state
from app.config import Settings, get_settings
from app.errors import BodyLimit, install_error_handlers
from app.routes import dataset, events, health, plans, replans, scenarios, sea

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"

API_DESCRIPTION = """Plans the sea delivery of election logistics to the island villages of
Sumenep Regency (East Java): islands, villages and their polling-station demand, landing points,
depots, sea routes, delivery plans solved in the background, field events and live status.

Send an API key in the `X-API-Key` header (`ballot-routing keys create --role ROLE`): `planner`
for plans, scenarios and vessels, `field` for events, any role for reads. Errors are
`application/problem+json` (RFC 9457) with an `errors` list of `{code, path, message}`."""


class JobRunner:
    """The solver process pool. A pool broken by a dead worker (killed, out of memory) is
    replaced, and the plans it was running are submitted again; their leases make that safe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.closed = False
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=max(1, self.settings.job_workers),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=jobs.init_worker,
            initargs=(self.settings.model_dump_json(),),
        )

    def submit(self, plan_id: str) -> None:
        with self.lock:
            if self.closed:
                return
            try:
                future = self.pool.submit(jobs.run_plan, plan_id)
            except BrokenProcessPool:
                self.pool = self._new_pool()
                future = self.pool.submit(jobs.run_plan, plan_id)
            pool = self.pool
        future.add_done_callback(lambda f: self._done(plan_id, f, pool))

    def _done(self, plan_id: str, future: Future[str], pool: ProcessPoolExecutor) -> None:
        if future.cancelled() or not isinstance(future.exception(), BrokenProcessPool):
            return
        log.warning("a solver process died; plan %s is submitted again", plan_id)
        with self.lock:
            if self.closed:
                return
            if pool is self.pool:  # the first to notice replaces the broken pool
                self.pool = self._new_pool()
        self.submit(plan_id)

    def shutdown(self) -> None:
        with self.lock:
            self.closed = True
            self.pool.shutdown(wait=False, cancel_futures=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the dataset is loaded and the database migrated at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.archipelago(settings.dataset_dir)
        state.kit(settings.kit_file)
        db.migrate(settings.database)
        runner = JobRunner(settings)
        app.state.submit = runner.submit
        for plan_id in jobs.active_plan_ids(db.engine_for(settings.database)):
            log.info("taking up plan %s again", plan_id)
            runner.submit(plan_id)
        try:
            yield
        finally:
            runner.shutdown()

    app = FastAPI(
        title="Island ballot routing",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(dataset.router, dependencies=[auth.reader])
    app.include_router(sea.router, dependencies=[auth.reader])
    app.include_router(plans.router)
    app.include_router(replans.router)
    app.include_router(events.router)
    app.include_router(scenarios.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/dashboard", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html", media_type="text/html")

    return app
