"""The typed plan document: plan.json as frozen types, written once by the exporter and read by
everyone else (CSV and GeoJSON writers, field log, re-planner, API, dashboard).

The types follow plan.json key for key and in its order, so ``PlanDocument.to_json()`` is the
dict ``json.dumps`` writes, byte for byte as before the types existed. Units stay in the names
(``_h``, ``_kg``, ``_m3``, ``_nm``, ``_idr``). Times are RFC 3339 strings with their UTC offset,
written as ``datetime.isoformat`` writes them (``+07:00``, ``+00:00``, never ``Z``). Numbers keep
what they were written as: a whole ``load_kg`` stays ``0``, not ``0.0``. A plan the solver found
no feasible solution for has ``objective`` null (JSON has no infinity, and a reader such as a
browser or the service's own JSON answers refuses ``Infinity``).

Trips are not a level of their own: every stop and leg carries the number of its trip
(``trip``, from 1: one loading at a depot up to the next; the sail home after the last loading
belongs to the last trip), ``Voyage.trips`` counts them and ``Voyage.cargo_at`` says what is on
board. Names stand beside the codes (``vessel_name``, ``name``, ``village_name``,
``district_name``, ...); they are null only in documents stored before names were written. A
re-plan adds ``replan`` (its state time, the vessels out of service, what was delivered before
it and what changed); a capacity plan's stored result is a ``CapacityDocument``: the capacity
report with the plan itself under ``plan``.

``plan_schema()`` and ``capacity_schema()`` are the JSON Schemas (draft 2020-12) generated from
the types, served at ``GET /schemas/plan.json`` and ``GET /schemas/capacity.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictInt,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from routing.errors import DataError, Issue

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$"
"""An RFC 3339 time with its offset, as the schema checks it (``datetime.isoformat`` output)."""


def _time(value: object) -> datetime:
    """A datetime as is, or one parsed from an ISO 8601 string; anything else is refused (not a
    Unix timestamp, as pydantic would otherwise take a number)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("bad_time", "must be an RFC 3339 time with its UTC offset")


def _iso(value: datetime) -> str:
    return value.isoformat()


def _number(value: object) -> float:
    """An int or a float, kept as it is (so ``0`` is written ``0`` again); not a bool or a
    string."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("bad_value", "must be a number")
    return value


def _same(value: float) -> Any:
    return value


Time = Annotated[
    AwareDatetime,
    BeforeValidator(_time),
    PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339}),
]
"""A time with its UTC offset; RFC 3339 in JSON, exactly as ``datetime.isoformat`` writes it."""

Number = Annotated[
    float, PlainValidator(_number), PlainSerializer(_same), WithJsonSchema({"type": "number"})
]
"""A JSON number: an int stays an int and a float a float, as plan.json has them."""

Position = tuple[Number, Number]
"""GeoJSON position: longitude, latitude (WGS84 degrees)."""

PlanStatus = Literal["completed", "infeasible"]
Direction = Literal["outbound", "return"]
StopKind = Literal["depot", "landing", "start"]
Access = Literal["depot", "berth", "tender", "start"]
Operation = Literal["load", "unload", "handover", "collect", "start", ""]
ReasonCode = Literal[
    "NO_SEA_PATH",
    "DRAFT_TOO_DEEP",
    "DEMAND_EXCEEDS_CAPACITY",
    "LANDING_CLOSED",
    "WEATHER_WINDOW_CLOSED",
    "DEADLINE_UNREACHABLE",
    "FLEET_EXHAUSTED",
    "TRADE_OFF",
    "NO_SAILING",
]
"""The stable codes of ``routing.explain``."""


Name = Annotated[
    str | None,
    Field(
        default=None,
        description="The name people read beside the code; null where none is known (a plan "
        "stored before names were written, a synthetic problem)",
    ),
]
"""A name beside a code."""


def district_of(village_code: str) -> str:
    """The district (kecamatan) code a village code starts with: "35.29.08.2006" gives
    "35.29.08" (Kemendagri codes: province, regency, district, village)."""
    return ".".join(village_code.split(".")[:3])


class Frozen(BaseModel):
    """Base of the document's types: immutable, and no key it does not know."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """The value as JSON values, keyed as in plan.json."""
        return self.model_dump(mode="json", by_alias=True)


class Aliased(Frozen):
    """A type with a key that is a Python keyword (``from``): the field ends in ``_``; built
    by field name in code, read and written by its key."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True)


# --- voyages ----------------------------------------------------------------------------------


class ManifestItem(Frozen):
    """One consignment handed over (or collected) at a stop."""

    consignment: str
    village_code: str
    village_name: Name
    district_code: str | None = None
    district_name: Name
    tps: StrictInt
    ballot_boxes: StrictInt
    weight_kg: Number
    volume_m3: Number
    deadline: Time


class Village(Frozen):
    """A village called at, with its name and district."""

    code: str
    name: Name
    district_code: str | None = None
    district_name: Name


class Stop(Frozen):
    """A call at a depot (loading or unloading), a landing (handover or collection) or, first
    in a re-planned voyage under way, where the vessel was (``start``)."""

    kind: StopKind
    id: str
    name: Name
    island_code: str | None = None
    island_name: Name
    trip: StrictInt
    village_codes: tuple[str, ...]
    villages: tuple[Village, ...] = ()
    consignments: tuple[str, ...]
    arrival: Time
    work_start: Time
    work_end: Time
    departure: Time
    access: Access
    operation: Operation
    daylight_wait_h: Number
    weather_hold_h: Number
    hold_reason: str
    tps: StrictInt
    ballot_boxes: StrictInt
    load_kg: Number
    load_m3: Number
    manifest: tuple[ManifestItem, ...]
    # At a landing: the least depth alongside where a source gives it (null: not known), and
    # what the sources say of the water there (data/landing_depths.csv); absent before them.
    depth_alongside_m: Number | None = None
    water_note: str | None = None


class LineString(Frozen):
    """GeoJSON LineString (RFC 7946)."""

    type: Literal["LineString"]
    coordinates: tuple[Position, ...]


class Leg(Aliased):
    """A passage by sea between two consecutive places of a voyage."""

    from_: str = Field(validation_alias="from", serialization_alias="from")
    from_name: Name
    to: str
    to_name: Name
    trip: StrictInt
    depart: Time
    arrive: Time
    distance_nm: Number
    note: str
    geometry: LineString


class Voyage(Frozen):
    """One vessel's itinerary: its stops in order and the legs between them."""

    vessel_id: str
    vessel_name: Name
    vessel_class: str
    vessel_class_name: Name
    hub: str | None = Field(None, description="A district office's local boat: its hub")
    trips: StrictInt
    stops: tuple[Stop, ...]
    legs: tuple[Leg, ...]

    def cargo_at(self, index: int) -> tuple[str, ...]:
        """What the trip under way at a stop carries.

        Parameters
        ----------
        index : int
            The stop's index in the voyage.

        Returns
        -------
        tuple of str
            The consignments loaded at the last depot call at or before the stop, or, in a
            re-planned voyage that starts at sea with cargo on board, before its first depot
            call, those it hands over on the way; nothing at a depot call that loads nothing.
        """
        for s in reversed(self.stops[: index + 1]):
            if s.kind == "depot":
                return s.consignments
            if s.kind == "start":
                out: list[str] = []
                for later in self.stops[1:]:
                    if later.kind == "depot":
                        break
                    out.extend(later.consignments)
                return tuple(out)
        return ()


# --- unserved villages and KPIs ---------------------------------------------------------------


class Reason(Frozen):
    """Why a village is not served, and the vessels the reason applies to."""

    code: ReasonCode
    message: str
    vessels: tuple[str, ...]
    vessel_names: tuple[str | None, ...] = ()


class Unassigned(Frozen):
    """A village the plan does not serve, with its consignments and the reasons."""

    village_code: str
    village_name: Name
    district_code: str | None = None
    district_name: Name
    consignments: tuple[str, ...]
    tps: StrictInt
    reasons: tuple[Reason, ...]


class DistrictKpi(Frozen):
    """Delivery against the deadline in one district (``delivered_by``: last handover)."""

    district_code: str
    district_name: Name
    deadline: Time
    tps: StrictInt
    tps_delivered: StrictInt
    delivered_by: Time | None
    margin_h: Number | None


class Kpis(Frozen):
    """Makespan from the planning start, ship-hours, distance, costs and delivery."""

    makespan_h: Number
    ship_hours: Number
    distance_nm: Number
    fuel_cost_idr: StrictInt
    ship_time_cost_idr: StrictInt
    vessels_used: StrictInt
    trips: StrictInt
    tps_delivered: StrictInt
    tps_total: StrictInt
    min_margin_h: Number | None
    districts: tuple[DistrictKpi, ...]
    freight_idr: StrictInt = Field(0, description="Scheduled sailings' freight, IDR")
    tps_by_sailing: StrictInt = Field(
        0, description="TPS whose kits ride a scheduled sailing to their hub"
    )


# --- weather ----------------------------------------------------------------------------------


class Polygon(Frozen):
    """GeoJSON Polygon (RFC 7946)."""

    type: Literal["Polygon"]
    coordinates: tuple[tuple[Position, ...], ...]


class MultiPolygon(Frozen):
    """GeoJSON MultiPolygon (RFC 7946)."""

    type: Literal["MultiPolygon"]
    coordinates: tuple[tuple[tuple[Position, ...], ...], ...]


class WaveForecast(Frozen):
    """A significant wave height forecast over a sea area for a time interval."""

    start: Time
    end: Time
    wave_m: Number
    source: str


class SeaAreaProperties(Frozen):
    """A sea area's name, the status and source of its boundary, and its forecasts."""

    id: str
    name: str
    status: str
    source: str
    forecast: tuple[WaveForecast, ...]


class SeaArea(Frozen):
    """A named sea area as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: str
    geometry: Annotated[Polygon | MultiPolygon, Field(discriminator="type")]
    properties: SeaAreaProperties


class SeaAreas(Frozen):
    """The sea areas forecasts refer to, as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"]
    features: tuple[SeaArea, ...]


class WeatherHold(Aliased):
    """A vessel held at a stop (``stop``: its index in the voyage) before a leg the waves close."""

    vessel_id: str
    vessel_name: Name
    stop: StrictInt
    at: str
    at_name: Name
    from_: Time = Field(validation_alias="from", serialization_alias="from")
    until: Time
    hours: Number
    reason: str
    area_id: str | None = Field(default=None, description="The sea area whose waves hold it")
    area_name: Name
    wave_m: Number | None = Field(default=None, description="The forecast wave height there")


class ClosedLanding(Aliased):
    """A landing closed to handovers from a time (``until`` null: to the end of the plan)."""

    landing_id: str
    landing_name: Name
    from_: Time = Field(validation_alias="from", serialization_alias="from")
    until: Time | None


class Weather(Frozen):
    """The forecast over the sea areas, the holds it causes and the closed landings."""

    sea_areas: SeaAreas
    holds: tuple[WeatherHold, ...]
    closed_landings: tuple[ClosedLanding, ...]


# --- re-plan ----------------------------------------------------------------------------------


class Delivered(Frozen):
    """A consignment handed over before the re-plan, and when."""

    consignment: str
    handed_over: Time


class Moved(Frozen):
    """A consignment now handed over by another vessel."""

    consignment: str
    village_code: str
    village_name: Name
    from_vessel: str
    from_vessel_name: Name
    to_vessel: str
    to_vessel_name: Name
    old_handover: Time
    new_handover: Time
    delta_h: Number


class Retimed(Frozen):
    """A consignment handed over by the same vessel more than half an hour earlier or later."""

    consignment: str
    village_code: str
    village_name: Name
    vessel: str
    vessel_name: Name
    old_handover: Time
    new_handover: Time
    delta_h: Number


class NowUnserved(Frozen):
    """A consignment the old plan served and the new one does not."""

    consignment: str
    village_code: str
    village_name: Name
    from_vessel: str
    from_vessel_name: Name


class NowServed(Frozen):
    """A consignment the new plan serves and the old one did not."""

    consignment: str
    village_code: str
    village_name: Name
    to_vessel: str
    to_vessel_name: Name


class ReplanDiff(Frozen):
    """What the new plan changes against the old one (delivered consignments left out)."""

    as_of: Time
    delivered_before: StrictInt
    unchanged: StrictInt
    moved: tuple[Moved, ...]
    retimed: tuple[Retimed, ...]
    now_unserved: tuple[NowUnserved, ...]
    now_served: tuple[NowServed, ...]
    villages_moved: tuple[str, ...]


class Replan(Frozen):
    """How a re-plan came about: its state time, the vessels out of service (from when), those
    gone at the state time, what was delivered before it, and the change against the old plan."""

    as_of: Time
    out_of_service: dict[str, Time]
    vessels_gone: tuple[str, ...]
    delivered_before: tuple[Delivered, ...]
    diff: ReplanDiff


# --- the documents ----------------------------------------------------------------------------


def _issues(exc: ValidationError) -> list[Issue]:
    codes = {
        "missing": "missing_field",
        "extra_forbidden": "unknown_field",
        "timezone_aware": "bad_time",
        "bad_time": "bad_time",
    }
    return [
        Issue(
            codes.get(e["type"], "bad_value"),
            "".join(f"/{part}" for part in e["loc"]),
            e["msg"],
        )
        for e in exc.errors(include_url=False)
    ]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # absent, not null: the schema names no default


# --- two echelons: booked sailings, onward by road, not on a sailing --------------------------


class SailingCall(Frozen):
    """A booked sailing's call at a stop (its timetable's times), and what happens there to the
    plan's kits: loaded (``depot``), landed for the district offices (``hub``) or nothing
    (``call``)."""

    stop_id: str
    stop_name: Name
    arrival: Time
    departure: Time
    kind: Literal["depot", "hub", "call"] = "call"


class HubLoad(Frozen):
    """What a booked sailing lands at one hub, for the district offices there."""

    stop_id: str
    stop_name: Name
    consignments: tuple[str, ...]
    tps: StrictInt
    ballot_boxes: StrictInt
    weight_kg: Number
    volume_m3: Number
    manifest: tuple[ManifestItem, ...]


class BookedSailing(Frozen):
    """A scheduled sailing the plan books: its trip in the timetable's feed, its calls, and the
    kits it carries to each hub against its cargo space."""

    sailing_id: str = Field(..., description="trip_id@service date")
    trip_id: str
    route_id: str
    route_name: str
    service_date: str
    cutoff: Time
    capacity_kg: Number
    capacity_m3: Number
    weight_kg: Number
    volume_m3: Number
    freight_idr: StrictInt
    calls: tuple[SailingCall, ...]
    loads: tuple[HubLoad, ...]


class OnwardDelivery(Frozen):
    """A consignment taken on from its hub by road, or handed over at the hub itself."""

    consignment: str
    village: Village
    hub: str
    hub_name: Name
    mode: Literal["road", "hub"]
    depart: Time
    arrive: Time
    distance_km: Number


class OffSailing(Frozen):
    """Why a consignment a hub serves is not on a scheduled sailing."""

    consignment: str
    village: Village
    hub: str
    hub_name: Name
    code: Literal["no_sailing", "cutoff", "weather", "capacity", "too_late", "local_boats"]
    message: str


# --- plans that hold: the robust search, capacity under risk ----------------------------------


class RobustCheck(Frozen):
    """A candidate simulated again on seas the search never met."""

    every_district_on_time: Number | None
    least_on_time: Number | None
    meets_target: bool


class RobustCandidate(Frozen):
    """One plan the robust search tried (``routing.risk.robust``): the lever that made it, what it
    changed, its cost and its simulated chances."""

    lever: Literal["plan", "buffers", "dispatch", "vessels", "start", "combined", "capacity"]
    detail: dict[str, Any] = Field(
        ...,
        description="What the lever changed: round and planned_for, districts, added, "
        "earlier_days and planning_start",
    )
    cost_idr: StrictInt = Field(..., description="Hire, fuel and freight, IDR")
    ship_hours: Number
    every_district_on_time: Number | None
    least_on_time: Number | None
    meets_target: bool = Field(
        ...,
        description="Every village served and every district's estimate in the search at least "
        "the search's bar (the target plus a standard error)",
    )
    planning_start: Time
    vessels: tuple[str, ...]
    check: RobustCheck | None = Field(
        None, description="The candidate's chances on seas the search never met, where checked"
    )


class RobustReach(Frozen):
    """A candidate with which a district reached the target."""

    candidate: StrictInt
    lever: str
    detail: dict[str, Any]
    what: str


class RobustBelow(Frozen):
    """A district of the chosen plan below the target: its chance, the best any candidate
    reached, and the candidates with which it reached the target (at the others' cost)."""

    district_code: str
    district_name: Name
    on_time: Number
    best_on_time: Number
    best_checked: bool | None = Field(
        None, description="Whether the best chance is a check's (else the search's estimate)"
    )
    best_candidate: StrictInt
    best_by: str
    would_reach: tuple[RobustReach, ...]
    never_delivered: Number | None
    why: str


class RobustDistrict(Frozen):
    """A district's simulated chance on time in the chosen plan: ``on_time`` by the check (on
    seas the search never met; by the search in a plan made before checks), ``searched`` its
    estimate in the search."""

    district_code: str
    district_name: Name
    on_time: Number | None
    by_h5: Number | None
    searched: Number | None = None


class Robust(Frozen):
    """How a plan planned to a target chance on time was found (``plan --target-on-time``,
    ``POST /plans`` with ``target_on_time``): the candidates tried on the same seas, the one
    chosen, its chances, and the districts below the target."""

    target_on_time: Number
    climate: str
    runs: StrictInt = Field(..., description="Runs of each candidate's simulation (the search)")
    seed: StrictInt = Field(..., description="The search's seed, the same for every candidate")
    bar: Number | None = Field(
        None,
        description="The chance the search counted at the target: the target plus a standard "
        "error of its estimate",
    )
    check_runs: StrictInt | None = Field(
        None, description="Runs of the check of the chosen plan, on seas the search never met"
    )
    check_seed: StrictInt | None = Field(None, description="The check's seed")
    check_bar: Number | None = Field(
        None,
        description="The chance the check must give a district for it to be claimed at the "
        "target: the target plus a standard error of the check",
    )
    chosen: StrictInt
    every_district_on_time: Number | None
    districts: tuple[RobustDistrict, ...]
    candidates: tuple[RobustCandidate, ...]
    below_target: tuple[RobustBelow, ...]
    vessel_names: dict[str, str] = Field(
        {}, description="The name of each vessel a candidate used, by id (where one is known)"
    )


class CapacityFleet(Frozen):
    """A fleet the capacity table tries."""

    id: Literal["least", "scenario", "fleet"]
    vessels: tuple[dict[str, str | None], ...]


class CapacityCell(Frozen):
    """One start day with one fleet: the plan's simulated chances and cost (or why no plan)."""

    fleet: str
    days_before: StrictInt
    start: Time
    every_district_on_time: Number | None = None
    districts: dict[str, Number] = Field(default_factory=dict)
    unserved: tuple[str, ...] = ()
    cost_idr: StrictInt | None = None
    ship_hours: Number | None = None
    meets_target: bool = False
    error: str | None = None


class SafeStart(Frozen):
    """A district's latest safe start: the latest start day at which it reaches the target with
    the fleet chosen (null: no start of the table)."""

    district_code: str
    district_name: Name
    latest_safe_start: Time | None
    latest_safe_days_before: StrictInt | None
    on_time_then: Number | None = Field(
        ..., description="The chance then, by the check on seas the table never met"
    )
    searched_then: Number | None = Field(None, description="The chance then, by the table")


class CapacityCheck(Frozen):
    """A plan of the fleet chosen, from one start day, simulated again on other seas."""

    days_before: StrictInt
    every_district_on_time: Number | None
    districts: dict[str, Number]


class CapacityUnderRisk(Frozen):
    """Capacity under risk: start days against fleets, the fleet chosen and the latest safe
    start per district for a target chance on time (``routing.risk.robust.capacity_under_risk``)."""

    scenario: str
    target_on_time: Number
    runs: StrictInt
    seed: StrictInt
    check_runs: StrictInt | None = None
    check_seed: StrictInt | None = None
    checks: tuple[CapacityCheck, ...] = Field(
        (), description="The fleet chosen's plans checked on seas the table never met"
    )
    climate: str = "bundled"
    climate_source: str
    election_day: str
    fleets: tuple[CapacityFleet, ...]
    fleet: str
    latest_safe_start: Time | None
    latest_safe_days_before: StrictInt | None
    days_before: tuple[StrictInt, ...]
    table: tuple[CapacityCell, ...]
    districts: tuple[SafeStart, ...]


class PlanDocument(Frozen):
    """A whole plan: what it is of and how it was made, the voyages, the villages left
    unserved and why, the KPIs, the weather and, for a re-plan, how it came about."""

    status: PlanStatus
    scenario: str
    seed: StrictInt
    input_hash: str
    versions: dict[str, str]
    engine: str
    direction: Direction
    planning_start: Time
    objective: Number | None
    voyages: tuple[Voyage, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: Kpis
    weather: Weather
    timetable: str | None = Field(None, description="The timetable feed the plan booked from")
    sailings: tuple[BookedSailing, ...] = ()
    onward: tuple[OnwardDelivery, ...] = ()
    off_sailings: tuple[OffSailing, ...] = ()
    replan: Replan | SkipJsonSchema[None] = Field(
        default=None,
        description="Only in a re-plan; absent (never null) otherwise",
        json_schema_extra=_no_default,
    )
    robust: Robust | SkipJsonSchema[None] = Field(
        default=None,
        description="Only in a plan planned to a target chance on time; absent otherwise",
        json_schema_extra=_no_default,
    )

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> PlanDocument:
        """Read a plan document.

        Parameters
        ----------
        document : Mapping
            plan.json as ``json.loads`` gives it (or as ``to_json`` made it).

        Returns
        -------
        PlanDocument

        Raises
        ------
        DataError
            With every field that is missing, unknown or of the wrong type, each by its JSON
            pointer (``/voyages/0/stops/3/arrival``).
        """
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            raise DataError(_issues(exc), source="plan document") from None

    def to_json(self) -> dict[str, Any]:
        """The document as JSON values (``json.dumps`` writes plan.json from it).

        Returns
        -------
        dict
            Keys in plan.json's order; ``replan`` only in a re-plan.
        """
        absent = {k for k in ("replan", "robust") if getattr(self, k) is None}
        return self.model_dump(mode="json", by_alias=True, exclude=absent or None)

    @property
    def start(self) -> datetime:
        """When the plan's state starts: a re-plan's ``as_of``, else the planning start."""
        return self.replan.as_of if self.replan is not None else self.planning_start

    def voyage(self, vessel_id: str) -> Voyage | None:
        """The voyage of a vessel, or ``None`` when the plan does not use it."""
        return next((v for v in self.voyages if v.vessel_id == vessel_id), None)


class VesselUse(Frozen):
    """How much of one vessel a capacity plan uses: its trips, load and peak utilisation."""

    vessel_id: str
    vessel_name: Name
    vessel_class: str
    trips: StrictInt
    load_kg: Number
    peak_kg_utilisation: Number
    peak_m3_utilisation: Number


class TripLoad(Frozen):
    """One trip's load (numbered from 1) and its share of the vessel's capacity."""

    vessel_id: str
    vessel_name: Name
    vessel_class: str
    trip: StrictInt
    depot: str
    depot_name: Name
    load_kg: Number
    load_m3: Number
    kg_utilisation: Number
    m3_utilisation: Number


class DeadlineSlack(Frozen):
    """A district's deadline, its last delivery and the slack between them."""

    district_code: str
    district_name: Name
    deadline: Time
    delivered_by: Time | None
    slack_h: Number | None


class CapacityDocument(Frozen):
    """A capacity plan's result: vessels needed and available per class, utilisation per
    vessel and trip, slack per deadline, and the plan itself under ``plan``."""

    status: PlanStatus
    vessels_needed: dict[str, StrictInt]
    vessels_available: dict[str, StrictInt]
    vessels: tuple[VesselUse, ...]
    trips: tuple[TripLoad, ...]
    deadlines: tuple[DeadlineSlack, ...]
    unassigned: tuple[str, ...]
    ship_hours: Number
    distance_nm: Number
    plan: PlanDocument
    under_risk: CapacityUnderRisk | SkipJsonSchema[None] = Field(
        default=None,
        description="Only with a target chance on time: start days against fleets, the fleet "
        "and the latest safe start per district (the plan is the chosen fleet's at the latest "
        "safe start); absent otherwise",
        json_schema_extra=_no_default,
    )

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> CapacityDocument:
        """Read a capacity plan's result.

        Parameters
        ----------
        document : Mapping
            The stored result as ``json.loads`` gives it.

        Returns
        -------
        CapacityDocument

        Raises
        ------
        DataError
            With every field that is missing, unknown or of the wrong type, by JSON pointer.
        """
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            raise DataError(_issues(exc), source="capacity document") from None

    def to_json(self) -> dict[str, Any]:
        """The result as JSON values, the plan's as ``PlanDocument.to_json`` writes it.

        Returns
        -------
        dict
        """
        absent = {"under_risk"} if self.under_risk is None else set()
        out = self.model_dump(mode="json", by_alias=True, exclude={"plan", *absent})
        out["plan"] = self.plan.to_json()
        return out


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, **model.model_json_schema(mode="serialization")}


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of plan.json, generated from ``PlanDocument``.

    Returns
    -------
    dict
        A JSON Schema (draft 2020-12) of what ``PlanDocument.to_json`` writes; served at
        ``GET /schemas/plan.json``.
    """
    return _schema(PlanDocument)


def capacity_schema() -> dict[str, Any]:
    """The JSON Schema of a capacity plan's result, generated from ``CapacityDocument``.

    Returns
    -------
    dict
        A JSON Schema (draft 2020-12); served at ``GET /schemas/capacity.json``.
    """
    return _schema(CapacityDocument)
