"""Settings: the only place the environment is read (prefix ``BALLOT_``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from routing.fieldlog import DEFAULT_CLOCK_SKEW
from routing.inputs import DataFiles, bundled_data_dir

# The HTTP servers ``serve`` can run the app under (``BALLOT_SERVER``, ``serve --server``).
ServerName = Literal["granian", "uvicorn"]


def _default_var_dir(data_dir: Path) -> Path:
    """Where the database and caches go by default: ``var/`` beside the data folder in a
    checkout; ``var/`` in the working directory where the data is an installed package's."""
    installed = Path(str(resources.files("routing"))).resolve()
    if data_dir.resolve().is_relative_to(installed):
        return Path.cwd() / "var"
    return data_dir.parent / "var"


class Settings(BaseSettings):
    """Service settings; every one has an embedded default so the service starts bare."""

    model_config = SettingsConfigDict(env_prefix="BALLOT_", extra="ignore", populate_by_name=True)

    data_dir: Path = bundled_data_dir()
    cache_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Where phones reach the service: the field page's link in a key's QR code
    # (``public_url``; default http://{host}:{port}).
    public_url_given: str | None = Field(
        default=None, validation_alias=AliasChoices("BALLOT_PUBLIC_URL", "public_url")
    )
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "BALLOT_DATABASE_URL")
    )
    job_workers: int = 1  # solver processes owned by the app
    dask_scheduler: str | None = Field(  # run plan jobs on this Dask cluster instead
        default=None, validation_alias=AliasChoices("DASK_SCHEDULER", "BALLOT_DASK_SCHEDULER")
    )
    allow_anonymous_reads: bool = False
    max_body_bytes: int = 1_000_000
    # Longest wait for the next piece of a request's body (a body announced longer than what is
    # sent would otherwise hold the request): 408 after it. A wait between pieces, not for the
    # whole body, so a slow island link sending steadily is never cut off. Assumed: 30 s.
    body_timeout_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    max_plan_seconds: float = 600.0
    max_plan_iterations: int = 200_000
    max_wait_s: float = 30.0  # longest a request may wait for a plan's result
    # Risk runs queued or running at once, per plan and in all (more are refused with 409): each
    # holds a place of the job runner, as a plan does.
    max_risk_runs_per_plan: Annotated[int, Field(ge=1, le=1_000)] = 2
    max_risk_runs: Annotated[int, Field(ge=1, le=10_000)] = 8
    # How far past the server's clock a field event's time may be (routing.fieldlog).
    event_clock_skew_s: Annotated[float, Field(ge=0, le=86_400)] = (
        DEFAULT_CLOCK_SKEW.total_seconds()
    )
    # The live status (app.live.service): how often a worker looks for changes made by
    # other processes where PostgreSQL's LISTEN/NOTIFY does not tell it (SQLite, or while the
    # listening connection is down), and how often an idle status stream sends a keep-alive.
    status_check_s: Annotated[float, Field(gt=0, le=60)] = 0.3
    status_keepalive_s: Annotated[float, Field(gt=0, le=3_600)] = 15.0
    # The access log (app.accesslog): ``summary`` writes every request but counts the polls of
    # a status answered 304 and writes them as a line per plan every ``access_log_summary_s``;
    # ``full`` writes every request; ``off`` none.
    access_log: Literal["summary", "full", "off"] = "summary"
    access_log_summary_s: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    # Requests one API worker serves at once, open status streams and long polls included (each
    # stream is a request that lasts); beyond it a request waits for a place under granian, and
    # is answered 503 at once under uvicorn (its ``limit_concurrency``) (``serve``).
    max_open_requests: Annotated[int, Field(ge=16, le=1_000_000)] = 10_000
    # The HTTP server ``serve`` runs: granian (the default, measured the faster in issue 16;
    # ``bench/api_load.py --server both`` compares them) or uvicorn, for a team that runs its
    # ASGI apps under uvicorn.
    server: ServerName = "granian"

    @property
    def database(self) -> str:
        """The database URL; a SQLite file under var/ by default."""
        default = _default_var_dir(self.data_dir) / "ballot-routing.db"
        return self.database_url or f"sqlite:///{default}"

    @property
    def public_url(self) -> str:
        """The service's address as phones reach it (``BALLOT_PUBLIC_URL``), without a
        trailing slash; by default ``http://{host}:{port}``."""
        return (self.public_url_given or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def files(self) -> DataFiles:
        """The data folder's layout (``routing.inputs.DataFiles``)."""
        return DataFiles(self.data_dir)

    @property
    def dataset_dir(self) -> Path:
        return self.files.dataset_dir

    @property
    def sources_dir(self) -> Path:
        return self.files.sources_dir

    @property
    def kit_file(self) -> Path:
        return self.files.kit

    @property
    def climate_file(self) -> Path:
        return self.files.climate

    @property
    def sea_areas_file(self) -> Path:
        return self.files.sea_areas

    @property
    def fleet_file(self) -> Path:
        return self.files.fleet

    @property
    def matrix_cache_dir(self) -> Path:
        return self.cache_dir or (_default_var_dir(self.data_dir) / "cache")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
