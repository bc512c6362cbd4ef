"""A server killed with SIGKILL in the middle of a solve completes the plan after a restart."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from testkit import localserver
from tests.conftest import DATA


def test_killed_server_completes_the_plan_after_restart(
    tmp_path: Path, network_cache: Path
) -> None:
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=f"sqlite:///{tmp_path}/restart.db",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )
    headers = {"X-API-Key": localserver.create_keys(env, ("planner",))["planner"]}
    port = localserver.free_port()
    server = None
    try:
        server = localserver.start(env, port)
        base = f"http://127.0.0.1:{port}"
        body = {"bundled": "pemilu2024", "seconds": 20, "seed": 1}
        url = localserver.solving_plan(base, headers, body)
        localserver.stop(server, signal.SIGKILL)  # the server and its solver processes
        server = localserver.start(env, port)
        end = time.monotonic() + 120
        while (body := httpx.get(url, headers=headers).json())["phase"] in (
            "queued",
            "building_matrix",
            "solving",
        ):
            assert time.monotonic() < end, body
            time.sleep(0.5)
        assert body["phase"] == "completed", body
        assert body["result"]["unassigned"] == []
        engine = sa.create_engine(env["BALLOT_DATABASE_URL"])
        with engine.connect() as conn:
            attempts = conn.execute(
                sa.text("select attempts from plans where id = :i"), {"i": body["id"]}
            ).scalar()
        engine.dispose()
        assert attempts == 2  # claimed by the killed server, then taken up again after the restart
    finally:
        if server is not None:
            localserver.stop(server, signal.SIGKILL)


def test_killed_server_completes_a_risk_run_after_restart(
    tmp_path: Path, network_cache: Path
) -> None:
    """Risk runs are jobs of the same queue as plans: a server killed (SIGKILL: no release) in
    the middle of one takes it up again after a restart, once its lease has lapsed."""
    from tests.app.conftest import SAPUDI

    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=f"sqlite:///{tmp_path}/restart-risk.db",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )
    keys = localserver.create_keys(env, ("planner", "viewer"))
    planner, viewer = {"X-API-Key": keys["planner"]}, {"X-API-Key": keys["viewer"]}
    port = localserver.free_port()
    base = f"http://127.0.0.1:{port}"
    server = localserver.start(env, port)
    try:
        plan = localserver.completed_plan(base, keys, iterations=200, scenario=SAPUDI)
        assert plan["phase"] == "completed", plan
        run = httpx.post(
            f"{base}/plans/{plan['id']}/risk", json={"runs": 3000, "seed": 3}, headers=planner
        ).json()
        url = f"{base}/risk/{run['id']}"
        end = time.monotonic() + 120
        while (r := httpx.get(url, headers=viewer).json())["phase"] != "running":
            assert r["phase"] == "queued" and time.monotonic() < end, r
            time.sleep(0.05)
        localserver.stop(server, signal.SIGKILL)  # the server and its solver processes
        server = localserver.start(env, port)
        end = time.monotonic() + 300
        while (r := httpx.get(url, headers=viewer).json())["phase"] in ("queued", "running"):
            assert time.monotonic() < end, r
            time.sleep(0.2)
        assert r["phase"] == "completed" and r["progress"]["runs_done"] == 3000, r
        assert r["attempts"] == 2  # claimed by the killed server, then by the restarted one
    finally:
        localserver.stop(server, signal.SIGKILL)
