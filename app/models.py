"""Schema types the domains share: budgets, GeoJSON features, numbers. Each domain keeps its
own request and answer schemas in its ``schemas`` module (``app.plans.schemas``, ...)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictFloat, StrictInt

from routing.inputs.schema import WHOLE

Seconds = Annotated[
    StrictFloat, Field(gt=0, le=86_400, allow_inf_nan=False, description="Wall-time budget, s")
]


Iterations = Annotated[
    StrictInt, Field(gt=0, le=10**9, description="Iteration budget instead (deterministic)"), WHOLE
]


Seed = Annotated[StrictInt, Field(ge=0, le=2**31 - 1), WHOLE]


Wait = Annotated[
    StrictFloat,
    Field(ge=0, le=3600, allow_inf_nan=False, description="Seconds to wait (GET /limits)"),
]


Number = int | float


class Feature(BaseModel):
    """A GeoJSON Feature (RFC 7946)."""

    type: Literal["Feature"]
    id: str | None = None
    geometry: dict[str, Any] | None = Field(..., description="A GeoJSON geometry")
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection (RFC 7946)."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
