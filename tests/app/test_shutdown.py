"""SIGTERM or SIGINT to a serving process in the middle of a solve: a client waiting for the
plan's result is answered at once with the plan as it stands, 5 s later nothing of the service is
alive (its solver processes, the multiprocessing resource tracker, the API workers), and the plan
it was solving is taken up again at once by the next start and completed; under granian and under
uvicorn (``serve --server``)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from testkit import localserver
from tests.browser.common import server_env
from tests.conftest import assert_valid_plan

# The plan's budget: long enough that the solve is still running when the signal arrives (the
# budget counts from the job's start, so the sea networks are built beforehand), short enough
# that the restarted server finishes it soon.
SECONDS = 10
ACTIVE = ("queued", "building_matrix", "solving")

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads the process table from /proc"
)


def session_processes(sid: int) -> dict[int, str]:
    """The live processes of session ``sid`` (pid: command line); zombies don't count."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:  # it ended while we looked
            continue
        # The command name (field 2) is in parentheses and may hold anything; the fields after
        # it are state, ppid, pgrp, session, ...
        state, _ppid, _pgrp, session = text[text.rindex(")") + 2 :].split()[:4]
        if int(session) == sid and state not in ("Z", "X"):
            found[int(stat.parent.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def long_poll(url: str, headers: dict[str, str], answers: list[tuple[int, str]]) -> None:
    """A client waiting for the plan's result, open while the server is told to stop: its
    answer (status code, the plan's phase) goes to ``answers``."""
    with suppress(httpx.HTTPError):
        r = httpx.get(url, params={"wait": 30}, headers=headers, timeout=60)
        answers.append((r.status_code, r.json()["phase"]))


@pytest.mark.parametrize(
    ("sig", "workers", "server_name"),  # server_name: ballot-routing serve --server
    [
        (signal.SIGTERM, 1, "granian"),
        (signal.SIGINT, 1, "granian"),
        (signal.SIGTERM, 2, "granian"),
        # Under uvicorn the one case that differs: its own signal handling with workers.
        (signal.SIGTERM, 2, "uvicorn"),
    ],
    ids=["sigterm", "sigint", "sigterm-2-workers", "sigterm-2-workers-uvicorn"],
)
def test_signal_mid_solve_leaves_nothing_running_and_the_plan_is_taken_up_again(
    tmp_path: Path, network_cache: Path, sig: signal.Signals, workers: int, server_name: str
) -> None:
    env = server_env(tmp_path, network_cache, "shutdown.db")
    keys = localserver.create_keys(env, ("planner", "viewer"))
    headers = {"X-API-Key": keys["planner"]}
    port = localserver.free_port()
    base = f"http://127.0.0.1:{port}"
    servers = []
    try:
        server = localserver.start(env, port, workers=workers, server=server_name)
        servers.append(server)
        # A first, short plan builds the sea networks into the cache (the first time in a test
        # session), so that the plan below spends its budget solving.
        assert_valid_plan(localserver.completed_plan(base, keys, iterations=50)["result"])
        body = {"bundled": "pemilu2024", "seconds": SECONDS, "seed": 1}
        url = localserver.solving_plan(base, headers, body)
        running = session_processes(server.pid).values()
        assert any("spawn_main" in c for c in running), running  # a solver process
        assert any("resource_tracker" in c for c in running), running
        answers: list[tuple[int, str]] = []
        poll = threading.Thread(target=long_poll, args=(url, headers, answers), daemon=True)
        poll.start()
        time.sleep(0.5)  # the long poll is open

        os.kill(server.pid, sig)  # the main process only, as a container runtime does
        signalled = time.monotonic()
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=5)  # reaped, so it is not left as a zombie of ours
        time.sleep(max(0.0, signalled + 5 - time.monotonic()))
        assert session_processes(server.pid) == {}
        # The long poll was answered with the plan as it stood, not cut off.
        assert len(answers) == 1 and answers[0][0] == 200 and answers[0][1] in ACTIVE, answers

        engine = sa.create_engine(env["BALLOT_DATABASE_URL"])
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("select phase, lease_until from plans where id = :i"),
                {"i": url.rsplit("/", 1)[-1]},
            ).one()
        engine.dispose()
        assert row.phase in ACTIVE  # neither finished nor failed: stopped
        assert row.lease_until is None  # released, so the next start takes it up at once

        server = localserver.start(env, port, server=server_name)
        servers.append(server)
        end = time.monotonic() + 60
        while (body := httpx.get(url, headers=headers).json())["phase"] in ACTIVE:
            assert time.monotonic() < end, body
            time.sleep(0.5)
        assert body["phase"] == "completed", body
    finally:
        for server in servers:
            # The whole session, leftovers of a failed check too.
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
