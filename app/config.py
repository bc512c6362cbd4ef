"""Settings: the only place the environment is read (prefix ``BALLOT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    beside_code = Path(__file__).resolve().parents[1] / "data"
    return beside_code if beside_code.is_dir() else Path.cwd() / "data"


class Settings(BaseSettings):
    """Service settings; every one has an embedded default so the service starts bare."""

    model_config = SettingsConfigDict(env_prefix="BALLOT_", extra="ignore")

    data_dir: Path = _default_data_dir()
    cache_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def dataset_dir(self) -> Path:
        return self.data_dir / "islands"

    @property
    def sources_dir(self) -> Path:
        return self.dataset_dir / "sources"

    @property
    def kit_file(self) -> Path:
        return self.data_dir / "kit.toml"

    @property
    def fleet_file(self) -> Path:
        return self.data_dir / "fleet.toml"

    @property
    def matrix_cache_dir(self) -> Path:
        return self.cache_dir or (self.data_dir.parent / "var" / "cache")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
