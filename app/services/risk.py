"""Risk runs of finished plans: queued by ``POST /plans/{id}/risk``, run by the API worker that
took the request (in a process pool of its own, or on the Dask cluster when one is configured),
with their progress and report stored as they go.

A run whose worker stopped (its row not updated for ``STALE_S``) is shown as failed, so a
dashboard never waits on it for ever; a new request starts another.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from app import db, planning
from app.config import Settings
from app.services import Conflict, failure_errors, plans, vessels
from routing.errors import NotFound, RoutingError
from routing.scenario import parse_scenario

log = logging.getLogger(__name__)
STALE_S = 120.0  # a queued or running risk run not touched for this long lost its worker
HEARTBEAT_S = 30.0  # how often a worker touches the risk runs it holds
PROCESSES = 2  # processes a risk run spreads its runs over (without a Dask cluster)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def record(r: Any, now: float, *, full: bool = True) -> dict[str, Any]:
    """A risk run as the API shows it."""
    phase = r.phase
    errors = json.loads(r.error) if r.error else None
    # The worker touches its queued and running runs every HEARTBEAT_S: one not touched for
    # STALE_S has lost its worker.
    if phase in ("queued", "running") and now - r.updated_at > STALE_S:
        phase = "failed"
        errors = [{"code": "worker_lost", "path": "", "message": "the worker running it stopped"}]
    out: dict[str, Any] = {
        "id": r.id,
        "plan_id": r.plan_id,
        "phase": phase,
        "options": {
            "runs": r.runs,
            "seed": r.seed,
            "breakdowns": r.breakdowns,
            "replan_breakdowns": r.replan_breakdowns,
        },
        "progress": {"runs_done": r.runs_done, "runs": r.runs},
        "created_at": _iso(r.created_at),
        "updated_at": _iso(r.updated_at),
        "links": {"self": f"/risk/{r.id}", "plan": f"/plans/{r.plan_id}"},
    }
    if errors:
        out["errors"] = errors
    if full and r.result:
        out["result"] = json.loads(r.result)
    return out


def queue(
    settings: Settings,
    plan_id: str,
    *,
    runs: int,
    seed: int,
    breakdowns: bool,
    replan_breakdowns: bool,
) -> str:
    """Store a queued risk run of a finished plan; its id (the caller starts it)."""
    found = plans.row(settings, plan_id)  # NotFound: 404
    if found.phase not in ("completed", "infeasible") or not found.result:
        raise Conflict("not_finished", "", f"plan {plan_id} is {found.phase}; wait for its result")
    if found.kind == "capacity":
        raise Conflict("capacity_plan", "", "a capacity plan has no voyages to simulate")
    if found.kind == "replan":
        raise Conflict("replan", "", "a re-plan starts under way: simulate the plan it continues")
    risk_id = str(uuid.uuid4())
    t = db.now()
    with db.write(db.engine_for(settings.database)) as conn:
        conn.execute(
            insert(db.risk_runs).values(
                id=risk_id,
                plan_id=plan_id,
                runs=runs,
                seed=seed,
                breakdowns=breakdowns,
                replan_breakdowns=replan_breakdowns,
                phase="queued",
                runs_done=0,
                created_at=t,
                updated_at=t,
            )
        )
    return risk_id


def get(settings: Settings, risk_id: str) -> dict[str, Any]:
    with db.engine_for(settings.database).connect() as conn:
        r = conn.execute(select(db.risk_runs).where(db.risk_runs.c.id == risk_id)).first()
    if r is None:
        raise NotFound("risk run", risk_id)
    return record(r, db.now())


def of_plan(settings: Settings, plan_id: str) -> list[dict[str, Any]]:
    """A plan's risk runs, newest first (without their reports)."""
    plans.row(settings, plan_id)
    k = db.risk_runs
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(
            select(k).where(k.c.plan_id == plan_id).order_by(k.c.created_at.desc())
        ).all()
    now = db.now()
    return [record(r, now, full=False) for r in rows]


def _set(settings: Settings, risk_id: str, **values: Any) -> None:
    with db.write(db.engine_for(settings.database)) as conn:
        conn.execute(
            update(db.risk_runs)
            .where(db.risk_runs.c.id == risk_id)
            .values(updated_at=db.now(), **values)
        )


class RiskRunner:
    """Runs this worker's risk runs one after another, in a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="risk")
        self._closed = threading.Event()
        self._held: set[str] = set()  # queued or running here
        self._lock = threading.Lock()
        self._beat = threading.Thread(target=self._heartbeat, name="risk-heartbeat", daemon=True)
        self._beat.start()

    def start(self, risk_id: str) -> None:
        with self._lock:
            self._held.add(risk_id)
        self._thread.submit(self._run, risk_id)

    def close(self) -> None:
        self._closed.set()
        self._thread.shutdown(wait=False, cancel_futures=True)

    def _heartbeat(self) -> None:
        """Touch the runs this worker holds, so that readers know it is alive."""
        while not self._closed.wait(HEARTBEAT_S):
            with self._lock:
                held = sorted(self._held)
            for risk_id in held:
                try:
                    _set(self.settings, risk_id)
                except Exception as exc:  # the database is away: the next beat tries again
                    log.warning("risk run %s: heartbeat failed (%s)", risk_id, exc)

    def _executor(self) -> tuple[Executor, Any]:
        if self.settings.dask_scheduler:
            from distributed import Client

            client = Client(self.settings.dask_scheduler, set_as_default=False, timeout=30)
            return client.get_executor(pure=False), client
        # Spawned, not forked: the API worker has threads (a forked child could inherit a
        # lock held by one of them), as the plan jobs' pool does (app.runner).
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context), None

    def _run(self, risk_id: str) -> None:
        try:
            self._simulate(risk_id)
        finally:
            with self._lock:
                self._held.discard(risk_id)

    def _simulate(self, risk_id: str) -> None:
        settings = self.settings
        try:
            with db.engine_for(settings.database).connect() as conn:
                r = conn.execute(select(db.risk_runs).where(db.risk_runs.c.id == risk_id)).one()
                p = conn.execute(select(db.plans).where(db.plans.c.id == r.plan_id)).one()
            _set(settings, risk_id, phase="running")
            # The scenario as the plan job took it: with the planners' vessel settings.
            scenario = vessels.with_overrides(
                settings, parse_scenario(json.loads(p.scenario_body), source="scenario")
            )
            executor, client = self._executor()

            def progress(done: int, total: int) -> None:
                if self._closed.is_set():
                    raise RuntimeError("the service is stopping")
                _set(settings, risk_id, runs_done=done)

            try:
                with executor:
                    result = planning.risk(
                        settings,
                        json.loads(p.result),
                        scenario,
                        runs=r.runs,
                        seed=r.seed,
                        breakdowns=r.breakdowns,
                        replan_breakdowns=r.replan_breakdowns,
                        executor=executor,
                        hazard_changes=True,
                        progress=progress,
                    )
            finally:
                if client is not None:
                    client.close()
            result["plan_id"] = r.plan_id
            _set(
                settings,
                risk_id,
                phase="completed",
                runs_done=r.runs,
                result=json.dumps(result, ensure_ascii=False),
            )
        except RoutingError as exc:  # bad input (DataError) or the engine's refusal
            _set(settings, risk_id, phase="failed", error=json.dumps(failure_errors(exc)))
        except Exception:
            log.exception("risk run %s failed", risk_id)
            errors = [{"code": "internal_error", "path": "", "message": "the simulation failed"}]
            try:
                _set(settings, risk_id, phase="failed", error=json.dumps(errors))
            except Exception:
                log.exception("risk run %s: cannot record the failure", risk_id)
