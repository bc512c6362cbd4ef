"""Bad input from an adversary: every request is a 4xx problem naming the field (on SQLite and
on PostgreSQL), no field event can break a plan's status or its re-plans, keys are checked before
the body. Each case here is a request that once answered 500 or was wrongly accepted."""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.main import create_app
from routing.inputs.schema import MAX_FIXED_COST_IDR, MAX_SHIP_HOUR_IDR
from routing.outputs.export import jsonable
from tests.app.conftest import wait_done
from tests.conftest import DATA, all_dispatched

with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
    PEMILU = all_dispatched(jsonable(tomllib.load(fh)))
SMALL = {**PEMILU, "name": "sapudi", "villages": ["35.29.20.2001", "35.29.20.2002"]}
SMALL["vessels"] = ["kmp-dbs-3"]
PROBLEM_JSON = "application/problem+json"

# A field of the wrong JSON type in each part of a scenario.
WRONG_TYPES = {
    "deadlines": ["35.29.23"],
    "daylight": ["06:00", "18:00"],
    "depots": {"kalianget": 1},
    "villages": {"35.29.20.2001": True},
    "vessels": "kmp-dbs-3",
    "sea_areas": {"id": "x"},
    "closed_landings": {"landing": "port-mes"},
    "vessel_windows": ["kmp-dbs-3"],
    "objective": [5_000_000],
    "ready": ["35.29.23"],
    "ppk_offices": ["35.29.23.2001"],
    "out_of_service": ["kmp-dbs-3"],
    "forecast": {"area": "masalembu"},
    "planning_start": 1707091200,
    "election_day": 20240214,
}


def assert_problem(r, status: int, path: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM_JSON
    paths = [e["path"] for e in r.json()["errors"]]
    assert path in paths, paths


@pytest.mark.parametrize("field", sorted(WRONG_TYPES))
def test_a_scenario_field_of_the_wrong_type_is_a_422_naming_it(service, field: str) -> None:
    client, keys = service
    scenario = {**SMALL, field: WRONG_TYPES[field]}
    planner = keys["planner"]
    for url in ("/plans:validate", "/plans", "/capacity-plans"):
        r = client.post(url, json={"scenario": scenario}, headers=planner)
        assert_problem(r, 422, f"/scenario/{field}")
    assert_problem(client.post("/scenarios", json=scenario, headers=planner), 422, f"/{field}")


def test_values_out_of_range_are_422_naming_the_field(service) -> None:
    client, keys = service
    planner, viewer = keys["planner"], keys["viewer"]

    def post(url: str, body: dict):
        return client.post(url, json=body, headers=planner)

    assert_problem(post("/plans", {"bundled": "a" * 100_000}), 422, "/bundled")
    assert_problem(post("/plans", {"bundled": "../pemilu2024"}), 422, "/bundled")
    assert_problem(client.get("/plans?offset=" + "9" * 30, headers=viewer), 422, "/query/offset")
    assert_problem(
        client.get("/plans?offset=9223372036854775808", headers=viewer), 422, "/query/offset"
    )
    body = {"bundled": "pemilu2024", "fixed_cost_idr": 2**63}
    assert_problem(post("/capacity-plans", body), 422, "/fixed_cost_idr")
    rich = {**SMALL, "objective": {"ship_hour_idr": 1e308}}
    assert_problem(
        post("/plans:validate", {"scenario": rich}), 422, "/scenario/objective/ship_hour_idr"
    )
    assert_problem(
        post("/plans", {"scenario": {**SMALL, "name": "n" * 201}}), 422, "/scenario/name"
    )
    assert_problem(
        post("/plans", {"bundled": "pemilu2024", "iterations": True}), 422, "/iterations"
    )
    assert_problem(post("/plans", {"bundled": "pemilu2024", "seed": 2**40}), 422, "/seed")
    assert_problem(post("/plans", {"bundled": "pemilu2024", "wait": 7e307}), 422, "/wait")
    assert_problem(
        post("/plans", {"scenario": {**SMALL, "colour": "red"}}), 422, "/scenario/colour"
    )
    naive = {**SMALL, "default_deadline": "2024-02-13T18:00:00"}
    r = post("/plans", {"scenario": naive})
    assert_problem(r, 422, "/scenario/default_deadline")
    assert "UTC offset" in r.json()["errors"][0]["message"]
    far = {**SMALL, "default_deadline": "9999-12-31T23:59:59+07:00"}
    assert_problem(post("/plans", {"scenario": far}), 422, "/scenario/default_deadline")
    nonfinite = b'{"bundled": "pemilu2024", "seconds": Infinity}'
    r = client.post(
        "/plans", content=nonfinite, headers={**planner, "content-type": "application/json"}
    )
    assert_problem(r, 422, "/seconds")
    r = client.get("/plans/x?wait=7e307", headers=viewer)
    assert_problem(r, 422, "/query/wait")
    assert_problem(client.get("/plans/x?wait=31", headers=viewer), 422, "/query/wait")
    assert client.get("/plans", headers=viewer).status_code == 200  # nothing was stored


@pytest.mark.parametrize(
    "url",
    [
        "/plans/a%00b",
        "/plans/a%00b/status",
        "/plans/a%00b/events",
        "/plans/a%00b/geojson",
        "/plans/a%00b/manifests.csv",
        "/plans/a%00b/timeline",
        "/scenarios/a%00b",
        "/plans?status=a%00b",
        "/plans?scenario=a%00b",
    ],
)
def test_control_characters_in_ids_are_422(service, url: str) -> None:
    client, keys = service
    r = client.get(url, headers=keys["viewer"])
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["errors"][0]["path"].startswith(("/path/", "/query/"))


def test_control_characters_in_posted_ids_are_422(service) -> None:
    client, keys = service
    for url in ("/plans/a%00b/cancel", "/plans/a%00b/replan"):
        assert client.post(url, json={}, headers=keys["planner"]).status_code == 422
    r = client.post(
        "/plans/a%00b/events",
        json={"vessel_id": "x", "stop": 0, "type": "loaded"},
        headers=keys["field"],
    )
    assert r.status_code == 422
    r = client.post("/plans", json={"scenario_id": "a\x00b"}, headers=keys["planner"])
    assert_problem(r, 422, "/scenario_id")


def test_a_large_chunked_body_is_413(service) -> None:
    client, keys = service

    def chunks() -> Iterator[bytes]:
        yield b'{"bundled": "'
        for _ in range(10):
            yield b"a" * 1_000_000
        yield b'"}'

    r = client.post(
        "/plans", content=chunks(), headers={**keys["planner"], "content-type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["errors"][0]["code"] == "too_large"


def test_the_key_is_checked_before_the_body(service) -> None:
    client, keys = service
    bad = b"{this is not json"
    headers = {"content-type": "application/json"}
    assert client.post("/plans", content=bad, headers=headers).status_code == 401
    r = client.post("/plans", content=bad, headers={**headers, "X-API-Key": "ibr_nope"})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM_JSON
    r = client.post("/plans", content=bad, headers={**headers, **keys["planner"]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "json_invalid"
    # A key in the query string is not a key.
    planner_key = keys["planner"]["X-API-Key"]
    assert client.get(f"/plans?api_key={planner_key}").status_code == 401


def _landings(voyage: dict) -> list[int]:
    return [i for i, s in enumerate(voyage["stops"]) if s["kind"] == "landing"]


def test_field_events_are_checked_against_time_and_order(sapudi_plan) -> None:
    settings, keys, plan = sapudi_plan
    voyage = plan["result"]["voyages"][0]
    stops, vid = voyage["stops"], voyage["vessel_id"]
    first, second = _landings(voyage)[:2]
    url = f"/plans/{plan['id']}/events"
    with TestClient(create_app(settings)) as client:

        def post(stop: int, type_: str, at: str | None, **extra):
            body = {"vessel_id": vid, "stop": stop, "type": type_, "at": at, **extra}
            return client.post(url, json=body, headers=keys["field"])

        assert_problem(post(0, "loaded", "2024-02-05T09:00:00"), 422, "/at")  # no UTC offset
        assert_problem(post(0, "loaded", "9999-02-05T09:00:00+07:00"), 422, "/at")
        r = post(0, "loaded", "2099-02-05T09:00:00+07:00")
        assert_problem(r, 422, "/at")
        assert r.json()["errors"][0]["code"] == "in_the_future"
        r = post(0, "loaded", "2024-01-01T09:00:00+07:00")
        assert_problem(r, 409, "/at")
        assert r.json()["errors"][0]["code"] == "before_plan_start"
        assert_problem(post(0, "departed", stops[0]["departure"]), 409, "/type")
        assert post(0, "loaded", stops[0]["work_end"]).status_code == 201
        r = post(0, "departed", stops[0]["arrival"])  # before the loading it follows
        assert r.status_code == 409 and r.json()["errors"][0]["code"] == "before_previous_event"
        assert post(0, "departed", stops[0]["departure"]).status_code == 201
        # The second landing is reported first (the first was skipped): the first is then behind.
        assert post(second, "arrived", stops[second]["arrival"]).status_code == 201
        r = post(first, "arrived", stops[second]["arrival"])
        assert r.status_code == 409 and r.json()["errors"][0]["code"] == "stop_passed"
        r = post(first, "delayed", None, reason="swell")
        assert r.status_code == 409 and r.json()["errors"][0]["code"] == "stop_passed"
        r = client.post(
            url, json={"vessel_id": "ghost", "stop": 0, "type": "loaded"}, headers=keys["field"]
        )
        assert_problem(r, 409, "/vessel_id")
        assert_problem(post(len(stops), "arrived", None), 409, "/stop")
        status = client.get(f"/plans/{plan['id']}/status", headers=keys["viewer"])
        assert status.status_code == 200
        v = next(x for x in status.json()["voyages"] if x["vessel_id"] == vid)
        assert v["current_stop"] == second and v["current_state"] == "arrived"
        assert v["warnings"] == [] and status.json()["warnings"] == []


def test_stored_bad_events_never_break_the_status_or_a_replan(sapudi_plan) -> None:
    """Events stored before the rules (old data): each is set aside with a warning for its
    voyage; the status answers 200, after a restart too, and a re-plan completes."""
    settings, keys, plan = sapudi_plan
    voyage = plan["result"]["voyages"][0]
    stops, vid = voyage["stops"], voyage["vessel_id"]
    landing = _landings(voyage)[0]
    bad = [
        (vid, 0, "loaded", "2024-02-05T09:00:00"),  # no UTC offset
        (vid, 0, "loaded", "9999-12-31T23:00:00+07:00"),  # far future
        (vid, 0, "loaded", "2099-02-05T09:00:00+07:00"),  # after it was recorded
        (vid, 0, "loaded", "2024-01-01T09:00:00+07:00"),  # before the plan starts
        (vid, 0, "loaded", stops[0]["work_end"]),  # fine
        (vid, landing, "arrived", stops[landing]["arrival"]),  # fine
        (vid, 0, "departed", stops[0]["departure"]),  # behind the landing reported before it
        (vid, landing, "handed_over", "2024-02-01T00:00:00+07:00"),  # back in time
        ("ghost", 0, "loaded", stops[0]["work_end"]),  # no such voyage
        (vid, 999, "arrived", stops[0]["work_end"]),  # no such stop
        (vid, landing, "arrived", "not a time"),
    ]
    engine = sa.create_engine(settings.database)
    with engine.begin() as conn:
        for n, (v, stop, type_, at) in enumerate(bad):
            conn.execute(
                sa.text(
                    "insert into events (plan_id, vessel_id, stop, type, payload, created_at)"
                    " values (:p, :v, :s, :t, :payload, :c)"
                ),
                {
                    "p": plan["id"],
                    "v": v,
                    "s": stop,
                    "t": type_,
                    "payload": json.dumps({"at": at}),
                    "c": time.time() + n / 1000,  # recorded now
                },
            )
    engine.dispose()
    for _restart in range(2):
        with TestClient(create_app(settings)) as client:
            r = client.get(f"/plans/{plan['id']}/status", headers=keys["viewer"])
            assert r.status_code == 200, r.text
            body = r.json()
            assert len(body["warnings"]) == len(bad) - 2
            v = next(x for x in body["voyages"] if x["vessel_id"] == vid)
            assert len(v["warnings"]) == len(bad) - 3  # the ghost's is not this voyage's
            assert v["current_stop"] == landing and v["current_state"] == "arrived"
            assert (
                client.get(f"/plans/{plan['id']}/events", headers=keys["viewer"]).status_code == 200
            )
    with TestClient(create_app(settings)) as client:
        # A new event goes on from the usable ones.
        r = client.post(
            f"/plans/{plan['id']}/events",
            json={
                "vessel_id": vid,
                "stop": landing,
                "type": "handed_over",
                "at": stops[landing]["work_end"],
                "boxes": stops[landing]["ballot_boxes"],
                "condition": "good",
                "receiver": "PPS",
            },
            headers=keys["field"],
        )
        assert r.status_code == 201, r.text
        r = client.post(
            f"/plans/{plan['id']}/replan",
            json={"iterations": 100, "as_of": stops[landing]["work_end"]},
            headers=keys["planner"],
        )
        assert r.status_code == 202, r.text
        replanned = wait_done(client, r.headers["Location"], keys["viewer"])
        assert replanned["phase"] == "completed", replanned
        assert replanned["result"]["replan"]["delivered_before"]


def test_a_replan_time_without_offset_is_a_422(service) -> None:
    client, keys = service
    r = client.post(
        "/plans/whatever/replan", json={"as_of": "2024-02-07T12:00:00"}, headers=keys["planner"]
    )
    assert_problem(r, 422, "/as_of")


def test_the_largest_costs_the_schema_allows_still_make_a_plan(service) -> None:
    """A cost the schema accepts never turns a plan infeasible (costs stay below the solver's
    prize for serving a village); one past it is a 422."""
    client, keys = service
    priciest = {**SMALL, "objective": {"ship_hour_idr": float(MAX_SHIP_HOUR_IDR)}}
    for url, extra in (("/plans", {}), ("/capacity-plans", {"fixed_cost_idr": MAX_FIXED_COST_IDR})):
        body = {"scenario": priciest, "iterations": 100, "seed": 1, "wait": 30, **extra}
        r = client.post(url, json=body, headers=keys["planner"])
        plan = wait_done(client, r.headers["Location"], keys["viewer"])
        assert plan["phase"] == "completed", plan
    over = {**SMALL, "objective": {"ship_hour_idr": MAX_SHIP_HOUR_IDR * 1.5}}
    r = client.post("/plans:validate", json={"scenario": over}, headers=keys["planner"])
    assert_problem(r, 422, "/scenario/objective/ship_hour_idr")


def test_failures_found_by_the_fuzz_are_4xx(service) -> None:
    """Requests bench/fuzz.py once answered 500 or outside the API document."""
    client, keys = service
    planner = keys["planner"]
    for daylight in ({"start": "00:00:00Z"}, {"start": "06:00:00+07:00", "end": "18:00:00"}):
        scenario = {**SMALL, "daylight": daylight}
        assert_problem(
            client.post("/scenarios", json=scenario, headers=planner), 422, "/daylight/start"
        )
        r = client.post("/plans:validate", json={"scenario": scenario}, headers=planner)
        assert_problem(r, 422, "/scenario/daylight/start")
    r = client.post(
        "/keys", content=b"\xff", headers={**planner, "content-type": "application/json"}
    )
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM_JSON
    document = client.get("/openapi.json").json()
    assert "400" in document["paths"]["/keys"]["post"]["responses"]
    assert "200" in document["paths"]["/plans/{plan_id}/events"]["post"]["responses"]
    for method, url, allow in (
        ("OPTIONS", "/keys", "GET, POST"),
        ("PATCH", "/plans", "GET, POST"),
        ("PUT", "/plans/x/events", "GET, POST"),
    ):
        r = client.request(method, url, headers=planner)
        assert r.status_code == 405 and r.headers["allow"] == allow


def test_plan_files_have_the_content_types_the_document_gives(sapudi_plan) -> None:
    settings, keys, plan = sapudi_plan
    with TestClient(create_app(settings)) as client:
        document = client.get("/openapi.json").json()["paths"]
        base = f"/plans/{plan['id']}"
        for url, path in (
            (f"{base}/manifests.csv", "/plans/{plan_id}/manifests.csv"),
            (f"{base}/timeline?format=csv", "/plans/{plan_id}/timeline"),
        ):
            r = client.get(url, headers=keys["viewer"])
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
            assert "text/csv" in document[path]["get"]["responses"]["200"]["content"]


def test_a_scenario_whose_vessels_are_all_out_is_refused_naming_the_vessels(service) -> None:
    client, keys = service
    planner = keys["planner"]
    gone = {**SMALL, "out_of_service": {"kmp-dbs-3": "2024-02-01T00:00:00+07:00"}}
    r = client.post("/plans", json={"scenario": gone}, headers=planner)
    assert_problem(r, 422, "/scenario/vessels")
    assert r.json()["errors"][0]["code"] == "no_vessel"
    r = client.post("/plans:validate", json={"scenario": gone}, headers=planner)
    assert r.status_code == 200 and r.json()["valid"] is False
    assert (
        client.put("/vessels/kmp-dbs-3", json={"active": False}, headers=planner).status_code == 200
    )
    assert_problem(client.post("/scenarios", json=SMALL, headers=planner), 422, "/vessels")


def test_ids_named_twice_or_naming_nothing_are_refused(service) -> None:
    """A scenario that would plan a vessel or a village twice, or set a deadline, window or
    office for something it does not have, is refused naming the field."""
    client, keys = service
    planner = keys["planner"]
    for field, value, path in (
        ("vessels", ["kmp-dbs-3", "kmp-dbs-3"], "/scenario/vessels"),
        ("villages", ["35.29.20.2001", "35.29.20.2001"], "/scenario/villages"),
        ("depots", ["kalianget", "kalianget"], "/scenario/depots"),
        ("deadlines", {"35.29.99": "2024-02-12T18:00:00+07:00"}, "/scenario/deadlines/35.29.99"),
        ("ready", {"35.29.99": "2024-02-12T18:00:00+07:00"}, "/scenario/ready/35.29.99"),
        (
            "vessel_windows",
            {
                "kal-28-1": {
                    "available_from": "2024-02-05T06:00:00+07:00",
                    "available_until": "2024-02-10T06:00:00+07:00",
                }
            },
            "/scenario/vessel_windows/kal-28-1",
        ),
    ):
        r = client.post("/plans", json={"scenario": {**SMALL, field: value}}, headers=planner)
        assert_problem(r, 422, path)


def test_an_inactive_vessel_keeps_the_positions_of_the_others(service) -> None:
    client, keys = service
    planner = keys["planner"]
    assert (
        client.put("/vessels/kmp-dbs-3", json={"active": False}, headers=planner).status_code == 200
    )
    scenario = {**SMALL, "vessels": ["kmp-dbs-3", "nope-x"]}
    r = client.post("/plans:validate", json={"scenario": scenario}, headers=planner)
    assert r.status_code == 200 and r.json()["valid"] is False
    assert [e["path"] for e in r.json()["errors"]] == ["/scenario/vessels/1"]


def test_an_empty_idempotency_key_is_no_key(sapudi_plan) -> None:
    """Found by bench/fuzz.py: two events with an empty Idempotency-Key were a 500 (the second
    met the first's stored empty key)."""
    settings, keys, plan = sapudi_plan
    voyage = plan["result"]["voyages"][0]
    stops, vid = voyage["stops"], voyage["vessel_id"]
    url = f"/plans/{plan['id']}/events"
    headers = {**keys["field"], "Idempotency-Key": ""}
    with TestClient(create_app(settings)) as client:
        for type_, at in (("loaded", stops[0]["work_end"]), ("departed", stops[0]["departure"])):
            body = {"vessel_id": vid, "stop": 0, "type": type_, "at": at}
            r = client.post(url, json=body, headers=headers)
            assert r.status_code == 201, r.text
            assert r.json()["idempotency_key"] is None
