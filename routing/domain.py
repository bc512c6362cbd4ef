"""Frozen value types shared by the engine. Geometry is WGS84 lon/lat (shapely)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Budget:
    """How long a plan may take: a wall time (``seconds``, matrices and solving together; the
    default when none is given) or a number of solver iterations (deterministic, no clock),
    and the solver's seed. The one place the default and the floor are kept."""

    seconds: float | None = None
    iterations: int | None = None
    seed: int = 0

    DEFAULT_S: ClassVar[float] = 30.0
    """The wall-time budget of a plan when none is given."""
    FLOOR_S: ClassVar[float] = 0.5
    """The least the solver is given after the sea networks are ready, however long they took."""

    @property
    def wall_s(self) -> float | None:
        """The wall time the plan may take (None under an iteration budget)."""
        return None if self.iterations is not None else (self.seconds or self.DEFAULT_S)

    def deadline(self, started_monotonic: float) -> float | None:
        """The monotonic time the budget ends (None under an iteration budget)."""
        wall = self.wall_s
        return None if wall is None else started_monotonic + wall

    def left(self, elapsed_s: float) -> float | None:
        """The seconds left for solving after ``elapsed_s`` (at least ``FLOOR_S``)."""
        wall = self.wall_s
        return None if wall is None else max(self.FLOOR_S, wall - elapsed_s)


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


@dataclass(frozen=True)
class Vessel:
    """One ship or boat: an instance of a vessel class with a home depot and a window."""

    id: str
    class_id: str
    home_depot: str
    available_from: datetime
    available_until: datetime
    source: str = ""
    name: str = ""  # display name ("KRI Teluk Bintuni 520"); "" where none is known


@dataclass(frozen=True)
class Consignment:
    """What one stop hands over for one village: all its TPS kits or a share of them."""

    id: str
    village_code: str
    landing_id: str
    district_code: str
    tps: int
    ballot_boxes: int
    weight_kg: float
    volume_m3: float
    deadline: datetime
    part: int = 1
    parts: int = 1
    ready: datetime | None = None  # handover or pickup at the landing not before (closure, count)
    release: datetime | None = None  # at the depot not before (cargo brought back in a re-plan)


@dataclass(frozen=True)
class SeaArea:
    """A named stretch of water that wave forecasts refer to (lon/lat polygon)."""

    id: str
    name: str
    status: str
    source: str
    geometry: BaseGeometry = field(repr=False, compare=False)


@dataclass(frozen=True)
class WaveForecast:
    """Significant wave height forecast over one sea area for a time interval."""

    area_id: str
    start: datetime
    end: datetime
    wave_m: float
    source: str = ""


@dataclass(frozen=True)
class VillageName:
    """A village's name with its district and island, as people read them beside its code."""

    name: str
    district_code: str
    district: str
    island_code: str | None = None
    island: str | None = None


@dataclass(frozen=True)
class Names:
    """What people read beside the codes of a problem: vessels (and their classes), places
    (depots and landing points, each with its island), villages, districts and islands.

    Every lookup answers ``None`` for a code it does not know (a synthetic problem, a vessel
    without a display name), so a reader falls back to the code instead of inventing a name."""

    vessels: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    place_islands: dict[str, str] = field(default_factory=dict)  # place id -> island code
    villages: dict[str, VillageName] = field(default_factory=dict)
    districts: dict[str, str] = field(default_factory=dict)
    islands: dict[str, str] = field(default_factory=dict)

    def vessel(self, ident: str) -> str | None:
        return self.vessels.get(ident) or None

    def vessel_class(self, ident: str) -> str | None:
        return self.classes.get(ident)

    def place(self, ident: str) -> str | None:
        return self.places.get(ident)

    def island_of(self, place_id: str) -> tuple[str | None, str | None]:
        """The code and name of the island a place is on (``None, None`` where unknown)."""
        code = self.place_islands.get(place_id)
        return code, self.islands.get(code) if code else None

    def village(self, code: str) -> VillageName | None:
        return self.villages.get(code)

    def district(self, code: str) -> str | None:
        return self.districts.get(code)


@dataclass(frozen=True)
class SourcedValue:
    """A number with its status (verified, derived or assumed) and source."""

    value: float
    status: str
    source: str


@dataclass(frozen=True)
class Cargo:
    """What a trip takes of the election's cargo, each value with its status and source."""

    capacity_kg: SourcedValue
    capacity_m3: SourcedValue
    cutoff_h: SourcedValue
    freight_idr_per_kg: SourcedValue


@dataclass(frozen=True)
class SailingCall:
    stop_id: str
    stop_name: str
    arrival: datetime
    departure: datetime


@dataclass(frozen=True)
class Sailing:
    """One dated sailing of a trip."""

    trip_id: str
    route_id: str
    route_name: str
    service_date: date
    calls: tuple[SailingCall, ...]
    cargo: Cargo

    @property
    def departure(self) -> datetime:
        return self.calls[0].departure

    @property
    def key(self) -> str:
        """The sailing's id in a plan: its trip and service day (``dbs2-out@2024-02-06``)."""
        return f"{self.trip_id}@{self.service_date.isoformat()}"

    @property
    def cutoff(self) -> datetime:
        """When cargo must be on the quay: ``cutoff_h`` before departure."""
        return self.departure - timedelta(hours=self.cargo.cutoff_h.value)

    def to_json(self) -> dict[str, Any]:
        """The sailing as JSON values (times RFC 3339 with their offset)."""
        return {
            "trip_id": self.trip_id,
            "route_id": self.route_id,
            "route_name": self.route_name,
            "service_date": self.service_date.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "capacity_kg": self.cargo.capacity_kg.value,
            "capacity_m3": self.cargo.capacity_m3.value,
            "calls": [
                {
                    "stop_id": c.stop_id,
                    "stop_name": c.stop_name,
                    "arrival": c.arrival.isoformat(),
                    "departure": c.departure.isoformat(),
                }
                for c in self.calls
            ],
        }


@dataclass(frozen=True)
class Hub:
    """An island hub: a landing that scheduled sailings call at, from which the district
    offices (PPK) take the kits on, by their local boats (vessels whose home is the hub) or by
    road to the villages on the islands listed in ``road_m``."""

    landing_id: str
    districts: tuple[str, ...]
    transfer_s: int  # from the ship's arrival until the kits can go on (unloading, sorting)
    road_m: dict[str, float] = field(default_factory=dict)  # landing -> road metres from the hub
    road_speed_kmh: float = 25.0


@dataclass(frozen=True)
class HubLoad:
    """What a booked sailing lands at one hub."""

    stop_id: str
    consignments: tuple[str, ...]
    weight_kg: float
    volume_m3: float


@dataclass(frozen=True)
class Booking:
    """A scheduled sailing the plan books, with what it carries to each hub."""

    sailing: Sailing
    loads: tuple[HubLoad, ...]

    @property
    def weight_kg(self) -> float:
        return sum(h.weight_kg for h in self.loads)

    @property
    def volume_m3(self) -> float:
        return sum(h.volume_m3 for h in self.loads)

    @property
    def freight_idr(self) -> float:
        return self.weight_kg * self.sailing.cargo.freight_idr_per_kg.value


@dataclass(frozen=True)
class Onward:
    """A consignment taken on from its hub without a boat: by road to its village, or handed
    over at the hub itself (``mode`` "road" or "hub")."""

    consignment: str
    hub: str
    mode: str
    depart: datetime
    arrive: datetime  # the handover
    distance_m: float


@dataclass(frozen=True)
class OffSailing:
    """Why a consignment a hub serves is not on a scheduled sailing (it goes by a dispatched
    vessel, or stays unserved): ``code`` is no_sailing, cutoff, weather, capacity, too_late or
    local_boats."""

    consignment: str
    hub: str
    code: str
    message: str


@dataclass(frozen=True)
class Problem:
    """Everything the solver needs, as plain values.

    Times inside the solver are whole seconds from ``start``. ``daylight`` is the local
    (``start``'s offset) window for landings, as seconds after midnight.
    """

    name: str
    start: datetime
    depots: tuple[str, ...]
    vessels: tuple[Vessel, ...]
    classes: dict[str, VesselClass]
    consignments: tuple[Consignment, ...]
    daylight: tuple[int, int]
    berths: frozenset[str] = frozenset()  # landings where any ship can come alongside
    depths_m: dict[str, float] = field(default_factory=dict)  # known landing depths only
    # what the sources say of a landing's water (tide, exposure, reefs), known depth or not
    water_notes: dict[str, str] = field(default_factory=dict)
    keel_ratio: float = 1.0  # least depth a vessel needs / its draft (data/fleet.toml)
    hazards_version: str = ""  # routing.inputs.hazards.version_of the hazards the networks avoid
    unverified_hazards: bool = False  # the networks avoid unverified hazards too
    ship_hour_idr: float = 5_000_000.0  # objective weight of one ship-hour, any vessel
    direction: str = "outbound"  # "return": consignments are collected and brought to a depot
    sea_areas: tuple[SeaArea, ...] = ()
    forecast: tuple[WaveForecast, ...] = ()
    # no handover at a landing from start to end (None: to the end of the plan)
    landing_closures: tuple[tuple[str, datetime, datetime | None], ...] = ()
    names: Names = field(default_factory=Names)  # what people read beside the codes
    # two echelons: the scheduled sailings in the plan's window, the hubs they reach (whose
    # local boats are among ``vessels``, home at the hub), the feed's version, the wave height
    # that holds a sailing, and the sea areas each trip crosses
    sailings: tuple[Sailing, ...] = ()
    hubs: tuple[Hub, ...] = ()
    timetable: str = ""
    sailing_max_wave_m: float = 2.5
    sailing_areas: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def dispatched(self) -> tuple[Vessel, ...]:
        """The vessels the planner sends where it likes (all but the hubs' local boats)."""
        hubs = {h.landing_id for h in self.hubs}
        return tuple(v for v in self.vessels if v.home_depot not in hubs)

    def can_berth(self, vessel_class: VesselClass, landing_id: str) -> bool:
        """Alongside a pier (True) or at anchor, unloading by tender (False): alongside where
        the class berths at small piers or the landing is a public port, unless the landing's
        known depth is less than the class needs (its draft times ``keel_ratio``)."""
        alongside = vessel_class.berths_small_pier or landing_id in self.berths
        depth = self.depths_m.get(landing_id)
        return alongside and (depth is None or depth >= vessel_class.draft_m * self.keel_ratio)

    def seconds(self, when: datetime) -> int:
        return int((when - self.start).total_seconds())

    def at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=round(seconds))


@dataclass(frozen=True)
class SolvedTrip:
    """One trip of a vessel as a solver returns it: out of a depot, consignments in order, back
    to a depot (not yet timed)."""

    start_depot: str
    consignments: tuple[str, ...]
    end_depot: str


def join_trips(trips: Sequence[SolvedTrip]) -> list[SolvedTrip]:
    """A route's trips without those that carry nothing, the others joined up: the first starts
    where the route starts, each ends where the next one loads, the last where the route ends.

    A depot call with nothing handed over before the next depot call (a reload at one depot,
    then at another; or a trip whose every consignment was taken out) is no trip. Kept out
    without joining, the voyage would sail to one depot and load at another with no leg between.
    Every depot may load any consignment (the solver reloads at any of them), so loading at
    the depot the vessel is at is no worse than sailing on empty to another.
    """
    loaded = [t for t in trips if t.consignments]
    if not loaded:
        return []
    starts = [trips[0].start_depot] + [t.start_depot for t in loaded[1:]]
    ends = [t.start_depot for t in loaded[1:]] + [trips[-1].end_depot]
    return [
        dataclasses.replace(t, start_depot=a, end_depot=b)
        for t, a, b in zip(loaded, starts, ends, strict=True)
    ]


@dataclass(frozen=True)
class SolvedRoute:
    """A vessel's trips as a solver returns them; the schedule times them."""

    vessel_id: str
    trips: tuple[SolvedTrip, ...]


@dataclass(frozen=True)
class Stop:
    """A call at a depot (loading) or a landing (handover), with its times and manifest."""

    kind: str  # "depot" or "landing"
    id: str
    trip: int
    arrival: datetime
    work_start: datetime  # loading or unloading starts (after a daylight wait)
    work_end: datetime
    departure: datetime
    consignments: tuple[str, ...]
    village_codes: tuple[str, ...]
    tps: int
    ballot_boxes: int
    load_kg: float  # loaded at a depot, handed over at a landing
    load_m3: float
    access: str  # "depot", "berth" or "tender"
    wait_s: int  # waiting for daylight (or for the cargo to be ready)
    operation: str = ""  # "load", "unload", "handover", "collect", "start" or "" (end)
    hold_s: int = 0  # held before departure by the weather on the next leg
    hold_reason: str = ""
    hold_area: str = ""  # the sea area whose waves hold it
    hold_wave_m: float | None = None  # the forecast wave height there


@dataclass(frozen=True)
class Leg:
    origin: str
    destination: str
    trip: int
    depart: datetime
    arrive: datetime
    distance_m: float
    coords: tuple[tuple[float, float], ...]
    note: str = ""  # e.g. a detour around sea areas closed by the weather


@dataclass(frozen=True)
class Voyage:
    """One vessel's itinerary: its trips, as stops and the legs between them."""

    vessel_id: str
    class_id: str
    stops: tuple[Stop, ...]
    legs: tuple[Leg, ...]

    @property
    def trips(self) -> int:
        """How many trips hand over (or collect) something; trips are numbered from 1."""
        return len({s.trip for s in self.stops if s.kind == "landing"})


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    vessels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unassigned:
    village_code: str
    consignments: tuple[str, ...]
    tps: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Plan:
    status: str  # "completed" or "infeasible"
    problem: Problem
    voyages: tuple[Voyage, ...]
    unassigned: tuple[Unassigned, ...]
    delivered: dict[str, datetime]  # consignment id -> end of its handover
    objective: float
    seed: int
    engine: str
    iterations: int
    sailings: tuple[Booking, ...] = ()  # scheduled sailings booked (two echelons)
    onward: tuple[Onward, ...] = ()  # consignments taken on from a hub by road or at the hub
    off_sailings: tuple[OffSailing, ...] = ()  # why a hub's consignment is not on a sailing
