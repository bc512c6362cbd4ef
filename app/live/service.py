"""The live status of plans, kept per API worker: computed once per change, answered from memory.

Each worker holds a table ``plan id -> Status`` (the version it was read at, the body, its ETag)
in a ``LiveStatus``, made in the app's lifespan. A status is *fresh* until the worker hears that
its plan changed; a poll of a fresh status is answered from memory, without the database and
without a thread. A stale or unknown one is computed once, in a small thread pool of its own,
however many pollers ask at once: they all await the same computation (single flight), so no
poll holds a thread or a lock behind another poll's work, and the field events' writers never
wait for a render.

How a worker hears of a change (``app.live.changes``):

- its own writes tell it at once, after their commit;
- on PostgreSQL, ``LISTEN plan_status`` on a connection of its own (psycopg 3, async), which
  every write notifies with the plan's id and new version when it commits;
- on SQLite, and on PostgreSQL while the listening connection is down (it reconnects), one
  query every ``status_check_s`` (0.3 s) compares the version, phase and newest event of the
  plans it keeps with the database's.

The ETag is a hash of the body, so every worker gives the same status the same ETag, and the
status stream's event id is that ETag's value. The stream (``watch``) has one broadcast per plan
(and event loop): a change wakes its subscribers, the first to ask computes, everyone sends the
same bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from app import db
from app.config import Settings
from app.live import changes
from app.plans import service as plans
from routing.errors import NotFound
from routing.fieldlog import status as field_status
from routing.plandoc import PlanDocument

log = logging.getLogger(__name__)

PLANS_KEPT = 256  # plans whose status a worker keeps (the least recently asked go first)
RENDER_THREADS = 4  # statuses computed at once (each plan's once, however many ask)
LISTEN_PING_S = 5.0  # the listener looks whether its connection still holds after this long
RECONNECT_S = 1.0  # the listener tries again after this long
RETRY_S = 1.0  # a stream whose status could not be read tries again after this long
# Streams woken per turn of the event loop after a change: writing a frame costs the worker
# tens of microseconds, so a thousand subscribers woken at once would hold a poll arriving
# meanwhile for tens of milliseconds; in batches of 50 it waits for one batch, and the last
# stream is written no later than before (bench/api_load.py measures both).
STREAM_WAKE_BATCH = 50


@dataclass(frozen=True)
class Status:
    """A plan's live status as sent: the body, its ETag, and what it was computed from."""

    plan_id: str
    version: int  # the plan's row version, read before the rest
    phase: str
    last_event: int | None  # the newest field event's id
    body: bytes
    etag: str  # W/"<hash of the body>"
    gzipped: bytes = field(default=b"", repr=False)  # the body gzip-compressed, once
    # The answers to a poll (304, the body, the body gzipped) as sent, and the stream's frame,
    # each made once (app.live.wire.status_answer, status_frame).
    answers: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The ETag's value without ``W/`` and quotes: the status stream's event id."""
        return self.etag[3:-1]


def etag_of(body: bytes) -> str:
    """A weak ETag from the body: the same status has the same ETag in every worker."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def read_status(settings: Settings, plan_id: str) -> Status:
    """Compute a plan's status from the database (``NotFound`` when there is no such plan).

    The version is read first: a change committed meanwhile makes a status that is at least as
    new as its version says, never older."""
    p, e = db.plans, db.events
    document: PlanDocument | None = None
    stored: list[dict[str, Any]] = []
    with db.engine_for(settings.database).connect() as conn:
        found = conn.execute(
            select(
                p.c.phase, p.c.version, p.c.updated_at, p.c.result.is_not(None).label("done")
            ).where(p.c.id == plan_id)
        ).first()
        if found is None:
            raise NotFound("plan", plan_id)
        if found.done:
            document = plans.document_of(conn, plan_id, found.updated_at)
            stored = db.plan_events(conn, plan_id)
            last_event = stored[-1]["id"] if stored else None
        else:
            query = select(func.max(e.c.id)).where(e.c.plan_id == plan_id)
            last_event = conn.execute(query).scalar()
    body: dict[str, Any] = {"plan_id": plan_id, "phase": found.phase}
    if document is not None:
        skew = timedelta(seconds=settings.event_clock_skew_s)
        body.update(field_status(document, stored, skew=skew))
    content = json.dumps(body, ensure_ascii=False).encode()
    # Compressed once here rather than per request: a dashboard on a district office's mobile
    # link gets about a sixth of the bytes (the 2024 plan's status: 19 KB, 3 KB gzipped).
    packed = gzip.compress(content, compresslevel=6, mtime=0)
    return Status(
        plan_id, found.version, found.phase, last_event, content, etag_of(content), packed
    )


def read_versions(engine: Engine, plan_ids: Iterable[str]) -> list[tuple[str, int, str, Any]]:
    """Each plan's version, phase and newest event id, in one query."""
    p, e = db.plans, db.events
    newest = select(func.max(e.c.id)).where(e.c.plan_id == p.c.id).scalar_subquery()
    query = select(p.c.id, p.c.version, p.c.phase, newest).where(p.c.id.in_(list(plan_ids)))
    with engine.connect() as conn:
        return [(r[0], r[1], r[2], r[3]) for r in conn.execute(query).all()]


class _Wakeup:
    """A one-time signal to the subscribers of a stream waiting for the next change, released
    ``STREAM_WAKE_BATCH`` at a time: each batch in its own turn of the event loop, so that the
    requests arriving meanwhile (a burst of polls that a change lands in) are served between
    the batches rather than behind a thousand stream writes."""

    def __init__(self) -> None:
        self.released = False
        self._waiters: dict[asyncio.Future[None], None] = {}  # in the order they came

    @property
    def waiting(self) -> int:
        """Subscribers waiting for it (not yet woken)."""
        return len(self._waiters)

    async def wait(self) -> None:
        if self.released:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[waiter] = None
        try:
            await waiter
        finally:  # a keep-alive's timeout, a subscriber gone: not kept until the next change
            self._waiters.pop(waiter, None)

    def release(self) -> None:
        """Wake the first batch now and the rest in the loop's next turns. In its loop."""
        self.released = True
        self._release(list(self._waiters))

    def _release(self, waiters: list[asyncio.Future[None]]) -> None:
        for waiter in waiters[:STREAM_WAKE_BATCH]:
            if not waiter.done():  # a subscriber gone meanwhile is passed over
                waiter.set_result(None)
        if len(waiters) > STREAM_WAKE_BATCH:
            asyncio.get_running_loop().call_soon(self._release, waiters[STREAM_WAKE_BATCH:])


class _Broadcast:
    """The subscribers of one plan's stream in one event loop: one wake-up, released on each
    change and replaced."""

    def __init__(self) -> None:
        self.event = _Wakeup()
        self.subscribers = 0

    def fire(self) -> None:
        fired, self.event = self.event, _Wakeup()
        fired.release()


@dataclass
class _Plan:
    """What a worker keeps of one plan. ``gen`` counts the changes heard; the status is fresh
    while it was computed at the current one."""

    gen: int = 0
    status: Status | None = None
    status_gen: int = -1
    heard_version: int = -1  # the newest version heard of (committed, so)
    flight: Future[Status] | None = None  # the computation under way, if any
    flight_gen: int = -1
    flight_knows: int = -1  # ``heard_version`` when it started: it reads that or newer
    broadcasts: dict[asyncio.AbstractEventLoop, _Broadcast] = field(default_factory=dict)

    def fresh(self) -> Status | None:
        return self.status if self.status_gen == self.gen else None


class LiveStatus:
    """The live status of one API worker (see the module's text); ``start`` it in the app's
    lifespan and ``close`` it at the end.

    Parameters
    ----------
    settings : Settings
        The service's settings: the database, ``status_check_s``, the clock skew of events.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = db.engine_for(settings.database)
        self.postgres = self.engine.dialect.name == "postgresql"
        self.listening = False  # PostgreSQL's notifications arrive (else: the periodic check)
        # The listening connection's application_name (pg_stat_activity shows whose it is).
        self.listener_name = f"ballot-routing live status {os.getpid()}:{id(self):x}"
        self.ending = False  # the service stops: streams end
        self._plans: OrderedDict[str, _Plan] = OrderedDict()
        self._local: dict[tuple[Future[Status], asyncio.AbstractEventLoop], Any] = {}
        self._lock = threading.Lock()  # the tables above, from any thread
        self._renders = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="live-status")
        self._checks = ThreadPoolExecutor(1, thread_name_prefix="live-status-check")
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Hear this process's writes, and start the listener (PostgreSQL) and the check."""
        changes.listen(self.engine, self.heard)
        self._tasks.append(asyncio.create_task(self._check_loop(), name="live-status-check"))
        if self.postgres:
            self._tasks.append(asyncio.create_task(self._listen_loop(), name="live-status-listen"))

    async def close(self) -> None:
        """End the streams, stop listening and checking."""
        self.end_streams()
        changes.unlisten(self.engine, self.heard)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._renders.shutdown(wait=False)
        self._checks.shutdown(wait=False)

    # The status: from memory, or computed once.

    def fresh(self, plan_id: str) -> Status | None:
        """The plan's status when nothing changed since it was computed, else ``None``."""
        with self._lock:
            plan = self._plans.get(plan_id)
            found = plan.fresh() if plan is not None else None
            if found is not None:
                self._plans.move_to_end(plan_id)
            return found

    def known(self, plan_id: str) -> bool:
        """Whether this worker has computed the plan's status (fresh or not): the plan
        exists."""
        with self._lock:
            plan = self._plans.get(plan_id)
            return plan is not None and plan.status is not None

    async def current(self, plan_id: str) -> Status:
        """The plan's current status: from memory when fresh, else computed once for everyone
        who asks meanwhile.

        Raises
        ------
        NotFound
            There is no such plan.
        """
        found = self.fresh(plan_id)
        if found is not None:
            return found
        flight = self._flight(plan_id)
        loop = asyncio.get_running_loop()
        with self._lock:  # one awaitable per computation and event loop, shared by its askers
            shared = self._local.get((flight, loop))
            if shared is None:
                shared = asyncio.wrap_future(flight, loop=loop)
                self._local[(flight, loop)] = shared
                shared.add_done_callback(lambda _: self._forget(flight, loop))
        result: Status = await asyncio.shield(shared)  # one asker gone cancels nobody's wait
        return result

    def _forget(self, flight: Future[Status], loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._local.pop((flight, loop), None)

    def _flight(self, plan_id: str) -> Future[Status]:
        """The computation of the plan's status under way, started when there is none."""
        with self._lock:
            plan = self._plan(plan_id)
            found = plan.fresh()
            if found is not None:
                done: Future[Status] = Future()
                done.set_result(found)
                return done
            if plan.flight is not None:
                return plan.flight
            flight: Future[Status] = Future()
            flight.set_running_or_notify_cancel()  # no asker can cancel it for the others
            plan.flight, plan.flight_gen, plan.flight_knows = flight, plan.gen, plan.heard_version
            try:
                self._renders.submit(self._fly, plan_id, flight, plan.gen)
            except RuntimeError as exc:  # closed: the service is stopping
                plan.flight = None
                flight.set_exception(exc)
            return flight

    def _fly(self, plan_id: str, flight: Future[Status], gen: int) -> None:
        """Compute a status (in a render thread) and keep it, as of the changes heard when the
        computation started."""
        try:
            found = read_status(self.settings, plan_id)
        except BaseException as exc:
            if not isinstance(exc, NotFound):  # once per computation, however many asked
                log.warning("live status: cannot read plan %s (%s)", plan_id, exc)
            with self._lock:
                plan = self._plans.get(plan_id)
                if plan is not None and plan.flight is flight:
                    plan.flight = None
                unknown = plan is not None and plan.status is None and plan.flight is None
                if unknown and plan is not None and not plan.broadcasts:
                    del self._plans[plan_id]  # an unknown plan is not kept
            flight.set_exception(exc)
            return
        with self._lock:
            plan = self._plan(plan_id)
            if plan.flight is flight:
                plan.flight = None
            if plan.status is None or gen >= plan.status_gen:
                plan.status, plan.status_gen = found, gen
        flight.set_result(found)

    def _plan(self, plan_id: str) -> _Plan:
        """The plan's entry, made when missing; the least recently asked go past
        ``PLANS_KEPT`` (not one being computed or streamed). Under the lock."""
        plan = self._plans.get(plan_id)
        if plan is None:
            plan = self._plans[plan_id] = _Plan()
            if len(self._plans) > PLANS_KEPT:
                for old_id, old in list(self._plans.items())[: len(self._plans) - PLANS_KEPT]:
                    if old.flight is None and not old.broadcasts:
                        del self._plans[old_id]
        self._plans.move_to_end(plan_id)
        return plan

    # Changes.

    def heard(self, plan_id: str, version: int | None) -> None:
        """A plan changed (its new version, or ``None`` when unknown): its status is stale and
        its streams wake. From any thread."""
        with self._lock:
            plan = self._plans.get(plan_id)
            if plan is None:
                return
            if version is not None:
                plan.heard_version = max(plan.heard_version, version)
                kept = plan.fresh()
                if kept is not None and kept.version >= version:
                    return  # already computed from that version or a later one
                under_way = plan.flight is not None and plan.flight_gen == plan.gen
                if under_way and version <= plan.flight_knows:
                    return  # the computation under way started after it was committed
            plan.gen += 1
            plan.flight = None  # under way, it may have read the old state: the next asks anew
            streamed = bool(plan.broadcasts)
        if streamed:
            # The new status is computed now, and the streams woken when it is ready: they
            # find it fresh, rather than a thousand subscribers each awaiting the computation
            # ahead of the request that made the change (its answer waited behind them).
            self._flight(plan_id).add_done_callback(lambda _: self._wake_streams(plan_id))

    def wake(self, plan_id: str) -> None:
        """Wake the plan's streams in every event loop (each looks at the status, and whether
        it has ended). From any thread."""
        self._wake_streams(plan_id)

    def _wake_streams(self, plan_id: str) -> None:
        """Wake the plan's streams in every event loop. From any thread."""
        with self._lock:
            plan = self._plans.get(plan_id)
            broadcasts = list(plan.broadcasts.items()) if plan is not None else []
        for loop, broadcast in broadcasts:
            _wake(loop, broadcast)

    def check(self) -> None:
        """Compare the statuses kept with the database (one query); those whose plan has
        another phase or newest event are stale. The periodic check on SQLite, and on
        PostgreSQL whenever the listener (re)connects or is down."""
        with self._lock:
            kept = {pid: s for pid, plan in self._plans.items() if (s := plan.fresh())}
        if not kept:
            return
        for plan_id, version, phase, last_event in read_versions(self.engine, kept):
            found = kept[plan_id]
            if (phase, last_event) != (found.phase, found.last_event):
                # A newer version, or the same one changed behind the service's back.
                self.heard(plan_id, version if version > found.version else None)
            elif version > found.version:  # a lease or progress: the status is the same
                with self._lock:
                    plan = self._plans.get(plan_id)
                    if plan is not None and plan.status is found:
                        plan.status = dataclasses.replace(found, version=version)

    async def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        failing = False
        while True:
            await asyncio.sleep(self.settings.status_check_s)
            if self.listening:
                continue
            try:
                await loop.run_in_executor(self._checks, self.check)
            except Exception as exc:  # the database is away: the statuses kept stay as they are
                if not failing:
                    log.warning("live status: cannot look for changes (%s); retrying", exc)
                failing = True
            else:
                failing = False

    async def _listen_loop(self) -> None:
        """LISTEN on a connection of this worker's own, reconnecting when it drops."""
        import psycopg

        loop = asyncio.get_running_loop()
        down = False  # told in the log already
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    _conninfo(self.settings.database),
                    autocommit=True,
                    connect_timeout=5,
                    application_name=self.listener_name,
                ) as conn:
                    await conn.execute(f"LISTEN {changes.CHANNEL}")
                    self.listening, down = True, False
                    await loop.run_in_executor(self._checks, self.check)  # what changed unheard
                    while True:
                        async for note in conn.notifies(timeout=LISTEN_PING_S):
                            self.heard(*changes.parse(note.payload))
                        await conn.execute("SELECT 1")  # a dropped connection shows here
            except Exception as exc:
                if not down:
                    log.warning(
                        "live status: the PostgreSQL listener is down (%s); checking every "
                        "%g s until it is back",
                        exc,
                        self.settings.status_check_s,
                    )
                down = True
            finally:
                self.listening = False
            await asyncio.sleep(RECONNECT_S)

    # Streams.

    def end_streams(self) -> None:
        """End every status stream (the service is stopping)."""
        with self._lock:
            self.ending = True
            broadcasts = [(lp, b) for p in self._plans.values() for lp, b in p.broadcasts.items()]
        for loop, broadcast in broadcasts:
            _wake(loop, broadcast)

    async def watch(
        self,
        plan_id: str,
        last_id: str | None,
        *,
        keepalive_s: float,
        ended: Callable[[], bool] | None = None,
    ) -> AsyncGenerator[Status | None, None]:
        """The plan's status now (unless its id is ``last_id``) and each new one as it
        changes; ``None`` after ``keepalive_s`` without one (a keep-alive). Ends when the
        service stops, or when ``ended()`` says so on waking (``wake`` wakes the plan's
        streams: the stream of a key just refused)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            broadcast = self._plan(plan_id).broadcasts.setdefault(loop, _Broadcast())
            broadcast.subscribers += 1
        try:
            sent = time.monotonic()
            while not self.ending and not (ended is not None and ended()):
                woken = broadcast.event  # before reading: a change from now on sets it
                failed = False
                try:
                    found = await self.current(plan_id)
                except Exception:  # the database is away (logged once): the stream waits
                    found, failed = None, True
                if found is not None and found.id != last_id:
                    last_id = found.id
                    yield found
                    sent = time.monotonic()
                    continue
                wait_s = sent + keepalive_s - time.monotonic()
                if wait_s <= 0:
                    yield None
                    sent = time.monotonic()
                    continue
                try:
                    async with asyncio.timeout(min(wait_s, RETRY_S) if failed else wait_s):
                        await woken.wait()
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                broadcast.subscribers -= 1
                plan = self._plans.get(plan_id)
                gone = broadcast.subscribers == 0 and plan is not None
                if gone and plan is not None and plan.broadcasts.get(loop) is broadcast:
                    del plan.broadcasts[loop]


def _wake(loop: asyncio.AbstractEventLoop, broadcast: _Broadcast) -> None:
    with contextlib.suppress(RuntimeError):  # that event loop is closed: nobody listens there
        loop.call_soon_threadsafe(broadcast.fire)


def _conninfo(url: str) -> str:
    """A libpq connection string from the SQLAlchemy URL (``postgresql+psycopg://...``)."""
    from psycopg.conninfo import make_conninfo

    u = make_url(url)
    given = {
        "host": u.host,
        "port": u.port,
        "user": u.username,
        "password": u.password,
        "dbname": u.database,
        **{k: v for k, v in u.query.items() if isinstance(v, str)},
    }
    return make_conninfo("", **{k: v for k, v in given.items() if v is not None})
