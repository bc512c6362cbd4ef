"""The typed plan document: plan.json reads back to itself, a mistyped one is refused by field,
and the schema the app serves is the one generated from the types."""

from __future__ import annotations

import copy
import json
import tomllib
from datetime import datetime
from typing import get_args

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from app.main import create_app
from routing.capacity import capacity_report
from routing.errors import DataError
from routing.explain import MESSAGES
from routing.inputs.fleet import load_fleet
from routing.inputs.scenario import build_problem, load_vessels, parse_scenario
from routing.outputs.export import plan_json, replan_json
from routing.plandoc import (
    CapacityDocument,
    PlanDocument,
    ReasonCode,
    capacity_schema,
    plan_schema,
)
from routing.planner import make_plan
from routing.replan import apply_change, replan
from routing.solver import SolveOptions
from tests.conftest import DATA
from tests.routing.check import check_plan, plan_validator, schema_errors

CLASSES = load_fleet(DATA / "fleet.toml")
VESSELS = load_vessels(DATA / "fleet.toml", CLASSES)
SCENARIO = DATA / "scenarios" / "pemilu2024.toml"


def _raw() -> dict:
    with SCENARIO.open("rb") as fh:
        return tomllib.load(fh)


def _written(document: dict) -> dict:
    """A document as plan.json has it on disk."""
    return json.loads(json.dumps(document, indent=1, ensure_ascii=False))


@pytest.fixture(scope="module")
def made(arch, kit, sea_areas, sea_matrices, sea_path):
    """The bundled scenario with a forecast and a closed landing (so the document has holds
    and closures), planned with a small iteration budget."""
    raw = _raw()
    raw["forecast"] = [
        {
            "area": "masalembu",
            "from": "2024-02-06T06:00:00+07:00",
            "until": "2024-02-08T06:00:00+07:00",
            "wave_m": 3.0,
        }
    ]
    raw["closed_landings"] = [{"landing": "port-mes", "from": "2024-02-05T06:00:00+07:00"}]
    problem = build_problem(
        parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas
    )
    plan = make_plan(
        problem, sea_matrices, options=SolveOptions(seed=1, max_iterations=100), path=sea_path
    )
    check_plan(plan)
    return problem, plan, _written(plan_json(plan, input_hash="h", versions={"pyvrp": "0"}))


def test_a_real_plan_reads_back_to_itself(made) -> None:
    _, plan, doc = made
    typed = PlanDocument.from_json(doc)
    assert typed.to_json() == doc
    assert "replan" not in doc and typed.replan is None
    # The types carry real values: aware times, tuples, the helpers readers use.
    assert typed.planning_start == datetime.fromisoformat(doc["planning_start"])
    assert typed.start == typed.planning_start
    assert typed.planning_start.utcoffset() is not None
    assert doc["weather"]["sea_areas"]["features"] and doc["weather"]["closed_landings"]
    v = plan.voyages[0]
    voyage = typed.voyage(v.vessel_id)
    assert voyage is not None and typed.voyage("no-such-vessel") is None
    n, depot = next((n, s) for n, s in enumerate(v.stops) if s.kind == "depot" and s.consignments)
    assert voyage.cargo_at(n) == voyage.cargo_at(n + 1) == depot.consignments
    assert voyage.cargo_at(len(v.stops) - 1) == ()  # home, nothing loaded
    with pytest.raises(Exception, match="frozen"):
        typed.status = "infeasible"  # type: ignore[misc]


def test_a_replan_and_a_capacity_result_read_back_to_themselves(
    made, arch, kit, sea_areas, sea_matrices, sea_path
) -> None:
    _, plan, doc = made
    vessel = doc["voyages"][0]
    stops = vessel["stops"]
    events = [
        {"vessel_id": vessel["vessel_id"], "stop": 0, "type": "loaded", "at": stops[0]["work_end"]},
        {
            "vessel_id": vessel["vessel_id"],
            "stop": 0,
            "type": "departed",
            "at": stops[0]["departure"],
        },
    ]
    other = doc["voyages"][-1]["vessel_id"]
    raw, out = apply_change(
        _raw(), {"out_of_service": [{"vessel": other, "from": stops[0]["departure"]}]}
    )
    changed = build_problem(
        parse_scenario(raw).all_dispatched(), arch, kit, CLASSES, VESSELS, sea_areas
    )
    result = replan(
        changed,
        PlanDocument.from_json(doc),
        events,
        sea_matrices,
        options=SolveOptions(seed=1, max_iterations=50),
        out_of_service=out,
        path=sea_path,
    )
    new = _written(replan_json(result, out_of_service=out, input_hash="h", versions={}))
    assert not schema_errors(plan_validator(), new)
    typed = PlanDocument.from_json(new)
    assert typed.to_json() == new
    assert typed.replan is not None and typed.start == result.state.as_of
    assert list(new["replan"]) == [
        "as_of",
        "out_of_service",
        "vessels_gone",
        "delivered_before",
        "diff",
    ]

    capacity = _written({**capacity_report(plan), "plan": doc})
    validator = Draft202012Validator(capacity_schema())
    assert not schema_errors(validator, capacity)
    assert CapacityDocument.from_json(capacity).to_json() == capacity


def test_a_mistyped_document_is_refused_with_the_fields_path(made) -> None:
    _, _, doc = made
    bad = copy.deepcopy(doc)
    bad["voyages"][0]["stops"][1]["arrival"] = "tomorrow morning"
    bad["voyages"][0]["stops"][1]["tps"] = "12"
    bad["voyages"][0]["legs"][0]["distance_nm"] = "4.2"
    del bad["voyages"][0]["legs"][0]["from"]
    bad["kpis"]["districts"][0]["deadline"] = "2024-02-13T18:00:00"  # no UTC offset
    bad["unassigned"] = [{"village_code": "x", "consignments": [], "tps": 1, "reasons": []}]
    bad["unassigned"][0]["reasons"] = [{"code": "NO_IDEA", "message": "", "vessels": []}]
    bad["status"] = "done"
    bad["surprise"] = 1
    with pytest.raises(DataError) as err:
        PlanDocument.from_json(bad)
    found = {(p.code, p.path) for p in err.value.problems}
    assert found == {
        ("bad_time", "/voyages/0/stops/1/arrival"),
        ("bad_value", "/voyages/0/stops/1/tps"),
        ("bad_value", "/voyages/0/legs/0/distance_nm"),
        ("missing_field", "/voyages/0/legs/0/from"),
        ("bad_time", "/kpis/districts/0/deadline"),
        ("bad_value", "/unassigned/0/reasons/0/code"),
        ("bad_value", "/status"),
        ("unknown_field", "/surprise"),
    }
    # The schema refuses the same document, at the same places.
    paths = {e.json_path for e in plan_validator().iter_errors(bad)}
    assert {
        "$.voyages[0].stops[1].arrival",
        "$.voyages[0].stops[1].tps",
        "$.voyages[0].legs[0].distance_nm",
        "$.voyages[0].legs[0]",  # 'from' is a required property
        "$.kpis.districts[0].deadline",
        "$.unassigned[0].reasons[0].code",
        "$.status",
        "$",  # no 'surprise' allowed
    } == paths


def test_the_served_schema_is_the_generated_one(settings) -> None:
    with TestClient(create_app(settings)) as client:  # no key: the schemas are public
        for name, generated in (("plan", plan_schema()), ("capacity", capacity_schema())):
            r = client.get(f"/schemas/{name}.json")
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == "application/schema+json"
            assert r.json() == generated
    Draft202012Validator.check_schema(plan_schema())
    assert plan_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(get_args(ReasonCode)) == set(MESSAGES)  # the codes of routing.explain
