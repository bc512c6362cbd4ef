"""The live status that dashboards poll (``GET /plans/{id}/status``, ETag and 304) or follow
as a stream (``GET /plans/{id}/status/stream``, Server-Sent Events)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from fastapi import APIRouter, Header, Request, Response

from app import auth
from app.deps import LiveStatusDep, PlanId, SettingsDep
from app.errors import problems
from app.live.schemas import PlanStatus
from app.live.wire import (
    KEEP_ALIVE,
    KEEP_ALIVE_DEFLATED,
    STATUS_EVENT,
    EventStream,
    GzipFrames,
    accepts_gzip,
    status_answer,
    status_frame,
    status_frame_deflated,
)

router = APIRouter(tags=["field events and status"])


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
    packer = GzipFrames() if accepts_gzip(request.headers.get("accept-encoding", "")) else None

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
