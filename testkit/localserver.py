"""Run the service as a separate process on the loopback interface (for benchmarks and tests)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def executable() -> str:
    """The ``ballot-routing`` console script of this environment."""
    return shutil.which("ballot-routing") or str(Path(sys.executable).parent / "ballot-routing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_keys(
    env: dict[str, str], roles: tuple[str, ...] = ("planner", "field", "viewer")
) -> dict[str, str]:
    """One new API key per role, through the CLI, in the database that ``env`` names."""
    return {
        role: subprocess.run(
            [executable(), "keys", "create", "--role", role],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for role in roles
    }


def start(
    env: dict[str, str],
    port: int,
    *,
    timeout: float = 60,
    workers: int = 1,
    log: Path | None = None,
    server: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``ballot-routing serve`` in its own process group and wait until /healthz answers.
    The server's output is discarded, or appended to ``log`` when one is given. ``server``:
    the HTTP server (``serve --server``: granian or uvicorn), else the one ``env`` names
    (``BALLOT_SERVER``) or the default."""
    command = [executable(), "serve", "--port", str(port), "--workers", str(workers)]
    if server is not None:
        command += ["--server", server]
    with open(log, "ab") if log is not None else open(os.devnull, "wb") as out:
        proc = subprocess.Popen(
            command,
            env=env,
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(proc, signal.SIGKILL)
    raise RuntimeError("the server did not start")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the server's whole process group (its solver processes too) and reap it."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(timeout=15)


@contextmanager
def serving(
    env: dict[str, str],
    *,
    workers: int = 1,
    log: Path | None = None,
    server: str | None = None,
) -> Iterator[str]:
    """A running server for the duration of the block; yields its base URL. ``log``: a file
    that the server's output is appended to (discarded by default); ``server``: the HTTP
    server, as for ``start``."""
    port = free_port()
    proc = start(env, port, workers=workers, log=log, server=server)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def solving_plan(base: str, headers: dict[str, str], body: dict, *, timeout: float = 60) -> str:
    """Post a plan and wait until it is being solved; its URL."""
    r = httpx.post(f"{base}/plans", json=body, headers=headers)
    if r.status_code != 202:
        raise RuntimeError(f"the plan was not accepted: {r.status_code} {r.text}")
    url = base + r.headers["Location"]
    end = time.monotonic() + timeout
    while httpx.get(url, headers=headers).json()["phase"] != "solving":
        if time.monotonic() > end:
            raise RuntimeError("the plan never started solving")
        time.sleep(0.2)
    return url


def completed_plan(
    base: str,
    keys: dict[str, str],
    *,
    iterations: int = 300,
    seed: int = 1,
    scenario: dict | None = None,
    waits: int = 20,
) -> dict:
    """Plan ``scenario`` (default: the bundled 2024 scenario) under an iteration budget and
    return the finished plan, waiting 30 s at a time, ``waits`` times at most (the first plan
    of a session builds the sea networks, minutes on a busy machine)."""
    body: dict[str, Any] = {"iterations": iterations, "seed": seed, "wait": 30}
    body |= {"scenario": scenario} if scenario is not None else {"bundled": "pemilu2024"}
    r = httpx.post(f"{base}/plans", json=body, headers={"X-API-Key": keys["planner"]}, timeout=60)
    r.raise_for_status()
    plan: dict = r.json()
    for _ in range(waits):
        if plan["phase"] not in ("queued", "building_matrix", "solving"):
            break
        plan = httpx.get(
            f"{base}/plans/{plan['id']}",
            params={"wait": 30},
            headers={"X-API-Key": keys["viewer"]},
            timeout=60,
        ).json()
    if plan["phase"] != "completed":
        raise RuntimeError(f"the plan ended {plan['phase']}")
    return plan
