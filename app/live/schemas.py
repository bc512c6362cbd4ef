"""The live status's schema: per voyage, per village and per district."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.models import Number


class VoyageStatus(BaseModel):
    """Where a voyage is: its current stop (null once finished), its state and delay."""

    vessel_id: str
    vessel_name: str | None
    vessel_class: str
    vessel_class_name: str | None
    stops: int = Field(..., description="How many stops the voyage has")
    current_stop: int | None
    current_place: str | None
    current_place_name: str | None
    current_state: str
    delay_h: Number
    last_event_at: str | None = Field(..., description="RFC 3339")
    warnings: list[dict[str, Any]] = Field(..., description="This vessel's events left out")


class VesselRef(BaseModel):
    vessel_id: str
    vessel_name: str | None


class VillageStatus(BaseModel):
    code: str
    name: str | None
    tps_delivered: int
    tps_total: int
    vessels: list[VesselRef]


class DistrictStatus(BaseModel):
    """A district's TPS delivered of total, the ETA of what is still to come against its
    deadline, and whether it is at risk."""

    district_code: str
    district_name: str | None
    tps_delivered: int
    tps_total: int
    eta: str | None = Field(..., description="RFC 3339")
    deadline: str | None = Field(..., description="RFC 3339")
    margin_h: Number | None
    at_risk: bool
    villages: list[VillageStatus]


class UnassignedVillage(BaseModel):
    code: str
    name: str | None
    district_code: str | None
    district_name: str | None
    tps: int


class PlanStatus(BaseModel):
    """A plan's live status: per voyage where it is, per district TPS delivered of total, ETA
    against deadline and risk (all but ``plan_id`` and ``phase`` once the plan has a result)."""

    plan_id: str
    phase: str
    status: str | None = None
    tps_delivered: int | None = None
    tps_total: int | None = None
    voyages: list[VoyageStatus] | None = None
    districts: list[DistrictStatus] | None = None
    unassigned: list[str] | None = Field(None, description="Village codes not served")
    unassigned_villages: list[UnassignedVillage] | None = None
    warnings: list[dict[str, Any]] | None = Field(None, description="Events left out, and why")
    stop_states: dict[str, str] | None = Field(None, description="vessel_id/stop -> its state")
