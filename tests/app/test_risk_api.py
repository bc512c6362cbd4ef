"""Risk runs through the API, on SQLite and PostgreSQL: a planner starts one on a finished plan
(202, Location), its progress and report come back, the plan lists it; the same seed twice gives
the same report; a plan not finished, a capacity plan, bad options or no body are refused naming
why. Risk runs are jobs of the plans' queue: a cancel stops a queued run at once and a running
one within seconds; runs beyond the caps per plan and in all are refused; a restart takes the
runs left queued or running up again, and a run whose worker died is taken up by another."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app import db
from app.config import Settings
from app.main import create_app
from app.risk import service as risk_service
from testkit import localserver
from tests.app.conftest import SAPUDI, wait_done
from tests.app.test_live_status import PROBLEM_JSON, SMALL
from tests.conftest import DATA

LONG = 20_000  # runs enough to be still running while a test looks (a second or more each 2,000)
FINAL = ("completed", "failed", "cancelled")


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
        if body["phase"] in FINAL:
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


def test_a_risk_run_replays_the_closures_on_record(service) -> None:
    """``closures: "history"``: each closure on record from each day of the plan's window,
    through the re-planner; its runs are the re-plans, the report names the late districts."""
    client, keys = service
    plan = _finished(client, keys)
    body = {"closures": "history", "replan_iterations": 20}
    r = client.post(f"/plans/{plan['id']}/risk", json=body, headers=keys["planner"])
    assert r.status_code == 202, r.text
    assert r.json()["options"]["closures"] == "history"
    done = _done(client, keys, f"/risk/{r.json()['id']}")
    assert done["phase"] == "completed", done
    report = done["result"]
    episodes = report["episodes"]
    assert {"masalembu-2023-02", "kalianget-2024-03"} <= {e["id"] for e in episodes}
    assert (
        done["progress"]["runs_done"]
        == done["progress"]["runs"]
        == sum(len(e["starts"]) for e in episodes)
    )
    for e in episodes:
        assert [s["day"] for s in e["starts"]] == report["start_days"]
        for start in e["starts"]:
            late = {x["district_code"] for x in start["late"]}
            assert late | set(start["on_time"]) == {"35.29.20"} and not late & set(start["on_time"])
    # Ten days of every route closed to all but the largest ships (January 2026), from the
    # first day, hold Gayam's ferry past its deadline; from the last day, the kits are there.
    january = next(e for e in episodes if e["id"] == "all-but-large-2026-01")
    assert january["starts"][0]["late"][0]["district_name"] == "Gayam"
    assert january["starts"][-1]["late"] == []
    bad = client.post(
        f"/plans/{plan['id']}/risk", json={"closures": "rumours"}, headers=keys["planner"]
    )
    assert bad.status_code == 422 and "closures" in bad.text
    # Options of the other mode would be ignored: refused, named.
    for wrong, path in (
        ({"closures": "history", "runs": 50}, "/runs"),
        ({"replan_iterations": 20}, "/replan_iterations"),
    ):
        bad = client.post(f"/plans/{plan['id']}/risk", json=wrong, headers=keys["planner"])
        assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == path, bad.text


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


def _until(client, keys, url: str, phase: str, timeout: float = 120) -> dict:
    """The risk run at ``url`` once it is in ``phase`` (it must get there before it finishes)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        body = client.get(url, headers=keys["viewer"]).json()
        if body["phase"] == phase:
            return body
        assert body["phase"] not in FINAL, body
        time.sleep(0.05)
    raise AssertionError(f"{url} never got to {phase}: {body}")


def _app(database: str, network_cache: Path, **settings) -> TestClient:
    return TestClient(
        create_app(
            Settings(data_dir=DATA, cache_dir=network_cache, database_url=database, **settings)
        )
    )


def _row(database: str, risk_id: str):
    with db.engine_for(database).connect() as conn:
        return conn.execute(sa.select(db.risk_runs).where(db.risk_runs.c.id == risk_id)).one()


def test_a_risk_run_needs_a_body(service) -> None:
    client, keys = service
    plan = _finished(client, keys)
    url = f"/plans/{plan['id']}/risk"
    r = client.post(url, headers=keys["planner"])
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON, r.text
    assert [(e["code"], e["path"]) for e in r.json()["errors"]] == [("missing", "")]
    assert client.get(url, headers=keys["viewer"]).json()["risk_runs"] == []  # nothing started
    # An empty object takes the defaults.
    r = client.post(url, json={}, headers=keys["planner"])
    assert r.status_code == 202, r.text
    assert r.json()["options"] == {
        "runs": 1000,
        "seed": 0,
        "breakdowns": True,
        "replan_breakdowns": False,
    }
    assert client.post(r.json()["links"]["cancel"], headers=keys["planner"]).status_code == 202


def test_a_cancel_stops_a_queued_run_at_once_and_a_running_one_soon(service) -> None:
    client, keys = service
    plan = _finished(client, keys)
    url = f"/plans/{plan['id']}/risk"
    running = client.post(url, json={"runs": LONG}, headers=keys["planner"]).json()
    _until(client, keys, f"/risk/{running['id']}", "running")
    # One solver process (BALLOT_JOB_WORKERS=1) runs the first: the second waits in the queue.
    queued = client.post(url, json={"runs": LONG, "seed": 1}, headers=keys["planner"]).json()
    assert client.get(f"/risk/{queued['id']}", headers=keys["viewer"]).json()["phase"] == "queued"

    r = client.post(f"/risk/{queued['id']}/cancel", headers=keys["planner"])
    assert r.status_code == 202, r.text
    assert r.json()["phase"] == "cancelled" and r.json()["cancel_requested"] is True

    r = client.post(f"/risk/{running['id']}/cancel", headers=keys["planner"])
    assert r.status_code == 202, r.text
    assert r.json()["phase"] in ("running", "cancelled") and r.json()["cancel_requested"]
    done = _done(client, keys, f"/risk/{running['id']}")
    assert done["phase"] == "cancelled", done
    assert done["progress"]["runs_done"] < LONG and "result" not in done
    listed = client.get(url, headers=keys["viewer"]).json()["risk_runs"]
    assert {x["id"]: x["phase"] for x in listed} == {
        running["id"]: "cancelled",
        queued["id"]: "cancelled",
    }

    again = client.post(f"/risk/{running['id']}/cancel", headers=keys["planner"])
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM_JSON
    assert again.json()["errors"][0]["code"] == "already_done"
    assert client.post("/risk/nope/cancel", headers=keys["planner"]).status_code == 404
    assert client.post(f"/risk/{queued['id']}/cancel", headers=keys["viewer"]).status_code == 403
    # The place they held is free: the next run completes.
    after = client.post(url, json={"runs": 30}, headers=keys["planner"]).json()
    assert _done(client, keys, f"/risk/{after['id']}")["phase"] == "completed"


def test_risk_runs_are_capped_per_plan_and_in_all(sapudi_plan, network_cache: Path) -> None:
    settings, keys, first = sapudi_plan
    caps = {"max_risk_runs_per_plan": 2, "max_risk_runs": 3}
    with _app(settings.database, network_cache, **caps) as client:
        r = client.post(
            "/plans",
            json={"scenario": SAPUDI, "iterations": 200, "seed": 2},
            headers=keys["planner"],
        )
        second = wait_done(client, r.headers["Location"], keys["viewer"])
        assert second["phase"] == "completed", second

        def start(plan: dict, seed: int):
            return client.post(
                f"/plans/{plan['id']}/risk",
                json={"runs": LONG, "seed": seed},
                headers=keys["planner"],
            )

        a1, a2 = start(first, 1), start(first, 2)
        assert a1.status_code == a2.status_code == 202, (a1.text, a2.text)
        r = start(first, 3)
        assert r.status_code == 409 and r.headers["content-type"] == PROBLEM_JSON, r.text
        assert r.json()["errors"][0]["code"] == "too_many_risk_runs_of_plan"
        assert "BALLOT_MAX_RISK_RUNS_PER_PLAN" in r.json()["errors"][0]["message"]
        b1 = start(second, 1)
        assert b1.status_code == 202, b1.text
        r = start(second, 2)
        assert r.status_code == 409 and r.json()["errors"][0]["code"] == "too_many_risk_runs"
        assert "BALLOT_MAX_RISK_RUNS" in r.json()["errors"][0]["message"]
        # Runs that are no longer queued or running do not count.
        cancelled = client.post(f"/risk/{a2.json()['id']}/cancel", headers=keys["planner"])
        assert cancelled.status_code == 202, cancelled.text
        assert _done(client, keys, f"/risk/{a2.json()['id']}")["phase"] == "cancelled"
        assert start(second, 2).status_code == 202
        assert start(first, 3).status_code == 409  # the cap in all again


def test_a_restart_takes_the_queued_and_running_risk_runs_up_again(
    sapudi_plan, network_cache: Path
) -> None:
    settings, keys, plan = sapudi_plan
    url = f"/plans/{plan['id']}/risk"
    with _app(settings.database, network_cache) as client:
        running = client.post(url, json={"runs": 5000, "seed": 3}, headers=keys["planner"]).json()
        _until(client, keys, f"/risk/{running['id']}", "running")
        queued = client.post(url, json={"runs": 30, "seed": 3}, headers=keys["planner"]).json()
    # The app stopped (as on SIGTERM): its solver process ended, the runs released, not failed.
    left = _row(settings.database, running["id"])
    assert (left.phase, left.lease_until, left.attempts) == ("running", None, 1)
    waiting = _row(settings.database, queued["id"])
    assert (waiting.phase, waiting.lease_until, waiting.attempts) == ("queued", None, 0)

    with _app(settings.database, network_cache) as client:
        for started, runs in ((running, 5000), (queued, 30)):
            done = _done(client, keys, f"/risk/{started['id']}")
            assert done["phase"] == "completed", done
            assert done["progress"]["runs_done"] == runs and done["result"]["runs"] == runs
    # Claimed once more each: by the stopped app and again, or by the new one only.
    assert _row(settings.database, running["id"]).attempts == 2
    assert _row(settings.database, queued["id"]).attempts == 1


def test_a_risk_run_whose_worker_died_is_taken_up_by_another(
    sapudi_plan, network_cache: Path
) -> None:
    settings, keys, plan = sapudi_plan
    risk_id = risk_service.queue(
        settings, plan["id"], runs=30, seed=5, breakdowns=True, replan_breakdowns=False
    )
    # A worker claimed it, ran some of it and died: its lease runs out a second from now.
    with db.write(db.engine_for(settings.database)) as conn:
        conn.execute(
            sa.update(db.risk_runs)
            .where(db.risk_runs.c.id == risk_id)
            .values(
                phase="running",
                runs_done=25,
                lease_owner="gone:1:dead",
                lease_until=db.now() + 1.0,
                attempts=1,
            )
        )
    with _app(settings.database, network_cache) as client:
        done = _done(client, keys, f"/risk/{risk_id}")
        assert done["phase"] == "completed", done
        assert done["progress"]["runs_done"] == 30 and done["result"]["runs"] == 30
        assert done["attempts"] == 2
        owner = client.app.state.runner.owner
    assert _row(settings.database, risk_id).lease_owner == owner


def _server(database: str, network_cache: Path) -> tuple[dict, dict, dict, int]:
    """A real server's environment on ``database``, a planner's and a viewer's headers, a port."""
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=database,
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )
    keys = localserver.create_keys(env, ("planner", "viewer"))
    planner, viewer = {"X-API-Key": keys["planner"]}, {"X-API-Key": keys["viewer"]}
    return env, planner, viewer, localserver.free_port()


def _running(base: str, planner: dict, viewer: dict, plan_id: str, runs: int) -> dict:
    """A risk run of ``runs`` started on the plan, once a worker runs it."""
    url = f"{base}/plans/{plan_id}/risk"
    started = httpx.post(url, json={"runs": runs, "seed": 7}, headers=planner).json()
    return _until(httpx, {"viewer": viewer}, f"{base}/risk/{started['id']}", "running")


def _final(base: str, viewer: dict, risk_id: str, timeout: float = 300) -> dict:
    """The risk run once it is completed, failed or cancelled."""
    end = time.monotonic() + timeout
    while (r := httpx.get(f"{base}/risk/{risk_id}", headers=viewer).json())["phase"] not in FINAL:
        assert time.monotonic() < end, r
        time.sleep(0.2)
    return r


def test_a_server_stopped_by_sigterm_leaves_its_risk_runs_to_the_next_start(
    database: str, network_cache: Path
) -> None:
    env, planner, viewer, port = _server(database, network_cache)
    base = f"http://127.0.0.1:{port}"
    server = localserver.start(env, port)
    try:
        keys = {"planner": planner["X-API-Key"], "viewer": viewer["X-API-Key"]}
        plan = localserver.completed_plan(base, keys, iterations=200, scenario=SAPUDI)
        assert plan["phase"] == "completed", plan
        running = _running(base, planner, viewer, plan["id"], 5000)
        url = f"{base}/plans/{plan['id']}/risk"
        queued = httpx.post(url, json={"runs": 30, "seed": 7}, headers=planner).json()
        os.kill(server.pid, signal.SIGTERM)  # the main process only, as a container runtime does
        server.wait(timeout=60)
        # Released, not failed: the run interrupted and the one waiting are the next start's.
        left = _row(database, running["id"])
        assert (left.phase, left.lease_until, left.error) == ("running", None, None)
        assert _row(database, queued["id"]).phase == "queued"
        server = localserver.start(env, port)
        for started, runs in ((running, 5000), (queued, 30)):
            r = _final(base, viewer, started["id"])
            assert r["phase"] == "completed" and r["progress"]["runs_done"] == runs, r
        assert _row(database, running["id"]).attempts == 2
        assert _row(database, queued["id"]).attempts == 1
    finally:
        localserver.stop(server, signal.SIGKILL)


def test_a_server_killed_mid_run_takes_the_run_up_again_once_its_lease_lapses(
    tmp_path: Path, network_cache: Path
) -> None:
    """Risk runs are jobs of the same queue as plans: a server killed (SIGKILL: nothing
    released) in the middle of one takes it up again after a restart, once its lease lapses."""
    database = f"sqlite:///{tmp_path}/killed.db"
    env, planner, viewer, port = _server(database, network_cache)
    base = f"http://127.0.0.1:{port}"
    server = localserver.start(env, port)
    try:
        keys = {"planner": planner["X-API-Key"], "viewer": viewer["X-API-Key"]}
        plan = localserver.completed_plan(base, keys, iterations=200, scenario=SAPUDI)
        assert plan["phase"] == "completed", plan
        running = _running(base, planner, viewer, plan["id"], 3000)
        localserver.stop(server, signal.SIGKILL)  # the server and its solver processes
        server = localserver.start(env, port)
        r = _final(base, viewer, running["id"])
        assert r["phase"] == "completed" and r["progress"]["runs_done"] == 3000, r
        assert r["attempts"] == 2  # claimed by the killed server, then by the restarted one
    finally:
        localserver.stop(server, signal.SIGKILL)


def test_whole_numbers_written_with_a_fraction_are_taken_as_the_document_allows(service) -> None:
    """The API document types runs and seed as JSON Schema integers, which 2.0 is: the service
    takes it as 2; 2.5 and "2" stay refused naming the field."""
    client, keys = service
    r = client.post("/plans/none/risk", json={"runs": 2.5}, headers=keys["planner"])
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/runs", r.text
    r = client.post("/plans/none/risk", json={"seed": "2"}, headers=keys["planner"])
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/seed", r.text
    r = client.post("/plans/none/risk", json={"runs": 2.0, "seed": 3.0}, headers=keys["planner"])
    assert r.status_code == 404, r.text  # the body was taken; the plan does not exist
