"""The API document is a client's contract (issue 27, item 3): every 2xx answer in JSON
(``application/json`` and the ``+json`` types) declares a schema that says what it holds, not
an empty one nor a bare object, and real answers validate against what the document declares."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from app.config import Settings
from app.main import create_app
from tests.conftest import DATA

_DIR = Path(tempfile.mkdtemp(prefix="openapi-models-"))
DOC: dict[str, Any] = (
    TestClient(
        create_app(Settings(data_dir=DATA, database_url=f"sqlite:///{_DIR}/api.db", cache_dir=_DIR))
    )
    .get("/openapi.json")
    .json()
)


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = DOC["components"]["schemas"][name]
    return schema


def says_what_it_holds(schema: dict[str, Any] | None) -> bool:
    """A schema naming the answer's parts: an object with properties, an array of such, or a
    choice of such."""
    if not schema:
        return False
    schema = resolve(schema)
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf", []) + schema.get("oneOf", [])
        return all(says_what_it_holds(o) for o in options)
    if schema.get("type") == "array":
        return says_what_it_holds(schema.get("items"))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def json_answers() -> list[tuple[str, str, dict[str, Any] | None]]:
    """(operation, media type, schema) of every 2xx answer in JSON."""
    found = []
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            for code, answer in op.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                for media_type, content in answer.get("content", {}).items():
                    if is_json(media_type):
                        found.append(
                            (f"{method.upper()} {path}", media_type, content.get("schema"))
                        )
    return found


def test_every_json_answer_declares_what_it_holds() -> None:
    answers = json_answers()
    assert len(answers) > 40
    untyped = sorted({op for op, _, schema in answers if not says_what_it_holds(schema)})
    assert not untyped, untyped


def test_answers_that_are_not_json_keep_their_media_types() -> None:
    def media(path: str, method: str = "get") -> list[str]:
        return list(DOC["paths"][path][method]["responses"]["200"]["content"])

    assert media("/plans/{plan_id}/status/stream") == ["text/event-stream"]
    assert media("/plans/{plan_id}/papers/{vessel_id}.pdf") == ["application/pdf"]
    assert media("/plans/{plan_id}/papers/{vessel_id}") == ["text/html"]
    assert media("/plans/{plan_id}.gpkg") == ["application/geopackage+sqlite3"]
    assert media("/plans/{plan_id}/manifests.csv") == ["text/csv"]
    assert set(media("/plans/{plan_id}/timeline")) == {"application/json", "text/csv"}
    assert set(media("/matrices/{class_id}")) == {"application/json", "text/csv"}


def declared(path: str, method: str = "get", code: str = "200") -> Draft202012Validator:
    content = DOC["paths"][path][method]["responses"][code]["content"]
    schema = next(c["schema"] for media_type, c in content.items() if is_json(media_type))
    return Draft202012Validator({**schema, "components": DOC["components"]})


def conforms(validator: Draft202012Validator, body: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(body)][:10]


def test_real_answers_validate_against_the_document(sapudi_plan) -> None:
    settings, keys, plan = sapudi_plan
    plan_id = plan["id"]
    vessel = plan["result"]["voyages"][0]["vessel_id"]
    reads = [
        ("/healthz", "/healthz"),
        ("/limits", "/limits"),
        ("/plans", "/plans"),
        ("/plans/{plan_id}", f"/plans/{plan_id}"),
        ("/plans/{plan_id}/status", f"/plans/{plan_id}/status"),
        ("/plans/{plan_id}/geojson", f"/plans/{plan_id}/geojson"),
        ("/plans/{plan_id}/files", f"/plans/{plan_id}/files"),
        ("/plans/{plan_id}/files/{name}", f"/plans/{plan_id}/files/plan.json"),
        ("/schemas/plan.json", "/schemas/plan.json"),
        ("/plans/{plan_id}/events", f"/plans/{plan_id}/events"),
        ("/plans/{plan_id}/risk", f"/plans/{plan_id}/risk"),
        ("/keys", "/keys"),
        ("/hazards", "/hazards"),
        ("/hazards/history", "/hazards/history"),
        ("/scenarios", "/scenarios"),
        ("/vessels", "/vessels"),
        ("/vessels/{vessel_id}", f"/vessels/{vessel}"),
        ("/event-types", "/event-types"),
        ("/villages", "/villages?district=Sapeken"),
        ("/villages/{code}", "/villages/35.29.20.2001"),
        ("/islands", "/islands?district=Sapeken"),
        ("/depots", "/depots"),
        ("/vessel-classes", "/vessel-classes"),
    ]
    with TestClient(create_app(settings)) as client:
        for path, url in reads:
            r = client.get(url, headers=keys["planner"])
            assert r.status_code == 200, (url, r.text)
            assert not conforms(declared(path), r.json()), (url, conforms(declared(path), r.json()))
        r = client.get(f"/plans/{plan_id}/timeline", headers=keys["viewer"])
        assert not conforms(declared("/plans/{plan_id}/timeline"), r.json())
        r = client.post("/keys", json={"role": "viewer"}, headers=keys["planner"])
        assert r.status_code == 201 and not conforms(declared("/keys", "post", "201"), r.json())
        r = client.post(f"/plans/{plan_id}/risk", json={"runs": 5}, headers=keys["planner"])
        assert r.status_code == 202, r.text
        assert not conforms(declared("/plans/{plan_id}/risk", "post", "202"), r.json())
        r = client.get(f"/risk/{r.json()['id']}", headers=keys["viewer"])
        assert r.status_code == 200 and not conforms(declared("/risk/{risk_id}"), r.json()), r.text
        voyage = plan["result"]["voyages"][0]
        event = {"vessel_id": voyage["vessel_id"], "stop": 0, "type": "loaded"}
        r = client.post(f"/plans/{plan_id}/events", json=event, headers=keys["field"])
        assert r.status_code == 201, r.text
        assert not conforms(declared("/plans/{plan_id}/events", "post", "201"), r.json())
        r = client.get(f"/plans/{plan_id}/events", headers=keys["viewer"])
        assert r.json()["events"] and not conforms(declared("/plans/{plan_id}/events"), r.json())
        r = client.get(f"/plans/{plan_id}/status", headers=keys["viewer"])
        assert r.json()["stop_states"], r.text  # the status with the event in it
        assert not conforms(declared("/plans/{plan_id}/status"), r.json())
