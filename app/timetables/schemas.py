"""The timetables' schemas: a stored feed, its sailings, the list and a check."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.errors import ProblemItem


class StopRef(BaseModel):
    id: str
    name: str


class SailingCall(BaseModel):
    stop_id: str
    stop_name: str
    arrival: str = Field(..., description="RFC 3339, WIB")
    departure: str = Field(..., description="RFC 3339, WIB")


class SailingRecord(BaseModel):
    """One dated sailing of a trip, with its cargo terms."""

    trip_id: str
    route_id: str
    route_name: str
    service_date: str
    cutoff: str = Field(..., description="When the cargo must be on the quay (RFC 3339)")
    capacity_kg: float
    capacity_m3: float
    calls: list[SailingCall]


class TimetableSummary(BaseModel):
    """A stored feed: its version, dates, trips, stops and how many sailings it has."""

    id: str
    name: str
    version: str
    first_day: str
    last_day: str
    trips: int
    stops: list[StopRef]
    sailings: int = Field(..., description="Dated sailings from first_day to last_day")
    created_at: str = Field(..., description="RFC 3339")
    links: dict[str, str]


class TimetableDetail(TimetableSummary):
    sailings: list[SailingRecord]  # type: ignore[assignment]


class TimetableRef(BaseModel):
    id: str
    name: str
    version: str
    created_at: str
    links: dict[str, str]


class TimetableList(BaseModel):
    timetables: list[TimetableRef]


class TimetableCheck(BaseModel):
    """A feed's check without storing it."""

    valid: bool
    errors: list[ProblemItem]
    version: str | None = None
    trips: int | None = None
