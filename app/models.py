"""The requests of the planning API: what to plan, with which budget, what changed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictFloat, StrictInt

from app.services.plans import Budget
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


class Timeline(BaseModel):
    rows: list[dict[str, str]] = Field(..., description="The timeline CSV's rows as records")
