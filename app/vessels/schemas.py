"""A vessel's record as the API shows it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class VesselRecord(BaseModel):
    """A vessel with its class, home depot, availability window and active flag."""

    id: str
    vessel_class: str
    home_depot: str
    available_from: str = Field(..., description="RFC 3339")
    available_until: str = Field(..., description="RFC 3339")
    active: bool
    source: str
