"""Conditional writes (RFC 9110 section 13): the ETag of a resource a person edits, and the
``If-Match`` / ``If-None-Match`` of a change to it, checked inside the change's own transaction
so that two people correcting one resource cannot lose a change without a word."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=2000,
        description="The ETag of the resource as read (GET); required to change one that "
        "exists (428 without it, 412 when it changed since)",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=2000,
        description="`*`: create only (412 when it exists already)",
    ),
]


def etag_header(what: str) -> dict[str, dict[str, object]]:
    """The OpenAPI description of the ETag header an answer about ``what`` carries."""
    return {
        "ETag": {
            "description": f"The {what}'s entity tag: send it as If-Match with a change",
            "schema": {"type": "string"},
        }
    }


class PreconditionFailed(Exception):
    """A change whose precondition does not hold (412), or that needs one (428): a stable
    code, the header at fault and why."""

    def __init__(self, status: int, code: str, header: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.header = header
        self.message = message


def etag(*parts: str) -> str:
    """A strong entity tag: a hash of what identifies the resource's state."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return f'"{h.hexdigest()[:24]}"'


def _tags(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


@dataclass(frozen=True)
class Preconditions:
    """What a request says of the state it expects (its ``If-Match`` / ``If-None-Match``)."""

    if_match: str | None = None
    if_none_match: str | None = None

    def check(self, current: str | None, *, what: str, required: bool) -> None:
        """Raise ``PreconditionFailed`` unless the change may go ahead.

        ``current`` is the resource's ETag now (None: there is none); ``required``: a change
        to it needs ``If-Match`` (428 without).
        """
        if self.if_match is not None:
            tags = _tags(self.if_match)
            # Strong comparison: a weak tag (W/"...") never matches.
            if current is None or not ("*" in tags or current in tags):
                now = "does not exist" if current is None else f"is now at ETag {current}"
                raise PreconditionFailed(
                    412,
                    "precondition_failed",
                    "If-Match",
                    f"{what} changed since it was read: it {now}; read it again (GET), "
                    "apply the change to what is in force and send its ETag",
                )
        if self.if_none_match is not None and current is not None:
            tags = [t.removeprefix("W/") for t in _tags(self.if_none_match)]
            if "*" in tags or current in tags:
                raise PreconditionFailed(
                    412,
                    "exists",
                    "If-None-Match",
                    f"{what} exists already (ETag {current}); to change it send If-Match "
                    "with its ETag",
                )
        if required and self.if_match is None:
            raise _required(what)

    def lost(self, what: str) -> PreconditionFailed:
        """Another change made the resource exist, or changed it, between this change's read and
        its write (412, naming the header that said what was expected)."""
        header = "If-None-Match" if self.if_match is None and self.if_none_match else "If-Match"
        return PreconditionFailed(
            412,
            "exists" if header == "If-None-Match" else "precondition_failed",
            header,
            f"{what} was set by another change meanwhile; read it (GET) and send If-Match "
            "with its ETag",
        )


def _required(what: str) -> PreconditionFailed:
    """A change to a resource that exists, without ``If-Match`` (428)."""
    return PreconditionFailed(
        428,
        "precondition_required",
        "If-Match",
        f"{what} exists: read it (GET), and send its ETag as If-Match with the change, so "
        "that a change made meanwhile is not overwritten",
    )
