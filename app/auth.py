"""API keys with roles: planner (plans, scenarios, vessels, keys), field (events), viewer (reads).

A key is checked before anything else of the request is read: ``KeyCheck`` (ASGI middleware)
answers 401 for a missing, unknown, revoked or expired key before the body is parsed, so a caller
without a valid key learns nothing about the request's shape. The route's dependency then checks
the role (403). A key is only ever taken from the ``X-API-Key`` header or an ``Authorization:
Bearer`` header, never from the query string. What a key may do is looked up again after at most
``KNOWN_FOR_S``, so a revoked key is refused by every worker within that time.

A field key bound to a vessel (``KeyRecord.vessel_id``) reads only what the field page needs:
routes that take such a key say so (``require(..., bound_ok=True)``: the event types, the
vessel's voyage, posting events); every other route refuses it (403). What it may post (its
vessel, its plan) is checked where the request's body is known (``app.events.service``).
The key's record is ``request.state.key`` (``key_of``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.errors import problem_response
from app.keys import service as keys
from app.keys.service import ROLES, KeyRecord

__all__ = [
    "ROLES",
    "UNSETTLED",
    "KeyCheck",
    "KeyLookups",
    "any_reader",
    "caller_now",
    "create_key",
    "field_page",
    "field_worker",
    "key_of",
    "planner",
    "reader",
    "require",
]

log = logging.getLogger(__name__)
KNOWN_FOR_S = 1.0  # a key's record is looked up again after this long (revocation reaches
# every worker within it)
PUBLIC = (
    "/healthz",
    "/limits",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/dashboard",
    "/field",  # the field page and its service worker: the page carries no data
    "/field/sw.js",
    "/schemas/plan.json",
    "/schemas/capacity.json",
)
PUBLIC_PREFIXES = ("/static/", "/docs/")
KNOWN_MAX = 4096  # key records kept at once; the oldest go first
_known: OrderedDict[tuple[str, str], tuple[KeyRecord, float]] = OrderedDict()
_known_lock = threading.Lock()
# The clock the known keys' records are timed by: one name, so that a test can hold it still.
clock = time.monotonic


def create_key(url: str, role: str, name: str = "") -> str:
    """Store a new key (hashed) and return it; the only time the key itself is seen."""
    return keys.issue_key(url, role, name=name)[0]


def presented_key(scope: Scope) -> str | None:
    """The API key a request presents (``X-API-Key`` or a bearer token), if any."""
    return _presented_key(dict(scope["headers"]))


def _presented_key(headers: dict[bytes, bytes]) -> str | None:
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return key or None


def _known_for(settings: Settings, key: str) -> tuple[KeyRecord, float] | None:
    """The presented key's record and how many seconds it is still good for, when it was
    looked up less than ``KNOWN_FOR_S`` ago, else ``None``."""
    with _known_lock:
        cached = _known.get((settings.database, keys.hash_key(key)))
    left = cached[1] - clock() if cached else 0.0
    return (cached[0], left) if cached and left > 0 else None


def _look_up(settings: Settings, key: str) -> KeyRecord | None:
    """The presented key's record from the database, kept for ``KNOWN_FOR_S`` in a small cache
    of known keys (only keys that exist are kept, so made-up keys cannot grow it)."""
    entry = (settings.database, keys.hash_key(key))
    record = keys.lookup(settings.database, key)
    with _known_lock:
        if record is None:
            _known.pop(entry, None)
            return None
        _known[entry] = (record, clock() + KNOWN_FOR_S)
        _known.move_to_end(entry)
        while len(_known) > KNOWN_MAX:
            _known.popitem(last=False)
    return record


def _refusal(record: KeyRecord | None) -> str | None:
    if record is None:
        return "unknown API key"
    state = record.state(time.time())
    return None if state == "active" else f"this API key is {state}"


def is_public(path: str) -> bool:
    """Paths anyone may read without a key (health, limits, the API document, the pages)."""
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


class KeyLookups:
    """The key lookups under way in one app, by key hash: when a known key's second runs out,
    the hundreds of polls that present it at that moment share one lookup (in a worker thread)
    instead of one thread each."""

    def __init__(self) -> None:
        self._under_way: dict[tuple[str, str], asyncio.Future[KeyRecord | None]] = {}

    async def look_up(self, settings: Settings, key: str) -> KeyRecord | None:
        """The key's record, looked up once for all who ask meanwhile."""
        # Shielded: one caller gone cancels nobody's lookup.
        return await asyncio.shield(self._start(settings, key))

    def refresh(self, settings: Settings, key: str) -> None:
        """Look the key up again in the background (once, however many ask meanwhile)."""
        self._start(settings, key)

    def _start(self, settings: Settings, key: str) -> asyncio.Future[KeyRecord | None]:
        """The lookup of the key under way, started when there is none."""
        entry = (settings.database, keys.hash_key(key))
        lookup = self._under_way.get(entry)
        if lookup is None:
            lookup = asyncio.ensure_future(anyio.to_thread.run_sync(_look_up, settings, key))
            self._under_way[entry] = lookup

            def done(finished: asyncio.Future[KeyRecord | None]) -> None:
                self._under_way.pop(entry, None)
                # Retrieved, so that a failed background refresh is not logged as never
                # retrieved: the record runs out and the next request looks the key up
                # itself and answers the failure.
                if not finished.cancelled():
                    finished.exception()

            lookup.add_done_callback(done)
        return lookup


@dataclass(eq=False)
class HeldKey:
    """An open stream's hold on its key: ``refused`` says why once the key is refused."""

    key_hash: str
    wake: Callable[[], None]
    refused: str | None = None


class StreamKeys:
    """The keys of one worker's open status streams, looked up again together every
    ``KNOWN_FOR_S`` (one query for all of them, in a worker thread, while any stream is open):
    a stream whose key was revoked, deleted or has expired is told (``HeldKey.refused``, and its
    ``wake``) within about a second, in every worker, for each reads the shared database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._held: dict[str, set[HeldKey]] = {}
        self._task: asyncio.Task[None] | None = None

    def hold(self, key: str, wake: Callable[[], None]) -> HeldKey:
        """Watch ``key`` for a stream until ``release``; ``wake`` is called (in this event
        loop) when the key is refused."""
        held = HeldKey(keys.hash_key(key), wake)
        self._held.setdefault(held.key_hash, set()).add(held)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return held

    def release(self, held: HeldKey) -> None:
        streams = self._held.get(held.key_hash)
        if streams is not None:
            streams.discard(held)
            if not streams:
                del self._held[held.key_hash]
        if not self._held and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while self._held:
            await asyncio.sleep(KNOWN_FOR_S)
            hashes = list(self._held)
            try:
                records = await anyio.to_thread.run_sync(
                    keys.lookup_hashes, self.settings.database, hashes
                )
            except Exception as exc:  # the database away: the streams go on until it answers
                log.warning("could not look the open streams' keys up: %s", exc)
                continue
            for key_hash in hashes:
                why = _refusal(records.get(key_hash))
                if why is None:
                    continue
                for held in self._held.pop(key_hash, set()):
                    held.refused = why
                    held.wake()


class Unsettled:
    """``caller_now``'s answer where the request must go through ``KeyCheck``."""


UNSETTLED = Unsettled()


def caller_now(state: Any, scope: Scope) -> KeyRecord | Unsettled | None:
    """The caller of a request to a non-public path as ``KeyCheck`` would let it through,
    where that is known now, without waiting for anything: the record of a valid key looked
    up within the last second (looked up again in the background when half that time is
    gone), or ``None`` for an anonymous read where those are allowed. ``UNSETTLED`` where
    ``KeyCheck`` must decide (a key to look up, a refusal). ``state``: the app's state."""
    settings: Settings = state.settings
    key = _presented_key(dict(scope["headers"]))
    if key is None:
        anonymous = settings.allow_anonymous_reads and scope["method"] in ("GET", "HEAD")
        return None if anonymous else UNSETTLED
    known = _known_for(settings, key)
    if known is None:
        return UNSETTLED
    record, left = known
    if left < KNOWN_FOR_S / 2:
        # Looked up again before it runs out, in the background: a key in steady use (a
        # dashboard's poll every second) never waits for its lookup.
        state.key_lookups.refresh(settings, key)
    return record if _refusal(record) is None else UNSETTLED


class KeyCheck:
    """Check the caller's key before the request is routed or its body read (401)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings: Settings = state.settings
        caller = caller_now(state, scope)
        record: KeyRecord | None = None
        why: str | None = None
        if isinstance(caller, Unsettled):
            key = _presented_key(dict(scope["headers"]))
            if key is None:
                why = "an API key is required (X-API-Key header)"
            else:
                # A key seen within the last second is known without a thread (above); else
                # it is looked up in a worker thread.
                known = _known_for(settings, key)
                record = (
                    known[0]
                    if known is not None
                    else await state.key_lookups.look_up(settings, key)
                )
                why = _refusal(record)
        else:
            record = caller
        if why is not None:
            response = problem_response(
                401,
                "Unauthorized",
                why,
                errors=[{"code": "unauthorized", "path": "", "message": why}],
                headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
            )
            await response(scope, receive, send)
            return
        state_of_request = scope.setdefault("state", {})
        state_of_request["role"] = record.role if record is not None else None
        state_of_request["key"] = record
        await self.app(scope, receive, send)


def key_of(request: Request) -> KeyRecord | None:
    """The record of the caller's key (checked by ``KeyCheck``); ``None`` for an anonymous
    read."""
    record: KeyRecord | None = getattr(request.state, "key", None)
    return record


def require(
    *roles: str, bound_ok: bool = False
) -> Callable[[Request], Coroutine[Any, Any, str | None]]:
    """A dependency: the caller's key (checked by ``KeyCheck``) must have one of ``roles`` (any
    role, or none where anonymous reads are allowed, for reads), and may be a field key bound
    to a vessel only where ``bound_ok`` (else 403). A coroutine, so that FastAPI runs it in
    the event loop rather than a worker thread (it reads only the request)."""

    async def check(request: Request) -> str | None:
        role: str | None = getattr(request.state, "role", None)
        if role is None and roles:
            raise HTTPException(401, "an API key is required (X-API-Key header)")
        if roles and role not in roles:
            raise HTTPException(
                403, f"this needs the role {' or '.join(roles)}; the key has {role}"
            )
        key = key_of(request)
        if not bound_ok and key is not None and key.vessel_id is not None:
            raise HTTPException(
                403,
                f"this key is bound to vessel {key.vessel_id}: it reads only its voyage "
                "(GET /field/voyage) and the event types, and posts that vessel's events",
            )
        return role

    return check


reader = Depends(require())  # any role; not a field key bound to a vessel
any_reader = Depends(require(bound_ok=True))  # any role, bound field keys too
planner = Depends(require("planner"))
field_worker = Depends(require("field", bound_ok=True))  # what it posts is checked by the route
field_page = Depends(require("field", "planner", bound_ok=True))  # GET /field/voyage


_SECRETS = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token)=)[^&\s]*")
_KEYS = re.compile(re.escape(keys.PREFIX) + r"[A-Za-z0-9_\-]+")


class RedactKeys(logging.Filter):
    """Keeps API keys out of the access log: a key sent in a query string (which is refused)
    would otherwise be written there in full."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact(text: str) -> str:
    """``text`` with any API key in it replaced by ``[redacted]``."""
    return _KEYS.sub(keys.PREFIX + "[redacted]", _SECRETS.sub(r"\1[redacted]", text))


def redact_access_log() -> None:
    """Install ``RedactKeys`` on the HTTP server's loggers (once); the service's own access
    log (``app.accesslog``) redacts what it writes."""
    for name in ("_granian", "granian.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())
