"""Plans: submit, validate, follow, cancel and download; capacity plans; the service's limits."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from app import auth, db, deps, views
from app.config import Settings
from app.deps import PlanId, SettingsDep, StoppingDep
from app.errors import problems
from app.models import FeatureCollection
from app.plans import files
from app.plans import service as plans
from app.plans.schemas import (
    FILE_SCHEMAS,
    CapacityRequest,
    Limits,
    PlanFiles,
    PlanList,
    PlanRequest,
    PlanSummary,
    Timeline,
    Validation,
    budget_of,
    target_of,
)
from routing.errors import DataError
from routing.inputs.schema import NO_CONTROL
from routing.outputs.formats import FORMATS

router = APIRouter(tags=["plans"])
ACCEPTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Finished within `wait`", "model": PlanSummary},
    202: {"description": "Accepted; follow the Location header"},
}


class CSVResponse(PlainTextResponse):
    media_type = "text/csv"


async def answer(request: Request, plan_id: str, wait: float) -> Response:
    """202 with the queued plan's Location, or 200 with the result when it finishes within
    ``wait`` seconds; the job runner is woken first."""
    request.app.state.submit(plan_id)
    settings = deps.settings(request)
    row = await plans.wait(settings, plan_id, wait, deps.stopping(request))
    done = row.phase not in db.ACTIVE_PHASES
    return JSONResponse(
        plans.summary(row, full=done),
        status_code=200 if done else 202,
        headers={"Location": f"/plans/{plan_id}"},
    )


def _queue(settings: Settings, body: PlanRequest, kind: str, fixed_cost: int = 0) -> str:
    budget = budget_of(body)
    plans.check_budget(settings, budget)
    raw, prefix = _scenario(settings, body)
    return plans.queue(
        settings, kind=kind, raw=raw, budget=budget, scenario_id=body.scenario_id,
        fixed_cost=fixed_cost, prefix=prefix, target=target_of(body),
    )  # fmt: skip


def _scenario(settings: Settings, body: PlanRequest) -> tuple[dict[str, Any], str]:
    inline = body.scenario.to_raw() if body.scenario is not None else None
    return plans.requested(
        settings,
        scenario=inline,
        scenario_id=body.scenario_id,
        bundled=body.bundled,
        direction=body.direction,
    )


@router.post(
    "/plans",
    status_code=202,
    response_model=PlanSummary,
    dependencies=[auth.planner],
    responses={**ACCEPTED, **problems(401, 403, 413, 422)},
)
async def create_plan(request: Request, settings: SettingsDep, body: PlanRequest) -> Response:
    """Plan a scenario in the background: 202 with the plan's Location (or wait up to `wait` s)."""
    plan_id = await run_in_threadpool(_queue, settings, body, "plan")
    return await answer(request, plan_id, body.wait)


@router.post(
    "/plans:validate",
    dependencies=[auth.planner],
    response_model=Validation,
    response_model_exclude_unset=True,
    responses=problems(401, 403, 413, 422),
)
def validate_plan(settings: SettingsDep, body: PlanRequest) -> dict[str, Any]:
    """Every problem with a plan request and its scenario, without solving."""
    plans.check_budget(settings, budget_of(body))  # over GET /limits: outside the schema, a 422
    sources = [x for x in (body.scenario, body.scenario_id, body.bundled) if x is not None]
    if len(sources) != 1 or body.bundled is not None:
        # What the document refuses (not exactly one source, a name not shipped) is a 422 as
        # in POST /plans; the problems of a scenario itself are the answer.
        _scenario(settings, body)
    try:
        raw, prefix = _scenario(settings, body)
        name = plans.validate(settings, raw, prefix=prefix)
    except DataError as exc:
        errors = [{"code": p.code, "path": p.path, "message": p.message} for p in exc.problems]
        return {"valid": False, "errors": errors}
    return {"valid": True, "scenario": name, "errors": []}


@router.post(
    "/capacity-plans",
    status_code=202,
    response_model=PlanSummary,
    dependencies=[auth.planner],
    responses={**ACCEPTED, **problems(401, 403, 413, 422)},
)
async def create_capacity_plan(
    request: Request, settings: SettingsDep, body: CapacityRequest
) -> Response:
    """Which vessels meet every deadline at least cost (a fixed cost per vessel used), how full."""
    plan_id = await run_in_threadpool(_queue, settings, body, "capacity", body.fixed_cost_idr)
    return await answer(request, plan_id, body.wait)


@router.get(
    "/plans",
    dependencies=[auth.reader],
    response_model=PlanList,
    response_model_exclude_unset=True,
    responses=problems(401, 403, 422),
)
def list_plans(
    settings: SettingsDep,
    status: db.Phase | None = Query(None, description="Only plans in this phase"),
    scenario: str | None = Query(
        None, description="Scenario name or id", max_length=200, pattern=NO_CONTROL
    ),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    """Plans, newest first."""
    found = plans.listing(settings, status=status, scenario=scenario, limit=limit, offset=offset)
    return {"plans": found, "limit": limit, "offset": offset}


class GeoPackageResponse(Response):
    media_type = "application/geopackage+sqlite3"


def _file(settings: Settings, plan_id: str, name: str) -> Response:
    """A finished plan's file in a format of the registry, as its media type."""
    fmt, body = files.render(settings, plan_id, name)
    return Response(body, media_type=fmt.media_type)


@router.get(
    "/plans/{plan_id}/files",
    dependencies=[auth.reader],
    response_model=PlanFiles,
    responses=problems(401, 403, 404, 409, 422),
)
def list_plan_files(settings: SettingsDep, plan_id: PlanId) -> dict[str, Any]:
    """The files a finished plan can be read as (``routing.outputs.formats``): one per plan
    under ``/plans/{id}/files/{name}``, and a vessel's papers under
    ``/plans/{id}/papers/{vessel_id}`` (HTML) and ``.pdf``."""
    document = plans.document(plans.finished(settings, plan_id))
    vessels = [v.vessel_id for v in document.voyages]
    out = []
    for fmt in FORMATS.values():
        if fmt.per_vessel:
            suffix = "" if fmt.extension == "html" else f".{fmt.extension}"
            hrefs = [f"/plans/{plan_id}/papers/{quote(v, safe='')}{suffix}" for v in vessels]
        else:
            hrefs = [f"/plans/{plan_id}/files/{fmt.name}"]
        out.append(
            {
                "name": fmt.name,
                "title": fmt.title,
                "media_type": fmt.media_type,
                "per_vessel": fmt.per_vessel,
                "hrefs": hrefs,
            }
        )
    return {"files": out}


@router.get(
    "/plans/{plan_id}/files/{name}",
    dependencies=[auth.reader],
    responses={
        200: {
            "description": "The file, in its format's media type",
            "content": {
                f.media_type.split(";")[0]: FILE_SCHEMAS.get(
                    f.media_type.split(";")[0], {"schema": {"type": "string", "format": "binary"}}
                )
                for f in FORMATS.values()
                if not f.per_vessel
            },
        },
        **problems(401, 403, 404, 409, 422),
    },
)
def get_plan_file(
    settings: SettingsDep,
    plan_id: PlanId,
    name: str = Path(
        ...,
        description="The file's name, as `ballot-routing plan --out` writes it: "
        + ", ".join(f"`{f.name}`" for f in FORMATS.values() if not f.per_vessel),
        max_length=100,
        pattern=NO_CONTROL,
    ),
) -> Response:
    """A finished plan's file in one of the formats of ``GET /plans/{id}/files``, rendered
    from the plan's document."""
    fmt, body = files.render(settings, plan_id, name)
    disposition = f'attachment; filename="{plan_id}-{fmt.name}"'
    return Response(body, media_type=fmt.media_type, headers={"Content-Disposition": disposition})


@router.get(
    "/plans/{plan_id}.gpkg",
    response_class=GeoPackageResponse,
    dependencies=[auth.reader],
    responses=problems(401, 403, 404, 409, 422),
)
def get_plan_gpkg(settings: SettingsDep, plan_id: PlanId) -> Response:
    """The plan as a GeoPackage for QGIS (``/plans/{id}/files/plan.gpkg``): layers islands,
    island_points, villages, landing_points, legs and stops, with names beside the codes,
    times (UTC, and WIB as text) and loads. Declared before ``/plans/{plan_id}``, which would
    otherwise take the name."""
    _, body = files.render(settings, plan_id, "plan.gpkg")
    return GeoPackageResponse(
        body, headers={"Content-Disposition": f'attachment; filename="{plan_id}.gpkg"'}
    )


@router.get(
    "/plans/{plan_id}",
    dependencies=[auth.reader],
    response_model=PlanSummary,
    response_model_exclude_unset=True,
    responses=problems(401, 403, 404, 422),
)
async def get_plan(
    settings: SettingsDep,
    stopping: StoppingDep,
    plan_id: PlanId,
    wait: float = Query(
        0, ge=0, le=3600, allow_inf_nan=False, description="Seconds to wait for the result"
    ),
) -> dict[str, Any]:
    """A plan: its phase, progress, KPIs and, when done, the plan itself."""
    plans.check_budget(settings, plans.Budget(wait=wait), wait_path="/query/wait")
    found = await plans.wait(settings, plan_id, wait, stopping)
    return plans.summary(found, full=True)


@router.get(
    "/plans/{plan_id}/geojson",
    response_class=views.GeoJSONResponse,
    response_model=FeatureCollection,
    dependencies=[auth.reader],
    responses=problems(401, 403, 404, 409, 422),
)
def get_plan_geojson(settings: SettingsDep, plan_id: PlanId) -> Response:
    """The plan's legs (LineStrings) and stops (Points) as GeoJSON
    (``/plans/{id}/files/plan.geojson``)."""
    return _file(settings, plan_id, "plan.geojson")


@router.get(
    "/plans/{plan_id}/manifests.csv",
    response_class=CSVResponse,
    dependencies=[auth.reader],
    responses=problems(401, 403, 404, 409, 422),
)
def get_plan_manifests(settings: SettingsDep, plan_id: PlanId) -> Response:
    """What is handed over where and when, one row per consignment (CSV;
    ``/plans/{id}/files/manifests.csv``)."""
    return _file(settings, plan_id, "manifests.csv")


@router.get(
    "/plans/{plan_id}/timeline",
    dependencies=[auth.reader],
    response_model=Timeline,
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        **problems(401, 403, 404, 409, 422),
    },
)
def get_plan_timeline(
    settings: SettingsDep, plan_id: PlanId, format: str = Query("json", pattern="^(json|csv)$")
) -> Any:
    """Loading, sailing, daylight waits and unloading per vessel, for a Gantt chart
    (``/plans/{id}/files/timeline.csv`` as records, or as CSV)."""
    if format == "csv":
        return _file(settings, plan_id, "timeline.csv")
    _, body = files.render(settings, plan_id, "timeline.csv")
    return {"rows": views.csv_rows(body.decode())}


@router.post(
    "/plans/{plan_id}/cancel",
    status_code=202,
    response_model=PlanSummary,
    response_model_exclude_unset=True,
    dependencies=[auth.planner],
    responses=problems(401, 403, 404, 409, 422),
)
def cancel_plan(settings: SettingsDep, plan_id: PlanId) -> dict[str, Any]:
    """Stop a plan; a plan being solved keeps the best plan found so far."""
    return plans.cancel(settings, plan_id)


@router.get("/limits", response_model=Limits)
def limits(settings: SettingsDep) -> dict[str, Any]:
    """The service's limits: request size, solving budgets, waiting, workers."""
    return {
        "max_body_bytes": settings.max_body_bytes,
        "max_plan_seconds": settings.max_plan_seconds,
        "max_plan_iterations": settings.max_plan_iterations,
        "max_wait_s": settings.max_wait_s,
        "job_workers": settings.job_workers,
        "anonymous_reads": settings.allow_anonymous_reads,
    }
