from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from routing.inputs.demand import Kit, load_kit
from routing.inputs.geodata import Archipelago, load_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TWO_ECHELON_KEYS = ("timetable", "hubs", "sailing_max_wave_m")


def all_dispatched(raw: dict) -> dict:
    """A scenario as written (TOML or JSON) without its timetable and hubs: every vessel
    dispatched, for the tests of what a dispatched vessel's voyage does."""
    return {k: v for k, v in raw.items() if k not in TWO_ECHELON_KEYS}


def dispatched_2024() -> dict:
    """The bundled 2024 scenario as JSON, every vessel dispatched (``all_dispatched``)."""
    import tomllib

    from routing.outputs.export import jsonable

    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        return all_dispatched(jsonable(tomllib.load(fh)))


@pytest.fixture(scope="session")
def arch() -> Archipelago:
    return load_dataset(DATA / "islands")


@pytest.fixture(scope="session")
def kit() -> Kit:
    return load_kit(DATA / "kit.toml")


@pytest.fixture(scope="session")
def network_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sea-network cache for the session, so each clearance is built once."""
    return tmp_path_factory.mktemp("network-cache")


@pytest.fixture
def settings(network_cache: Path, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=DATA, cache_dir=network_cache, database_url=f"sqlite:///{tmp_path}/api.db"
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The real app on a temporary SQLite database, reading with a viewer key."""
    with TestClient(create_app(settings)) as c:
        c.headers["X-API-Key"] = create_key(settings.database, "viewer")
        yield c


def assert_valid_plan(document: dict) -> None:
    """A plan document (plan.json, or a plan's ``result``) valid against the plan schema."""
    from jsonschema import Draft202012Validator

    from routing.plandoc import plan_schema

    errors = [e.message for e in Draft202012Validator(plan_schema()).iter_errors(document)]
    assert not errors, errors[:5]
