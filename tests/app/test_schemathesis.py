"""Property-based API test: schemathesis drives every operation of the OpenAPI document with a
small, fixed set of generated requests. The run is derandomised (the same requests every time)
and keeps no example database, so CI cannot flake; the longer randomised fuzz is
``bench/fuzz.py``, run by hand, and each failure it finds becomes an ordinary regression test.

No response may be a 5xx, and every response must have a status code, a content type and
headers that the OpenAPI document declares for the operation (every 4xx is documented as
``application/problem+json``). Where the service checks a request's form only (``POST
/plans:validate`` answers a scenario's problems as its result), no request that the document
allows may be refused."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    status_code_conformance,
)

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from tests.conftest import DATA

_DB = Path(tempfile.mkdtemp(prefix="schemathesis-")) / "api.db"
# A request waits for a plan 1 s at most (the document's bound of `wait`): a valid bundled name
# now plans for real, and an answer must not wait on a solve.
SETTINGS = Settings(
    data_dir=DATA, database_url=f"sqlite:///{_DB}", cache_dir=_DB.parent / "cache", max_wait_s=1
)
TIMEOUT_S = 300  # the transport's read timeout: never what decides a check on a busy machine
APP = create_app(SETTINGS)
# A timetable feed is sent as a zip: generated as the binary string its schema declares.
schemathesis.serializer.alias("application/zip", "application/octet-stream")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]


def role_for(method: str, path: str) -> str:
    """The role whose key gets the request past 401/403: field events need a field key; the
    rest (writes, and the key list) a planner key, which may also read."""
    if method.upper() == "POST" and path.endswith("/events"):
        return "field"
    return "planner"


@pytest.fixture(scope="module")
def keys() -> Iterator[dict[str, dict[str, str]]]:
    with TestClient(APP):  # runs the lifespan: migrations, job pool
        yield {
            role: {"X-API-Key": create_key(SETTINGS.database, role)}
            for role in ("planner", "field")
        }


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case, keys) -> None:
    headers = keys[role_for(case.operation.method, case.operation.path)]
    case.call_and_validate(headers=headers, checks=CHECKS, timeout=TIMEOUT_S)


@schema.include(method="POST", path="/plans:validate").parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_validate_accepts_every_request_its_schema_allows(case, keys) -> None:
    """Daylight clock times, times in any offset, whole numbers written as ``2.0``, exactly one
    scenario source, unique and well-formed dictionary keys: what the document allows, the
    service takes (issue 26, finding 11)."""
    case.call_and_validate(
        headers=keys["planner"],
        checks=[not_a_server_error, positive_data_acceptance],
        timeout=TIMEOUT_S,
    )
