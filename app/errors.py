"""The one place that maps engine errors to HTTP statuses, as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from routing.errors import DataError, NoSeaPath, NotFound, RoutingError

PROBLEM_JSON = "application/problem+json"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


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
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail))
