"""The planning service end to end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
import tomllib

from fastapi.testclient import TestClient

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from tests.app.conftest import wait_done, wait_solving
from tests.conftest import DATA

PEMILU_RAW = {
    k: v.isoformat() if hasattr(v, "isoformat") else v
    for k, v in tomllib.loads((DATA / "scenarios" / "pemilu2024.toml").read_text()).items()
}


def test_plan_events_and_status_end_to_end(service) -> None:
    client, keys = service
    # Access control.
    assert client.post("/plans", json={"bundled": "pemilu2024"}).status_code == 401
    assert (
        client.post("/plans", json={"bundled": "pemilu2024"}, headers=keys["viewer"]).status_code
        == 403
    )
    assert client.get("/plans", headers={"X-API-Key": "ibr_nonsense"}).status_code == 401

    r = client.post(
        "/plans",
        json={"bundled": "pemilu2024", "iterations": 300, "seed": 1},
        headers=keys["planner"],
    )
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    assert r.json()["phase"] in ("queued", "building_matrix", "solving")
    plan = wait_done(client, location, keys["viewer"])
    assert plan["phase"] == "completed", plan
    doc = plan["result"]
    assert doc["status"] == "completed" and len(doc["voyages"]) >= 1
    assert [
        p["id"]
        for p in client.get(
            "/plans", params={"status": "completed"}, headers=keys["viewer"]
        ).json()["plans"]
    ] == [plan["id"]]

    geo = client.get(f"{location}/geojson", headers=keys["viewer"])
    assert geo.headers["content-type"].startswith("application/geo+json") and geo.json()["features"]
    manifests = client.get(f"{location}/manifests.csv", headers=keys["viewer"]).text
    assert manifests.startswith(
        "vessel_id,vessel_name,trip,stop,landing_id,landing_name,village_code,village_name"
    )
    assert client.get(f"{location}/timeline", headers=keys["viewer"]).json()["rows"]

    # Field events: load and sail, arrive and hand over the first landing.
    voyage = doc["voyages"][0]
    vid = voyage["vessel_id"]
    landing = next(i for i, s in enumerate(voyage["stops"]) if s["kind"] == "landing")
    district = voyage["stops"][landing]["manifest"][0]["village_code"][:8]
    status0 = client.get(f"{location}/status", headers=keys["viewer"])
    tag0 = status0.headers["ETag"]
    before = next(d for d in status0.json()["districts"] if d["district_code"] == district)
    assert (
        client.get(
            f"{location}/status", headers={**keys["viewer"], "If-None-Match": tag0}
        ).status_code
        == 304
    )

    def post(body: dict, key: str | None = None):
        headers = {**keys["field"], **({"Idempotency-Key": key} if key else {})}
        return client.post(f"{location}/events", json={"vessel_id": vid, **body}, headers=headers)

    when = voyage["stops"][landing]["arrival"]
    assert (
        client.post(
            f"{location}/events",
            json={"vessel_id": vid, "stop": 0, "type": "loaded"},
            headers=keys["planner"],
        ).status_code
        == 403
    )
    bad = post(
        {"stop": landing, "type": "handed_over", "boxes": 5, "condition": "good", "receiver": "PPS"}
    )
    assert bad.status_code == 409 and "needs 'arrived' first" in bad.json()["detail"]
    assert (
        post({"stop": 0, "type": "loaded", "at": voyage["stops"][0]["work_end"]}, "k1").status_code
        == 201
    )
    assert (
        post(
            {"stop": 0, "type": "departed", "at": voyage["stops"][0]["departure"]}, "k2"
        ).status_code
        == 201
    )
    assert post({"stop": landing, "type": "arrived", "at": when}, "k3").status_code == 201
    missing = post({"stop": landing, "type": "handed_over"})
    assert missing.status_code == 422
    assert {e["path"] for e in missing.json()["errors"]} == {"/boxes", "/condition", "/receiver"}
    handed = {
        "stop": landing,
        "type": "handed_over",
        "boxes": voyage["stops"][landing]["ballot_boxes"],
        "condition": "good",
        "receiver": "PPS",
        "at": voyage["stops"][landing]["work_end"],
    }
    first = post(handed, "k4")
    assert first.status_code == 201
    again = post(handed, "k4")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert (
        post({"stop": landing, "type": "arrived"}, "k4").status_code == 409
    )  # key reused, other event
    events = client.get(f"{location}/events", headers=keys["viewer"]).json()["events"]
    assert [e["type"] for e in events] == ["loaded", "departed", "arrived", "handed_over"]

    status1 = client.get(f"{location}/status", headers={**keys["viewer"], "If-None-Match": tag0})
    assert status1.status_code == 200 and status1.headers["ETag"] != tag0
    after = next(d for d in status1.json()["districts"] if d["district_code"] == district)
    assert after["tps_delivered"] == before["tps_delivered"] + voyage["stops"][landing]["tps"]
    v = next(x for x in status1.json()["voyages"] if x["vessel_id"] == vid)
    assert v["current_stop"] == landing and v["current_state"] == "handed_over"


def test_validation_limits_and_body_size(client: TestClient, settings: Settings) -> None:
    planner = {"X-API-Key": create_key(settings.database, "planner")}
    for seconds in (601, 99999):  # over GET /limits, and over any budget at all
        r = client.post(
            "/plans:validate", json={"bundled": "pemilu2024", "seconds": seconds}, headers=planner
        )
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/seconds"
    r = client.post(
        "/plans:validate",
        json={"scenario": {**PEMILU_RAW, "depots": ["atlantis"]}},
        headers=planner,
    )
    assert r.status_code == 200 and r.json()["valid"] is False
    assert "/scenario/depots/0" in {e["path"] for e in r.json()["errors"]}
    broken = {
        "scenario": {
            "name": "x",
            "planning_start": "soon",
            "depots": ["atlantis"],
            "vessels": ["ghost"],
        }
    }
    r = client.post("/plans:validate", json=broken, headers=planner)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    paths = {e["path"] for e in r.json()["errors"]}
    assert {
        "/scenario/planning_start",
        "/scenario/election_day",
        "/scenario/default_deadline",
    } <= paths
    r = client.post("/plans", json=broken, headers=planner)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    limits = client.get("/limits").json()
    big = "x" * (limits["max_body_bytes"] + 10)
    r = client.post(
        "/scenarios", content=big, headers={**planner, "content-type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["errors"][0]["code"] == "too_large"
    assert client.get("/plans/nope").status_code == 404


def test_vessels_and_scenarios(client: TestClient, settings: Settings) -> None:
    planner = {"X-API-Key": create_key(settings.database, "planner")}
    vessels = client.get("/vessels").json()
    assert {"kri-teluk-bintuni-520", "km-sabuk-nusantara-92"} <= {v["id"] for v in vessels}
    r = client.put("/vessels/kal-28-1", json={"active": False}, headers=planner)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.put("/vessels/kal-28-1", json={"active": True}).status_code == 403  # viewer key
    r = client.put(
        "/vessels/kal-28-1",
        json={
            "available_from": "2024-02-08T06:00:00+07:00",
            "available_until": "2024-02-07T06:00:00+07:00",
        },
        headers=planner,
    )
    assert r.status_code == 422
    import tomllib

    body = tomllib.loads((DATA / "scenarios" / "pemilu2024.toml").read_text())
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.items()}
    r = client.post("/scenarios", json=body, headers=planner)
    assert r.status_code == 201
    sid = r.json()["id"]
    assert client.get(f"/scenarios/{sid}").json()["name"] == "pemilu2024"
    assert "pemilu2024" in client.get("/scenarios").json()["bundled"]


def test_cancel_keeps_the_best_plan_so_far(client: TestClient, settings: Settings) -> None:
    planner = {"X-API-Key": create_key(settings.database, "planner")}
    r = client.post(
        "/plans", json={"bundled": "pemilu2024", "seconds": 120, "seed": 2}, headers=planner
    )
    url = r.headers["Location"]
    wait_solving(client, url)
    time.sleep(2)
    assert client.post(f"{url}/cancel", headers=planner).status_code == 202
    body = wait_done(client, url, {}, timeout=60)
    assert body["phase"] == "cancelled"
    assert body["progress"]["elapsed_s"] < 60
    assert body["result"]["voyages"], "the best plan found before the cancel is kept"
    assert client.post(f"{url}/cancel", headers=planner).status_code == 409


def test_an_unexpected_error_is_a_problem_without_a_trace(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret detail of the failure")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom", headers={"X-API-Key": create_key(settings.database, "viewer")})
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.json()["errors"][0]["code"] == "internal_error"


def test_inactive_vessels_and_new_windows_reach_the_planner(
    client: TestClient, settings: Settings
) -> None:
    from app.vessels.service import with_overrides
    from routing.inputs.scenario import load_scenario, parse_scenario

    planner = {"X-API-Key": create_key(settings.database, "planner")}
    assert (
        client.put("/vessels/kal-28-1", json={"active": False}, headers=planner).status_code == 200
    )
    window = {
        "available_from": "2024-02-07T06:00:00+07:00",
        "available_until": "2024-02-12T18:00:00+07:00",
    }
    assert (
        client.put(
            "/vessels/kmp-dbs-3", json={**window, "active": True}, headers=planner
        ).status_code
        == 200
    )
    import tomllib

    raw = tomllib.loads((DATA / "scenarios" / "pemilu2024.toml").read_text())
    scenario = with_overrides(settings, parse_scenario(raw, source="test"))
    assert "kal-28-1" in scenario.inactive and "kmp-dbs-3" not in scenario.inactive
    assert scenario.vessel_windows["kmp-dbs-3"][0].isoformat() == window["available_from"]
    assert not load_scenario(DATA / "scenarios" / "pemilu2024.toml").inactive


def test_a_killed_solver_process_does_not_lose_the_plan(
    client: TestClient, settings: Settings
) -> None:
    import multiprocessing
    import os
    import signal

    planner = {"X-API-Key": create_key(settings.database, "planner")}
    r = client.post(
        "/plans", json={"bundled": "pemilu2024", "iterations": 400, "seed": 3}, headers=planner
    )
    url = r.headers["Location"]
    wait_solving(client, url)
    workers = multiprocessing.active_children()
    assert workers, "the solver runs in a child process"
    for w in workers:
        os.kill(w.pid, signal.SIGKILL)
    body = wait_done(client, url, {}, timeout=120)
    assert body["phase"] == "completed", body
    assert body["result"]["unassigned"] == []
