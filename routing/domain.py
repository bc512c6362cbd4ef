"""Frozen value types shared by the engine. Geometry is WGS84 lon/lat (shapely)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Island:
    code: str
    name: str
    source: str  # "gazetteer" or "osm_land"
    gazetteer_status: str | None  # "BP", "TBP" or None
    inhabited: bool
    inhabited_evidence: tuple[str, ...]
    area_km2: float | None
    area_km2_gazetteer: float | None
    osm_poly_id: int | None
    geometry_source: str  # "osm_land" or "gazetteer_point"
    shares_polygon_with: str | None
    district_codes: tuple[str, ...]
    districts: tuple[str, ...]
    village_seats: tuple[str, ...]
    is_madura_mainland: bool
    geometry: BaseGeometry = field(repr=False, compare=False)


@dataclass(frozen=True)
class LandingPoint:
    id: str
    lon: float
    lat: float
    source: str  # "registry_port" or "derived"
    island_code: str
    village_codes: tuple[str, ...]
    name: str
    depth_m: float | None
    registry_name: str | None
    registry_lon: float | None
    registry_lat: float | None
    offshore_m: float


@dataclass(frozen=True)
class Depot:
    id: str
    name: str
    lon: float
    lat: float
    registry_name: str
    registry_lon: float
    registry_lat: float
    source: str


VILLAGE_FIELDS = (
    "code",
    "name",
    "district_code",
    "district",
    "kind",
    "island_code",
    "tps",
    "tps_regular",
    "tps_special",
    "dpt_2019",
    "voters_est",
    "sea",
    "landing_point_id",
)
"""The scalar fields of a village, in the order the dataset stores them."""


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    district_code: str
    district: str
    kind: str  # "desa" or "kelurahan"
    island_code: str | None
    tps: int
    tps_regular: int
    tps_special: int
    dpt_2019: int
    voters_est: int
    sea: bool
    landing_point_id: str | None
    geometry: BaseGeometry = field(repr=False, compare=False)


@dataclass(frozen=True)
class Demand:
    """What one village (or any group of TPS) must receive."""

    tps: int
    voters: int
    ballots: int
    ballot_boxes: int
    weight_kg: float
    volume_m3: float


VESSEL_CLASS_NUMBERS = (
    "speed_kn",
    "capacity_kg",
    "capacity_m3",
    "draft_m",
    "length_m",
    "max_wave_m",
    "clearance_m",
    "cost_per_hour_idr",
    "cost_per_nm_idr",
    "load_rate_kg_per_h",
    "unload_rate_kg_per_h",
    "tender_rate_kg_per_h",
    "anchor_setup_min",
)
"""The numeric fields of a vessel class; each comes with a status and a source in the catalogue."""


@dataclass(frozen=True)
class Sourced:
    """Where a catalogue value comes from: verified, derived or assumed, and the source."""

    status: str
    source: str


@dataclass(frozen=True)
class VesselClass:
    id: str
    name: str
    speed_kn: float
    capacity_kg: float
    capacity_m3: float
    draft_m: float
    length_m: float
    berths_small_pier: bool
    max_wave_m: float
    clearance_m: float
    cost_per_hour_idr: float
    cost_per_nm_idr: float
    load_rate_kg_per_h: float
    unload_rate_kg_per_h: float
    tender_rate_kg_per_h: float
    anchor_setup_min: float
    sources: dict[str, Sourced] = field(compare=False, repr=False)
