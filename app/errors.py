"""The one place that maps engine errors to HTTP statuses, as RFC 9457 problem details."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.exceptions import Conflict, Forbidden
from app.preconditions import PreconditionFailed
from routing.errors import Ambiguous, Candidate, DataError, Issue, NoSeaPath, NotFound, RoutingError
from routing.inputs.schema import error_issues

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)
# Problems listed in one answer at most: a body of 90,000 unknown keys gets the first 50 and their
# count, not an answer seven times its size.
MAX_LISTED = 50


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


class ProblemItem(BaseModel):
    code: str = Field(..., description="Stable code of the problem")
    path: str = Field(..., description="JSON pointer to the field at fault ('' for none)")
    message: str


class PlaceCandidate(BaseModel):
    name: str
    kind: str = Field(..., description="depot, landing, district, island or village")
    id: str = Field(..., description="Its id, which the query may give instead of the name")
    district: str = Field("", description="The district(s) it lies in")


class ProblemDetails(BaseModel):
    """An error (RFC 9457): every problem found, each with a code and the field's path."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemItem]
    candidates: list[PlaceCandidate] | None = Field(
        None,
        description="For an unknown (404) or ambiguous (422) place name: the places it may mean",
    )
    errors_total: int | None = Field(
        None, description=f"How many problems were found, where more than the {MAX_LISTED} listed"
    )


WHY = {
    400: "The body could not be read (not UTF-8)",
    401: "No API key, or an unknown, revoked or expired one",
    403: "The key's role may not do this, or a field key's vessel or plan is another",
    404: "No such resource",
    409: "Conflicts with the resource's state; the reason is given",
    412: "The resource changed since it was read (If-Match), or exists already (If-None-Match)",
    413: "The body is larger than GET /limits allows",
    422: "Invalid input; each problem names its field",
    428: "A change to a resource that exists needs If-Match with the ETag it was read with",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the problem statuses an operation can answer (as problem+json:
    ``problem_json_openapi`` sets the content of every error response)."""
    if 413 in codes:  # an operation with a body: one that is not UTF-8 cannot be read (400)
        codes = (400, *codes)
    return {code: {"description": WHY[code]} for code in sorted(codes)}


def problem_json_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx response of the document is ``application/problem+json`` with one schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    details = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(details.pop("$defs", {}))
    components["ProblemDetails"] = details
    ref = {"$ref": "#/components/schemas/ProblemDetails"}
    for item in schema.get("paths", {}).values():
        for op in item.values():
            for code, response in op.get("responses", {}).items():
                if str(code).startswith("4"):
                    response["content"] = {PROBLEM_JSON: {"schema": ref}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def _allowed_methods(request: Request) -> list[str]:
    """The methods the API document lists for this request's path (a path served by several
    routes, one per method, would otherwise name only the first)."""
    methods: set[str] = set()
    for template, item in request.app.openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, request.url.path):
            methods |= {m.upper() for m in item}
    return sorted(methods)


def _body_relative(error: Any) -> dict[str, Any]:
    """A request error located in the JSON body is a pointer into that body (``/scenario/name``);
    one in the query or a header keeps its place (``/query/offset``). A body that is not JSON
    at all has no field to point at."""
    e = dict(error)
    loc = tuple(e.get("loc", ()))
    if e.get("type") == "json_invalid":
        e["loc"] = ()
        e["msg"] = f"the body is not valid JSON: {e.get('ctx', {}).get('error', 'invalid')}"
    elif loc[:1] == ("body",):
        e["loc"] = loc[1:]
    return e


def _one(status: int, title: str, code: str, path: str, message: str, **extra: Any) -> JSONResponse:
    return problem_response(
        status, title, message, errors=[{"code": code, "path": path, "message": message}], **extra
    )


def _issues(
    title: str, what: str, issues: list[Issue], *, total: int | None = None
) -> JSONResponse:
    """A 422 listing ``issues`` (the first ``MAX_LISTED``) of ``total`` problems found in
    ``what``."""
    total = len(issues) if total is None else total
    errors = [{"code": p.code, "path": p.path, "message": p.message} for p in issues[:MAX_LISTED]]
    if total <= MAX_LISTED:
        return problem_response(422, title, f"{total} problem(s) in {what}", errors=errors)
    detail = f"{total} problem(s) in {what}; the first {MAX_LISTED} are listed"
    return problem_response(422, title, detail, errors=errors, errors_total=total)


def _candidates(candidates: tuple[Candidate, ...]) -> dict[str, Any]:
    if not candidates:
        return {}
    return {"candidates": [dataclasses.asdict(c) for c in candidates]}


async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
    code = f"unknown_{exc.kind.replace(' ', '_')}"
    return _one(404, "Not Found", code, exc.path, str(exc), **_candidates(exc.candidates))


async def _ambiguous(_: Request, exc: Ambiguous) -> JSONResponse:
    return _one(
        422, "Ambiguous place", "ambiguous_place", exc.path, str(exc), **_candidates(exc.candidates)
    )


async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
    return _one(409, "Conflict", exc.code, exc.path, exc.message)


async def _precondition(_: Request, exc: PreconditionFailed) -> JSONResponse:
    title = HTTPStatus(exc.status).phrase
    return _one(exc.status, title, exc.code, f"/header/{exc.header}", exc.message)


async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
    return _one(403, "Forbidden", exc.code, exc.path, exc.message)


async def _no_sea_path(_: Request, exc: NoSeaPath) -> JSONResponse:
    return problem_response(
        422,
        "No sea path",
        str(exc),
        errors=[{"code": "no_sea_path", "path": exc.path, "message": exc.reason}],
        origin=exc.origin,
        destination=exc.destination,
    )


async def _data_error(_: Request, exc: DataError) -> JSONResponse:
    return _issues("Invalid input", exc.source, exc.problems)


async def _routing_error(_: Request, exc: RoutingError) -> JSONResponse:
    return problem_response(422, "Routing error", str(exc))


async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    found = exc.errors()
    issues = error_issues([_body_relative(e) for e in found[:MAX_LISTED]])
    return _issues("Invalid request", "the request", issues, total=len(found))


HTTP_CODES = {
    400: "unreadable_body",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "body_timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
}


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # every method of the path, not only the first route's
        headers["Allow"] = ", ".join(_allowed_methods(request))
    known = exc.status_code in HTTPStatus._value2member_map_
    title = HTTPStatus(exc.status_code).phrase if known else "Error"
    code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return _one(exc.status_code, title, code, "", str(exc.detail), headers=headers)


async def _internal_error(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)  # the trace stays in the server log
    return problem_response(
        500,
        "Internal Server Error",
        "the service failed; the error is logged",
        errors=[{"code": "internal_error", "path": "", "message": "the service failed"}],
    )


HANDLERS: tuple[tuple[type[Exception], Any], ...] = (  # the most specific first
    (NotFound, _not_found),
    (Ambiguous, _ambiguous),
    (Conflict, _conflict),
    (Forbidden, _forbidden),
    (PreconditionFailed, _precondition),
    (NoSeaPath, _no_sea_path),
    (DataError, _data_error),
    (RoutingError, _routing_error),
    (RequestValidationError, _validation),
    (HTTPException, _http_error),
    (Exception, _internal_error),
)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to its problem+json answer (the one place that does)."""
    for kind, handler in HANDLERS:
        app.add_exception_handler(kind, handler)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by Content-Length or as they stream in;
    a body whose next piece does not come within ``timeout_s`` with 408; a request framed both
    by Content-Length and by Transfer-Encoding with 400 (RFC 9112 6.3: such a message may be an
    attempt to smuggle a request, and is not read)."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and b"transfer-encoding" in headers:
            await self._refuse(scope, receive, send, 400, "both_lengths")
            return
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send, 413, "too_large")
            return
        seen = 0
        body_in = False

        async def counted() -> Message:
            nonlocal seen, body_in
            if body_in:  # what comes after the body (the caller going) waits on the answer
                return await receive()
            try:
                async with asyncio.timeout(self.timeout_s):
                    message = await receive()
            except TimeoutError:
                raise _BodyTimeout(self.timeout_s) from None
            body_in = message["type"] != "http.request" or not message.get("more_body", False)
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send, 413, "too_large")
        except _BodyTimeout:
            await self._refuse(scope, receive, send, 408, "body_timeout")

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, code: str
    ) -> None:
        message = {
            "too_large": f"at most {self.max_bytes} bytes",
            "body_timeout": f"the body stopped coming for {self.timeout_s:g} s",
            "both_lengths": "Content-Length and Transfer-Encoding together: send one",
        }[code]
        detail = {
            "too_large": f"request bodies are limited to {self.max_bytes} bytes",
            "body_timeout": "the request's body did not arrive in full",
            "both_lengths": "the request is framed twice",
        }[code]
        path = "/header/Content-Length" if code == "both_lengths" else ""
        response = problem_response(
            status,
            {413: "Content Too Large"}.get(status, HTTPStatus(status).phrase),
            detail,
            errors=[{"code": code, "path": path, "message": message}],
            headers={"Connection": "close"} if status != 413 else None,
        )
        await response(scope, receive, send)


class _BodyTimeout(HTTPException):
    """Raised from the body stream when its next piece does not come in time (passed on by
    FastAPI as ``_TooLarge`` is)."""

    def __init__(self, timeout_s: float) -> None:
        why = f"the body stopped coming for {timeout_s:g} s"
        super().__init__(408, why, headers={"Connection": "close"})


class _TooLarge(HTTPException):
    """Raised from the body stream: FastAPI passes an HTTPException from reading the body on to
    the handler above (any other error there would become a 400)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request bodies are limited to {max_bytes} bytes")
