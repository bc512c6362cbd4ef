"""The job runner of one API worker: takes plans from the database queue and runs them on an
executor, a local pool of solver processes or, when ``DASK_SCHEDULER`` is set, a Dask cluster.

Either way the executor is a ``concurrent.futures`` one and the job function is the same
(``jobs.run_claimed``). A dispatcher thread claims a plan only while the executor has a free
slot, so several API workers (``serve --workers N``) share the queue by load; the claim is a
locked transaction, so no two take the same plan. A local pool broken by a dead solver process
is replaced and the plan's lease released, so it is claimed again at once; on Dask, a lost
worker's task is run again by the cluster. A restarted API worker finds what it left in the
database: plans still queued, or active with a lapsed lease, are claimed again; a job still
running on the cluster keeps its lease alive and finishes on its own.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import uuid
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import update

from app import db, jobs
from app.config import Settings

log = logging.getLogger(__name__)
POLL_S = 0.5  # how often the dispatcher looks at the queue without being woken


class JobRunner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.settings_json = settings.model_dump_json()
        self.engine = db.engine_for(settings.database)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lock = threading.Lock()
        self.inflight: set[str] = set()
        self.closed = False
        self.wake = threading.Event()
        self.dask: Any = None
        self.executor = self._new_executor()
        self.thread = threading.Thread(target=self._loop, name="plan-dispatcher", daemon=True)
        self.thread.start()

    def _new_executor(self) -> Executor:
        if self.settings.dask_scheduler:
            if self.dask is None:
                from distributed import Client

                self.dask = Client(self.settings.dask_scheduler, set_as_default=False, timeout=30)
            executor: Executor = self.dask.get_executor(pure=False)
            return executor
        return ProcessPoolExecutor(
            max_workers=max(1, self.settings.job_workers),
            mp_context=multiprocessing.get_context("spawn"),
        )

    def capacity(self) -> int:
        """Plans this worker runs at once: its solver processes, or the cluster's threads."""
        if self.dask is not None:
            return max(1, sum(self.dask.nthreads().values()))
        return max(1, self.settings.job_workers)

    def submit(self, plan_id: str | None = None) -> None:
        """A plan was queued: look at the queue now (the plan itself goes to whoever is free)."""
        self.wake.set()

    def _loop(self) -> None:
        while not self.closed:
            try:
                self._dispatch()
            except Exception:
                log.exception("the plan dispatcher failed; retrying")
            self.wake.wait(POLL_S)
            self.wake.clear()

    def _dispatch(self) -> None:
        while True:
            with self.lock:
                if self.closed or len(self.inflight) >= self.capacity():
                    return
            plan_id = jobs.claim_next(self.engine, self.owner)
            if plan_id is None:
                return
            with self.lock:
                self.inflight.add(plan_id)
                try:
                    future = self.executor.submit(
                        jobs.run_claimed, self.settings_json, plan_id, self.owner
                    )
                except BrokenProcessPool:
                    self.executor = self._new_executor()
                    future = self.executor.submit(
                        jobs.run_claimed, self.settings_json, plan_id, self.owner
                    )
                executor = self.executor
            future.add_done_callback(
                lambda f, pid=plan_id, ex=executor: self._done(pid, f, ex)  # type: ignore[misc]
            )

    def _done(self, plan_id: str, future: Future[str], executor: Executor) -> None:
        with self.lock:
            self.inflight.discard(plan_id)
        error = None if future.cancelled() else future.exception()
        if error is not None and not self.closed:
            log.warning("the job for plan %s died (%r); it is taken up again", plan_id, error)
            with self.lock:
                if isinstance(error, BrokenProcessPool) and executor is self.executor:
                    self.executor = self._new_executor()  # the first to notice replaces it
            self._release(plan_id)
        self.wake.set()

    def _release(self, plan_id: str) -> None:
        """Give up the lease of a plan whose job died, so that it is claimed again now."""
        p = db.plans
        with db.write(self.engine) as conn:
            conn.execute(
                update(p)
                .where(p.c.id == plan_id, p.c.lease_owner == self.owner)
                .where(p.c.phase.in_(db.ACTIVE_PHASES))
                .values(lease_until=None)
            )

    def shutdown(self) -> None:
        with self.lock:
            self.closed = True
            self.wake.set()
            if self.dask is not None:
                # Jobs already on the cluster run on and store their plans; queued ones wait
                # in the database for the next worker.
                self.executor.shutdown(wait=False)
                # From a thread of its own: the caller may be running an event loop.
                closer = threading.Thread(target=self._close_dask, daemon=True)
                closer.start()
                closer.join(timeout=15)
            else:
                self.executor.shutdown(wait=False, cancel_futures=True)

    def _close_dask(self) -> None:
        try:
            self.dask.close(timeout=10)
        except Exception:  # the cluster went away first: nothing left to close
            log.warning("the Dask client did not close cleanly", exc_info=True)
