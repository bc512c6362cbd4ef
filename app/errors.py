"""The one place that maps engine errors to HTTP statuses, as RFC 9457 problem details."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from routing.errors import DataError, NoSeaPath, NotFound, RoutingError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors if errors is not None else [],
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(loc: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(part) for part in loc)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem_response(
            404,
            "Not Found",
            str(exc),
            errors=[
                {"code": f"unknown_{exc.kind.replace(' ', '_')}", "path": "", "message": str(exc)}
            ],
        )

    @app.exception_handler(NoSeaPath)
    async def no_sea_path(_: Request, exc: NoSeaPath) -> JSONResponse:
        return problem_response(
            422,
            "No sea path",
            str(exc),
            errors=[{"code": "no_sea_path", "path": "", "message": exc.reason}],
            origin=exc.origin,
            destination=exc.destination,
        )

    @app.exception_handler(DataError)
    async def data_error(_: Request, exc: DataError) -> JSONResponse:
        errors = [{"code": p.code, "path": p.path, "message": p.message} for p in exc.problems]
        return problem_response(
            422, "Invalid input", f"{len(errors)} problem(s) in {exc.source}", errors=errors
        )

    @app.exception_handler(RoutingError)
    async def routing_error(_: Request, exc: RoutingError) -> JSONResponse:
        return problem_response(422, "Routing error", str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "code": str(e.get("type", "invalid")),
                "path": _pointer(tuple(e.get("loc", ()))),
                "message": str(e.get("msg")),
            }
            for e in exc.errors()
        ]
        return problem_response(
            422, "Invalid request", f"{len(errors)} problem(s) in the request", errors=errors
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        title = (
            HTTPStatus(exc.status_code).phrase
            if exc.status_code in HTTPStatus._value2member_map_
            else "Error"
        )
        code = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "too_large",
        }.get(exc.status_code, f"http_{exc.status_code}")
        return problem_response(
            exc.status_code,
            title,
            str(exc.detail),
            errors=[{"code": code, "path": "", "message": str(exc.detail)}],
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)  # the trace stays in the server log
        return problem_response(
            500,
            "Internal Server Error",
            "the service failed; the error is logged",
            errors=[{"code": "internal_error", "path": "", "message": "the service failed"}],
        )


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by Content-Length or as they stream in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "Content Too Large",
            f"request bodies are limited to {self.max_bytes} bytes",
            errors=[
                {"code": "too_large", "path": "", "message": f"at most {self.max_bytes} bytes"}
            ],
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
