"""The API keys' schemas (the key itself is shown once, when made)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class KeyRecord(BaseModel):
    """An API key as listed (never the key itself)."""

    id: str
    role: str = Field(..., description="planner, field or viewer")
    name: str
    created_at: str = Field(..., description="RFC 3339")
    expires_at: str | None
    revoked_at: str | None
    state: str = Field(..., description="active, expired or revoked")
    vessel_id: str | None
    plan_id: str | None


class KeyList(BaseModel):
    keys: list[KeyRecord]


class NewKey(KeyRecord):
    """A key just issued: the only answer that shows the key itself."""

    key: str
    field_url: str | None = Field(
        None, description="A field key bound to a vessel: the field page's link with the key"
    )
    qr_svg: str | None = Field(None, description="That link as a QR code (an SVG document)")
