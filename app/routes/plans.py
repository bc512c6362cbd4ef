"""Plans: submit, follow, cancel and download; capacity plans; field events and live status."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tomllib
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field, StrictFloat, StrictInt
from sqlalchemy import insert, select, update

from app import auth, db, deps, planning, views
from app.config import Settings
from app.deps import PlanId
from app.errors import problems
from routing.errors import DataError
from routing.errors import Problem as Issue
from routing.export import jsonable
from routing.schema import (
    MAX_FIXED_COST_IDR,
    NO_CONTROL,
    ClosedLandingIn,
    ForecastIn,
    Id,
    ScenarioModel,
    Time,
)

router = APIRouter(tags=["plans"])

PLAN_EXAMPLE: dict[str, Any] = {"bundled": "pemilu2024", "seconds": 30, "seed": 1}


Seconds = Annotated[
    StrictFloat, Field(gt=0, le=86_400, allow_inf_nan=False, description="Wall-time budget, s")
]
Iterations = Annotated[
    StrictInt, Field(gt=0, le=10**9, description="Iteration budget instead (deterministic)")
]
Seed = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]
Wait = Annotated[
    StrictFloat,
    Field(ge=0, le=3600, allow_inf_nan=False, description="Seconds to wait (GET /limits)"),
]


class CSVResponse(PlainTextResponse):
    media_type = "text/csv"


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

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [PLAN_EXAMPLE]}}


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
    fixed_cost_idr: Annotated[StrictInt, Field(ge=0, le=MAX_FIXED_COST_IDR)] = Field(
        50_000_000, description="Cost of using one more vessel, IDR (assumed)"
    )


def engine_of(request: Request) -> Any:
    return db.engine_for(deps.settings(request).database)


def resolve_scenario(settings: Settings, engine: Any, body: PlanRequest) -> dict[str, Any]:
    given = [x for x in (body.scenario, body.scenario_id, body.bundled) if x is not None]
    if len(given) != 1:
        raise DataError(
            [
                Issue(
                    "bad_value", "/scenario", "give exactly one of scenario, scenario_id or bundled"
                )
            ],
            source="request",
        )
    if body.scenario is not None:
        return body.scenario.to_raw()
    if body.scenario_id is not None:
        with engine.connect() as conn:
            row = conn.execute(
                select(db.scenarios.c.body).where(db.scenarios.c.id == body.scenario_id)
            ).first()
        if row is None:
            raise DataError(
                [Issue("unknown_scenario", "/scenario_id", f"no scenario {body.scenario_id!r}")],
                source="request",
            )
        return dict(json.loads(row.body))
    path = settings.data_dir / "scenarios" / f"{body.bundled}.toml"
    if not body.bundled or not path.is_file():
        raise DataError(
            [Issue("unknown_scenario", "/bundled", f"no bundled scenario {body.bundled!r}")],
            source="request",
        )
    with path.open("rb") as fh:
        return jsonable(tomllib.load(fh))


def check_budget(settings: Settings, body: PlanRequest | ReplanRequest) -> None:
    problems = []
    if body.seconds is not None and body.seconds > settings.max_plan_seconds:
        problems.append(
            Issue(
                "over_limit", "/seconds", f"at most {settings.max_plan_seconds:g} s (GET /limits)"
            )
        )
    if body.iterations is not None and body.iterations > settings.max_plan_iterations:
        problems.append(
            Issue(
                "over_limit", "/iterations", f"at most {settings.max_plan_iterations} (GET /limits)"
            )
        )
    if body.wait > settings.max_wait_s:
        problems.append(
            Issue("over_limit", "/wait", f"at most {settings.max_wait_s:g} s (GET /limits)")
        )
    if problems:
        raise DataError(problems, source="request")


def validate_scenario(
    settings: Settings, engine: Any, raw: dict[str, Any], *, prefix: str = ""
) -> str:
    """Every problem with a scenario, raised at once (paths under ``prefix``); its name."""
    from app.jobs import scenario_with_overrides

    try:
        scenario = scenario_with_overrides(engine, raw, source="scenario")
        planning.problem_for(settings, scenario)
    except DataError as exc:
        if not prefix:
            raise
        moved = [Issue(p.code, prefix + p.path, p.message) for p in exc.problems]
        raise DataError(moved, source=exc.source) from None
    return scenario.name


def scenario_prefix(body: PlanRequest) -> str:
    """Where an inline scenario sits in the request, for the paths of its problems."""
    return "/scenario" if body.scenario is not None else ""


def plan_summary(row: Any, *, full: bool) -> dict[str, Any]:
    result = json.loads(row.result) if row.result else None
    out: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "scenario": row.scenario_name,
        "scenario_id": row.scenario_id,
        "phase": row.phase,
        "progress": {"elapsed_s": round(row.elapsed_s, 2), "best_objective": row.best_objective},
        "seed": row.seed,
        "budget": {"seconds": row.seconds, "iterations": row.iterations},
        "created_at": datetime.fromtimestamp(row.created_at).astimezone().isoformat(),
        "updated_at": datetime.fromtimestamp(row.updated_at).astimezone().isoformat(),
        "links": {
            "self": f"/plans/{row.id}",
            "status": f"/plans/{row.id}/status",
            "geojson": f"/plans/{row.id}/geojson",
            "manifests": f"/plans/{row.id}/manifests.csv",
            "timeline": f"/plans/{row.id}/timeline",
        },
    }
    if row.parent_id:
        out["parent_id"] = row.parent_id
        out["links"]["parent"] = f"/plans/{row.parent_id}"
    if row.error:
        out["errors"] = json.loads(row.error)
    if result is not None:
        plan_doc = result.get("plan", result)
        out["kpis"] = plan_doc.get("kpis")
        out["unassigned"] = plan_doc.get("unassigned")
        if full:
            out["result"] = result
    return out


def plan_row(engine: Any, plan_id: str) -> Any:
    with engine.connect() as conn:
        row = conn.execute(select(db.plans).where(db.plans.c.id == plan_id)).first()
    if row is None:
        raise HTTPException(404, f"no plan with id {plan_id!r}")
    return row


async def wait_for(engine: Any, plan_id: str, seconds: float) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    row = plan_row(engine, plan_id)
    while row.phase in db.ACTIVE_PHASES and loop.time() < end:
        await asyncio.sleep(0.25)
        row = plan_row(engine, plan_id)
    return row


async def _submit(request: Request, body: PlanRequest, kind: str, fixed_cost: int) -> Response:
    settings = deps.settings(request)
    engine = engine_of(request)
    check_budget(settings, body)
    raw = resolve_scenario(settings, engine, body)
    if body.direction is not None:
        raw = {**raw, "direction": body.direction}
    name = validate_scenario(settings, engine, raw, prefix=scenario_prefix(body))
    return await queue_plan(
        request, body, kind=kind, name=name, raw=raw, scenario_id=body.scenario_id,
        fixed_cost=fixed_cost,
    )  # fmt: skip


async def queue_plan(
    request: Request,
    body: PlanRequest | ReplanRequest,
    *,
    kind: str,
    name: str,
    raw: dict[str, Any],
    scenario_id: str | None,
    fixed_cost: int = 0,
    **extra: Any,
) -> Response:
    """Store a queued plan (``extra``: further plan columns), wake the job runner, and answer
    202 with its Location, or 200 with the result when it finishes within ``body.wait``."""
    engine = engine_of(request)
    plan_id = str(uuid.uuid4())
    t = db.now()
    with db.write(engine) as conn:
        conn.execute(
            insert(db.plans).values(
                id=plan_id,
                kind=kind,
                scenario_id=scenario_id,
                scenario_name=name,
                scenario_body=json.dumps(raw),
                seed=body.seed,
                seconds=None if body.iterations else (body.seconds or 30.0),
                iterations=body.iterations,
                fixed_cost_idr=fixed_cost,
                phase="queued",
                elapsed_s=0.0,
                cancel_requested=False,
                attempts=0,
                version=0,
                created_at=t,
                updated_at=t,
                **extra,
            )
        )
    request.app.state.submit(plan_id)
    row = await wait_for(engine, plan_id, body.wait) if body.wait else plan_row(engine, plan_id)
    done = row.phase not in db.ACTIVE_PHASES
    return JSONResponse(
        plan_summary(row, full=done),
        status_code=200 if done else 202,
        headers={"Location": f"/plans/{plan_id}"},
    )


@router.post(
    "/plans",
    status_code=202,
    dependencies=[auth.planner],
    responses={
        202: {"description": "Accepted; follow the Location header"},
        **problems(401, 403, 413, 422),
    },
)
async def create_plan(request: Request, body: PlanRequest) -> Response:
    """Plan a scenario in the background: 202 with the plan's Location (or wait up to `wait` s)."""
    return await _submit(request, body, "plan", 0)


@router.post("/plans:validate", dependencies=[auth.planner], responses=problems(401, 403, 413, 422))
def validate_plan(request: Request, body: PlanRequest) -> dict[str, Any]:
    """Every problem with a plan request and its scenario, without solving."""
    settings = deps.settings(request)
    check_budget(settings, body)  # over a limit of GET /limits: outside the schema, a 422
    try:
        raw = resolve_scenario(settings, engine_of(request), body)
        name = validate_scenario(settings, engine_of(request), raw, prefix=scenario_prefix(body))
    except DataError as exc:
        return {
            "valid": False,
            "errors": [
                {"code": p.code, "path": p.path, "message": p.message} for p in exc.problems
            ],
        }
    return {"valid": True, "scenario": name, "errors": []}


@router.post(
    "/capacity-plans",
    status_code=202,
    dependencies=[auth.planner],
    responses={
        202: {"description": "Accepted; follow the Location header"},
        **problems(401, 403, 413, 422),
    },
)
async def create_capacity_plan(request: Request, body: CapacityRequest) -> Response:
    """Which vessels meet every deadline at least cost (a fixed cost per vessel used), how full."""
    return await _submit(request, body, "capacity", body.fixed_cost_idr)


@router.get("/plans", dependencies=[auth.reader], responses=problems(401, 422))
def list_plans(
    request: Request,
    status: db.Phase | None = Query(None, description="Only plans in this phase"),
    scenario: str | None = Query(
        None, description="Scenario name or id", max_length=200, pattern=NO_CONTROL
    ),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    """Plans, newest first."""
    p = db.plans
    q = select(p).order_by(p.c.created_at.desc(), p.c.id).limit(limit).offset(offset)
    if status:
        q = q.where(p.c.phase == status)
    if scenario:
        q = q.where((p.c.scenario_name == scenario) | (p.c.scenario_id == scenario))
    with engine_of(request).connect() as conn:
        rows = conn.execute(q).all()
    return {"plans": [plan_summary(r, full=False) for r in rows], "limit": limit, "offset": offset}


@router.get("/plans/{plan_id}", dependencies=[auth.reader], responses=problems(401, 404, 422))
async def get_plan(
    request: Request,
    plan_id: PlanId,
    wait: float = Query(
        0, ge=0, le=3600, allow_inf_nan=False, description="Seconds to wait for the result"
    ),
) -> dict[str, Any]:
    """A plan: its phase, progress, KPIs and, when done, the plan itself."""
    settings = deps.settings(request)
    if wait > settings.max_wait_s:
        raise DataError(
            [
                Issue(
                    "over_limit", "/query/wait", f"at most {settings.max_wait_s:g} s (GET /limits)"
                )
            ],
            source="request",
        )
    row = await wait_for(engine_of(request), plan_id, wait)
    return plan_summary(row, full=True)


def finished_plan(engine: Any, plan_id: str) -> Any:
    row = plan_row(engine, plan_id)
    if row.result is None:
        raise HTTPException(409, f"plan {plan_id} is {row.phase}; it has no result yet")
    return row


@router.get(
    "/plans/{plan_id}/geojson",
    response_class=views.GeoJSONResponse,
    dependencies=[auth.reader],
    responses=problems(401, 404, 409, 422),
)
def get_plan_geojson(request: Request, plan_id: PlanId) -> Response:
    """The plan's legs (LineStrings) and stops (Points) as GeoJSON."""
    return Response(
        finished_plan(engine_of(request), plan_id).geojson, media_type="application/geo+json"
    )


@router.get(
    "/plans/{plan_id}/manifests.csv",
    response_class=CSVResponse,
    dependencies=[auth.reader],
    responses=problems(401, 404, 409, 422),
)
def get_plan_manifests(request: Request, plan_id: PlanId) -> Response:
    """What is handed over where and when, one row per consignment (CSV)."""
    return CSVResponse(finished_plan(engine_of(request), plan_id).manifests)


@router.get(
    "/plans/{plan_id}/timeline",
    dependencies=[auth.reader],
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        **problems(401, 404, 409, 422),
    },
)
def get_plan_timeline(
    request: Request, plan_id: PlanId, format: str = Query("json", pattern="^(json|csv)$")
) -> Any:
    """Loading, sailing, daylight waits and unloading per vessel, for a Gantt chart."""
    text = finished_plan(engine_of(request), plan_id).timeline
    if format == "csv":
        return CSVResponse(text)
    return {"rows": list(csv.DictReader(io.StringIO(text)))}


@router.post(
    "/plans/{plan_id}/cancel",
    status_code=202,
    dependencies=[auth.planner],
    responses=problems(401, 403, 404, 409, 422),
)
def cancel_plan(request: Request, plan_id: PlanId) -> dict[str, Any]:
    """Stop a plan; a plan being solved keeps the best plan found so far."""
    engine = engine_of(request)
    p = db.plans
    row = plan_row(engine, plan_id)
    with db.write(engine) as conn:
        if row.phase == "queued":
            conn.execute(
                update(p)
                .where(p.c.id == plan_id, p.c.phase == "queued")
                .values(phase="cancelled", version=p.c.version + 1, updated_at=db.now())
            )
        elif row.phase in db.ACTIVE_PHASES:
            conn.execute(
                update(p)
                .where(p.c.id == plan_id)
                .values(cancel_requested=True, version=p.c.version + 1, updated_at=db.now())
            )
        else:
            raise HTTPException(409, f"plan {plan_id} is already {row.phase}")
    return plan_summary(plan_row(engine, plan_id), full=False)


@router.get("/limits")
def limits(settings: Settings = Depends(deps.settings)) -> dict[str, Any]:
    """The service's limits: request size, solving budgets, waiting, workers."""
    return {
        "max_body_bytes": settings.max_body_bytes,
        "max_plan_seconds": settings.max_plan_seconds,
        "max_plan_iterations": settings.max_plan_iterations,
        "max_wait_s": settings.max_wait_s,
        "job_workers": settings.job_workers,
        "anonymous_reads": settings.allow_anonymous_reads,
    }
