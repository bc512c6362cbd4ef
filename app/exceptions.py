"""The service's own failures beside the engine's: ``Conflict`` (a request the resource's state
refuses, 409) and ``Forbidden`` (a key that may not do this, 403), and a failed job's errors as
stored. Each domain's service speaks in these and in the engine's errors (``DataError`` for bad
input, ``NotFound``); ``app.errors`` maps each to its HTTP status."""

from __future__ import annotations

import dataclasses

from routing.errors import DataError, RoutingError


class Conflict(Exception):
    """The resource's state refuses the request (HTTP 409): a stable code, the field at fault."""

    def __init__(self, code: str, path: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.path = path
        self.message = message


class Forbidden(Exception):
    """The caller's key may not do this (HTTP 403): a field key bound to another vessel or
    plan. A stable code, the field at fault."""

    def __init__(self, code: str, path: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.path = path
        self.message = message


def failure_errors(exc: RoutingError) -> list[dict[str, str]]:
    """A failed job's errors as stored and shown (``{code, path, message}``): the problems of
    its input, or the engine's error."""
    if isinstance(exc, DataError):
        return [dataclasses.asdict(p) for p in exc.problems]
    return [{"code": "routing_error", "path": "", "message": str(exc)}]
