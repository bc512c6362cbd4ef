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
