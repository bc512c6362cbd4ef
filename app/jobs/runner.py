"""The job runner of one API worker: takes jobs (plans and risk runs) from the database queue
and runs them on an executor, a local pool of solver processes or, when ``DASK_SCHEDULER`` is
set, a Dask cluster.

Either way the executor is a ``concurrent.futures`` one and the job function is the same
(``jobs.run_claimed``). A dispatcher thread claims a job only while the executor has a free
slot, so several API workers (``serve --workers N``) share the queue by load; the claim is a
locked transaction, so no two take the same job. A local pool broken by a dead solver process
is replaced and the job's lease released, so it is claimed again at once; on Dask, a lost
worker's task is run again by the cluster. A restarted API worker finds what it left in the
database: jobs still queued, or active with a lapsed lease, are claimed again; a job still
running on the cluster keeps its lease alive and finishes on its own.

On shutdown (SIGTERM or SIGINT, through the app's lifespan) the local pool's solver processes are
ended, not left solving for nobody, and the jobs they held are released (not failed), so the
next start of any worker takes them up at once. Once they are gone the multiprocessing resource
tracker, whose pipe they and this process hold, ends too. A solver process whose API worker
ends without that shutdown (killed, or not stopped within the server's kill timeout) stops on
its own.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from app import db
from app.config import Settings
from app.jobs import queue
from app.jobs import work as jobs
from app.jobs.queue import Job

log = logging.getLogger(__name__)
POLL_S = 0.5  # how often the dispatcher looks at the queue without being woken
KILL_AFTER_S = 1.0  # how long a solver process has to end on SIGTERM before it is killed
PARENT_CHECK_S = 1.0  # how often a solver process looks whether its API worker still exists


def _solver_process_init(parent: int) -> None:
    """Set up a solver process of the local pool, started by the API worker ``parent``."""
    # Ctrl-C in a terminal reaches the whole process group: the API worker decides when its
    # solver processes stop (JobRunner.shutdown), not the keyboard in the middle of a solve.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True
    ).start()


def _exit_with_parent(parent: int) -> None:
    """End this solver process once the API worker that started it is gone.

    An API worker that ends without its shutdown (SIGKILL, out of memory, or the server killing
    the lifespan shutdown on a second Ctrl-C) leaves its solver processes to init; they would
    solve on for nobody, holding the resource tracker open. The job's lease lapses and another
    worker takes it up."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


class JobRunner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.settings_json = settings.model_dump_json()
        self.engine = db.engine_for(settings.database)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lock = threading.Lock()
        self.inflight: set[Job] = set()
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
            initializer=_solver_process_init,
            initargs=(os.getpid(),),
        )

    def capacity(self) -> int:
        """Jobs this worker runs at once: its solver processes, or the cluster's threads."""
        if self.dask is not None:
            return max(1, sum(self.dask.nthreads().values()))
        return max(1, self.settings.job_workers)

    def submit(self, job_id: str | None = None) -> None:
        """A job was queued: look at the queue now (the job itself goes to whoever is free)."""
        self.wake.set()

    def _loop(self) -> None:
        while not self.closed:
            try:
                self._dispatch()
            except Exception:
                log.exception("the job dispatcher failed; retrying")
            self.wake.wait(POLL_S)
            self.wake.clear()

    def _dispatch(self) -> None:
        while True:
            with self.lock:
                if self.closed or len(self.inflight) >= self.capacity():
                    return
            job = queue.claim_next(self.engine, self.owner)
            if job is None:
                return
            if not self._start(job):  # claimed while shutting down: the next start runs it
                self._release(job)
                return

    def _start(self, job: Job) -> bool:
        """Run a claimed job on the executor; False once the runner is shutting down."""
        args = (self.settings_json, job.id, self.owner, job.kind)
        with self.lock:
            if self.closed:
                return False
            self.inflight.add(job)
            try:
                future = self.executor.submit(jobs.run_claimed, *args)
            except BrokenProcessPool:
                self.executor = self._new_executor()
                future = self.executor.submit(jobs.run_claimed, *args)
            executor = self.executor
        future.add_done_callback(
            lambda f, j=job, ex=executor: self._done(j, f, ex)  # type: ignore[misc]
        )
        return True

    def _done(self, job: Job, future: Future[str], executor: Executor) -> None:
        with self.lock:
            self.inflight.discard(job)
        error = None if future.cancelled() else future.exception()
        if error is not None and not self.closed:
            log.warning("the %s job %s died (%r); it is taken up again", job.kind, job.id, error)
            with self.lock:
                if isinstance(error, BrokenProcessPool) and executor is self.executor:
                    self.executor = self._new_executor()  # the first to notice replaces it
            self._release(job)
        self.wake.set()

    def _release(self, job: Job) -> None:
        """Give up the lease of a job that died or was stopped, so it is claimed again now."""
        queue.release(self.engine, job, self.owner)

    def shutdown(self) -> None:
        with self.lock:
            self.closed = True
            self.wake.set()
        if self.dask is not None:
            # Jobs already on the cluster run on and store their plans; queued ones wait in
            # the database for the next worker. Not under the lock: closing the client cancels
            # the futures of jobs in flight, whose callbacks (``_done``, on Dask's IO thread)
            # take it, and the close waits for that thread.
            self.executor.shutdown(wait=False)
            # From a thread of its own: the caller may be running an event loop.
            closer = threading.Thread(target=self._close_dask, daemon=True)
            closer.start()
            closer.join(timeout=15)
            return
        self._stop_pool()

    def _stop_pool(self) -> None:
        """End the local solver processes and release the jobs they were running.

        ``executor.shutdown`` alone lets a running job finish (a solve of many minutes), and
        the solver process and the resource tracker would outlive the service."""
        # Once the dispatcher has stopped nothing more is submitted (a job it claims after
        # ``closed`` is set is released, not run).
        self.thread.join(timeout=5)
        with self.lock:
            held = set(self.inflight)  # before their futures fail and take them out
            executor = self.executor
        assert isinstance(executor, ProcessPoolExecutor)
        # ProcessPoolExecutor (3.11) has no public way to stop a running job: its worker
        # processes are reached through ``_processes`` (None once the pool is shut down).
        processes = list((executor._processes or {}).values())
        for process in processes:
            process.terminate()
        end = time.monotonic() + KILL_AFTER_S
        for process in processes:
            process.join(max(0.0, end - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        # The pool sees its processes gone, fails their futures and ends its manager thread.
        executor.shutdown(wait=True, cancel_futures=True)
        for job in held:  # only now: a live job's heartbeat would renew the lease
            try:
                self._release(job)
            except Exception:  # the database is away: the lease lapses on its own
                log.warning("could not release %s %s", job.kind, job.id, exc_info=True)
        if held:
            log.info("stopped %d job(s); the next start takes them up", len(held))

    def _close_dask(self) -> None:
        try:
            self.dask.close(timeout=10)
        except Exception:  # the cluster went away first: nothing left to close
            log.warning("the Dask client did not close cleanly", exc_info=True)
