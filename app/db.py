"""Persistence: SQLAlchemy Core tables, the engine (SQLite or PostgreSQL), migrations."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),  # refused from then on; none: does not expire
    Column("revoked_at", Float),  # refused from then on
    Column("vessel_id", String(100)),  # a field key bound to one vessel: its events only
    Column("plan_id", String(36)),  # ... and to one plan (and its re-plans)
)

scenarios = Table(
    "scenarios",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("body", Text, nullable=False),  # the scenario as JSON
    Column("created_at", Float, nullable=False),
)

vessel_overrides = Table(
    "vessel_overrides",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("available_from", String(40)),
    Column("available_until", String(40)),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", Float, nullable=False),
)

plans = Table(
    "plans",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),  # "plan", "capacity" or "replan"
    # A target chance on time (JSON: target_on_time, risk_runs, climate, days_before): the plan
    # is the robust search's, the capacity plan capacity under risk; null otherwise.
    Column("target", Text),
    Column("scenario_id", String(36)),
    Column("scenario_name", String(200), nullable=False),
    Column("scenario_body", Text, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("seconds", Float),
    Column("iterations", Integer),
    Column("fixed_cost_idr", BigInteger, nullable=False, default=0),
    Column("phase", String(16), nullable=False, index=True),
    Column("elapsed_s", Float, nullable=False, default=0.0),
    Column("best_objective", Float),
    Column("result", Text),  # plan.json (or the capacity report); its files render from it
    Column("error", Text),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("lease_until", Float),
    Column("lease_owner", String(100)),  # the API worker (runner token) holding the lease
    Column("attempts", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("parent_id", String(36)),  # a re-plan: the plan it continues
    Column("replan", Text),  # a re-plan: {"as_of", "out_of_service", "change"}
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(36), ForeignKey("plans.id"), nullable=False, index=True),
    # Whose the event is: a vessel's voyage or a booked scheduled sailing's, one of the two.
    Column("vessel_id", String(100)),
    Column("sailing_id", String(100)),
    Column("stop", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    Column("idempotency_key", String(200)),
    Column("created_at", Float, nullable=False),
    Column("recorded_by", String(32)),  # the id of the API key that posted it
    # An Idempotency-Key is the posting key's own: another key's same one is another event.
    UniqueConstraint("plan_id", "recorded_by", "idempotency_key", name="uq_events_idempotency"),
)

hazard_changes = Table(
    "hazard_changes",
    metadata,
    # Append-only: each change a planner or harbour master made to the hazards of
    # data/hazards.geojson (a hazard set or changed, or withdrawn), with who and when; the
    # hazards in force are the file's with these applied in order.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("hazard_id", String(100), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # "set" or "withdraw"
    Column("feature", Text),  # "set": the hazard as a GeoJSON feature
    Column("reason", Text, nullable=False, default=""),
    Column("recorded_by", String(32)),  # the id of the API key
    Column("recorded_at", Float, nullable=False),
)

hazards_current = Table(
    "hazards_current",
    metadata,
    # The hazards changed through the API as they stand: per hazard id its last change in
    # hazard_changes (a withdrawn one keeps its row, without a feature), written in the same
    # transaction as that change; the hazards in force are data/hazards.geojson's with these
    # rows applied, read without going through the history. `seq` is the revision a
    # conditional change (If-Match) expects.
    Column("hazard_id", String(100), primary_key=True),
    Column("seq", Integer, nullable=False),  # the hazard_changes row it stands for
    Column("action", String(16), nullable=False),  # "set" or "withdraw"
    Column("feature", Text),  # "set": the hazard as a GeoJSON feature
    Column("reason", Text, nullable=False, default=""),
    Column("recorded_by", String(32)),
    Column("recorded_at", Float, nullable=False),
)

risk_runs = Table(
    "risk_runs",
    metadata,
    # A Monte Carlo of a finished plan (routing.risk): its options, progress and report; a job
    # of the queue (app.jobs.queue) with a lease like a plan's.
    Column("id", String(36), primary_key=True),
    Column("plan_id", String(36), ForeignKey("plans.id"), nullable=False, index=True),
    Column("runs", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("breakdowns", Boolean, nullable=False),
    Column("replan_breakdowns", Boolean, nullable=False),
    # "history": the closures on record replayed through the re-planner (routing.stress)
    # instead of the Monte Carlo; runs and runs_done then count its re-plans
    Column("closures", String(16)),
    Column("replan_iterations", Integer),
    # queued, running, completed, failed, cancelled
    Column("phase", String(16), nullable=False, index=True),
    Column("runs_done", Integer, nullable=False, default=0),
    Column("result", Text),
    Column("error", Text),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("lease_until", Float),
    Column("lease_owner", String(100)),  # the API worker (runner token) holding the lease
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

timetables = Table(
    "timetables",
    metadata,
    # A GTFS feed of the regular sailings (routing.inputs.timetable), checked before it is kept;
    # its files as JSON {name: text}.
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("version", String(200), nullable=False, default=""),
    Column("files", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

Phase = Literal[
    "queued", "building_matrix", "solving", "completed", "infeasible", "failed", "cancelled"
]
ACTIVE_PHASES = ("queued", "building_matrix", "solving")
FINAL_PHASES = ("completed", "infeasible", "failed", "cancelled")


def event_record(r: Any) -> dict[str, Any]:
    """A stored field event as the API shows it: its columns and its payload, the key that
    posted it (``recorded_by``, its id) and that key's holder (``recorded_by_name``; null for a
    key without a name, or an event stored before keys were recorded)."""
    return {
        "id": r.id,
        "vessel_id": r.vessel_id,
        "sailing_id": r.sailing_id,
        "stop": r.stop,
        "type": r.type,
        **json.loads(r.payload),
        "idempotency_key": r.idempotency_key,
        "recorded_at": datetime.fromtimestamp(r.created_at, UTC).isoformat(),
        "recorded_by": r.recorded_by,
        "recorded_by_name": getattr(r, "recorded_by_name", None) or None,
    }


def select_events() -> Select[Any]:
    """Events with the name of the key holder who posted each (``recorded_by_name``)."""
    return select(events, api_keys.c.name.label("recorded_by_name")).select_from(
        events.outerjoin(api_keys, events.c.recorded_by == api_keys.c.id)
    )


def plan_events(conn: Connection, plan_id: str) -> list[dict[str, Any]]:
    """A plan's field events, oldest first."""
    rows = conn.execute(select_events().where(events.c.plan_id == plan_id).order_by(events.c.id))
    return [event_record(r) for r in rows.all()]


def upsert(conn: Connection, table: Table, values: dict[str, Any], *, key: str) -> Any:
    """An insert that updates the row with the same ``key`` instead (one statement, so two
    first writers cannot both insert)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=[key], set_={k: v for k, v in values.items() if k != key}
    )


def now() -> float:
    return time.time()


def _sqlite_setup(engine: Engine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE for writers so that they serialise."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Writers (db.write) take the write lock up front, so a read-then-write transaction
        # never meets a stale snapshot; readers do not block each other.
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


ENGINES_KEPT = 8  # engines (databases) one process keeps; the least recently used go first
_engines: OrderedDict[str, Engine] = OrderedDict()
_engines_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """One engine per URL per process. An engine pushed out of the few kept has its idle
    connections closed (``dispose``), so that a process that has used many databases (the
    test suite, a schema per test) does not hold their connections open."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is not None:
            _engines.move_to_end(url)
            return engine
        engine = _engines[url] = _new_engine(url)
        while len(_engines) > ENGINES_KEPT:
            _, old = _engines.popitem(last=False)
            old.dispose()  # still usable by whoever holds it: it opens a new pool if asked
        return engine


def _new_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def forget_engine(url: str) -> None:
    """Close the engine of ``url`` (its idle connections) and forget it (a database dropped)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction, committed at the end (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect() as conn:
        conn.execution_options(immediate=True)
        with conn.begin():
            yield conn


def migrate(url: str) -> None:
    """Bring the database to the newest schema (Alembic migrations in app/migrations)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    engine = engine_for(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
