"""The JSON Schemas of the documents the service stores and serves, generated from their types
(``routing.plandoc``); public, like the API document. And what the API document says beyond
what FastAPI writes from the types (``constrained``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.config import Settings
from app.plans.schemas import JSONSchemaDocument
from app.scenarios.service import bundled_names
from app.vessels.service import fleet_vessels
from routing.inputs.schema import NO_CONTROL
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
    response_model=JSONSchemaDocument,
    responses={200: {"description": "JSON Schema (draft 2020-12) of a plan's `result`"}},
)
def get_plan_schema() -> SchemaResponse:
    """The JSON Schema of a plan document (plan.json, the `result` of a plan or re-plan)."""
    return SchemaResponse(_plan_schema())


@router.get(
    "/schemas/capacity.json",
    response_class=SchemaResponse,
    response_model=JSONSchemaDocument,
    responses={200: {"description": "JSON Schema (draft 2020-12) of a capacity plan's `result`"}},
)
def get_capacity_schema() -> SchemaResponse:
    """The JSON Schema of a capacity plan's `result`: the capacity report with its plan."""
    return SchemaResponse(_capacity_schema())


def constrained(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The API document saying what the service accepts where FastAPI's does not: no control
    character in any query value (``deps.clean_query`` refuses them all), a dictionary's key
    pattern as a pattern of its keys, a key's vessel one of the fleet's, and a bundled scenario
    one of those shipped."""
    for item in schema["paths"].values():
        for op in item.values():
            for p in op.get("parameters", []):
                if p["in"] == "query":
                    for option in [p["schema"], *p["schema"].get("anyOf", [])]:
                        if option.get("type") == "string" and not {
                            "pattern",
                            "enum",
                            "const",
                        } & set(option):
                            option["pattern"] = NO_CONTROL
    components = schema["components"]["schemas"]
    _keys_as_names(components)
    known = {
        ("KeyRequest", "vessel_id"): sorted(fleet_vessels(settings)),
        ("PlanRequest", "bundled"): bundled_names(settings),
        ("CapacityRequest", "bundled"): bundled_names(settings),
    }
    for (model, field), names in known.items():
        prop = components.get(model, {}).get("properties", {}).get(field, {})
        for option in prop.get("anyOf", []):
            if option.get("type") == "string":
                option["enum"] = names
    return schema


def _keys_as_names(node: Any) -> None:
    """Pydantic writes the pattern of a dictionary's keys as ``patternProperties``, which lets a
    key outside the pattern through; the service refuses it. The pattern goes to
    ``propertyNames`` and the values' schema to ``additionalProperties``."""
    if isinstance(node, list):
        for x in node:
            _keys_as_names(x)
        return
    if not isinstance(node, dict):
        return
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in node:
        ((pattern, values),) = patterns.items()
        node.pop("patternProperties")
        node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
        node["additionalProperties"] = values
    for x in node.values():
        _keys_as_names(x)
