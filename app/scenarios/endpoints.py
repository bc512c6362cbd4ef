"""Stored scenarios. A stored scenario is never changed (there is no PUT or DELETE: a new one
is stored instead)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app import auth
from app.deps import ScenarioId, SettingsDep
from app.errors import problems
from app.scenarios import service as scenarios
from app.scenarios.schemas import Scenarios, StoredScenario
from routing.inputs.schema import ScenarioModel

router = APIRouter(tags=["scenarios and vessels"])


@router.post(
    "/scenarios",
    status_code=201,
    dependencies=[auth.planner],
    response_model=StoredScenario,
    responses=problems(401, 403, 413, 422),
)
def create_scenario(settings: SettingsDep, scenario: ScenarioModel) -> JSONResponse:
    """Store a scenario (the same fields as data/scenarios/*.toml) after checking it in full."""
    stored = scenarios.create(settings, scenario.to_raw())
    return JSONResponse(stored, status_code=201, headers={"Location": f"/scenarios/{stored['id']}"})


@router.get(
    "/scenarios",
    dependencies=[auth.reader],
    response_model=Scenarios,
    responses=problems(401, 403),
)
def list_scenarios(settings: SettingsDep) -> dict[str, Any]:
    """Stored scenarios, newest first, and the names of the bundled ones."""
    return scenarios.listing(settings)


@router.get(
    "/scenarios/{scenario_id}",
    dependencies=[auth.reader],
    response_model=StoredScenario,
    responses=problems(401, 403, 404, 422),
)
def get_scenario(settings: SettingsDep, scenario_id: ScenarioId) -> dict[str, Any]:
    """One stored scenario."""
    return scenarios.get(settings, scenario_id)
