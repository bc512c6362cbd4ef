"""The requests of the planning API: what to plan, with which budget, what changed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from app.errors import ProblemItem
from app.plans.service import Budget
from routing.inputs.schema import (
    MAX_FIXED_COST_IDR,
    WHOLE,
    ClosedLandingIn,
    ForecastIn,
    Id,
    ScenarioModel,
    Time,
)

PLAN_EXAMPLE: dict[str, Any] = {"bundled": "pemilu2024", "seconds": 30, "seed": 1}
# Exactly one of the three names the scenario (null is as good as absent).
ONE_SCENARIO: list[Any] = [
    {"required": [name], "properties": {name: {"type": kind}}}
    for name, kind in (("scenario", "object"), ("scenario_id", "string"), ("bundled", "string"))
]

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


class PlanRequest(BaseModel):
    """What to plan: a scenario inline, a stored one by id, or a bundled one by name."""

    scenario: ScenarioModel | None = Field(
        None, description="The scenario itself (as in data/scenarios/*.toml)"
    )
    scenario_id: Id | None = Field(None, description="A scenario stored with POST /scenarios")
    bundled: str | None = Field(
        None,
        description="A scenario shipped with the service (GET /scenarios lists them)",
        examples=["pemilu2024"],
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
    )
    seconds: Seconds | None = None
    iterations: Iterations | None = None
    seed: Seed = 0
    wait: Wait = 0
    direction: Literal["outbound", "return"] | None = Field(
        None,
        description="outbound: kits to the villages; return: boxes from the island district "
        "offices to the depot. Default: the scenario's",
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [PLAN_EXAMPLE], "oneOf": ONE_SCENARIO},
    }


class OutOfService(BaseModel):
    vessel: Id = Field(..., description="Vessel id")
    from_: Time = Field(..., alias="from", description="Out of service from (RFC 3339)")

    model_config = {"extra": "forbid"}


class Change(BaseModel):
    """What changed since the plan was made; every part is optional."""

    out_of_service: list[OutOfService] = Field(default_factory=list, max_length=500)
    closed_landings: list[ClosedLandingIn] = Field(default_factory=list, max_length=2000)
    forecast: list[ForecastIn] = Field(default_factory=list, max_length=2000)
    deadlines: dict[Id, Time] = Field(
        default_factory=dict, max_length=500, description="District code -> new deadline"
    )
    default_deadline: Time | None = None

    model_config = {"extra": "forbid"}


class ReplanRequest(BaseModel):
    """Re-plan the rest of a plan from its field events, with a change."""

    change: Change = Field(default_factory=Change)
    as_of: Time | None = Field(
        None, description="The state time (RFC 3339); default: the newest field event"
    )
    seconds: Seconds | None = None
    iterations: Iterations | None = None
    seed: Seed = 0
    wait: Wait = 0

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "change": {
                        "out_of_service": [
                            {"vessel": "kri-teluk-bintuni-520", "from": "2024-02-06T12:00:00+07:00"}
                        ]
                    },
                    "seconds": 30,
                }
            ]
        },
    }


class CapacityRequest(PlanRequest):
    fixed_cost_idr: Annotated[StrictInt, Field(ge=0, le=MAX_FIXED_COST_IDR), WHOLE] = Field(
        50_000_000, description="Cost of using one more vessel, IDR (assumed)"
    )


def budget_of(body: PlanRequest | ReplanRequest) -> Budget:
    return Budget(seconds=body.seconds, iterations=body.iterations, seed=body.seed, wait=body.wait)


# The answers of the API: what each JSON answer holds, in the order the service writes it (a
# model's fields are written in their order). A number the service may write either way (`2`
# or `2.5`) is ``Number``: a ``float`` field would write `2` as `2.0`.

Number = int | float


class Health(BaseModel):
    status: Literal["ok"]
    islands: int
    villages: int
    landing_points: int
    depots: int


class Limits(BaseModel):
    max_body_bytes: int
    max_plan_seconds: float
    max_plan_iterations: int
    max_wait_s: float
    job_workers: int
    anonymous_reads: bool


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


class PlanFile(BaseModel):
    """One format a finished plan can be read as (``routing.outputs.formats``)."""

    name: str = Field(..., description="The file name, as `ballot-routing plan --out` writes it")
    title: str
    media_type: str
    per_vessel: bool = Field(..., description="One file per vessel (the voyage papers)")
    hrefs: list[str] = Field(..., description="Where to read it (one per vessel if per vessel)")


class PlanFiles(BaseModel):
    files: list[PlanFile]


FILE_SCHEMAS: dict[str, dict[str, Any]] = {
    "application/json": {
        "schema": {
            "type": "object",
            "description": "plan.json: the plan document; its whole JSON Schema is served at "
            "/schemas/plan.json",
            "properties": {
                "status": {"type": "string"},
                "scenario": {"type": "string"},
                "voyages": {"type": "array", "items": {"type": "object"}},
                "unassigned": {"type": "array", "items": {"type": "object"}},
                "kpis": {"type": "object"},
            },
            "required": ["status", "scenario", "voyages", "unassigned", "kpis"],
        }
    },
    "application/geo+json": {"schema": {"$ref": "#/components/schemas/FeatureCollection"}},
}
"""The schemas of a plan's files in JSON (``GET /plans/{id}/files/{name}``)."""


class Timeline(BaseModel):
    rows: list[dict[str, str]] = Field(..., description="The timeline CSV's rows as records")


class Validation(BaseModel):
    """A plan request's problems, found without solving."""

    valid: bool
    scenario: str | None = Field(None, description="The scenario's name, when valid")
    errors: list[ProblemItem]  # the same items as an error answer's


class PlanProgress(BaseModel):
    elapsed_s: Number
    best_objective: Number | None


class PlanBudget(BaseModel):
    seconds: Number | None
    iterations: int | None


class PlanSummary(BaseModel):
    """A plan: its phase, progress, budget and links; KPIs once there is a result, and (in
    ``GET /plans/{id}``) the result itself. A key that does not apply is left out."""

    id: str
    kind: Literal["plan", "replan", "capacity"]
    scenario: str | None = Field(..., description="The scenario's name")
    scenario_id: str | None = Field(..., description="The stored scenario's id, if any")
    phase: str = Field(
        ...,
        description="queued, building_matrix, solving, completed, infeasible, failed, cancelled",
    )
    progress: PlanProgress
    seed: int
    budget: PlanBudget
    created_at: str = Field(..., description="RFC 3339")
    updated_at: str = Field(..., description="RFC 3339")
    links: dict[str, str] = Field(..., description="self, status, geojson, manifests, timeline")
    parent_id: str | None = Field(None, description="A re-plan's plan")
    errors: list[dict[str, Any]] | None = Field(None, description="Why a plan failed")
    kpis: dict[str, Any] | None = None
    unassigned: list[dict[str, Any]] | None = Field(None, description="Villages not served, why")
    result: dict[str, Any] | None = Field(
        None,
        description="The plan document: GET /schemas/plan.json (a capacity plan's: "
        "GET /schemas/capacity.json)",
    )


class PlanList(BaseModel):
    plans: list[PlanSummary]
    limit: int
    offset: int


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


class EventRecord(BaseModel):
    """A stored field event: its columns, what it carried (``at``, ``boxes``, ``condition``,
    ``receiver``, ``receiver_position``, ``reason``, as posted) and the key that recorded it."""

    id: int
    vessel_id: str
    stop: int
    type: str
    idempotency_key: str | None
    recorded_at: str = Field(..., description="When it reached the service (RFC 3339)")
    recorded_by: str | None = Field(..., description="The id of the key that posted it")
    recorded_by_name: str | None

    model_config = ConfigDict(extra="allow")


class Events(BaseModel):
    events: list[EventRecord]


class EventTypeLabels(BaseModel):
    id: str = Field(..., description="Indonesian")
    en: str = Field(..., description="English")


class EventTypeRecord(BaseModel):
    type: str
    labels: EventTypeLabels
    required: list[str] = Field(..., description="Fields an event of this type must carry")
    stops: list[str] = Field(..., description="The kinds of stop it fits")
    note: bool = Field(..., description="A note (moves nothing)")


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


class VesselRecord(BaseModel):
    """A vessel with its class, home depot, availability window and active flag."""

    id: str
    vessel_class: str
    home_depot: str
    available_from: str = Field(..., description="RFC 3339")
    available_until: str = Field(..., description="RFC 3339")
    active: bool
    source: str


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


class RiskOptions(BaseModel):
    runs: int
    seed: int
    breakdowns: bool
    replan_breakdowns: bool


class RiskProgress(BaseModel):
    runs_done: int
    runs: int


class RiskRun(BaseModel):
    """A risk run: its phase, options, progress and links; once completed, its report. A key
    that does not apply is left out."""

    id: str
    plan_id: str
    phase: str
    options: RiskOptions
    progress: RiskProgress
    cancel_requested: bool
    attempts: int
    created_at: str = Field(..., description="RFC 3339")
    updated_at: str = Field(..., description="RFC 3339")
    links: dict[str, str] = Field(..., description="self, plan, cancel")
    errors: list[dict[str, Any]] | None = Field(None, description="Why a run failed")
    result: dict[str, Any] | None = Field(None, description="The report, once completed")


class RiskRuns(BaseModel):
    risk_runs: list[RiskRun]


class JSONSchemaDocument(BaseModel):
    """A JSON Schema (draft 2020-12) document."""

    schema_: str = Field(..., alias="$schema")
    title: str | None = None
    type: str | None = None
    properties: dict[str, Any] | None = None
    defs: dict[str, Any] | None = Field(None, alias="$defs")

    model_config = ConfigDict(extra="allow")
