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

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from tests.conftest import DATA

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
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
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


def wait_done(client: TestClient, url: str, headers: dict[str, str], timeout: float = 120) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        body = client.get(url, params={"wait": 5}, headers=headers).json()
        if body["phase"] not in ("queued", "building_matrix", "solving"):
            return body
    raise AssertionError(f"{url} did not finish: {body}")


def wait_solving(client: TestClient, url: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while client.get(url).json()["phase"] != "solving":
        assert time.monotonic() < end, "the plan never started solving"
        time.sleep(0.1)
