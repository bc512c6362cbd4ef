"""The one small tree of named failures raised by the routing engine."""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True)
class Candidate:
    """A place a query might have meant: its name, kind (depot, landing, district, island,
    village) and id, with the district(s) it lies in to tell namesakes apart."""

    name: str
    kind: str
    id: str
    district: str = ""

    def __str__(self) -> str:
        where = f", {self.district}" if self.district else ""
        return f"{self.name} ({self.kind} {self.id}{where})"


class NotFound(RoutingError, KeyError):
    """An id (or name) that names nothing in the dataset; ``candidates`` are the places it may
    have meant, ``path`` the input that held it (a JSON pointer, ``''`` when unknown)."""

    def __init__(
        self,
        kind: str,
        ident: str,
        candidates: Sequence[Candidate] = (),
        *,
        by: str = "id",
        path: str = "",
    ) -> None:
        self.kind = kind
        self.ident = ident
        self.candidates = tuple(candidates)
        self.by = by
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        message = f"no {self.kind} with {self.by} {self.ident!r}"
        if self.candidates:
            message += "; did you mean: " + "; ".join(map(str, self.candidates))
        return message


class Ambiguous(RoutingError):
    """A name that fits several places equally well; ``candidates`` lists them."""

    def __init__(self, query: str, candidates: Sequence[Candidate], *, path: str = "") -> None:
        self.query = query
        self.candidates = tuple(candidates)
        self.path = path
        listed = "; ".join(map(str, self.candidates))
        super().__init__(
            f"{query!r} names {len(self.candidates)} places: {listed}; give one of their ids"
        )


class NoSeaPath(RoutingError):
    """No path by sea exists between two places (or one end cannot reach open water)."""

    def __init__(self, origin: str, destination: str, reason: str, *, path: str = "") -> None:
        self.origin = origin
        self.destination = destination
        self.reason = reason
        self.path = path  # the input that named the place (``/query/to``), where known
        super().__init__(f"no sea path from {origin!r} to {destination!r}: {reason}")

    @classmethod
    def unreachable(cls, place: str, reason: str, *, path: str = "") -> NoSeaPath:
        """One place no sea path reaches (on land, or only through land), named alone."""
        error = cls(place, place, reason, path=path)
        error.args = (f"{place!r} cannot be reached by sea: {reason}",)
        return error
