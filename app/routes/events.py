"""Field events on voyage stops, the event types, and the live status that dashboards poll or
follow as a stream."""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, StrictInt
from starlette.types import ASGIApp, Receive, Scope, Send

from app import auth
from app.deps import CurrentKey, LiveStatusDep, PlanId, SettingsDep
from app.errors import problems
from app.models import EventRecord, Events, EventTypeRecord, PlanStatus
from app.services import events
from app.services.livestatus import LiveStatus, Status
from routing import fieldlog
from routing.fieldlog import EventType
from routing.inputs.schema import NO_CONTROL, WHOLE, Id, Name, Text, Time

router = APIRouter(tags=["field events and status"])
# What each event type must carry (``fieldlog.REQUIRED``: neither null nor empty), in the schema.
REQUIRED_BY_TYPE: list[Any] = [
    {
        "if": {"properties": {"type": {"const": kind}}},
        "then": {
            "required": list(names),
            "properties": {name: {"not": {"enum": [None, ""]}} for name in names},
        },
    }
    for kind, names in fieldlog.REQUIRED.items()
]


class EventIn(BaseModel):
    """What happened at a voyage stop."""

    vessel_id: Id
    stop: Annotated[StrictInt, Field(ge=0, le=100_000), WHOLE] = Field(
        ..., description="Index of the stop in the voyage's stops"
    )
    type: EventType
    at: Time | None = Field(
        None, description="When it happened (RFC 3339 with offset); default: when it arrives"
    )
    boxes: Annotated[StrictInt, Field(ge=0, le=100_000), WHOLE] | None = Field(
        None, description="handed_over: ballot boxes handed over"
    )
    condition: Literal["good", "damaged"] | None = Field(
        None, description="handed_over: their condition"
    )
    receiver: Name | None = Field(None, description="handed_over: who received them (name)")
    receiver_position: Name | None = Field(
        None, description="handed_over: the receiver's position (jabatan), e.g. Ketua PPS"
    )
    reason: Text | None = Field(None, description="delayed: why (e.g. weather)")

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "vessel_id": "kal-28-1",
                    "stop": 1,
                    "type": "handed_over",
                    "boxes": 75,
                    "condition": "good",
                    "receiver": "PPS Tonduk",
                    "at": "2024-02-06T10:30:00+07:00",
                }
            ],
            "allOf": REQUIRED_BY_TYPE,
        },
    }


@router.get(
    "/event-types",
    dependencies=[auth.any_reader],
    response_model=list[EventTypeRecord],
    responses=problems(401),
)
def event_types() -> list[dict[str, Any]]:
    """The field event types: labels (Indonesian, English), required fields, stops they fit.
    Any key reads them, a field key bound to a vessel too."""
    return fieldlog.describe()


@router.post(
    "/plans/{plan_id}/events",
    status_code=201,
    dependencies=[auth.field_worker],
    response_model=EventRecord,
    responses={
        200: {
            "description": "The same event again under its Idempotency-Key: nothing changed",
            "model": EventRecord,
        },
        **problems(401, 403, 404, 409, 413, 422),
    },
)
def post_event(
    settings: SettingsDep,
    key: CurrentKey,
    plan_id: PlanId,
    event: EventIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", max_length=200, pattern=NO_CONTROL
    ),
) -> Response:
    """Record what happened at a stop; a retry with the same Idempotency-Key changes nothing.

    A field key bound to a vessel posts for that vessel only (403 naming `/vessel_id`), and one
    bound to a plan for that plan and the re-plans descending from it only (403 naming
    `/path/plan_id`). The stored event records the key (`recorded_by`, `recorded_by_name`)."""
    new = events.NewEvent(
        vessel_id=event.vessel_id,
        stop=event.stop,
        type=event.type.value,
        at=event.at,
        details=event.model_dump(
            include={"boxes", "condition", "receiver", "receiver_position", "reason"}
        ),
    )
    stored, replayed = events.record(settings, plan_id, new, idempotency_key, key=key)
    if replayed:
        return JSONResponse(stored, status_code=200, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(stored, status_code=201, headers={"Location": f"/plans/{plan_id}/events"})


@router.get(
    "/plans/{plan_id}/events",
    dependencies=[auth.reader],
    response_model=Events,
    responses=problems(401, 403, 404, 422),
)
def list_events(settings: SettingsDep, plan_id: PlanId) -> JSONResponse:
    """The plan's field events, oldest first (append-only): each with when it happened (`at`),
    when it reached the service (`recorded_at`), and the key that recorded it (`recorded_by`,
    its id) with its holder's name (`recorded_by_name`)."""
    # Written as stored: what each event carried stays where it is among its columns.
    return JSONResponse({"events": events.listing(settings, plan_id)})


@router.get(
    "/plans/{plan_id}/status",
    dependencies=[auth.reader],
    response_model=PlanStatus,
    responses={
        304: {"description": "Not modified since the ETag given in If-None-Match"},
        **problems(401, 403, 404, 422),
    },
)
async def get_status(
    request: Request,
    live: LiveStatusDep,
    plan_id: PlanId,
    if_none_match: str | None = Header(None, alias="If-None-Match", max_length=2000),
) -> Response:
    """Live status per voyage and per district; send If-None-Match with the last ETag to get 304.
    The ETag's value is the id of the same status in `GET /plans/{id}/status/stream`."""
    found = await live.current(plan_id)  # from memory while unchanged
    return status_answer(found, if_none_match, request.headers.get("accept-encoding", ""))


class StatusAnswer(Response):
    """One of the three answers to a poll of a status (304, the body, the body gzipped), made
    once per status and sent as it is to every poller: the same bytes from the route and from
    ``answer_now``."""

    def __init__(self, start: dict[str, Any], body: bytes) -> None:
        self.status_code = start["status"]
        self.raw_headers = start["headers"]
        self.body = body
        self.background = None
        self._start = start
        self._body = {"type": "http.response.body", "body": body}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self._start)
        await send(self._body)


def status_answer(found: Status, if_none_match: str | None, accept_encoding: str) -> StatusAnswer:
    """The answer to a poll of ``found``: 304 when If-None-Match holds its ETag, else the
    body, gzipped for a caller that takes gzip (``Vary: Accept-Encoding``)."""
    if if_none_match is not None and _matches(if_none_match, found.etag):
        kind = "not_modified"
    else:
        kind = "gzip" if _accepts_gzip(accept_encoding) else "identity"
    answer: StatusAnswer = _made_once(found, kind, _make_answer, found, kind)
    return answer


def _made_once(found: Status, what: str, make: Callable[..., Any], *args: Any) -> Any:
    """``found.answers[what]``, made by ``make(*args)`` the first time it is asked for: the
    answers and frames sent for a status are made once, however many callers send them."""
    made = found.answers.get(what)
    if made is None:
        made = found.answers.setdefault(what, make(*args))
    return made


def _make_answer(found: Status, kind: str) -> StatusAnswer:
    headers = [
        (b"etag", found.etag.encode("latin-1")),
        (b"cache-control", b"no-cache"),
        (b"vary", b"Accept-Encoding"),
    ]
    if kind == "not_modified":
        return StatusAnswer({"type": "http.response.start", "status": 304, "headers": headers}, b"")
    body = found.gzipped if kind == "gzip" else found.body
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append((b"content-type", b"application/json"))
    if kind == "gzip":
        headers.append((b"content-encoding", b"gzip"))
    return StatusAnswer({"type": "http.response.start", "status": 200, "headers": headers}, body)


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match holds ``etag`` (weak comparison, RFC 9110: ``W/`` is ignored)."""
    if if_none_match == etag:  # what a poller sends back: the ETag it was given
        return True
    opaque = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") in (opaque, "*") for t in if_none_match.split(","))


@functools.lru_cache(maxsize=256)  # browsers send a handful of the same values
def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether Accept-Encoding takes gzip (RFC 9110 12.5.3): ``gzip`` (or ``x-gzip``) with a
    q-value above 0, or, where gzip is not named, ``*`` with one."""
    q_of: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *params = (x.strip() for x in item.split(";"))
        if not coding:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q_of[coding.lower()] = q
    for coding in ("gzip", "x-gzip"):
        if coding in q_of:
            return q_of[coding] > 0
    return q_of.get("*", 0.0) > 0


class Poll(NamedTuple):
    """A ``GET /plans/{id}/status`` that may be answered from memory."""

    plan_id: str
    if_none_match: str | None
    accept_encoding: str


def poll_of(scope: Scope) -> Poll | None:
    """The request as a poll of a status, or ``None`` where the route must see it (another
    path or method, If-None-Match given twice or past its bound of 2,000 characters)."""
    path: str = scope["path"]
    if scope["method"] != "GET" or not path.startswith("/plans/") or not path.endswith("/status"):
        return None
    plan_id = path[7:-7]  # as the route's path: one segment, not empty
    if not plan_id or "/" in plan_id:
        return None
    if_none_match = None
    accept = ""
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            if if_none_match is not None or len(value) > 2000:
                return None
            if_none_match = value.decode("latin-1")
        elif name == b"accept-encoding":
            accept = value.decode("latin-1")
    return Poll(plan_id, if_none_match, accept)


def answer_now(app: Any, scope: Scope) -> StatusAnswer | None:
    """A poll of a status that this worker keeps fresh, by a caller whose key is known now,
    answered at once, before the app's middleware and routing: the cost of the poll that
    hundreds of dashboards make every second. ``None`` for everything else (``FreshStatus``
    and the route answer it). Notes the caller's key in the scope (for the access log)."""
    poll = poll_of(scope)
    live: LiveStatus | None = getattr(app.state, "live_status", None)
    if poll is None or live is None:
        return None
    found = live.fresh(poll.plan_id)
    if found is None:
        return None
    caller = auth.caller_now(app.state, scope)
    if isinstance(caller, auth.Unsettled) or (caller is not None and caller.vessel_id is not None):
        return None
    scope.setdefault("state", {})["key"] = caller
    return status_answer(found, poll.if_none_match, poll.accept_encoding)


class FreshStatus:
    """ASGI middleware, inside ``KeyCheck``: a poll of a plan whose status this worker keeps
    (fresh or gone stale) is answered here, without routing, validation or dependencies; a
    stale status is awaited from the same single computation as the route's. What
    ``answer_now`` answers before the middleware, this answers where the status is stale or
    the key had to be looked up. Only for a plan the worker knows (so the id is a valid one)
    and a caller who may read it (the key was checked by ``KeyCheck``; a field key bound to a
    vessel goes on to the route and its 403); everything else (the first poll of a plan, a
    plan that cannot be read, an If-None-Match the route refuses) goes on to the route, which
    answers the same way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        poll = poll_of(scope) if scope["type"] == "http" else None
        response = None if poll is None else await self._answer(scope, poll)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _answer(scope: Scope, poll: Poll) -> StatusAnswer | None:
        """The answer from memory; ``None`` where the route must answer."""
        key = scope.get("state", {}).get("key")
        live: LiveStatus | None = getattr(scope["app"].state, "live_status", None)
        if (key is not None and key.vessel_id is not None) or live is None:
            return None
        found = live.fresh(poll.plan_id)
        if found is None:
            if not live.known(poll.plan_id):
                return None
            try:
                found = await live.current(poll.plan_id)
            except Exception:  # the route answers it (a 404, a 503)
                return None
        return status_answer(found, poll.if_none_match, poll.accept_encoding)


class EventStream(StreamingResponse):
    """A Server-Sent Events stream (``text/event-stream``)."""

    media_type = "text/event-stream"


KEEP_ALIVE = b": keep-alive\n\n"
# One event of the stream as the document declares it (each event, not the stream as a string;
# a keep-alive is a comment, no event): its id, its name and the status as JSON text.
STATUS_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "event", "data"],
    "properties": {
        "id": {"type": "string", "description": "The status's ETag value (Last-Event-ID)"},
        "event": {"const": "status"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"type": "object", "required": ["plan_id"]},
            "description": "The status as in GET /plans/{id}/status, one line",
        },
    },
}
# A gzip stream (RFC 1952) of frames: the header (deflate, no name, no time, unknown system),
# each frame as deflate blocks of its own that end on a byte boundary (a full flush, RFC 1951:
# they refer to nothing before them, so the same bytes may follow any others and are compressed
# once per status for every stream), and, when the stream ends, a last empty block with the
# CRC-32 and length of everything sent.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
GZIP_LAST_BLOCK = zlib.compressobj(6, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


def deflated(data: bytes) -> bytes:
    """``data`` as raw deflate blocks standing alone (see ``GZIP_HEADER``)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)


KEEP_ALIVE_DEFLATED = deflated(KEEP_ALIVE)


class GzipFrames:
    """One stream's frames as a gzip stream: what to send for each frame, and its end."""

    def __init__(self) -> None:
        self.crc = 0
        self.size = 0
        self.started = False

    def frame(self, plain: bytes, packed: bytes) -> bytes:
        """The bytes to send for ``plain`` (``packed``: the same, ``deflated``)."""
        self.crc = zlib.crc32(plain, self.crc)
        self.size += len(plain)
        if self.started:
            return packed
        self.started = True
        return GZIP_HEADER + packed

    def end(self) -> bytes:
        """The last bytes of the stream."""
        head = b"" if self.started else GZIP_HEADER
        return head + GZIP_LAST_BLOCK + struct.pack("<II", self.crc, self.size & 0xFFFFFFFF)


def status_frame(found: Status) -> bytes:
    """One status as an event: ``id`` (the ETag's value), ``event: status`` and the status as
    one line of JSON; made once per status, however many streams send it."""
    frame: bytes = _made_once(found, "sse", _make_frame, found)
    return frame


def _make_frame(found: Status) -> bytes:
    return b"id: " + found.id.encode() + b"\nevent: status\ndata: " + found.body + b"\n\n"


def status_frame_deflated(found: Status) -> bytes:
    """``status_frame``, ``deflated``; made once per status."""
    packed: bytes = _made_once(found, "sse-deflated", deflated, status_frame(found))
    return packed


@router.get(
    "/plans/{plan_id}/status/stream",
    dependencies=[auth.reader],
    response_class=EventStream,
    responses={
        200: {
            "description": "Server-Sent Events: each status as it changes",
            "content": {"text/event-stream": {"schema": STATUS_EVENT}},
        },
        **problems(401, 403, 404, 422),
    },
)
async def stream_status(
    request: Request,
    settings: SettingsDep,
    live: LiveStatusDep,
    plan_id: PlanId,
    last_event_id: str | None = Header(None, alias="Last-Event-ID", max_length=200),
) -> EventStream:
    """The live status as Server-Sent Events: the current status at once, then each new one as
    it changes (`id:` the status's ETag value, `event: status`, `data:` the status as in `GET
    /plans/{id}/status`, one line), and a `: keep-alive` comment after 15 s without one
    (`BALLOT_STATUS_KEEPALIVE_S`). With `Last-Event-ID` equal to the current status's id, that
    status is not sent again. The stream ends when the service stops. Gzip-compressed
    (`Content-Encoding: gzip`, each event flushed as it is sent) for a caller whose
    Accept-Encoding takes gzip, as every browser's does."""
    await live.current(plan_id)  # an unknown plan is a 404 before the stream starts
    keepalive_s = settings.status_keepalive_s
    packer = GzipFrames() if _accepts_gzip(request.headers.get("accept-encoding", "")) else None

    # The stream's key is looked up again every second while it is open: revoked, deleted or
    # expired, the stream ends (the next request with that key is a 401).
    presented = auth.presented_key(request.scope)
    stream_keys: auth.StreamKeys = request.app.state.stream_keys

    async def frames() -> AsyncIterator[bytes]:
        held = stream_keys.hold(presented, lambda: live.wake(plan_id)) if presented else None
        try:
            watched = live.watch(
                plan_id,
                last_event_id,
                keepalive_s=keepalive_s,
                ended=lambda: held is not None and held.refused is not None,
            )
            async with aclosing(watched) as seen:
                async for found in seen:
                    plain = KEEP_ALIVE if found is None else status_frame(found)
                    if packer is None:
                        yield plain
                    else:
                        deflated = status_frame_deflated(found) if found else KEEP_ALIVE_DEFLATED
                        yield packer.frame(plain, deflated)
        finally:
            if held is not None:
                stream_keys.release(held)
        # The service stops, or the key was refused (a caller gone ends it at a yield above).
        if packer is not None:
            yield packer.end()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Vary": "Accept-Encoding"}
    if packer is not None:
        headers["Content-Encoding"] = "gzip"
    return EventStream(frames(), headers=headers)
