"""The plans' request and answer schemas: what to plan (a scenario, a budget), a re-plan's
change, a plan's summary, progress and files."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.errors import ProblemItem
from app.models import Iterations, Number, Seconds, Seed, Wait
from app.plans.service import Budget
from routing.errors import DataError, Issue
from routing.inputs.schema import (
    MAX_FIXED_COST_IDR,
    WHOLE,
    ClosedLandingIn,
    ForecastIn,
    Id,
    ScenarioModel,
    Time,
)
from routing.risk.robust import CHECK_RUNS

TargetChance = Annotated[
    float, Field(ge=0.01, le=1.0, allow_inf_nan=False, description="A chance, 0.01 to 1")
]
DaysBefore = Annotated[StrictInt, Field(ge=1, le=60), WHOLE]
PLAN_EXAMPLE: dict[str, Any] = {"bundled": "pemilu2024", "seconds": 30, "seed": 1}


# Exactly one of the three names the scenario (null is as good as absent).
ONE_SCENARIO: list[Any] = [
    {"required": [name], "properties": {name: {"type": kind}}}
    for name, kind in (("scenario", "object"), ("scenario_id", "string"), ("bundled", "string"))
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
    target_on_time: TargetChance | None = Field(
        None,
        description="Plan to a chance on time: the cheapest plan found whose simulated chance "
        "of delivery by the deadline is at least this in every district (routing.risk.robust: "
        "earlier planned deadlines, dispatched vessels instead of sailings, more vessels, an "
        "earlier start); the budget applies to each plan the search makes. The result carries "
        "`robust`. For a capacity plan: capacity under risk (`under_risk`)",
    )
    risk_runs: Annotated[StrictInt, Field(ge=10, le=10_000), WHOLE] = Field(
        300, description="target_on_time: runs of each plan's risk simulation"
    )
    check_runs: Annotated[StrictInt, Field(ge=100, le=10_000), WHOLE] = Field(
        CHECK_RUNS,
        description="target_on_time: runs of the check of the plan chosen (of each latest safe "
        "start, for a capacity plan), on seas the search never met; the chances the result "
        "claims are the check's",
    )
    climate: Literal["bundled", "rougher", "calmer"] = Field(
        "bundled",
        description="target_on_time: the climate table, or it rougher or calmer (rough days "
        "and spells x1.5 or x2/3)",
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
    days_before: tuple[DaysBefore, DaysBefore] = Field(
        (14, 3),
        description="target_on_time: the start days tried, from H-first to H-last (days before "
        "election day; first >= last)",
    )


def target_of(body: PlanRequest) -> dict[str, Any] | None:
    """What a request asks of the robust search (or capacity under risk), or None; an option of
    it given without ``target_on_time`` is refused, named."""
    given = body.model_fields_set & {"risk_runs", "check_runs", "climate", "days_before"}
    if body.target_on_time is None:
        if given:
            why = "applies with target_on_time only"
            issues = [Issue("not_applicable", f"/{f}", why) for f in sorted(given)]
            raise DataError(issues, source="request")
        return None
    out: dict[str, Any] = {
        "target_on_time": body.target_on_time,
        "risk_runs": body.risk_runs,
        "check_runs": body.check_runs,
        "climate": body.climate,
    }
    if isinstance(body, CapacityRequest):
        first, last = body.days_before
        if first < last:
            why = f"H-{first} is after H-{last}: give the earlier start first"
            raise DataError([Issue("bad_value", "/days_before", why)], source="request")
        out["days_before"] = list(range(first, last - 1, -1))
    return out


def budget_of(body: PlanRequest | ReplanRequest) -> Budget:
    return Budget(seconds=body.seconds, iterations=body.iterations, seed=body.seed, wait=body.wait)


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


class JSONSchemaDocument(BaseModel):
    """A JSON Schema (draft 2020-12) document."""

    schema_: str = Field(..., alias="$schema")
    title: str | None = None
    type: str | None = None
    properties: dict[str, Any] | None = None
    defs: dict[str, Any] | None = Field(None, alias="$defs")

    model_config = ConfigDict(extra="allow")


class Limits(BaseModel):
    max_body_bytes: int
    max_plan_seconds: float
    max_plan_iterations: int
    max_wait_s: float
    job_workers: int
    anonymous_reads: bool
