"""Re-plans: the rest of a plan from its field events, with a change (a vessel out of service, a
landing closed, a new forecast, new deadlines); the result says what moved."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from app import auth, deps
from app.deps import PlanId
from app.errors import problems
from app.routes.plans import (
    ReplanRequest,
    check_budget,
    engine_of,
    plan_row,
    queue_plan,
    validate_scenario,
)
from routing.export import jsonable
from routing.replan import apply_change

router = APIRouter(tags=["plans"])


@router.post(
    "/plans/{plan_id}/replan",
    status_code=202,
    dependencies=[auth.planner],
    responses={
        202: {"description": "Accepted; follow the Location header"},
        **problems(401, 403, 404, 409, 413, 422),
    },
)
async def replan_plan(request: Request, plan_id: PlanId, body: ReplanRequest) -> Response:
    """Plan the rest of a plan: its field events are the state, the change is applied, what is
    delivered stays delivered and vessels under way go on with what they carry. The new plan's
    `result.replan.diff` lists moved and retimed deliveries."""
    settings = deps.settings(request)
    engine = engine_of(request)
    check_budget(settings, body)
    parent = plan_row(engine, plan_id)
    if parent.phase not in ("completed", "infeasible") or not parent.result:
        raise HTTPException(409, f"plan {plan_id} is {parent.phase}; re-plan a finished plan")
    if parent.kind == "capacity":
        raise HTTPException(409, "a capacity plan cannot be re-planned; re-plan a plan")
    change = jsonable(body.change.model_dump(by_alias=True, exclude_none=True))
    raw, out_of_service = apply_change(json.loads(parent.scenario_body), change)
    name = validate_scenario(settings, engine, raw)
    if raw.get("direction", "outbound") != "outbound":
        raise HTTPException(409, "re-planning covers outbound plans only")
    spec: dict[str, Any] = {
        "as_of": body.as_of.isoformat() if body.as_of else None,
        "out_of_service": {k: v.isoformat() for k, v in out_of_service.items()},
        "change": change,
    }
    return await queue_plan(
        request,
        body,
        kind="replan",
        name=name,
        raw=raw,
        scenario_id=parent.scenario_id,
        parent_id=plan_id,
        replan=json.dumps(spec),
    )
