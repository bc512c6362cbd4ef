"""A server killed with SIGKILL in the middle of a solve completes the plan after a restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.conftest import DATA


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exe() -> str:
    return shutil.which("ballot-routing") or str(Path(sys.executable).parent / "ballot-routing")


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [_exe(), "serve", "--port", str(port)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("the server did not start")


def test_killed_server_completes_the_plan_after_restart(
    tmp_path: Path, network_cache: Path
) -> None:
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=f"sqlite:///{tmp_path}/restart.db",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )
    key = subprocess.run(
        [_exe(), "keys", "create", "--role", "planner"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"X-API-Key": key}
    port = _free_port()
    server = None
    try:
        server = _start(env, port)
        base = f"http://127.0.0.1:{port}"
        r = httpx.post(
            f"{base}/plans",
            json={"bundled": "pemilu2024", "seconds": 20, "seed": 1},
            headers=headers,
        )
        assert r.status_code == 202, r.text
        url = base + r.headers["Location"]
        end = time.monotonic() + 60
        while httpx.get(url, headers=headers).json()["phase"] != "solving":
            assert time.monotonic() < end, "the plan never started solving"
            time.sleep(0.2)
        os.killpg(server.pid, signal.SIGKILL)  # the server and its solver processes
        server.wait(timeout=10)
        server = _start(env, port)
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
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
