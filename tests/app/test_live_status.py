"""The live status kept per worker (``app.live.service``), on SQLite and on PostgreSQL: an
unchanged status is answered from memory without a database query, a status is computed once
however many ask at once, a change in one worker process reaches the pollers and the streams of
another within seconds (PostgreSQL's LISTEN/NOTIFY, SQLite's periodic check), the listener
reconnects after its connection drops, and the Server-Sent Events stream sends the status, each
change, keep-alives, resumes after ``Last-Event-ID`` and ends cleanly on SIGTERM.

No test here times anything but liveness ("within N s", with generous bounds); speed is for
``bench/api_load.py``."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import tomllib
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app import db
from app.auth import create_key
from app.config import Settings
from app.keys import service as keys_service
from app.live import service as livestatus
from app.live.service import LiveStatus
from app.main import create_app
from routing.outputs.export import jsonable
from testkit import localserver
from tests.app.conftest import PG_BASE
from tests.browser import common
from tests.conftest import DATA, all_dispatched

with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
    PEMILU = all_dispatched(jsonable(tomllib.load(fh)))
SMALL = {**PEMILU, "name": "sapudi", "villages": ["35.29.20.2001", "35.29.20.2002"]}
SMALL["vessels"] = ["kmp-dbs-3"]
PROBLEM_JSON = "application/problem+json"
# Threads whose queries are no poll's: the job dispatcher looks at the queue every 0.5 s, and the
# live status's own check (SQLite) looks for other processes' changes every 0.3 s, per worker.
BACKGROUND = ("plan-dispatcher", "live-status-check")
RENDERS = "live-status_"  # the live status's render threads
KEEPALIVE_S = 0.5
# The HTTP servers ``ballot-routing serve --server`` runs: the tests over real HTTP run on each.
SERVERS = ("granian", "uvicorn")


# Helpers.


@contextmanager
def queries(engine: sa.Engine, *, only: str | None = None) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` meanwhile, but for the background threads' and the
    API-key lookups (a key is looked up again once a second); with ``only``, those of the
    threads whose name starts so."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        name = threading.current_thread().name
        if name.startswith(BACKGROUND) or (only is not None and not name.startswith(only)):
            return
        if "FROM api_keys" not in statement:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _landing(plan: dict) -> tuple[str, int]:
    voyage = plan["result"]["voyages"][0]
    stop = next(i for i, s in enumerate(voyage["stops"]) if s["kind"] == "landing")
    return voyage["vessel_id"], stop


def delay(vessel_id: str, stop: int, n: int) -> dict:
    """A field event that changes the status (the vessel's last event) and may come again."""
    return {"vessel_id": vessel_id, "stop": stop, "type": "delayed", "reason": f"swell {n}"}


def opaque(etag: str) -> str:
    """An ETag's value without ``W/`` and quotes: the stream's event id."""
    return etag.removeprefix("W/").strip('"')


class Stream:
    """A status stream read in a thread of its own: each event (its fields), each comment, and
    its end (with the error that ended it, if one did) as they come. A gzip stream (httpx asks
    for gzip, as browsers do) is decoded here from the bytes as they arrive, so each event is
    seen only if it could be decoded when it came; ``complete`` says whether the stream ended
    as a whole gzip stream (its last block, CRC-32 and length)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.encoding: str | None = None
        self.complete = False
        self.thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self.thread.start()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(60)) as r:
                self.encoding = r.headers.get("content-encoding")
                self.items.put(("open", (r.status_code, r.headers.get("content-type"))))
                unpack = zlib.decompressobj(31) if self.encoding == "gzip" else None
                fields: dict[str, str] = {}
                pending = b""
                for chunk in r.iter_raw():
                    pending += chunk if unpack is None else unpack.decompress(chunk)
                    *lines, pending = pending.split(b"\n")
                    for raw in lines:
                        line = raw.decode().removesuffix("\r")
                        if line.startswith(":"):
                            self.items.put(("comment", line))
                        elif line:
                            name, _, value = line.partition(":")
                            fields[name] = value.removeprefix(" ")
                        elif fields:
                            self.items.put(("event", fields))
                            fields = {}
                self.complete = unpack is None or (unpack.eof and not unpack.unused_data)
            self.items.put(("end", None))
        except Exception as exc:  # a stream cut off: the test says so
            self.items.put(("end", exc))

    def next(self, timeout: float = 10) -> tuple[str, Any]:
        return self.items.get(timeout=timeout)

    def opened(self) -> tuple[int, str]:
        kind, value = self.next()
        assert kind == "open", (kind, value)
        return value

    def event(self, timeout: float = 10) -> dict[str, str]:
        """The next event, past any keep-alives."""
        end = time.monotonic() + timeout
        while True:
            kind, value = self.next(max(0.01, end - time.monotonic()))
            if kind == "event":
                return value
            assert kind == "comment", (kind, value)


# A small finished plan on either database, in the test client (one worker).


@pytest.fixture
def live_plan(service) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], dict]]:
    client, keys = service
    r = client.post(
        "/plans", json={"scenario": SMALL, "iterations": 100, "wait": 30}, headers=keys["planner"]
    )
    plan = r.json()  # 200 once done within the wait
    assert plan["phase"] == "completed", plan
    yield client, keys, plan


def test_an_unchanged_status_is_answered_from_memory_without_a_query(live_plan) -> None:
    client, keys, plan = live_plan
    url = f"/plans/{plan['id']}/status"
    viewer = keys["viewer"]
    first = client.get(url, headers=viewer)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    tag = first.headers["ETag"]
    engine = db.engine_for(client.app.state.settings.database)
    with queries(engine) as seen:
        for _ in range(5):
            r = client.get(url, headers={**viewer, "If-None-Match": tag})
            assert r.status_code == 304 and r.headers["ETag"] == tag
        # The strong form of the tag and a list of tags match too (weak comparison).
        strong = f'"{opaque(tag)}"'
        assert client.get(url, headers={**viewer, "If-None-Match": strong}).status_code == 304
        listed = f'W/"other", {tag}'
        assert client.get(url, headers={**viewer, "If-None-Match": listed}).status_code == 304
        again = client.get(url, headers=viewer)  # a poller without a tag: the same bytes
        assert again.status_code == 200 and again.content == first.content
        assert again.headers["ETag"] == tag
    assert seen == []


def test_a_field_event_is_seen_at_once_and_never_reads_the_plan_again(live_plan) -> None:
    client, keys, plan = live_plan
    url = f"/plans/{plan['id']}/status"
    vessel, stop = _landing(plan)
    tag0 = client.get(url, headers=keys["viewer"]).headers["ETag"]
    post = client.post(
        f"/plans/{plan['id']}/events", json=delay(vessel, stop, 0), headers=keys["field"]
    )
    assert post.status_code == 201, post.text
    engine = db.engine_for(client.app.state.settings.database)
    with queries(engine) as seen:
        # The plan document was parsed for the first event; the next reads only the plan's
        # phase (not its result, not its files) and its events.
        r = client.post(
            f"/plans/{plan['id']}/events", json=delay(vessel, stop, 1), headers=keys["field"]
        )
        assert r.status_code == 201, r.text
        # The worker that stored it answers the new status at once, no waiting.
        changed = client.get(url, headers={**keys["viewer"], "If-None-Match": tag0})
    assert changed.status_code == 200
    tag1 = changed.headers["ETag"]
    assert tag1 != tag0
    assert changed.json()["voyages"][0]["last_event_at"] is not None
    # Neither the write nor the render read the plan's result again (only whether it has one).
    assert [s for s in seen if "plans.result" in s.replace("plans.result IS NOT NULL", "")] == []
    assert client.get(url, headers={**keys["viewer"], "If-None-Match": tag1}).status_code == 304


def test_an_unknown_plan_is_a_404_for_the_status_and_its_stream(service) -> None:
    client, keys = service
    for path in ("/plans/nope/status", "/plans/nope/status/stream"):
        r = client.get(path, headers=keys["viewer"])
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM_JSON
        assert r.json()["errors"][0]["code"] == "unknown_plan"
        assert client.get(path).status_code == 401


def test_the_stream_takes_the_keys_the_status_takes(live_plan) -> None:
    """Any reader's key; none is a 401, a field key bound to a vessel a 403, both before the
    stream starts."""
    client, keys, plan = live_plan
    vessel, _ = _landing(plan)
    r = client.post("/keys", json={"role": "field", "vessel_id": vessel}, headers=keys["planner"])
    assert r.status_code == 201, r.text
    bound = {"X-API-Key": r.json()["key"]}
    for path in (f"/plans/{plan['id']}/status", f"/plans/{plan['id']}/status/stream"):
        for headers, code in (({}, 401), (bound, 403)):
            r = client.get(path, headers=headers)
            assert r.status_code == code and r.headers["content-type"] == PROBLEM_JSON, r.text


def test_many_askers_at_once_share_one_computation(live_plan) -> None:
    """Fifty pollers of a status nobody has computed yet, and again after a change: each time
    the plan's events are read once."""
    client, keys, plan = live_plan
    settings = client.app.state.settings
    engine = db.engine_for(settings.database)
    vessel, stop = _landing(plan)

    async def ask_all(live: LiveStatus) -> set[str]:
        found = await asyncio.gather(*(live.current(plan["id"]) for _ in range(50)))
        return {s.etag for s in found}

    async def run() -> tuple[list[str], list[str], set[str], set[str]]:
        live = LiveStatus(settings)
        await live.start()
        try:
            with queries(engine) as first_reads:
                before = await ask_all(live)
            r = await asyncio.to_thread(
                client.post,
                f"/plans/{plan['id']}/events",
                json=delay(vessel, stop, 9),
                headers=keys["field"],
            )
            assert r.status_code == 201, r.text
            with queries(engine) as second_reads:
                after = await ask_all(live)
        finally:
            await live.close()
        return first_reads, second_reads, before, after

    first_reads, second_reads, before, after = asyncio.run(run())
    assert len(before) == 1 and len(after) == 1 and before != after
    for reads in (first_reads, second_reads):
        assert len([s for s in reads if "FROM events" in s]) == 1, reads


def test_a_change_reaches_every_stream_with_one_computation(live_plan) -> None:
    """A hundred streams of one plan in one worker: each gets the status, then the change; the
    plan's events are read once for the change, however many streams wait."""
    client, keys, plan = live_plan
    settings = client.app.state.settings
    engine = db.engine_for(settings.database)
    vessel, stop = _landing(plan)

    async def follow(live: LiveStatus, seen: list[str]) -> None:
        async for found in live.watch(plan["id"], None, keepalive_s=60):
            assert found is not None
            seen.append(found.id)
            if len(seen) == 2:
                return

    async def run() -> tuple[list[list[str]], list[str]]:
        live = LiveStatus(settings)
        await live.start()
        seen: list[list[str]] = [[] for _ in range(100)]
        try:
            streams = [asyncio.create_task(follow(live, ids)) for ids in seen]
            async with asyncio.timeout(10):
                while not all(seen):
                    await asyncio.sleep(0.01)
            with queries(engine, only=RENDERS) as reads:
                r = await asyncio.to_thread(
                    client.post,
                    f"/plans/{plan['id']}/events",
                    json=delay(vessel, stop, 7),
                    headers=keys["field"],
                )
                assert r.status_code == 201, r.text
                async with asyncio.timeout(10):
                    await asyncio.gather(*streams)
        finally:
            await live.close()
        return seen, reads

    seen, reads = asyncio.run(run())
    assert len({tuple(s) for s in seen}) == 1  # every stream: the same two ids
    assert len(set(seen[0])) == 2
    assert len([s for s in reads if "FROM events" in s]) == 1, reads  # one render


def test_a_change_wakes_streams_in_batches_and_polls_go_between_them() -> None:
    """A change wakes a plan's streams ``STREAM_WAKE_BATCH`` per turn of the event loop: what
    arrived meanwhile (here the test's own task, as a poll would) runs between the batches, and
    every stream is woken. A subscriber whose wait ended (a keep-alive's timeout) is not kept."""
    count = 2 * livestatus.STREAM_WAKE_BATCH + 20

    async def run() -> tuple[list[int], int, int]:
        broadcast = livestatus._Broadcast()
        woken: list[int] = []

        async def subscriber(i: int) -> None:
            await broadcast.event.wait()
            woken.append(i)

        tasks = [asyncio.create_task(subscriber(i)) for i in range(count)]
        for _ in range(10):  # a keep-alive's timeout, ten times over
            with suppress(TimeoutError):
                async with asyncio.timeout(0.001):
                    await broadcast.event.wait()
        await asyncio.sleep(0)
        fired = broadcast.event
        waiting = fired.waiting
        broadcast.fire()
        seen_between = []
        while len(woken) < count:
            await asyncio.sleep(0)  # one turn of the loop
            seen_between.append(len(woken))
        await asyncio.gather(*tasks)
        return seen_between, waiting, fired.waiting

    seen_between, waiting, after = asyncio.run(run())
    assert waiting == count  # the timed-out waits were let go
    batch = livestatus.STREAM_WAKE_BATCH
    assert seen_between == [batch, 2 * batch, count]
    assert after == 0  # every waiter let go once woken


def test_the_listener_reconnects_and_catches_up_when_its_connection_drops(
    network_cache: Path,
) -> None:
    """PostgreSQL: the listening connection is ended by the server; a change written meanwhile
    behind the service's back (no notification) is seen by the check that stands in, and the
    listener comes back."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    settings = Settings(data_dir=DATA, cache_dir=network_cache, database_url=url)
    try:
        with TestClient(create_app(settings)) as client:
            live: LiveStatus = client.app.state.live_status
            planner = {"X-API-Key": create_key(url, "planner")}
            viewer = {"X-API-Key": create_key(url, "viewer")}
            r = client.post(
                "/plans", json={"scenario": SMALL, "iterations": 100, "wait": 30}, headers=planner
            )
            plan = r.json()
            assert plan["phase"] == "completed", plan
            status_url = f"/plans/{plan['id']}/status"
            tag0 = client.get(status_url, headers=viewer).headers["ETag"]
            wait_for(lambda: live.listening, "the listener to connect")
            with admin.begin() as conn:
                ended = conn.execute(
                    sa.text(
                        "select pg_terminate_backend(pid) from pg_stat_activity "
                        "where application_name = :name"
                    ),
                    {"name": live.listener_name},
                ).all()
            assert ended == [(True,)]
            vessel, stop = _landing(plan)
            with admin.begin() as conn:  # an event stored without telling anyone
                conn.execute(
                    sa.text(
                        f'insert into "{schema}".events (plan_id, vessel_id, stop, type, payload,'
                        " created_at) values (:p, :v, :s, 'delayed', :payload, :c)"
                    ),
                    {
                        "p": plan["id"],
                        "v": vessel,
                        "s": stop,
                        "payload": json.dumps({"at": "2024-02-06T10:00:00+07:00", "reason": "x"}),
                        "c": time.time(),
                    },
                )

            def changed() -> bool:
                r = client.get(status_url, headers={**viewer, "If-None-Match": tag0})
                return r.status_code == 200

            wait_for(changed, "the change to be seen", timeout=10)
            wait_for(lambda: live.listening, "the listener to reconnect", timeout=10)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def wait_for(check: Any, what: str, *, timeout: float = 5) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, f"waited {timeout} s for {what}"
        time.sleep(0.05)


# Real servers: two worker processes on one database, and the stream over HTTP.


@pytest.fixture(params=["sqlite", "postgresql"])
def server_env(request, tmp_path: Path, network_cache: Path) -> Iterator[dict[str, str]]:
    env = dict(
        os.environ,
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
        BALLOT_STATUS_KEEPALIVE_S=str(KEEPALIVE_S),
    )
    if request.param == "sqlite":
        yield {**env, "BALLOT_DATABASE_URL": f"sqlite:///{tmp_path}/live.db"}
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    try:
        yield {**env, "BALLOT_DATABASE_URL": f"{PG_BASE}?options=-csearch_path%3D{schema}"}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def _plan(base: str, keys: dict[str, str]) -> dict:
    r = httpx.post(
        f"{base}/plans",
        json={"scenario": SMALL, "iterations": 100, "wait": 30},
        headers={"X-API-Key": keys["planner"]},
        timeout=60,
    )
    plan: dict = r.json()
    assert plan["phase"] == "completed", plan
    return plan


@pytest.mark.parametrize("server", SERVERS)
def test_a_change_in_one_worker_reaches_the_pollers_and_streams_of_another(
    server_env, server: str
) -> None:
    """Worker A stores an event; worker B's pollers and its stream see the new status within
    seconds (LISTEN/NOTIFY on PostgreSQL, the periodic check on SQLite). The stream sends the
    status at once, keep-alives, the change, and resumes after ``Last-Event-ID``."""
    keys = localserver.create_keys(server_env, ("planner", "field", "viewer"))
    viewer = {"X-API-Key": keys["viewer"]}
    with (
        localserver.serving(server_env, server=server) as a,
        localserver.serving(server_env, server=server) as b,
    ):
        plan = _plan(a, keys)
        status_url = f"{b}/plans/{plan['id']}/status"
        first = httpx.get(status_url, headers=viewer)
        tag0 = first.headers["ETag"]
        assert httpx.get(status_url, headers={**viewer, "If-None-Match": tag0}).status_code == 304

        stream = Stream(f"{status_url}/stream", viewer)
        assert stream.opened() == (200, "text/event-stream; charset=utf-8")
        now = stream.event()
        assert now["id"] == opaque(tag0) and now["event"] == "status"
        assert json.loads(now["data"]) == first.json()
        assert stream.next(timeout=KEEPALIVE_S * 10) == ("comment", ": keep-alive")

        vessel, stop = _landing(plan)
        r = httpx.post(
            f"{a}/plans/{plan['id']}/events",
            json=delay(vessel, stop, 1),
            headers={"X-API-Key": keys["field"]},
        )
        assert r.status_code == 201, r.text
        end = time.monotonic() + 5
        while (
            seen := httpx.get(status_url, headers={**viewer, "If-None-Match": tag0})
        ).status_code == 304:
            assert time.monotonic() < end, "worker B still answers the old status"
            time.sleep(0.05)
        assert seen.status_code == 200
        tag1 = seen.headers["ETag"]
        pushed = stream.event(timeout=5)
        assert pushed["id"] == opaque(tag1) and json.loads(pushed["data"]) == seen.json()
        # From worker A, the same status has the same ETag.
        assert httpx.get(f"{a}/plans/{plan['id']}/status", headers=viewer).headers["ETag"] == tag1

        # Resuming with the current id: nothing is sent again, only keep-alives.
        resumed = Stream(f"{status_url}/stream", {**viewer, "Last-Event-ID": opaque(tag1)})
        assert resumed.opened()[0] == 200
        assert resumed.next(timeout=KEEPALIVE_S * 10) == ("comment", ": keep-alive")
        # Resuming with an older id: the current status at once.
        behind = Stream(f"{status_url}/stream", {**viewer, "Last-Event-ID": opaque(tag0)})
        assert behind.opened()[0] == 200
        assert behind.event()["id"] == opaque(tag1)


@pytest.mark.parametrize("server_name", SERVERS)
@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_ends_open_status_streams_cleanly_and_stops_the_server(
    tmp_path: Path, network_cache: Path, workers: int, server_name: str
) -> None:
    """Streams never end on their own: on SIGTERM each ends with its last chunk at once (not cut
    off when the server's time for open requests runs out), a gzip stream as a whole gzip
    stream, and the server is gone within 5 s."""
    env = common.server_env(tmp_path, network_cache, "sigterm.db")
    keys = localserver.create_keys(env, ("planner", "viewer"))
    port = localserver.free_port()
    base = f"http://127.0.0.1:{port}"
    server = localserver.start(env, port, workers=workers, server=server_name)
    try:
        plan = _plan(base, keys)
        _streams_end_on_sigterm(server, f"{base}/plans/{plan['id']}/status/stream", keys)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)


def _streams_end_on_sigterm(
    server: subprocess.Popen[bytes], url: str, keys: dict[str, str]
) -> None:
    """Open gzip and identity streams of ``url``, send the server SIGTERM: each stream ends
    whole within 5 s, and so does the server."""
    codings = ["gzip", "identity", "gzip", "identity"]
    streams = [
        Stream(url, {"X-API-Key": keys["viewer"], "Accept-Encoding": coding}) for coding in codings
    ]
    for stream in streams:
        assert stream.opened()[0] == 200
        stream.event()
    assert [s.encoding or "identity" for s in streams] == codings
    os.kill(server.pid, signal.SIGTERM)
    for stream in streams:
        # Ended by the server, each with its last chunk: no stream is cut off.
        assert stream.next(timeout=5) == ("end", None)
        assert stream.complete
    server.wait(timeout=5)


def test_serve_under_uvicorn_answers_health_and_the_documented_target_ends_streams(
    tmp_path: Path, network_cache: Path
) -> None:
    """``BALLOT_SERVER=uvicorn ballot-routing serve`` serves under uvicorn (its log says so) and
    answers ``/healthz``; a server name it does not know is refused. The app as a team runs it
    under uvicorn's own command, ``uvicorn --factory app.main:app_from_environment`` (no
    graceful-shutdown timeout given), ends its open status streams on SIGTERM all the same."""
    env = {**common.server_env(tmp_path, network_cache, "uvicorn.db"), "BALLOT_SERVER": "uvicorn"}
    keys = localserver.create_keys(env, ("planner", "viewer"))
    log = tmp_path / "serve.log"
    with localserver.serving(env, log=log) as base:
        r = httpx.get(f"{base}/healthz")
        assert r.status_code == 200 and r.json()["status"] == "ok"
        plan = _plan(base, keys)
    assert "Uvicorn running on" in log.read_text()
    refused = subprocess.run(
        [localserver.executable(), "serve", "--server", "gunicorn"], env=env, capture_output=True
    )
    assert refused.returncode == 2 and b"--server" in refused.stderr

    port = localserver.free_port()
    command = ["-m", "uvicorn", "--factory", "app.main:app_from_environment", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, *command], env=env, start_new_session=True, stderr=subprocess.DEVNULL
    )
    try:
        end = time.monotonic() + 60
        while True:
            with suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < end and server.poll() is None, "uvicorn did not start"
            time.sleep(0.3)
        url = f"http://127.0.0.1:{port}/plans/{plan['id']}/status/stream"
        _streams_end_on_sigterm(server, url, keys)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)


@pytest.mark.parametrize("server", SERVERS)
def test_more_open_streams_than_the_servers_default_leave_room_for_polls(
    tmp_path: Path, network_cache: Path, server: str
) -> None:
    """Each open stream is a request that lasts: 1,100 of them (more than the 1,024 requests
    the HTTP server serves at once by default) and the dashboards' polls are still answered
    (``BALLOT_MAX_OPEN_REQUESTS``)."""
    env = common.server_env(tmp_path, network_cache, "streams.db")
    keys = localserver.create_keys(env, ("planner", "viewer"))
    with localserver.serving(env, server=server) as base:
        plan = _plan(base, keys)
        port = int(base.rsplit(":", 1)[1])
        path = f"/plans/{plan['id']}/status"
        head = f"Host: 127.0.0.1:{port}\r\nX-API-Key: {keys['viewer']}\r\n"

        async def open_streams(n: int) -> int:
            """Open ``n`` streams, read each one's first status, then poll once while they are
            all open; the poll's status code."""
            writers = []
            try:
                for _ in range(n):
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.write(f"GET {path}/stream HTTP/1.1\r\n{head}\r\n".encode())
                    writers.append((reader, writer))
                for reader, _ in writers:
                    async with asyncio.timeout(60):
                        assert (await reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 200")
                        await reader.readuntil(b"event: status")
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writers.append((reader, writer))
                writer.write(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode())
                async with asyncio.timeout(10):
                    return int((await reader.readuntil(b"\r\n")).split()[1])
            finally:
                for _, writer in writers:
                    writer.close()

        assert asyncio.run(open_streams(1100)) == 200


# The poll answered before routing (``app.live.fastpath.FreshStatus``), gzip, key lookups.


def _raw(client: TestClient, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """A GET's response and its body as sent (not decoded)."""
    with client.stream("GET", url, headers=headers) as r:
        return r, b"".join(r.iter_raw())


SENT = ("content-type", "etag", "cache-control", "vary", "content-encoding", "content-length")


def test_a_known_status_is_answered_before_routing_as_the_route_answers_it(live_plan) -> None:
    """The first poll of a plan goes through the route; later ones are answered from memory
    before routing, with the same status line, headers and bytes, gzipped for a caller that
    takes gzip, and the same refusals."""
    client, keys, plan = live_plan
    url = f"/plans/{plan['id']}/status"
    viewer = keys["viewer"]
    identity = {**viewer, "Accept-Encoding": "identity"}
    gzipped = {**viewer, "Accept-Encoding": "br;q=1.0, gzip;q=0.8"}
    by_route, route_bytes = _raw(client, url, gzipped)  # nobody asked yet: the route
    assert by_route.status_code == 200 and by_route.headers["content-encoding"] == "gzip"
    body = gzip.decompress(route_bytes)
    assert json.loads(body)["plan_id"] == plan["id"]
    assert len(route_bytes) < len(body)
    engine = db.engine_for(client.app.state.settings.database)
    with queries(engine) as seen:
        fast, fast_bytes = _raw(client, url, gzipped)
        plain, plain_bytes = _raw(client, url, identity)
        refused_gzip, refused_bytes = _raw(client, url, {**viewer, "Accept-Encoding": "gzip;q=0"})
        not_modified = client.get(url, headers={**viewer, "If-None-Match": fast.headers["ETag"]})
    assert seen == []  # all from memory
    assert fast.status_code == 200 and fast_bytes == route_bytes
    assert {h: fast.headers.get(h) for h in SENT} == {h: by_route.headers.get(h) for h in SENT}
    for r, raw in ((plain, plain_bytes), (refused_gzip, refused_bytes)):
        assert r.status_code == 200 and raw == body and "content-encoding" not in r.headers
        assert r.headers["content-length"] == str(len(body))
        assert r.headers["content-type"] == "application/json"
        assert r.headers["vary"] == "Accept-Encoding" and r.headers["cache-control"] == "no-cache"
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["ETag"] == fast.headers["ETag"]
    # The refusals are the route's, with the status known: no key, a field key bound to a
    # vessel, an If-None-Match past its bound, a plan nobody has.
    vessel, _ = _landing(plan)
    r = client.post("/keys", json={"role": "field", "vessel_id": vessel}, headers=keys["planner"])
    bound = {"X-API-Key": r.json()["key"]}
    too_long = {**viewer, "If-None-Match": '"' + "x" * 2001 + '"'}
    for headers, code in (({}, 401), (bound, 403), (too_long, 422)):
        r = client.get(url, headers=headers)
        assert r.status_code == code and r.headers["content-type"] == PROBLEM_JSON, r.text
    assert client.get("/plans/nope/status", headers=viewer).status_code == 404


@pytest.mark.parametrize(
    ("accept", "takes"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("deflate, GZIP;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=bad", False),
        ("*;q=0, gzip", True),
        ("gzip;level=1;q=0", False),
        ("*, gzip;q=0", False),
        ("identity", False),
        ("br", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(accept: str, takes: bool) -> None:
    from app.live.wire import accepts_gzip

    assert accepts_gzip(accept) is takes


def test_many_requests_with_a_key_due_for_lookup_share_one_lookup(live_plan, monkeypatch) -> None:
    """Thirty requests at once with a key whose record ran out look it up once; a key in
    steady use is looked up again in the background before its record runs out, so a revoked
    key is still refused within a second (``test_keys``) and no request waits for it."""
    from app import auth

    client, keys, plan = live_plan
    app = client.app
    engine = db.engine_for(app.state.settings.database)
    lookups: list[str] = []
    # Only this key's lookups count: the engine is shared by URL, and a thread of an earlier
    # test's app (a stream's key watch, a background refresh) may still read other keys.
    viewer_hash = keys_service.hash_key(keys["viewer"]["X-API-Key"])

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "FROM api_keys" in statement and viewer_hash in repr(parameters):
            lookups.append(statement)

    async def at_once(n: int, *, then_lookups: int = 0) -> list[int]:
        """``n`` requests at once; then wait (10 s at most) until ``then_lookups`` lookups
        were made."""
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
            url = f"/plans/{plan['id']}/status"
            got = await asyncio.gather(*(ac.get(url, headers=keys["viewer"]) for _ in range(n)))
        end = time.monotonic() + 10
        while len(lookups) < then_lookups and time.monotonic() < end:
            await asyncio.sleep(0.01)
        return [r.status_code for r in got]

    # The records are timed by a clock that stands still unless the test moves it, so a busy
    # machine cannot make a record run out between two steps.
    now = [1000.0]
    monkeypatch.setattr(auth, "clock", lambda: now[0])
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with auth._known_lock:
            auth._known.clear()
        assert asyncio.run(at_once(30)) == [200] * 30
        assert len(lookups) == 1, lookups
        # Three quarters of the record's time go by: the next request is answered with it and
        # looks the key up again meanwhile.
        entry = next(iter(auth._known))
        now[0] += auth.KNOWN_FOR_S * 3 / 4
        assert asyncio.run(at_once(1, then_lookups=2)) == [200]
        assert len(lookups) == 2, lookups
        # The lookup's query has begun (the statement is recorded before it runs); the record
        # it brings is stored when the query and its worker thread are done (10 s at most).
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with auth._known_lock:
                if auth._known[entry][1] - now[0] == auth.KNOWN_FOR_S:
                    break
            time.sleep(0.01)
        with auth._known_lock:
            assert auth._known[entry][1] - now[0] == auth.KNOWN_FOR_S
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _ends(stream: Stream, within_s: float) -> float:
    """Read ``stream`` (events and keep-alives) until it ends; how long that took. Fails if it
    goes on past ``within_s`` or ends with an error."""
    start = time.monotonic()
    while True:
        kind, value = stream.next(timeout=max(0.01, start + within_s - time.monotonic()))
        if kind == "end":
            assert value is None, value  # ended whole, not cut off
            return time.monotonic() - start


def test_a_stream_ends_when_its_key_is_revoked_or_expires(server_env) -> None:
    """Issue 26, finding 1: with two workers, a stream opened on worker B ends soon after its
    key is revoked on worker A (each stream's key is looked up again every second), and so does
    a stream whose key expires; the key's next request is a 401 and other streams go on."""
    keys = localserver.create_keys(server_env, ("planner", "field", "viewer"))
    planner = {"X-API-Key": keys["planner"]}
    with (
        localserver.serving(server_env) as a,
        localserver.serving(server_env) as b,
    ):
        plan = _plan(a, keys)
        url = f"{b}/plans/{plan['id']}/status/stream"
        made = httpx.post(f"{a}/keys", json={"role": "viewer", "name": "board"}, headers=planner)
        assert made.status_code == 201, made.text
        doomed = {"X-API-Key": made.json()["key"]}
        # A key that expires in 3 s (the API's shortest is a minute; the command line's any).
        made_short = subprocess.run(
            [localserver.executable(), "keys", "create", "--role", "viewer", "--expires", "3s"],
            env=server_env,
            capture_output=True,
            text=True,
            check=True,
        )
        short = {"key": made_short.stdout.splitlines()[0]}
        streams = {
            "revoked": Stream(url, doomed),
            "expiring": Stream(url, {"X-API-Key": short["key"]}),
            "kept": Stream(url, {"X-API-Key": keys["viewer"]}),
        }
        for stream in streams.values():
            assert stream.opened()[0] == 200
            assert stream.event()["event"] == "status"
        revoked = httpx.delete(f"{a}/keys/{made.json()['id']}", headers=planner)
        assert revoked.status_code == 200, revoked.text
        took = _ends(streams["revoked"], within_s=20)
        assert streams["revoked"].complete  # a whole gzip stream, its end included
        assert httpx.get(url, headers=doomed).status_code == 401
        _ends(streams["expiring"], within_s=30)
        assert httpx.get(url, headers={"X-API-Key": short["key"]}).status_code == 401
        # The stream of a key in force goes on: keep-alives still come.
        assert streams["kept"].next(timeout=KEEPALIVE_S * 10)[0] in ("comment", "event")
        print(f"the revoked key's stream ended {took:.2f} s after the revocation answered")
