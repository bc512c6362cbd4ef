"""The hazards' schemas: a hazard in force, the collection, a change and the history."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class HazardFeature(BaseModel):
    """A hazard in force as a GeoJSON Feature; its properties carry its id, kind, status,
    source and ``last_change`` (null: as the file has it)."""

    type: Literal["Feature"]
    properties: dict[str, Any]
    geometry: dict[str, Any] = Field(..., description="A GeoJSON Polygon or MultiPolygon")


class HazardCollection(BaseModel):
    """The hazards in force as a GeoJSON FeatureCollection, with their version and revision."""

    type: Literal["FeatureCollection"]
    version: str
    revision: int
    features: list[HazardFeature]


class HazardChange(BaseModel):
    revision: int
    hazard_id: str
    action: str = Field(..., description="set or withdraw")
    reason: str | None
    recorded_by: str | None
    recorded_by_name: str | None
    recorded_at: str = Field(..., description="RFC 3339")
    feature: dict[str, Any] | None = Field(..., description="The hazard as set; null: withdrawn")


class HazardHistory(BaseModel):
    changes: list[HazardChange]
