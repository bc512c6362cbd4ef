"""The live status on the wire: a poll's three answers (304, the body, the body gzipped) made
once per status and sent as they are to every poller, and the Server-Sent Events frames of the
stream, plain or as one gzip stream of frames compressed once per status."""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Callable
from typing import Any

from fastapi import Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.live.service import Status


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
        kind = "gzip" if accepts_gzip(accept_encoding) else "identity"
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
def accepts_gzip(accept_encoding: str) -> bool:
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
