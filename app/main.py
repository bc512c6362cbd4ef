"""The FastAPI application: create_app() wires settings, database, job pool, routers, errors,
the access log and the answer to status polls ahead of the middleware (``Service``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from app import accesslog, auth, db, deps
from app.accesslog import AccessLog
from app.config import Settings, get_settings
from app.dataset import endpoints as dataset
from app.dataset import sea
from app.errors import BodyLimit, install_error_handlers, problem_json_openapi, problems
from app.events import endpoints as events
from app.field import endpoints as field_voyage
from app.field import page as fieldpage
from app.hazards import endpoints as hazards
from app.health import endpoints as health
from app.jobs.runner import JobRunner
from app.keys import endpoints as keys
from app.live import endpoints as live
from app.live import fastpath
from app.live.service import LiveStatus
from app.plans import endpoints as plans
from app.plans import json_schemas as schemas
from app.plans import papers, replans
from app.risk import endpoints as risk
from app.scenarios import endpoints as scenarios
from app.security import SecurityHeaders
from app.timetables import endpoints as timetables
from app.vessels import endpoints as vessels
from routing import inputs as data

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# Allocations between the cyclic collector's young passes (Python's default: 700). A worker
# holding a thousand open status streams keeps some 160,000 objects of theirs alive, and each
# young pass in a burst of polls promotes the polls then in flight, so the full pass (about
# 50 ms on this workload, holding every request) came every 15-20 s; at 10,000 the young passes
# came 23x less often (up to 10 ms each) and the full pass not once in a bench run
# (bench/api_load.py: 500 pollers at once, 1,000 streams, the 2024 plan solved in the worker).
GC_YOUNG_THRESHOLD = 10_000
# What the API's documentation pages may load, and from where: this service only.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)

API_DESCRIPTION = """Plans the sea delivery of election logistics to the island villages of
Sumenep Regency (East Java): islands, villages and their polling-station demand, landing points,
depots, sea routes, delivery plans solved in the background, field events and live status.

Send an API key in the `X-API-Key` header (`ballot-routing keys create --role ROLE`): `planner`
for plans, scenarios and vessels, `field` for events, any role for reads. A field key bound to a
vessel (`keys create --role field --vessel ID`) posts that vessel's events and reads only its
voyage (`GET /field/voyage`) and the event types: any other request with it is a 403. Errors are
`application/problem+json` (RFC 9457) with an `errors` list of `{code, path, message}`."""


class Service(FastAPI):
    """The app: FastAPI, with two things ahead of its middleware: a poll of a status this
    worker keeps fresh, by a caller whose key is known, is answered at once
    (``fastpath.answer_now``: hundreds of dashboards poll every second, and the middleware and
    routing would cost each poll several times the answer itself), and every request goes to
    the access log (``app.accesslog``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        access: AccessLog = self.state.access_log
        answer = fastpath.answer_now(self, scope)
        if answer is not None:
            await answer(scope, receive, send)
            access.request(scope, answer.status_code, len(answer.body), started)
            return
        status, size = 0, 0  # 0: no answer was begun (the caller went away first)

        async def noted(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await super().__call__(scope, receive, noted)
        finally:
            access.request(scope, status, size, started)


def app_from_environment() -> FastAPI:
    """The app with the settings of the environment, its access log to standard error (what
    ``serve`` runs in each worker process)."""
    accesslog.to_stderr()
    return create_app(get_settings())


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the dataset is loaded and the database migrated at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        data.archipelago(settings.data_dir)
        data.kit(settings.data_dir)
        db.migrate(settings.database)
        runner = JobRunner(settings)  # takes up queued and abandoned jobs too (risk runs too)
        app.state.submit = runner.submit
        app.state.runner = runner
        live = LiveStatus(settings)
        await live.start()
        app.state.live_status = live
        summaries = asyncio.create_task(app.state.access_log.run())
        # What start-up loaded (the dataset, the sea networks, the libraries) lives as long as
        # the worker: kept out of the cyclic collector's full passes, which otherwise walk it
        # all every few seconds under load and hold every request meanwhile (a 150 ms stall
        # in bench/api_load.py's floor).
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])  # put back when the app stops
        loop = asyncio.get_running_loop()
        stopping = app.state.stopping = asyncio.Event()

        def stop() -> None:
            stopping.set()
            live.end_streams()

        try:
            # Status streams never end on their own and long polls wait up to an hour: both end
            # when the signal to stop comes, so that the server's wait for open responses
            # before the shutdown below is not spent waiting for them.
            with _before_stop_signals(lambda: loop.call_soon_threadsafe(stop)):
                yield
        finally:
            runner.shutdown()  # risk runs too: they are jobs of the same queue
            await live.close()
            summaries.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await summaries
            gc.set_threshold(*thresholds)

    app = Service(
        title="Island ballot routing",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the app's own assets (_install_docs)
        redoc_url=None,
        dependencies=[Depends(deps.clean_query)],  # no control character in any query string
    )
    app.state.settings = settings
    app.state.key_lookups = auth.KeyLookups()
    app.state.stream_keys = auth.StreamKeys(settings)  # open streams' keys, checked each second
    app.state.access_log = AccessLog(settings.access_log, settings.access_log_summary_s)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s
    )
    app.add_middleware(fastpath.FreshStatus)  # inside KeyCheck: the key is checked first
    app.add_middleware(auth.KeyCheck)  # no key, no reading of the request
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too
    auth.redact_access_log()
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(
        dataset.router, dependencies=[auth.reader], responses=problems(401, 403, 422)
    )
    app.include_router(sea.router, dependencies=[auth.reader], responses=problems(401, 403, 422))
    app.include_router(plans.router)
    app.include_router(papers.router)
    app.include_router(replans.router)
    app.include_router(events.router)
    app.include_router(live.router)
    app.include_router(field_voyage.router)
    app.include_router(scenarios.router)
    app.include_router(vessels.router)
    app.include_router(keys.router)
    app.include_router(hazards.router)
    app.include_router(risk.router)
    app.include_router(timetables.router)
    app.include_router(schemas.router)
    app.include_router(fieldpage.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_docs(app)

    @app.get("/dashboard", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html", media_type="text/html")

    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    return app


def _install_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` with their scripts, styles and icon from
    ``/static/vendor/`` (Swagger UI 5.36.0 and ReDoc 2.5.4 as published on npm, their licences
    beside them): an island office without internet sees the API's documentation too, where
    FastAPI's own pages load them from a CDN and stay blank."""
    vendor = "/static/vendor"
    favicon = f"{vendor}/swagger-ui-favicon-32x32.png"

    def from_here_only(page: HTMLResponse) -> HTMLResponse:
        # Nothing loaded from elsewhere, even what a bundle asks for by itself (ReDoc's sidebar
        # draws its maker's logo from a CDN): the browser does not even try, so an office
        # without internet waits on no lookup. Inline: the pages' start-up script and the
        # viewers' styles; blob: ReDoc's search worker.
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return from_here_only(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{vendor}/swagger-ui-bundle.js",
                swagger_css_url=f"{vendor}/swagger-ui.css",
                swagger_favicon_url=favicon,
                # No badge from the public validator (it would fetch an image from its host).
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return from_here_only(
            get_redoc_html(
                openapi_url="/openapi.json",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{vendor}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,  # the system's fonts: no font host to reach
            )
        )


@contextmanager
def _before_stop_signals(callback: Callable[[], object]) -> Iterator[None]:
    """Call ``callback`` first when SIGTERM or SIGINT arrives, then the handler that was there
    (the server's, which stops accepting and waits for open responses). Only in the main thread,
    where signals are handled; elsewhere (a test client) nothing changes.

    ``callback`` runs inside a signal handler: it must not take a lock (hand the work to the
    event loop with ``call_soon_threadsafe``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before: dict[int, Any] = {}

    def handler(sig: int, frame: FrameType | None) -> None:
        callback()
        prior = before.get(sig)
        if callable(prior):
            prior(sig, frame)
        elif prior != signal.SIG_IGN:  # the default action: restore it and let it act
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    stops = (signal.SIGTERM, signal.SIGINT)
    for stop in stops:
        before[stop] = signal.signal(stop, handler)
    try:
        yield
    finally:
        for stop in stops:
            if signal.getsignal(stop) is handler:
                prior = before[stop]
                signal.signal(stop, prior if prior is not None else signal.SIG_DFL)


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The OpenAPI document, generated once: every error response as problem+json, and the
    limits of this service (``GET /limits``) as the bounds of the parameters they limit."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        }
        schema["security"] = [{"ApiKey": []}]
        for path, item in schema["paths"].items():
            if auth.is_public(path):
                for op in item.values():
                    op["security"] = []
        schema = schemas.constrained(problem_json_openapi(schema), settings)
        app.openapi_schema = _with_limits(schema, settings)
    return app.openapi_schema


def _with_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``wait``, ``seconds`` and ``iterations`` bounded as this service bounds them."""
    bounds = {
        "wait": settings.max_wait_s,
        "seconds": settings.max_plan_seconds,
        "iterations": settings.max_plan_iterations,
    }
    for item in schema["paths"].values():
        for op in item.values():
            for p in op.get("parameters", []):
                if p["name"] in bounds:
                    p["schema"]["maximum"] = bounds[p["name"]]
    for name in ("PlanRequest", "ReplanRequest", "CapacityRequest"):
        props = schema["components"]["schemas"].get(name, {}).get("properties", {})
        for field, bound in bounds.items():
            prop = props.get(field, {})
            for option in [prop, *prop.get("anyOf", [])]:
                if "maximum" in option:
                    option["maximum"] = bound
    return schema
