"""Risk runs through the API, on SQLite and PostgreSQL: a planner starts one on a finished plan
(202, Location), its progress and report come back, the plan lists it; the same seed twice gives
the same report; a plan not finished, a capacity plan or bad options are refused naming why."""

from __future__ import annotations

import time

from tests.app.conftest import wait_done
from tests.app.test_live_status import PROBLEM_JSON, SMALL


def _finished(client, keys) -> dict:
    r = client.post(
        "/plans", json={"scenario": SMALL, "iterations": 100, "wait": 30}, headers=keys["planner"]
    )
    plan = r.json()
    if plan["phase"] != "completed":
        plan = wait_done(client, f"/plans/{plan['id']}", keys["planner"], timeout=300)
    assert plan["phase"] == "completed", plan
    return plan


def _done(client, keys, url: str, timeout: float = 300) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        body = client.get(url, headers=keys["viewer"]).json()
        if body["phase"] in ("completed", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"{url} did not finish: {body}")


def test_a_risk_run_of_a_plan_reports_each_district(service) -> None:
    client, keys = service
    plan = _finished(client, keys)
    url = f"/plans/{plan['id']}/risk"
    r = client.post(url, json={"runs": 60, "seed": 4}, headers=keys["planner"])
    assert r.status_code == 202, r.text
    started = r.json()
    assert r.headers["Location"] == f"/risk/{started['id']}"
    assert started["progress"] == {"runs_done": 0, "runs": 60}
    assert started["options"] == {
        "runs": 60,
        "seed": 4,
        "breakdowns": True,
        "replan_breakdowns": False,
    }
    done = _done(client, keys, f"/risk/{started['id']}")
    assert done["phase"] == "completed", done
    assert done["progress"]["runs_done"] == 60
    report = done["result"]
    assert report["plan_id"] == plan["id"] and report["runs"] == 60
    districts = {d["district_code"] for d in report["districts"]}
    assert districts == {"35.29.20"}  # Sapudi's villages (Gayam)
    d = report["districts"][0]
    assert 0.0 <= d["on_time"] <= 1.0 and 0.0 <= d["by_h5"] <= 1.0
    assert d["district_name"] == "Gayam"
    h = d["histogram"]
    assert h["before"] + sum(h["counts"]) + h["after"] + h["not_delivered"] == 60
    listed = client.get(url, headers=keys["viewer"]).json()["risk_runs"]
    assert [x["id"] for x in listed] == [started["id"]] and "result" not in listed[0]
    # The same seed again: the same report.
    again = client.post(url, json={"runs": 60, "seed": 4}, headers=keys["planner"]).json()
    assert _done(client, keys, f"/risk/{again['id']}")["result"] == report


def test_risk_runs_refuse_what_they_cannot_simulate(service) -> None:
    client, keys = service
    plan = _finished(client, keys)
    url = f"/plans/{plan['id']}/risk"
    for body, path in (
        ({"runs": 0}, "/runs"),
        ({"runs": 20001}, "/runs"),
        ({"seed": -1}, "/seed"),
        ({"breakdowns": "yes"}, "/breakdowns"),
        ({"storms": True}, "/storms"),
    ):
        r = client.post(url, json=body, headers=keys["planner"])
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON, body
        assert path in {e["path"] for e in r.json()["errors"]}, (body, r.json())
    assert client.post(url, json={}, headers=keys["viewer"]).status_code == 403
    assert client.post("/plans/nope/risk", json={}, headers=keys["planner"]).status_code == 404
    assert client.get("/risk/nope", headers=keys["viewer"]).status_code == 404
    capacity = client.post(
        "/capacity-plans",
        json={"scenario": SMALL, "iterations": 50, "wait": 30},
        headers=keys["planner"],
    )
    assert capacity.status_code in (200, 202), capacity.text
    cap = capacity.json()
    if cap["phase"] != "completed":
        cap = wait_done(client, f"/plans/{cap['id']}", keys["planner"], timeout=300)
    r = client.post(f"/plans/{cap['id']}/risk", json={}, headers=keys["planner"])
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "capacity_plan"
