"""Property-based API test: schemathesis drives every operation of the OpenAPI document with a
bounded number of generated requests; no response may be a 5xx."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from tests.conftest import DATA

_DB = Path(tempfile.mkdtemp(prefix="schemathesis-")) / "api.db"
SETTINGS = Settings(data_dir=DATA, database_url=f"sqlite:///{_DB}", cache_dir=_DB.parent / "cache")
APP = create_app(SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def running_app() -> Iterator[dict[str, str]]:
    with TestClient(APP):  # runs the lifespan: migrations, job pool
        yield {"X-API-Key": create_key(SETTINGS.database, "planner")}


@pytest.fixture(scope="module")
def planner_key(running_app: dict[str, str]) -> dict[str, str]:
    return running_app


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, planner_key) -> None:
    case.call_and_validate(headers=planner_key, checks=[not_a_server_error])
