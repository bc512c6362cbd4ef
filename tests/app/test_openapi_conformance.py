"""The API document says what the service accepts (issue 26, finding 11): each constraint the
document can express is in it, and a request it allows is not refused for its form. The document
is checked with a JSON Schema validator; the service, on both databases, with requests of the
kinds schemathesis found refused although the document allowed them."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from pydantic import StrictInt, TypeAdapter, ValidationError

from app.config import Settings
from app.main import create_app
from routing.inputs.schema import WHOLE, Clock, Time
from tests.app.conftest import SAPUDI
from tests.conftest import DATA

_DB = Path(tempfile.mkdtemp(prefix="openapi-")) / "api.db"
DOC: dict[str, Any] = create_app(
    Settings(data_dir=DATA, database_url=f"sqlite:///{_DB}", cache_dir=_DB.parent / "cache")
).openapi()


def valid(name: str, instance: Any) -> bool:
    """Whether the document's schema ``name`` allows ``instance``."""
    root = {"$ref": f"#/components/schemas/{name}", "components": DOC["components"]}
    return Draft202012Validator(root).is_valid(instance)


def accepts(kind: Any, value: Any) -> bool:
    try:
        TypeAdapter(kind).validate_json(f'"{value}"' if isinstance(value, str) else str(value))
    except ValidationError:
        return False
    return True


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for x in node.values():
            yield from walk(x)
    elif isinstance(node, list):
        for x in node:
            yield from walk(x)


def test_the_status_stream_is_declared_as_an_event_stream_only() -> None:
    ok = DOC["paths"]["/plans/{plan_id}/status/stream"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/event-stream"]
    event = ok["content"]["text/event-stream"]["schema"]  # each event, not the stream
    assert event["type"] == "object" and event["properties"]["event"] == {"const": "status"}
    assert event["properties"]["data"]["contentMediaType"] == "application/json"


@pytest.mark.parametrize("name", ["PlanRequest", "CapacityRequest"])
def test_exactly_one_of_scenario_scenario_id_and_bundled(name: str) -> None:
    assert valid(name, {"bundled": "pemilu2024"})
    assert valid(name, {"scenario_id": "s1", "scenario": None, "bundled": None})
    assert not valid(name, {"bundled": "pemilu2024", "scenario": SAPUDI})
    assert not valid(name, {"bundled": "pemilu2024", "scenario_id": "s1"})
    assert not valid(name, {"scenario": None})
    assert not valid(name, {})


@pytest.mark.parametrize(
    ("clock", "ok"),
    [
        ("06:00", True),
        ("18:30:15", True),
        ("23:59:59.250000", True),
        ("00:00:00Z", False),  # what `format: time` (RFC 3339 full-time) generated
        ("06:00:00+07:00", False),
        ("6:00", False),
        ("24:00", False),
    ],
)
def test_daylight_times_are_local_clock_times_in_the_document_and_the_service(
    clock: str, ok: bool
) -> None:
    start = DOC["components"]["schemas"]["Daylight"]["properties"]["start"]
    assert "format" not in start
    assert valid("Daylight", {"start": clock}) is ok
    assert accepts(Clock, clock) is ok


@pytest.mark.parametrize(
    ("when", "ok"),
    [
        ("2024-02-05T06:00:00Z", True),
        ("2024-02-05T06:00:00+07:00", True),
        ("2000-01-01T00:30:00+01:00", True),  # 1999 in UTC: the year as written counts
        ("2099-12-31T23:00:00-05:00", True),
        ("1999-12-31T23:59:59Z", False),
        ("2100-01-01T00:00:00+07:00", False),
        ("0001-01-01T00:00:00Z", False),
    ],
)
def test_times_lie_in_the_years_both_say(when: str, ok: bool) -> None:
    stamps = [n for n in walk(DOC) if n.get("format") == "date-time"]
    assert stamps and all(n.get("pattern") == "^20[0-9]{2}-" for n in stamps)
    assert valid("OutOfService", {"vessel": "kal-28-1", "from": when}) is ok
    assert accepts(Time, when) is ok


@pytest.mark.parametrize(
    ("value", "ok"), [("2", True), ("2.0", True), ("2.5", False), ('"2"', False), ("true", False)]
)
def test_integers_are_whole_numbers_written_either_way(value: str, ok: bool) -> None:
    try:
        TypeAdapter(Annotated[StrictInt, WHOLE]).validate_json(value)
    except ValidationError:
        assert not ok
    else:
        assert ok


def test_a_vessel_window_has_both_ends_or_neither() -> None:
    a, b = "2024-02-06T06:00:00+07:00", "2024-02-20T18:00:00+07:00"
    assert valid("VesselUpdate", {"available_from": a, "available_until": b})
    assert valid("VesselUpdate", {"available_from": None, "available_until": None})
    assert valid("VesselUpdate", {"active": False})
    assert not valid("VesselUpdate", {"available_from": a})
    assert not valid("VesselUpdate", {"available_from": a, "available_until": None})


def test_a_key_binding_is_a_field_keys_to_a_vessel_of_the_fleet() -> None:
    assert valid("KeyRequest", {"role": "field", "vessel_id": "kal-28-1", "plan_id": "p1"})
    assert valid("KeyRequest", {"role": "viewer", "vessel_id": None, "plan_id": None})
    assert not valid("KeyRequest", {"role": "planner", "vessel_id": "kal-28-1"})
    assert not valid("KeyRequest", {"role": "field", "plan_id": "p1"})
    assert not valid("KeyRequest", {"role": "field", "vessel_id": "no-such-vessel"})


def test_each_event_type_carries_what_it_needs() -> None:
    base = {"vessel_id": "kal-28-1", "stop": 1}
    handed = {**base, "type": "handed_over", "boxes": 3, "condition": "good", "receiver": "PPS"}
    assert valid("EventIn", handed)
    assert not valid("EventIn", {**handed, "receiver": None})
    assert not valid("EventIn", {k: v for k, v in handed.items() if k != "boxes"})
    assert valid("EventIn", {**base, "type": "delayed", "reason": "swell"})
    assert not valid("EventIn", {**base, "type": "delayed", "reason": ""})
    assert valid("EventIn", {**base, "type": "loaded"})


def test_no_control_character_in_a_query_value_or_a_dictionary_key() -> None:
    for item in DOC["paths"].values():
        for op in item.values():
            for p in op.get("parameters", []):
                options = [p["schema"], *p["schema"].get("anyOf", [])]
                strings = [o for o in options if o.get("type") == "string"]
                if p["in"] == "query":
                    assert all({"pattern", "enum", "const"} & set(o) for o in strings), p
    assert not [n for n in walk(DOC) if "patternProperties" in n]
    assert not valid("Change", {"deadlines": {"35.2\t9": "2024-02-13T18:00:00+07:00"}})
    assert valid("Change", {"deadlines": {"35.29.23": "2024-02-13T18:00:00+07:00"}})


def test_requests_the_document_allows_are_accepted(service) -> None:
    client, keys = service
    planner = keys["planner"]
    body = {"bundled": "pemilu2024", "scenario": None, "seed": 3.0, "iterations": 5.0}
    r = client.post("/plans:validate", json=body, headers=planner)
    assert r.status_code == 200 and r.json()["valid"], r.text
    for seed in (2.5, "2", True):
        r = client.post("/plans:validate", json={**body, "seed": seed}, headers=planner)
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/seed", r.text
    # What the document refuses, the service refuses too, naming the field.
    for wrong, path in (({"scenario_id": "s1"}, "/scenario"), ({"bundled": "nope"}, "/bundled")):
        r = client.post("/plans:validate", json={**body, **wrong}, headers=planner)
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == path, r.text
    r = client.post("/plans:validate", json={"scenario_id": "no-such"}, headers=planner)
    assert r.status_code == 200 and r.json()["valid"] is False, r.text  # allowed: data, not form

    scenario = {
        **SAPUDI,
        "planning_start": _zulu(SAPUDI["planning_start"]),
        "daylight": {"start": "05:30", "end": "17:45:30"},
    }
    r = client.post("/scenarios", json=scenario, headers=planner)
    assert r.status_code == 201, r.text

    window = {"available_from": None, "available_until": None, "active": True}
    r = client.put("/vessels/kal-28-1", json=window, headers=planner)
    assert r.status_code == 200, r.text
    r = client.put(
        "/vessels/kal-28-1",
        json={"active": False},
        headers={**planner, "If-Match": r.headers["ETag"]},
    )
    assert r.status_code == 200 and r.json()["active"] is False, r.text

    key = {"role": "field", "vessel_id": "kal-28-1", "plan_id": None, "expires_in_s": 3600.0}
    r = client.post("/keys", json=key, headers=planner)
    assert r.status_code == 201, r.text


def _zulu(when: str) -> str:
    """The same instant written in UTC with ``Z``."""
    return datetime.fromisoformat(when).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_event_with_a_whole_number_written_with_a_fraction_is_recorded(sapudi_plan) -> None:
    settings, keys, plan = sapudi_plan
    voyage = plan["result"]["voyages"][0]
    body = {
        "vessel_id": voyage["vessel_id"],
        "stop": 0.0,
        "type": "loaded",
        "at": voyage["stops"][0]["work_end"],
    }
    with TestClient(create_app(settings)) as client:
        r = client.post(f"/plans/{plan['id']}/events", json=body, headers=keys["field"])
    assert r.status_code == 201 and r.json()["stop"] == 0, r.text


def test_a_status_stream_outlives_the_request_body_timeout(sapudi_plan) -> None:
    """The stream the document declares is served in full: once a request's body is in (a GET
    has none), the wait for the caller to go is not a body that stopped coming (it broke the
    stream mid-answer, a server error in the log, after ``BALLOT_BODY_TIMEOUT_S``)."""
    settings, keys, plan = sapudi_plan
    settings = settings.model_copy(update={"body_timeout_s": 0.2, "status_keepalive_s": 0.1})
    url = f"/plans/{plan['id']}/status/stream"
    with (
        TestClient(create_app(settings)) as client,
        client.stream("GET", url, headers=keys["viewer"]) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        first = [next(lines) for _ in range(3)]  # the current status at once: one event
        event = dict(line.split(": ", 1) for line in first)
        root = {"components": DOC["components"]}
        content = DOC["paths"]["/plans/{plan_id}/status/stream"]["get"]["responses"]["200"]
        declared = content["content"]["text/event-stream"]["schema"]
        assert Draft202012Validator({**declared, **root}).is_valid(event), event
        assert json.loads(event["data"])["plan_id"] == plan["id"]
        keepalives = 0
        while keepalives < 10:  # ten keep-alives: five body timeouts' worth at least
            keepalives += next(lines) == ": keep-alive"
