"""The stored scenarios' schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ScenarioRef(BaseModel):
    id: str
    name: str


class Scenarios(BaseModel):
    scenarios: list[ScenarioRef] = Field(..., description="Stored scenarios, newest first")
    bundled: list[str] = Field(..., description="The names of the bundled scenarios")


class StoredScenario(BaseModel):
    id: str
    name: str
    scenario: dict[str, Any] = Field(..., description="As in data/scenarios/*.toml")
