"""Shared fixtures of the service tests: a database per test (SQLite file or a PostgreSQL
schema) and a running app with keys for each role."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from app import db
from app.auth import create_key
from app.config import Settings
from app.main import create_app
from tests.conftest import DATA, all_dispatched

PG_BASE = "postgresql+psycopg://root@127.0.0.1:5432/test"


def _postgres_available() -> bool:
    try:
        with sa.create_engine(PG_BASE).connect() as conn:
            conn.execute(sa.text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/plans.db"
        return
    if not _postgres_available():
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (.ci/run starts it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    yield url
    db.forget_engine(url)  # this process's connections to the schema, before it goes
    with admin.begin() as conn:
        conn.execute(sa.text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture
def service(
    database: str, network_cache: Path
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    settings = Settings(data_dir=DATA, cache_dir=network_cache, database_url=database)
    with TestClient(create_app(settings)) as client:
        keys = {
            role: {"X-API-Key": create_key(database, role)}
            for role in ("planner", "field", "viewer")
        }
        yield client, keys


_SCHEMAS: dict[str, Draft202012Validator] = {}


def _served_schema(client: TestClient, kind: str) -> Draft202012Validator:
    """The schema the app serves for a plan's result (capacity plans have their own), fetched
    without a key once per test session."""
    name = "capacity" if kind == "capacity" else "plan"
    if name not in _SCHEMAS:
        r = client.get(f"/schemas/{name}.json", headers={"X-API-Key": ""})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/schema+json")
        Draft202012Validator.check_schema(r.json())
        _SCHEMAS[name] = Draft202012Validator(r.json())
    return _SCHEMAS[name]


def wait_done(client: TestClient, url: str, headers: dict[str, str], timeout: float = 120) -> dict:
    """The plan at ``url`` once it is no longer queued or being solved; its result, if it has
    one, valid against the schema the app serves (GET /schemas/plan.json or capacity.json)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        body = client.get(url, params={"wait": 5}, headers=headers).json()
        if body["phase"] not in ("queued", "building_matrix", "solving"):
            if body.get("result") is not None:
                errors = [
                    f"{e.json_path}: {e.message}"
                    for e in _served_schema(client, body["kind"]).iter_errors(body["result"])
                ]
                assert not errors, errors[:10]
            return body
    raise AssertionError(f"{url} did not finish: {body}")


def wait_solving(client: TestClient, url: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while client.get(url).json()["phase"] != "solving":
        assert time.monotonic() < end, "the plan never started solving"
        time.sleep(0.1)


def _sapudi() -> dict:
    """The 2024 scenario cut down to two Sapudi villages and one ferry (a plan in seconds)."""
    import tomllib

    from routing.outputs.export import jsonable

    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        scenario = all_dispatched(jsonable(tomllib.load(fh)))
    villages = ["35.29.20.2001", "35.29.20.2002"]
    return {**scenario, "name": "sapudi", "villages": villages, "vessels": ["kmp-dbs-3"]}


SAPUDI = _sapudi()


@pytest.fixture
def sapudi_plan(database: str, network_cache: Path) -> Iterator[tuple[Settings, dict, dict]]:
    """A finished small plan (two Sapudi villages, one ferry) and keys, on either database."""
    settings = Settings(data_dir=DATA, cache_dir=network_cache, database_url=database)
    with TestClient(create_app(settings)) as client:
        keys = {
            role: {"X-API-Key": create_key(database, role)}
            for role in ("planner", "field", "viewer")
        }
        r = client.post(
            "/plans",
            json={"scenario": SAPUDI, "iterations": 200, "seed": 1},
            headers=keys["planner"],
        )
        assert r.status_code == 202, r.text
        plan = wait_done(client, r.headers["Location"], keys["viewer"])
    assert plan["phase"] == "completed", plan
    yield settings, keys, plan
