"""The container files, checked without a Docker daemon: compose.yaml against the Compose
Specification's JSON Schema (tests/data/compose-spec.json) and its layout, and what the
Dockerfile declares (health, the data volume, the public address, the build context)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft201909Validator

from app.config import Settings
from tests.conftest import ROOT

SPEC = json.loads((Path(__file__).parents[1] / "data" / "compose-spec.json").read_text())
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
OWN_IMAGE = ("migrations", "api-1", "api-2", "dask-scheduler", "dask-worker-1", "dask-worker-2")
APIS = ("api-1", "api-2")
DASK_WORKERS = ("dask-worker-1", "dask-worker-2")
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$")  # Compose's durations: 5s, 1m30s


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines()]
    return [
        (ln.split(None, 1)[0].upper(), ln.split(None, 1)[1])
        for ln in lines
        if ln and not ln.startswith("#")
    ]


def _env(args: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(args))


def test_compose_yaml_follows_the_compose_specification() -> None:
    Draft201909Validator.check_schema(SPEC)
    validator = Draft201909Validator(SPEC)
    assert [e.message for e in validator.iter_errors(COMPOSE)] == []
    # The schema does catch a mistake in the parts this file leans on.
    wrong = json.loads(json.dumps(COMPOSE))
    wrong["services"]["api-1"]["depends_on"]["migrations"]["condition"] = "service_finished"
    wrong["services"]["postgres"]["healthcheck"]["retry"] = 3
    assert len(list(validator.iter_errors(wrong))) == 2


def test_compose_holds_the_scale_out_layout() -> None:
    assert set(SERVICES) == {"postgres", *OWN_IMAGE}
    images = {SERVICES[name]["image"] for name in OWN_IMAGE}
    assert len(images) == 1 and all(SERVICES[n]["build"] == "." for n in OWN_IMAGE)
    pg = SERVICES["postgres"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["environment"]["POSTGRES_DB"] == "ballot"  # made at the volume's first start
    migrate = SERVICES["migrations"]
    assert migrate["command"] == ["ballot-routing", "db", "migrate"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    for name in APIS:
        api = SERVICES[name]
        assert api["command"] == ["ballot-routing", "serve"]
        assert api["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "migrations": {"condition": "service_completed_successfully"},
            "dask-scheduler": {"condition": "service_healthy"},
        }
        assert "healthcheck" not in api  # the image's own, against /healthz
    published = [p.split(":")[0] for n in APIS for p in SERVICES[n]["ports"]]
    assert len(set(published)) == len(APIS)


def test_every_api_worker_and_job_shares_one_database_and_one_scheduler() -> None:
    urls = {SERVICES[n]["environment"]["DATABASE_URL"] for n in OWN_IMAGE}
    assert len(urls) == 1
    (url,) = urls
    pg = SERVICES["postgres"]["environment"]
    assert url.startswith("postgresql+psycopg://") and url.endswith(
        f"@postgres:5432/{pg['POSTGRES_DB']}"
    )
    scheduler = SERVICES["dask-scheduler"]["command"]
    port = scheduler[scheduler.index("--port") + 1]
    address = f"tcp://dask-scheduler:{port}"
    assert scheduler[:2] == ["dask", "scheduler"]
    assert {SERVICES[n]["environment"]["DASK_SCHEDULER"] for n in OWN_IMAGE} == {address}
    for name in DASK_WORKERS:
        command = SERVICES[name]["command"]
        assert command[:3] == ["dask", "worker", address]
        assert SERVICES[name]["depends_on"] == {"dask-scheduler": {"condition": "service_healthy"}}
    assert "socket.create_connection(('127.0.0.1', 8786)" in " ".join(
        SERVICES["dask-scheduler"]["healthcheck"]["test"]
    )


def test_compose_keeps_its_data_in_named_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    used = {
        mount.split(":")[0]: mount.split(":")[1]
        for service in SERVICES.values()
        for mount in service.get("volumes", [])
    }
    assert set(used) == declared  # every volume used is declared, none left over
    assert used["postgres-data"] == "/var/lib/postgresql/data"
    volume = next(args for op, args in _dockerfile() if op == "VOLUME")
    assert used["ballot-var"] in json.loads(volume)


def test_compose_sets_the_public_url_once() -> None:
    assert COMPOSE_TEXT.count("${BALLOT_PUBLIC_URL") == 1
    values = {SERVICES[n]["environment"]["BALLOT_PUBLIC_URL"] for n in OWN_IMAGE}
    assert values == {COMPOSE["x-public-url"]}
    assert "0.0.0.0" not in COMPOSE["x-public-url"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_health_checks_are_well_formed(name: str) -> None:
    check = SERVICES[name].get("healthcheck")
    if check is None or check.get("disable"):
        return
    assert check["test"][0] in ("CMD", "CMD-SHELL")
    for key in ("interval", "timeout", "start_period"):
        assert GO_DURATION.match(check[key]), (key, check[key])


def test_the_dockerfile_keeps_the_database_in_its_volume_and_reports_health() -> None:
    ops = _dockerfile()
    env: dict[str, str] = {}
    for op, args in ops:
        if op == "ENV":
            env |= _env(args)
    volumes = json.loads(next(args for op, args in ops if op == "VOLUME"))
    settings = Settings(data_dir=Path(env["BALLOT_DATA_DIR"]), database_url=None, cache_dir=None)
    database = Path(settings.database.removeprefix("sqlite:///"))
    assert any(database.parent == Path(v) for v in volumes), (settings.database, volumes)
    assert any(settings.matrix_cache_dir.is_relative_to(v) for v in volumes)
    health = next(args for op, args in ops if op == "HEALTHCHECK")
    assert "/healthz" in health and "urllib.request" in health and "curl" not in health
    command = json.loads(health.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"]
    compile(command[2], "HEALTHCHECK", "exec")  # the check is Python that parses
    public = env["BALLOT_PUBLIC_URL"]
    assert public.startswith("http") and "0.0.0.0" not in public
    assert env["BALLOT_HOST"] == "0.0.0.0"  # listens on every interface of the container


def test_the_build_context_leaves_out_the_environment_and_outputs() -> None:
    ignored = {
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    assert {".venv", ".git", "test-output", "var", ".pytest_cache", ".mypy_cache"} <= ignored
    copied = [args.split()[:-1] for op, args in _dockerfile() if op == "COPY"]
    for sources in copied:  # what the image copies is not left out of the context
        assert not set(sources) & ignored, sources
