"""The dataset's record schemas: villages, landing points, vessel classes, matrices."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.models import Number


class LandingPointRef(BaseModel):
    id: str
    lon: Number
    lat: Number
    source: str
    depth_m: Number | None


class VillageRecord(BaseModel):
    """A village with its demand."""

    code: str
    name: str
    district_code: str
    district: str
    kind: str = Field(..., description="desa or kelurahan")
    island_code: str | None
    tps: int
    tps_regular: int
    tps_special: int
    dpt_2019: int
    voters_est: int
    ballots: int
    ballot_boxes: int
    weight_kg: Number
    volume_m3: Number
    sea: bool
    landing_point: LandingPointRef | None


class Villages(BaseModel):
    count: int
    villages: list[VillageRecord]


class SourcedValue(BaseModel):
    status: str = Field(..., description="verified, derived or assumed")
    source: str


class VesselClassRecord(BaseModel):
    """A vessel class with the source of every value."""

    id: str
    name: str
    speed_kn: Number
    capacity_kg: Number
    capacity_m3: Number
    draft_m: Number
    length_m: Number
    max_wave_m: Number
    clearance_m: Number
    cost_per_hour_idr: Number
    cost_per_nm_idr: Number
    load_rate_kg_per_h: Number
    unload_rate_kg_per_h: Number
    tender_rate_kg_per_h: Number
    anchor_setup_min: Number
    berths_small_pier: bool
    sources: dict[str, SourcedValue] = Field(..., description="Field name -> where it comes from")


class MatrixRecord(BaseModel):
    """Integer metres and seconds between all depots and landing points; null: unreachable."""

    vessel_class: str
    ids: list[str]
    distance_m: list[list[int | None]]
    duration_s: list[list[int | None]]
    unreachable_pairs: int
