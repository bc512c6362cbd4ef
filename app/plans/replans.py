"""Re-plans: the rest of a plan from its field events, with a change (a vessel out of service, a
landing closed, a new forecast, new deadlines); the result says what moved."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from app import auth
from app.deps import PlanId, SettingsDep
from app.errors import problems
from app.plans import service as plans
from app.plans.endpoints import ACCEPTED, answer
from app.plans.schemas import PlanSummary, ReplanRequest, budget_of
from routing.outputs.export import jsonable

router = APIRouter(tags=["plans"])


@router.post(
    "/plans/{plan_id}/replan",
    status_code=202,
    response_model=PlanSummary,
    dependencies=[auth.planner],
    responses={**ACCEPTED, **problems(401, 403, 404, 409, 413, 422)},
)
async def replan_plan(
    request: Request, settings: SettingsDep, plan_id: PlanId, body: ReplanRequest
) -> Response:
    """Plan the rest of a plan: its field events are the state, the change is applied, what is
    delivered stays delivered and vessels under way go on with what they carry. The new plan's
    `result.replan.diff` lists moved and retimed deliveries."""
    budget = budget_of(body)
    plans.check_budget(settings, budget)
    change = jsonable(body.change.model_dump(by_alias=True, exclude_none=True))
    new_id = await run_in_threadpool(
        plans.queue_replan, settings, plan_id, change=change, as_of=body.as_of, budget=budget
    )
    return await answer(request, new_id, body.wait)
