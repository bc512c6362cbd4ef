"""How likely a plan is to hold: Monte Carlo runs of a finished plan under sampled weather,
speeds, loading times and breakdowns (``routing.risk``), as jobs of the plans' queue with
progress, a report and a cancel."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictInt

from app import auth
from app.deps import PlanId, RiskId, SettingsDep
from app.errors import problems
from app.risk import service as risk
from app.risk.schemas import RiskRun, RiskRuns
from routing.errors import DataError, Issue
from routing.inputs.schema import WHOLE

router = APIRouter(tags=["risk"])
MAX_RUNS = 20_000


class RiskRequest(BaseModel):
    """How many runs, their seed (the same seed gives the same report) and what they sample."""

    runs: Annotated[StrictInt, Field(ge=1, le=MAX_RUNS), WHOLE] = 1000
    seed: Annotated[StrictInt, Field(ge=0, le=2**31 - 1), WHOLE] = 0
    breakdowns: StrictBool = Field(default=True, description="Sample vessel breakdowns")
    replan_breakdowns: StrictBool = Field(
        default=False,
        description="After a breakdown, plan the rest again with the re-planner (slower); "
        "else what the vessel had not handed over is not delivered",
    )
    closures: Literal["history"] | None = Field(
        default=None,
        description="history: instead of the Monte Carlo, replay each closure on record "
        "(data/closures.toml) from each day of the plan's window through the re-planner; the "
        "report names per episode and start day the districts that miss their deadline",
    )
    replan_iterations: Annotated[StrictInt, Field(ge=1, le=5000), WHOLE] = Field(
        default=100, description="closures: iterations of each re-plan"
    )

    model_config = {"extra": "forbid"}


def _one_mode(body: RiskRequest) -> None:
    """A Monte Carlo's options and a replay's are not given together: a field that would be
    ignored is refused, named."""
    given = body.model_fields_set
    if body.closures:
        wrong = sorted(given & {"runs", "seed", "breakdowns", "replan_breakdowns"})
        why = "applies to the Monte Carlo, not to a replay of the closures on record"
    else:
        wrong = sorted(given & {"replan_iterations"})
        why = 'applies to a replay of the closures on record (closures: "history") only'
    if wrong:
        raise DataError([Issue("not_applicable", f"/{f}", why) for f in wrong], source="request")


@router.post(
    "/plans/{plan_id}/risk",
    status_code=202,
    dependencies=[auth.planner],
    response_model=RiskRun,
    responses=problems(401, 403, 404, 409, 413, 422),
)
def start_risk(
    request: Request, settings: SettingsDep, plan_id: PlanId, body: RiskRequest
) -> JSONResponse:
    """Start a risk run of a finished plan (202, `Location: /risk/{id}`): `runs` runs, each
    sampling the waves per sea area from data/climate.toml (rough spells, BMKG's classes),
    each vessel's speed and loading times and its breakdowns, and timing the plan's trips again
    (holding in port where the waves close a leg). The report (`GET /risk/{id}` once
    `completed`) gives per district the chance of delivery by its deadline and by H-5, the
    percentiles of its completion and a histogram against the deadline, and the stops and
    vessels most often late. A plan not finished, a capacity plan or a re-plan is a 409, and so
    is a run beyond the caps on runs queued or running (per plan: `too_many_risk_runs_of_plan`,
    in all: `too_many_risk_runs`). The body is required (`{}` takes the defaults). The run is a
    job of the plans' queue: any worker takes it up, again after a restart, and
    `POST /risk/{id}/cancel` stops it. With `closures: "history"` the run replays the closures
    on record instead (`routing.stress`): its runs are the re-plans, one per episode and start
    day, and the report has per episode and start day the districts on time and those late."""
    _one_mode(body)
    risk_id = risk.queue(
        settings,
        plan_id,
        runs=body.runs,
        seed=body.seed,
        breakdowns=body.breakdowns,
        replan_breakdowns=body.replan_breakdowns,
        closures=body.closures,
        replan_iterations=body.replan_iterations if body.closures else None,
    )
    request.app.state.submit(risk_id)
    return JSONResponse(
        risk.get(settings, risk_id), status_code=202, headers={"Location": f"/risk/{risk_id}"}
    )


@router.get(
    "/plans/{plan_id}/risk",
    dependencies=[auth.reader],
    response_model=RiskRuns,
    response_model_exclude_unset=True,
    responses=problems(401, 403, 404, 422),
)
def list_risk(settings: SettingsDep, plan_id: PlanId) -> dict[str, Any]:
    """A plan's risk runs, newest first, with their phase and progress (not their reports)."""
    return {"risk_runs": risk.of_plan(settings, plan_id)}


@router.get(
    "/risk/{risk_id}",
    dependencies=[auth.reader],
    response_model=RiskRun,
    response_model_exclude_unset=True,
    responses=problems(401, 403, 404, 422),
)
def get_risk(settings: SettingsDep, risk_id: RiskId) -> dict[str, Any]:
    """A risk run: its phase, progress (`runs_done` of `runs`) and, once completed, its
    report."""
    return risk.get(settings, risk_id)


@router.post(
    "/risk/{risk_id}/cancel",
    status_code=202,
    dependencies=[auth.planner],
    response_model=RiskRun,
    response_model_exclude_unset=True,
    responses=problems(401, 403, 404, 409, 422),
)
def cancel_risk(settings: SettingsDep, risk_id: RiskId) -> dict[str, Any]:
    """Stop a risk run (202 with its state): a queued one is `cancelled` at once, a running one
    within a few seconds (`cancel_requested` until then; the runs done so far stay counted in
    its progress, without a report). A run already finished is a 409 (`already_done`)."""
    return risk.cancel(settings, risk_id)
