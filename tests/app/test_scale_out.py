"""Past one process: plan jobs and batches on a real Dask cluster, several API workers on
PostgreSQL sharing one queue, and field events posted to different workers at once."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import threading
import time
import tomllib
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import yaml
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from routing.inputs.scenario import scenario_toml
from routing.outputs.export import jsonable
from testkit import localserver
from tests.app.conftest import PG_BASE, wait_done
from tests.conftest import DATA, ROOT, all_dispatched

with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
    PEMILU = all_dispatched(jsonable(tomllib.load(fh)))


def _small(name: str, n_villages: int = 3) -> dict:
    """A quick scenario: a few Sapudi villages and one ferry."""
    villages = ["35.29.20.2001", "35.29.20.2002", "35.29.20.2003", "35.29.20.2004"][:n_villages]
    return {**PEMILU, "name": name, "villages": villages, "vessels": ["kmp-dbs-3"]}


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as c,
        Client(c) as client,
    ):
        yield c, client


def test_a_plan_submitted_through_the_api_runs_on_the_dask_cluster(
    cluster, network_cache: Path, tmp_path: Path
) -> None:
    from distributed import get_task_stream

    c, client = cluster
    url = f"sqlite:///{tmp_path}/dask.db"
    settings = Settings(
        data_dir=DATA, cache_dir=network_cache, database_url=url, dask_scheduler=c.scheduler_address
    )
    with get_task_stream(client) as stream, TestClient(create_app(settings)) as api:
        planner = {"X-API-Key": create_key(url, "planner")}
        r = api.post(
            "/plans", json={"bundled": "pemilu2024", "iterations": 200, "seed": 1}, headers=planner
        )
        assert r.status_code == 202
        done = wait_done(api, r.headers["location"], planner)
        assert done["phase"] == "completed", done
        owner = api.app.state.runner.owner
    assert any("run_claimed" in str(t["key"]) for t in stream.data)
    with sa.create_engine(url).connect() as conn:
        row = conn.execute(sa.text("select attempts, lease_owner from plans")).one()
    assert row.attempts == 1 and row.lease_owner == owner


def test_a_batch_on_dask_finishes_every_scenario_once_when_a_worker_is_killed(
    cluster, network_cache: Path, tmp_path: Path
) -> None:
    c, client = cluster
    files = []
    for k in range(6):
        path = tmp_path / f"s{k}.toml"
        path.write_text(scenario_toml(_small(f"s{k}", 4)))
        files.append(str(path))
    env = dict(
        os.environ,
        BALLOT_CACHE_DIR=str(network_cache),
        DASK_SCHEDULER=c.scheduler_address,
    )
    out = tmp_path / "batch"
    proc = subprocess.Popen(
        [localserver.executable(), "batch", *files, "--out", str(out), "--seconds", "4"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Kill one worker process while it is solving a scenario.
    end = time.monotonic() + 120
    while not any(client.processing().values()):
        assert time.monotonic() < end and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    time.sleep(1.0)
    busy = next(w for w, tasks in client.processing().items() if tasks)
    pid = client.run(os.getpid, workers=[busy])[busy]
    os.kill(pid, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    rows = list(csv.DictReader(io.StringIO((out / "comparison.csv").read_text())))
    assert sorted(r["scenario"] for r in rows) == [f"s{k}" for k in range(6)]
    assert all(r["status"] == "completed" for r in rows)
    runs = [json.loads(line) for line in (out / "runs.log").read_text().splitlines()]
    assert Counter(r["scenario"] for r in runs) == {f"s{k}": 1 for k in range(6)}
    assert pid not in {r["pid"] for r in runs} or len({r["pid"] for r in runs}) >= 2


@pytest.fixture
def pg_env(network_cache: Path, tmp_path: Path):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
        BALLOT_JOB_WORKERS="1",
    )
    env.pop("DASK_SCHEDULER", None)
    yield env, url
    with admin.begin() as conn:
        conn.execute(sa.text(f'drop schema "{schema}" cascade'))
    admin.dispose()


def test_two_api_workers_share_the_queue_and_never_solve_a_plan_twice(pg_env) -> None:
    env, url = pg_env
    keys = localserver.create_keys(env, ("planner", "viewer"))
    with localserver.serving(env, workers=2) as base:
        planner = {"X-API-Key": keys["planner"]}
        ids = []
        for k in range(20):
            r = httpx.post(
                f"{base}/plans",
                json={"scenario": _small(f"q{k}"), "iterations": 100, "seed": k},
                headers=planner,
                timeout=30,
            )
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        end = time.monotonic() + 240
        engine = sa.create_engine(url)
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text("select id, phase, attempts, lease_owner from plans")
                ).all()
            if all(r.phase in ("completed", "infeasible", "failed") for r in rows):
                break
            assert time.monotonic() < end, Counter(r.phase for r in rows)
            time.sleep(0.5)
        engine.dispose()
    assert sorted(r.id for r in rows) == sorted(ids)
    assert all(r.phase == "completed" for r in rows)
    assert all(r.attempts == 1 for r in rows)  # claimed once each: no plan solved twice
    owners = Counter(r.lease_owner for r in rows)
    assert len(owners) == 2, owners  # both worker processes took plans from the one queue


def test_events_posted_to_two_workers_at_once_are_each_stored_once(pg_env) -> None:
    env, url = pg_env
    keys = localserver.create_keys(env, ("planner", "field", "viewer"))
    with localserver.serving(env) as a, localserver.serving(env) as b:
        r = httpx.post(
            f"{a}/plans",
            json={"scenario": _small("events", 4), "iterations": 100, "wait": 30},
            headers={"X-API-Key": keys["planner"]},
            timeout=60,
        )
        plan = r.json()
        assert plan["phase"] == "completed", plan
        voyage = plan["result"]["voyages"][0]
        landings = [i for i, s in enumerate(voyage["stops"]) if s["kind"] == "landing"]
        field = {"X-API-Key": keys["field"]}
        statuses: list[int] = []
        lock = threading.Lock()

        def post(n: int, base: str) -> None:
            body = {
                "vessel_id": voyage["vessel_id"],
                "stop": landings[n % len(landings)],
                "type": "delayed",
                "reason": f"swell report {n}",
            }
            headers = field | {"Idempotency-Key": f"delay-{n}"}
            r = httpx.post(
                f"{base}/plans/{plan['id']}/events", json=body, headers=headers, timeout=60
            )
            with lock:
                statuses.append(r.status_code)

        # Each of 200 events goes to both workers at once (a retry that crossed the first try).
        with ThreadPoolExecutor(max_workers=16) as pool:
            for n in range(200):
                pool.submit(post, n, a)
                pool.submit(post, n, b)
        assert statuses.count(201) == 200 and statuses.count(200) == 200
        listed = httpx.get(
            f"{b}/plans/{plan['id']}/events", headers={"X-API-Key": keys["viewer"]}, timeout=30
        ).json()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("select idempotency_key from events")).scalars().all()
    engine.dispose()
    assert sorted(stored) == sorted(f"delay-{n}" for n in range(200))
    assert len(listed["events"]) == 200


def test_a_job_on_the_cluster_outlives_the_api_worker_that_sent_it(
    cluster, network_cache: Path, tmp_path: Path
) -> None:
    c, _ = cluster
    url = f"sqlite:///{tmp_path}/restart.db"
    settings = Settings(
        data_dir=DATA, cache_dir=network_cache, database_url=url, dask_scheduler=c.scheduler_address
    )
    with TestClient(create_app(settings)) as api:
        planner = {"X-API-Key": create_key(url, "planner")}
        r = api.post(
            "/plans", json={"bundled": "pemilu2024", "seconds": 12, "seed": 1}, headers=planner
        )
        location = r.headers["location"]
        end = time.monotonic() + 60
        while api.get(location, headers=planner).json()["phase"] != "solving":
            assert time.monotonic() < end
            time.sleep(0.2)
    # The API worker has stopped (its Dask client closed); a new one starts on the same database.
    with TestClient(create_app(settings)) as api:
        done = wait_done(api, location, planner)
    assert done["phase"] == "completed", done
    with sa.create_engine(url).connect() as conn:
        attempts = conn.execute(sa.text("select attempts from plans")).scalar_one()
    assert attempts == 1  # the job on the cluster finished it; nobody started it again


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A database of its own on the test server, made empty as compose.yaml's PostgreSQL makes
    its own (nothing in it until the migrations run); dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    yield PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'drop database "{name}" with (force)'))
    admin.dispose()


def test_the_compose_layout_runs_here_without_docker(
    cluster, fresh_database: str, network_cache: Path
) -> None:
    """compose.yaml's layout on this machine: its migration command on an empty database, two
    ``ballot-routing serve`` processes and a Dask cluster; a plan posted to one API worker is
    read from the other, solved on the Dask workers."""
    from distributed import get_task_stream

    c, client = cluster
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    env = dict(
        os.environ,
        DATABASE_URL=fresh_database,
        DASK_SCHEDULER=c.scheduler_address,
        BALLOT_PUBLIC_URL="https://ballot.example.id",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )
    command = services["migrations"]["command"]
    assert command[0] == "ballot-routing"
    subprocess.run([localserver.executable(), *command[1:]], env=env, check=True, timeout=120)
    engine = sa.create_engine(fresh_database)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        version = conn.execute(sa.text("select version_num from alembic_version")).scalar_one()
    assert {"plans", "api_keys", "events"} <= tables
    assert version == ScriptDirectory(str(ROOT / "app" / "migrations")).get_current_head()
    keys = localserver.create_keys(env, ("planner", "viewer"))
    with (
        get_task_stream(client) as stream,
        localserver.serving(env) as a,
        localserver.serving(env) as b,
    ):
        r = httpx.post(
            f"{a}/plans",
            json={"scenario": _small("compose"), "iterations": 100, "seed": 3},
            headers={"X-API-Key": keys["planner"]},
            timeout=60,
        )
        assert r.status_code == 202, r.text
        plan = {"phase": "queued"}
        for _ in range(10):  # waits of 30 s each, answered as soon as the plan ends
            plan = httpx.get(
                f"{b}{r.headers['location']}",
                params={"wait": 30},
                headers={"X-API-Key": keys["viewer"]},
                timeout=60,
            ).json()
            if plan["phase"] not in ("queued", "building_matrix", "solving"):
                break
        assert plan["phase"] == "completed", plan
        assert plan["id"] == r.json()["id"]
    assert any("run_claimed" in str(t["key"]) for t in stream.data)  # solved on the cluster
    with engine.connect() as conn:
        row = conn.execute(sa.text("select attempts from plans")).one()
    engine.dispose()
    assert row.attempts == 1
