"""The fast path of a poll: a ``GET /plans/{id}/status`` that this worker keeps fresh is
answered before the app's middleware and routing (``answer_now``), or inside the key check
(``FreshStatus``), with the same bytes the route would send."""

from __future__ import annotations

from typing import Any, NamedTuple

from starlette.types import ASGIApp, Receive, Scope, Send

from app import auth
from app.live.service import LiveStatus
from app.live.wire import StatusAnswer, status_answer


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
