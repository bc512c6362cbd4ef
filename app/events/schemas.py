"""The field events' record schemas and the event types."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EventRecord(BaseModel):
    """A stored field event: its columns, what it carried (``at``, ``boxes``, ``condition``,
    ``receiver``, ``receiver_position``, ``reason``, as posted) and the key that recorded it."""

    id: int
    vessel_id: str | None = Field(..., description="The vessel whose voyage it is, or null")
    sailing_id: str | None = Field(..., description="The booked sailing it follows, or null")
    stop: int
    type: str
    idempotency_key: str | None
    recorded_at: str = Field(..., description="When it reached the service (RFC 3339)")
    recorded_by: str | None = Field(..., description="The id of the key that posted it")
    recorded_by_name: str | None

    model_config = ConfigDict(extra="allow")


class Events(BaseModel):
    events: list[EventRecord]


class EventTypeLabels(BaseModel):
    id: str = Field(..., description="Indonesian")
    en: str = Field(..., description="English")


class EventTypeRecord(BaseModel):
    type: str
    labels: EventTypeLabels
    required: list[str] = Field(..., description="Fields an event of this type must carry")
    stops: list[str] = Field(..., description="The kinds of stop it fits")
    note: bool = Field(..., description="A note (moves nothing)")
