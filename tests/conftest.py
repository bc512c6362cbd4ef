from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from routing.demand import Kit, load_kit
from routing.geodata import Archipelago, load_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


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
def settings(network_cache: Path) -> Settings:
    return Settings(data_dir=DATA, cache_dir=network_cache)
