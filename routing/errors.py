"""The one small tree of named failures raised by the routing engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One thing wrong with an input: a stable code, where it is, and what is wrong."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.code}]"


class RoutingError(Exception):
    """Base of every error raised by ``routing``."""


class DataError(RoutingError, ValueError):
    """A dataset or input file is broken; carries every problem found, not just the first."""

    def __init__(self, problems: list[Issue], *, source: str = "dataset") -> None:
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s)\n{lines}")


class NotFound(RoutingError, KeyError):
    """An id that names nothing in the dataset."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r}")

    def __str__(self) -> str:
        return f"no {self.kind} with id {self.ident!r}"


class NoSeaPath(RoutingError):
    """No path by sea exists between two places (or one end cannot reach open water)."""

    def __init__(self, origin: str, destination: str, reason: str) -> None:
        self.origin = origin
        self.destination = destination
        self.reason = reason
        super().__init__(f"no sea path from {origin!r} to {destination!r}: {reason}")
