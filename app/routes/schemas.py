"""The JSON Schemas of the documents the service stores and serves, generated from their types
(``routing.plandoc``); public, like the API document."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from routing.plandoc import capacity_schema, plan_schema

router = APIRouter(tags=["schemas"])

SCHEMA_JSON = "application/schema+json"


class SchemaResponse(JSONResponse):
    media_type = SCHEMA_JSON


@cache
def _plan_schema() -> dict[str, Any]:
    return plan_schema()


@cache
def _capacity_schema() -> dict[str, Any]:
    return capacity_schema()


@router.get(
    "/schemas/plan.json",
    response_class=SchemaResponse,
    responses={200: {"description": "JSON Schema (draft 2020-12) of a plan's `result`"}},
)
def get_plan_schema() -> dict[str, Any]:
    """The JSON Schema of a plan document (plan.json, the `result` of a plan or re-plan)."""
    return _plan_schema()


@router.get(
    "/schemas/capacity.json",
    response_class=SchemaResponse,
    responses={200: {"description": "JSON Schema (draft 2020-12) of a capacity plan's `result`"}},
)
def get_capacity_schema() -> dict[str, Any]:
    """The JSON Schema of a capacity plan's `result`: the capacity report with its plan."""
    return _capacity_schema()
