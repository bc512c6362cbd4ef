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
