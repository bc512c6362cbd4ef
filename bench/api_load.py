"""API load benchmark: dashboard pollers of /plans/{id}/status, SSE subscribers of
/plans/{id}/status/stream and a field client posting events, measured against the machine's floor.

Run: .venv/bin/python bench/api_load.py [--pollers 500] [--seconds 30] [--interval 1.0]
         [--start all|staggered|both] [--sse 1000] [--events-every 2.0] [--workers 1]
         [--server granian|uvicorn|granian,uvicorn|both]
     .venv/bin/python bench/api_load.py --workers 2 \
         --database postgresql+psycopg://root@127.0.0.1:5432/test

The service (`ballot-routing serve [--workers N] [--server NAME]`, through
`testkit.localserver.serving`) runs on a free loopback port with a fresh SQLite database (or a fresh
schema of the PostgreSQL database given) and plans the 2024 scenario under an iteration budget.
With several servers (`--server granian,uvicorn` or `both`) each is measured in turn the same
way, on a database of its own, and a last table puts them side by side, each row's p99 also as
a multiple of that server's own floor.

Where things run. Where this process may use two cores or more, the server is kept on its own
core(s) and the load on the others: this process pins itself (``os.sched_setaffinity``) to the
server's cores (`--server-cpus`, default core 0, or the first min(workers, cores - 1) cores)
just before starting the server, so that the server, its API workers and its solver processes
inherit that set, and then pins itself to the remaining cores before it starts the load
processes (forked, so they inherit it). PostgreSQL, when used, is not pinned. On one core
nothing is pinned and the table says so.

The load, from separate processes, each with its own event loop (uvloop, where installed):
- pollers (split over `--procs` processes), each on a keep-alive HTTP/1.1 connection of its
  own, as a browser tab holds one (a minimal client on asyncio streams, `Connection1`: httpx's
  connection pool, shared by hundreds of requests at once, cost the load process ten times the
  server's own time and measured the client), each sending a request every `--interval`
  seconds on a fixed schedule (a tick missed because an answer came late is skipped), with
  If-None-Match holding the last ETag it saw. Each poller's first request (which has no ETag)
  is a warm-up before the phase and is not counted, so every 200 counted is a changed status;
- SSE subscribers (`--sse`, in their own processes, each stream on a plain asyncio connection
  read by a small HTTP/1.1 reader, lighter than httpx, asking for gzip as browsers do) connect
  to `/plans/{id}/status/stream` before the first phase and stay connected through the whole run;
  a dropped stream, or one silent for 40 s, is resumed with Last-Event-ID (and counted as an
  error). They run below the pollers (``SCHED_IDLE``): where the load shares a core, reading a
  thousand copies of each change would otherwise delay the pollers' reading of their answers,
  which would count as the server's time (the SSE delays are the more pessimistic for it);
- a field client (this process) posts the real voyages' events (loaded, arrived, handed_over,
  departed, in the order of `routing.fieldlog.sequence`, with the plan's times and an
  Idempotency-Key) every `--events-every` seconds from half a period after the start: with the
  defaults (1 s, 2 s) each event lands on a poll tick, so with pollers all at once on a burst
  of polls (the worst case). After each
  POST's answer it reads the status once to learn the change's ETag; the SSE delivery delay
  of a change is the time from the POST's answer to a subscriber's first frame of that change
  or a later one (one clock for all processes, CLOCK_MONOTONIC); a frame that arrives before
  the POST's answer counts 0. The field client uses httpx (one request at a time).

Phases, per start (`--start`: pollers all starting at once, the worst case, or staggered over
the first interval): first the floor (the same pollers, at the same rate and start, polling
`GET /healthz`: public, no key looked up, no database, the same small body every time, answered
in the event loop; no events are posted then), then the status
(the pollers on `/status`, the field client and the subscribers' deliveries). Each start
prints one table (304s, changed 200s, event POSTs, SSE delivery delay, floor: n, p50, p95, p99,
max, each with its ratio to the floor's same percentile, and errors) and the issue's targets,
met or not. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing import fieldlog  # noqa: E402
from testkit import localserver  # noqa: E402

FLOOR_PATH = "/healthz"  # public: no key lookup; no database; fixed bytes
SSE_CONNECT_BATCH = 50  # subscribers connecting at once (then a short pause)
SSE_GRACE_S = 3.0  # after the last event, how long late frames are still awaited
SSE_READ_TIMEOUT_S = 40.0  # a stream that sends nothing for this long has failed (keep-alive: 15 s)
T = TypeVar("T")
SERVERS = ("granian", "uvicorn")  # ballot-routing serve --server
TARGETS = {"pollers": 500, "interval": 1.0, "events_every": 2.0, "sse": 1000}

# --- pollers (in their own processes) -------------------------------------------------------


@dataclass
class Sample:
    sent: float  # time.monotonic() when the request went out
    latency: float  # seconds to the whole answer
    code: int  # HTTP status, 0 for a request that failed
    conditional: bool  # sent with If-None-Match


def _next_tick(at: float, interval: float) -> float:
    """The next tick of a poller's schedule after ``at``, skipping those already missed."""
    at += interval
    late = time.monotonic() - at
    if late > 0:
        at += math.ceil(late / interval) * interval
    return at


REQUEST_TIMEOUT_S = 30.0


class Disconnected(Exception):
    """The server closed the connection before answering."""


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes]]:
    """An HTTP/1.1 answer's status code and headers (names in lower case)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        raise Disconnected from e
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(b" ", 2)[1]), headers


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """One chunk of a chunked body; b"" for the last."""
    size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
    data = await reader.readexactly(size + 2)
    return data[:-2]


class Connection1:
    """One keep-alive HTTP/1.1 connection, as a browser tab holds one: a minimal client on
    asyncio streams. httpx's shared pool costs the load process far more than the server's own
    work when hundreds of requests go at once (500 requests of /healthz at once: 6.4 s through
    one httpx.AsyncClient, 1.0 s through one client each, 0.7 s this way, with the server on a
    core of its own), so the pollers use this to measure the server rather than the client."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[bytes, bytes]]:
        """GET ``path``: the status code and headers; the body is read and dropped. A kept
        connection the server has closed meanwhile is opened again once."""
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + "\r\n"
        ).encode()
        while True:
            fresh = self.reader is None or self.writer is None
            if self.reader is None or self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            reader = self.reader
            try:
                self.writer.write(request)
                code, head = await read_head(reader)
                break
            except (Disconnected, ConnectionError):
                self.close()
                if fresh:
                    raise
        if code in (204, 304) or 100 <= code < 200:
            pass
        elif b"content-length" in head:
            await reader.readexactly(int(head[b"content-length"]))
        elif head.get(b"transfer-encoding", b"").lower() == b"chunked":
            while await read_chunk(reader):
                pass
            await reader.readline()  # the empty trailer
        else:
            await reader.read()  # to the end of the connection
            self.close()
        if head.get(b"connection", b"").lower() == b"close":
            self.close()
        return code, head


async def _poll(
    client: Connection1,
    path: str,
    headers: dict[str, str],
    tag: str | None,
    first: float,
    stop: float,
    interval: float,
    out: list[Sample],
    errors: Counter[str],
) -> None:
    at = first
    while at < stop:
        wait = at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        sent_headers = {**headers, "If-None-Match": tag} if tag else headers
        conditional = tag is not None
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):  # no task of its own, unlike wait_for
                code, head = await client.get(path, sent_headers)
            tag = head[b"etag"].decode() if b"etag" in head else tag
            if code not in (200, 304):
                errors[f"HTTP {code}"] += 1
        except (OSError, TimeoutError, Disconnected, asyncio.IncompleteReadError, ValueError) as e:
            client.close()
            code = 0
            errors[type(e).__name__] += 1
        out.append(Sample(t0, time.monotonic() - t0, code, conditional))
        at = _next_tick(at, interval)


async def _poller_phase(conn: Connection, base: str, cmd: dict[str, Any]) -> dict[str, Any]:
    target = httpx.URL(base)
    assert target.host and target.port
    clients = [Connection1(target.host, target.port) for _ in cmd["indices"]]
    headers = cmd["headers"]
    path = cmd["path"]
    loop = asyncio.get_running_loop()

    # Warm-up: one request per poller opens its connection and, on /status, gets its ETag.
    async def warm(client: Connection1) -> str | None:
        try:
            _, head = await asyncio.wait_for(client.get(path, headers), REQUEST_TIMEOUT_S)
            return head[b"etag"].decode() if b"etag" in head else None
        except (OSError, TimeoutError, Disconnected, asyncio.IncompleteReadError, ValueError):
            client.close()
            return None

    tags = await asyncio.gather(*(warm(c) for c in clients))
    conn.send("warm")
    t0 = await loop.run_in_executor(None, conn.recv)
    stop = t0 + cmd["seconds"]
    out: list[Sample] = []
    errors: Counter[str] = Counter()
    total, interval = cmd["total"], cmd["interval"]
    await asyncio.gather(
        *(
            _poll(
                client,
                path,
                headers,
                tag,
                t0 + (i / total * interval if cmd["start"] == "staggered" else 0.0),
                stop,
                interval,
                out,
                errors,
            )
            for i, tag, client in zip(cmd["indices"], tags, clients, strict=True)
        )
    )
    for client in clients:
        client.close()
    return {"samples": [(s.sent, s.latency, s.code, s.conditional) for s in out], "errors": errors}


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed (a load process spends half as much of its
    core per request as on asyncio's own loop, so that less of what is measured is the
    client's), else on asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def poller_process(conn: Connection, base: str) -> None:
    """A load process: runs one poller phase per command until told to quit."""
    gc.freeze()  # what it was forked with: the collector's full passes would stall the load
    while True:
        cmd = conn.recv()
        if cmd["op"] == "quit":
            return
        conn.send(run_loop(_poller_phase(conn, base, cmd)))


# --- SSE subscribers (in their own processes) -----------------------------------------------


class StreamEnded(Exception):
    """The server closed a stream."""


def _frames(buf: bytes, now: float, frames: list[tuple[str, float]]) -> tuple[bytes, str | None]:
    """Take the whole SSE frames off ``buf``: each status frame's id, noted with ``now``; what is
    left of ``buf`` and the last id seen."""
    last = None
    if b"\r" in buf:
        buf = buf.replace(b"\r\n", b"\n")
    while (end := buf.find(b"\n\n")) >= 0:
        frame, buf = buf[:end], buf[end + 2 :]
        fid, kind = None, b"message"
        for line in frame.split(b"\n"):
            if line.startswith(b"id:"):
                fid = line[3:].strip().decode()
            elif line.startswith(b"event:"):
                kind = line[6:].strip()
        if fid is not None and kind == b"status":
            frames.append((fid, now))
            last = fid
    return buf, last


async def _subscribe(
    base: httpx.URL,
    path: str,
    headers: dict[str, str],
    frames: list[tuple[str, float]],
    errors: Counter[str],
) -> None:
    """Follow the stream, noting each status frame's id and when it arrived; resume with
    Last-Event-ID after a drop (each drop is an error). Plain asyncio streams and a small
    HTTP/1.1 reader rather than httpx: a thousand of them share one load core."""
    last_id: str | None = None
    wait = SSE_READ_TIMEOUT_S
    while True:
        sent = {**headers, "Last-Event-ID": last_id} if last_id else headers
        request = f"GET {path} HTTP/1.1\r\nHost: {base.host}:{base.port}\r\n" + "".join(
            f"{k}: {v}\r\n"
            for k, v in {**sent, "Accept": "text/event-stream", "Accept-Encoding": "gzip"}.items()
        )
        writer = None
        try:
            reader, writer = await asyncio.open_connection(base.host, base.port)
            writer.write(request.encode() + b"\r\n")
            code, head = await asyncio.wait_for(read_head(reader), wait)
            if code != 200:
                errors[f"HTTP {code}"] += 1
                await asyncio.sleep(1.0)
                continue
            chunked = head.get(b"transfer-encoding", b"").lower() == b"chunked"
            # Gzip, as a browser asks for it and reads it.
            gzipped = head.get(b"content-encoding", b"").lower() == b"gzip"
            unpack = zlib.decompressobj(31) if gzipped else None
            buf = b""
            while True:
                if chunked:
                    data = await asyncio.wait_for(read_chunk(reader), wait)
                    if not data:
                        raise StreamEnded
                else:
                    data = await asyncio.wait_for(reader.read(65536), wait)
                    if not data:
                        raise StreamEnded
                if unpack is not None:
                    data = unpack.decompress(data)
                buf, seen = _frames(buf + data, time.monotonic(), frames)
                last_id = seen or last_id
        except StreamEnded:
            errors["stream ended"] += 1
        except TimeoutError:
            errors[f"nothing heard for {wait:g} s"] += 1
        except (OSError, Disconnected, asyncio.IncompleteReadError, ValueError) as e:
            errors[type(e).__name__] += 1
        finally:
            if writer is not None:
                writer.close()
        await asyncio.sleep(0.5)


async def _subscribers(conn: Connection, url: str, count: int, headers: dict[str, str]) -> None:
    frames: list[list[tuple[str, float]]] = [[] for _ in range(count)]
    errors: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    target = httpx.URL(url)
    tasks = []
    for i in range(count):
        job = _subscribe(target, target.raw_path.decode(), headers, frames[i], errors)
        tasks.append(asyncio.create_task(job))
        if (i + 1) % SSE_CONNECT_BATCH == 0:
            await asyncio.sleep(0.05)
    end = time.monotonic() + 60
    while time.monotonic() < end and not all(frames):
        await asyncio.sleep(0.1)
    conn.send(sum(1 for f in frames if f))
    await loop.run_in_executor(None, conn.recv)  # "collect"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send({"frames": frames, "errors": errors})


def sse_process(conn: Connection, url: str, count: int, headers: dict[str, str]) -> None:
    gc.freeze()
    # Below the pollers: reading a thousand copies of each new status would otherwise hold the
    # load core just when the pollers' answers arrive, and count as the server's time there.
    # SCHED_IDLE (Linux) runs them only when the pollers leave the core free; under ``nice 10``
    # each of these processes still took its share of the core in the moments after a change,
    # as the pollers read that second's answers. The SSE delays measured here are the more
    # pessimistic for it.
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)
    run_loop(_subscribers(conn, url, count, headers))


# --- the field client (this process) --------------------------------------------------------


def plan_events(plan: dict) -> Iterator[dict[str, Any]]:
    """The plan's field events in voyage order, each at the plan's own times."""
    for v in plan["result"]["voyages"]:
        stops = v["stops"]
        for i, s in enumerate(stops):
            for ev in fieldlog.sequence(s["kind"], last=i == len(stops) - 1):
                at = s.get("departure") if ev == "departed" else s.get("arrival")
                body = {
                    "vessel_id": v["vessel_id"],
                    "stop": i,
                    "type": ev,
                    "at": at or s.get("arrival") or s.get("departure"),
                }
                if ev == "handed_over":
                    body.update(boxes=s["ballot_boxes"], condition="good", receiver="PPS")
                yield body


def inner(tag: str | None) -> str | None:
    """An ETag's opaque value, without ``W/`` and quotes (the stream's event id)."""
    if tag is None:
        return None
    return tag.removeprefix("W/").strip('"')


@dataclass
class FieldResult:
    posts: list[float] = field(default_factory=list)  # latencies of the answered POSTs
    sent: list[float] = field(default_factory=list)  # when each POST went out (monotonic)
    errors: Counter[str] = field(default_factory=Counter)
    changes: dict[str, float] = field(default_factory=dict)  # ETag value -> POST answered at
    order: list[str] = field(default_factory=list)  # the changes' ETag values, in order
    exhausted: bool = False


async def _field_phase(
    base: str,
    plan_id: str,
    keys: dict[str, str],
    events: Iterator[dict[str, Any]],
    t0: float,
    seconds: float,
    every: float,
    out: FieldResult,
) -> None:
    viewer = {"X-API-Key": keys["viewer"]}
    status_url = f"{base}/plans/{plan_id}/status"
    async with httpx.AsyncClient(timeout=30) as client:
        tag = (await client.get(status_url, headers=viewer)).headers.get("etag")
        k = 0
        while (at := t0 + (k + 0.5) * every) < t0 + seconds:
            k += 1
            if at > time.monotonic():
                await asyncio.sleep(at - time.monotonic())
            body = next(events, None)
            if body is None:
                out.exhausted = True
                return
            headers = {"X-API-Key": keys["field"], "Idempotency-Key": str(uuid.uuid4())}
            sent = time.monotonic()
            out.sent.append(sent)
            try:
                r = await client.post(f"{base}/plans/{plan_id}/events", json=body, headers=headers)
            except httpx.HTTPError as e:
                out.errors[type(e).__name__] += 1
                continue
            answered = time.monotonic()
            if not r.is_success:
                out.errors[f"HTTP {r.status_code}"] += 1
                continue
            out.posts.append(answered - sent)
            # The change's ETag (with several API workers, the other one may lag a little).
            for _ in range(40):
                got = await client.get(status_url, headers={**viewer, "If-None-Match": tag or ""})
                if got.status_code == 200 and got.headers.get("etag") != tag:
                    tag = got.headers.get("etag")
                    value = inner(tag)
                    if value is not None:
                        out.changes[value] = answered
                        out.order.append(value)
                    break
                await asyncio.sleep(0.025)
            else:
                out.errors["status unchanged after POST"] += 1


# --- figures --------------------------------------------------------------------------------

PCTS = (50, 95, 99, 100)


def percentiles(values: list[float]) -> list[float] | None:
    """p50, p95, p99 and max (nearest rank) in milliseconds."""
    if not values:
        return None
    xs = sorted(values)
    return [xs[max(0, math.ceil(p / 100 * len(xs)) - 1)] * 1000 for p in PCTS]


@dataclass
class Row:
    name: str
    values: list[float]
    errors: int | str


def table(title: str, rows: list[Row]) -> dict[str, list[float] | None]:
    floor = percentiles(rows[-1].values)
    header = ("", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99/floor p99", "errors")
    widths = (12, 7, 15, 15, 15, 15, 14, 7)
    print(f"\n{title}")
    print(
        " ".join(
            f"{h:>{w}}" if i else f"{h:<{w}}"
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    out: dict[str, list[float] | None] = {}
    for row in rows:
        p = percentiles(row.values)
        out[row.name] = p
        cells: list[str] = [row.name, str(len(row.values))]
        if p is None:
            cells += ["-"] * 5
        else:
            for j, v in enumerate(p):
                ratio = f" ({v / floor[j]:.1f}x)" if floor and floor[j] > 0 else ""
                cells.append(f"{v:.1f}{ratio}")
            cells.append(f"{p[2] / floor[2]:.2f}" if floor and floor[2] > 0 else "-")
        cells.append(str(row.errors))
        print(
            " ".join(
                f"{c:>{w}}" if i else f"{c:<{w}}"
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    return out


def sse_delays(
    frames: list[list[tuple[str, float]]], order: list[str], changes: dict[str, float]
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Per change (its ETag value): each subscriber's delay from the POST's answer to its
    first frame of that change or a later one; and per change the subscribers that got none."""
    rank = {value: i for i, value in enumerate(order)}
    delays: dict[str, list[float]] = {v: [] for v in order}
    missed: dict[str, int] = dict.fromkeys(order, 0)
    for got in frames:
        seen = [(rank[fid], t) for fid, t in got if fid in rank]
        j = 0
        for k, value in enumerate(order):
            while j < len(seen) and seen[j][0] < k:
                j += 1
            if j < len(seen):
                delays[value].append(max(0.0, seen[j][1] - changes[value]))
            else:
                missed[value] += 1
    return delays, missed


def check(label: str, ok: bool | None, detail: str) -> None:
    verdict = "not measured" if ok is None else ("met" if ok else "NOT MET")
    print(f"  {label:<34} {verdict:<13} {detail}")


# --- the run --------------------------------------------------------------------------------


def cpu_split(args: argparse.Namespace) -> tuple[set[int], set[int]] | None:
    cpus = sorted(os.sched_getaffinity(0))
    if args.server_cpus:
        server = {int(c) for c in args.server_cpus.split(",")}
    elif len(cpus) < 2:
        return None
    else:
        server = set(cpus[: min(args.workers, len(cpus) - 1)])
    load = set(cpus) - server
    if not load or not server <= set(cpus):
        raise SystemExit(f"--server-cpus {args.server_cpus}: leaves no core of {cpus} for the load")
    return server, load


def probe_stream(base: str, plan_id: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """The stream's status code and its first frame's id (None when it sent none in 10 s)."""
    url = f"{base}/plans/{plan_id}/status/stream"
    try:
        with httpx.stream("GET", url, headers=headers, timeout=10) as r:
            if r.status_code != 200:
                return r.status_code, None
            buf, frames = b"", list[tuple[str, float]]()
            for chunk in r.iter_bytes():
                buf, _ = _frames(buf + chunk, time.monotonic(), frames)
                if frames:
                    return 200, frames[0][0]
    except httpx.HTTPError:
        return 0, None
    return 200, None


class Load:
    """The load processes: pollers, subscribers; the field client runs here."""

    def __init__(self, base: str, plan: dict, keys: dict[str, str], args: argparse.Namespace):
        self.base, self.plan, self.keys, self.args = base, plan, keys, args
        self.ctx = mp.get_context("fork")
        self.pollers: list[tuple[Any, Connection]] = []
        self.sse: list[tuple[Any, Connection]] = []
        self.events = plan_events(plan)
        self.field = FieldResult()
        self.phase_changes: dict[str, list[str]] = {}  # per phase: its changes' ETag values
        self.phase_posts: dict[str, tuple[list[float], int]] = {}  # latencies, errors

    def start(self, procs: int, sse: int) -> int:
        for _ in range(procs):
            ours, theirs = self.ctx.Pipe()
            p = self.ctx.Process(target=poller_process, args=(theirs, self.base), daemon=True)
            p.start()
            self.pollers.append((p, ours))
        url = f"{self.base}/plans/{self.plan['id']}/status/stream"
        viewer = {"X-API-Key": self.keys["viewer"]}
        if sse:
            n_sse = min(procs, sse)
            for j in range(n_sse):
                count = sse // n_sse + (1 if j < sse % n_sse else 0)
                ours, theirs = self.ctx.Pipe()
                p = self.ctx.Process(
                    target=sse_process, args=(theirs, url, count, viewer), daemon=True
                )
                p.start()
                self.sse.append((p, ours))
        return sum(conn.recv() for _, conn in self.sse)

    def phase(self, path: str, start: str, *, events: bool, name: str) -> dict[str, Any]:
        args = self.args
        n = len(self.pollers)
        for j, (_, conn) in enumerate(self.pollers):
            conn.send(
                {
                    "op": "phase",
                    "path": path,
                    "start": start,
                    "indices": list(range(j, args.pollers, n)),
                    "total": args.pollers,
                    "interval": args.interval,
                    "seconds": args.seconds,
                    # as a browser sends them: the changed status comes gzipped
                    "headers": {"X-API-Key": self.keys["viewer"], "Accept-Encoding": "gzip"},
                }
            )
        for _, conn in self.pollers:
            assert conn.recv() == "warm"
        t0 = time.monotonic() + 0.5
        for _, conn in self.pollers:
            conn.send(t0)
        before = len(self.field.order), len(self.field.posts), sum(self.field.errors.values())
        if events:
            asyncio.run(
                _field_phase(
                    self.base,
                    self.plan["id"],
                    self.keys,
                    self.events,
                    t0,
                    args.seconds,
                    args.events_every,
                    self.field,
                )
            )
        results = [conn.recv() for _, conn in self.pollers]
        self.phase_changes[name] = self.field.order[before[0] :]
        self.phase_posts[name] = (
            self.field.posts[before[1] :],
            sum(self.field.errors.values()) - before[2],
        )
        samples = [s for r in results for s in r["samples"]]
        errors: Counter[str] = Counter()
        for r in results:
            errors.update(r["errors"])
        return {"samples": samples, "errors": errors, "t0": t0}

    def collect(self) -> dict[str, Any]:
        frames: list[list[tuple[str, float]]] = []
        errors: Counter[str] = Counter()
        for _, conn in self.sse:
            conn.send("collect")
        for p, conn in self.sse:
            got = conn.recv()
            frames += got["frames"]
            errors.update(got["errors"])
            p.join(timeout=10)
        return {"frames": frames, "errors": errors}

    def close(self) -> None:
        for p, conn in self.pollers:
            if p.is_alive():
                conn.send({"op": "quit"})
                p.join(timeout=10)
        for p, _ in self.pollers + self.sse:
            if p.is_alive():
                p.kill()


def report(
    start: str,
    floor: dict[str, Any],
    status: dict[str, Any],
    load: Load,
    sse: dict[str, Any] | None,
    args: argparse.Namespace,
    summary: list[Row],
) -> None:
    """Print the start's table and targets; its rows go to ``summary`` too."""
    seconds = args.seconds
    polls = status["samples"]
    s304 = [s[1] for s in polls if s[2] == 304]
    s200 = [s[1] for s in polls if s[2] == 200 and s[3]]
    s200_plain = sum(1 for s in polls if s[2] == 200 and not s[3])
    poll_errors = sum(status["errors"].values())
    floor_values = [s[1] for s in floor["samples"] if s[2] == 200]
    floor_errors = sum(floor["errors"].values())
    changes = load.phase_changes[start]
    posts, post_errors = load.phase_posts[start]
    sse_values: list[float] = []
    sse_missed = 0
    if sse is not None:
        delays, missed = sse_delays(sse["frames"], load.field.order, load.field.changes)
        for c in changes:
            sse_values += delays[c]
            sse_missed += missed[c]
    rows = [
        Row("304", s304, poll_errors),
        Row("200 changed", s200, "-"),
        Row("event POST", posts, post_errors),
        Row("SSE delay", sse_values, sse_missed if sse is not None else "-"),
        Row("floor", floor_values, floor_errors),
    ]
    summary.extend(rows)
    title = (
        f"pollers {'all at once' if start == 'all' else 'staggered'}: {args.pollers} pollers "
        f"every {args.interval:g} s for {seconds:g} s ({len(polls) / seconds:.0f} status req/s, "
        f"{len(floor['samples']) / seconds:.0f} floor req/s), {len(posts)} events, "
        f"{len(sse['frames']) if sse else 0} SSE subscribers"
    )
    p = table(title, rows)
    notes = []
    if s200_plain:
        notes.append(f"{s200_plain} 200s to a poller without an ETag (not counted)")
    for what, errs in (("status polls", status["errors"]), ("floor polls", floor["errors"])):
        if errs:
            notes.append(f"{what}: " + ", ".join(f"{k} {v}" for k, v in errs.most_common()))
    if notes:
        print("  " + "; ".join(notes))
    print("  " + slowest_ticks(polls, status["t0"], load.field.sent, args.interval))
    if start != "all" and "all" in args.start_modes:
        return  # the targets are for pollers all at once
    n_sub = len(sse["frames"]) if sse else 0
    lighter = (
        args.pollers < TARGETS["pollers"]
        or args.interval > TARGETS["interval"]
        or args.events_every > TARGETS["events_every"]
        or n_sub < TARGETS["sse"]
    )
    print(
        "  targets (the issue's: 500 pollers at 1/s all at once, an event every 2 s; "
        "SSE: 1,000 subscribers)"
        + (": this run's load is lighter, so these say little" if lighter else "")
    )
    total_errors = (
        poll_errors
        + floor_errors
        + post_errors
        + (sse_missed + sum(sse["errors"].values()) if sse else 0)
    )
    check("0 errors", total_errors == 0, f"{total_errors} errors")
    f99 = p["floor"][2] if p["floor"] else None
    q = p["304"]
    check(
        "304 p99 <= 2x floor p99",
        None if q is None or f99 is None else q[2] <= 2 * f99,
        f"{q[2]:.1f} ms vs 2 x {f99:.1f} ms" if q and f99 is not None else "",
    )
    check("304 p99 < 50 ms", None if q is None else q[2] < 50, f"{q[2]:.1f} ms" if q else "")
    q = p["200 changed"]
    check(
        "changed 200 p99 < 250 ms", None if q is None else q[2] < 250, f"{q[2]:.1f} ms" if q else ""
    )
    q = p["event POST"]
    check(
        "event POST p99 < 100 ms", None if q is None else q[2] < 100, f"{q[2]:.1f} ms" if q else ""
    )
    q = p["SSE delay"]
    check(
        "SSE p99 < 1 s, none missed",
        None if q is None else (q[2] < 1000 and sse_missed == 0),
        f"{q[2]:.1f} ms, {n_sub} subscribers, {sse_missed} missed" if q else "",
    )


def slowest_ticks(
    polls: list[tuple[float, float, int, bool]], t0: float, posts: list[float], interval: float
) -> str:
    """The three poll ticks (intervals of the phase) with the slowest answers: whether a p99
    comes from one slow moment (a pause of the server) or from many."""
    ticks: dict[int, list[tuple[float, int]]] = {}
    for sent, latency, code, _ in polls:
        ticks.setdefault(math.floor((sent - t0) / interval), []).append((latency, code))
    # The POSTs of every phase: the other phases' fall outside this one's ticks.
    posted = {math.floor((at - t0) / interval) for at in posts}
    worst = sorted(ticks.items(), key=lambda kv: -max(lat for lat, _ in kv[1]))[:3]
    parts = []
    for k, got in worst:
        p50, _, _, top = percentiles([lat for lat, _ in got]) or [0.0] * len(PCTS)
        codes = Counter(c for _, c in got)
        parts.append(
            f"{k * interval:g} s: {len(got)} polls ({codes[304]} x 304, {codes[200]} x 200), "
            f"p50 {p50:.1f}, max {top:.1f} ms" + (", an event posted" if k in posted else "")
        )
    return "slowest ticks: " + "; ".join(parts)


def run(
    base: str,
    plan: dict,
    keys: dict[str, str],
    args: argparse.Namespace,
    stream: tuple[int, str | None],
) -> dict[str, list[Row]]:
    """Measure the running service: per start, its rows (printed as a table each)."""
    load = Load(base, plan, keys, args)
    summaries: dict[str, list[Row]] = {}
    try:
        use_sse = args.sse if stream[0] == 200 else 0
        connected = load.start(args.procs, use_sse)
        if use_sse:
            print(f"SSE: {connected} of {use_sse} subscribers connected and got the current status")
        results = {}
        for start in args.start_modes:
            floor = load.phase(FLOOR_PATH, start, events=False, name=f"floor-{start}")
            status = load.phase(f"/plans/{plan['id']}/status", start, events=True, name=start)
            results[start] = (floor, status)
        if load.field.exhausted:
            print("the plan's events ran out: fewer events than asked for")
        sse = None
        if use_sse:
            time.sleep(SSE_GRACE_S)
            sse = load.collect()
            if sse["errors"]:
                print(
                    "SSE errors: " + ", ".join(f"{k} {v}" for k, v in sse["errors"].most_common())
                )
        if load.field.errors:
            print(
                "event errors: " + ", ".join(f"{k} {v}" for k, v in load.field.errors.most_common())
            )
        for start, (floor, status) in results.items():
            report(start, floor, status, load, sse, args, summaries.setdefault(start, []))
    finally:
        load.close()
    return summaries


def side_by_side(by_server: dict[str, dict[str, list[Row]]], args: argparse.Namespace) -> None:
    """One table per start: each row's n, p50, p99, p99 as a multiple of the same server's
    floor p99 and errors, for each server; with two servers, the second's p99 over the
    first's."""
    names = list(by_server)
    for start in args.start_modes:
        print(
            f"\nside by side, pollers {'all at once' if start == 'all' else 'staggered'} "
            f"({args.pollers} pollers every {args.interval:g} s for {args.seconds:g} s, "
            f"{args.sse} SSE subscribers asked for): ms; x floor = p99 / that server's floor p99"
        )
        cell = (7, 9, 9, 8, 6)
        head = f"{'':<12}" + "".join(f" {n:^{sum(cell) + len(cell)}}" for n in names)
        sub = f"{'':<12}" + "".join(
            f" {'n':>7} {'p50':>9} {'p99':>9} {'x floor':>8} {'errors':>6}" for _ in names
        )
        if len(names) == 2:
            head += f" {'p99 ratio':>15}"
            sub += f" {names[1] + '/' + names[0]:>15}"
        print(head)
        print(sub)
        rows = {n: {r.name: r for r in by_server[n].get(start, [])} for n in names}
        for what in ("304", "200 changed", "event POST", "SSE delay", "floor"):
            line = f"{what:<12}"
            p99s: list[float | None] = []
            for n in names:
                row = rows[n].get(what)
                p = percentiles(row.values) if row is not None else None
                floor_row = rows[n].get("floor")
                f = percentiles(floor_row.values) if floor_row is not None else None
                if row is None or p is None:
                    line += f" {len(row.values) if row else 0:>7} {'-':>9} {'-':>9} {'-':>8}"
                    p99s.append(None)
                else:
                    ratio = f"{p[2] / f[2]:.2f}" if f and f[2] > 0 else "-"
                    line += f" {len(row.values):>7} {p[0]:>9.1f} {p[2]:>9.1f} {ratio:>8}"
                    p99s.append(p[2])
                line += f" {row.errors if row else '-'!s:>6}"
            if len(names) == 2:
                a, b = p99s
                line += f" {f'{b / a:.2f}' if a and b is not None else '-':>15}"
            print(line)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pollers", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    ap.add_argument(
        "--interval", type=float, default=1.0, help="seconds between one poller's requests"
    )
    ap.add_argument("--start", choices=("all", "staggered", "both"), default="both")
    ap.add_argument("--sse", type=int, default=1000, help="SSE subscribers (0: none)")
    ap.add_argument("--events-every", type=float, default=2.0, help="seconds between field events")
    ap.add_argument("--workers", type=int, default=1, help="API worker processes")
    ap.add_argument("--database", default=None, help="a PostgreSQL URL (a fresh schema is used)")
    ap.add_argument("--server-cpus", default=None, help="cores for the server, e.g. 0 or 0,1")
    ap.add_argument(
        "--procs", type=int, default=None, help="poller processes (and as many SSE ones)"
    )
    ap.add_argument(
        "--server",
        default="granian",
        help="the HTTP server(s), measured in turn: granian, uvicorn, granian,uvicorn or both",
    )
    args = ap.parse_args()
    args.start_modes = ("all", "staggered") if args.start == "both" else (args.start,)
    servers = SERVERS if args.server == "both" else tuple(args.server.split(","))
    if not servers or any(s not in SERVERS for s in servers) or len(set(servers)) < len(servers):
        ap.error(f"--server {args.server}: granian, uvicorn, granian,uvicorn or both")
    split = cpu_split(args)
    if args.procs is None:
        args.procs = min(8, len(split[1])) if split else 1
    by_server: dict[str, dict[str, list[Row]]] = {}
    for name in servers:
        if len(servers) > 1:
            print(f"\n=== {name} ===")
        by_server[name] = measure(name, args, split)
    if len(servers) > 1:
        side_by_side(by_server, args)


def measure(
    server: str, args: argparse.Namespace, split: tuple[set[int], set[int]] | None
) -> dict[str, list[Row]]:
    """Start the service under ``server`` on a fresh database, plan, and measure it."""
    tmp = Path(tempfile.mkdtemp(prefix="api-load-"))
    url, schema = f"sqlite:///{tmp}/load.db", None
    if args.database:
        import sqlalchemy as sa

        schema = f"load_{uuid.uuid4().hex[:10]}"
        with sa.create_engine(args.database).begin() as conn:
            conn.execute(sa.text(f'create schema "{schema}"'))
        url = f"{args.database}?options=-csearch_path%3D{schema}"
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=url,
        BALLOT_CACHE_DIR=str(ROOT / "var" / "cache"),
        BALLOT_DATA_DIR=str(ROOT / "data"),
    )
    env.pop("DATABASE_URL", None)
    mine = os.sched_getaffinity(0)
    try:
        keys = localserver.create_keys(env)
        with ExitStack() as stack:
            if split:
                os.sched_setaffinity(0, split[0])  # the server and its children inherit this
            base = stack.enter_context(
                localserver.serving(
                    env, workers=args.workers, log=tmp / "server.log", server=server
                )
            )
            if split:
                os.sched_setaffinity(0, split[1])  # the load: this process and its children
            plan = localserver.completed_plan(base, keys)
            viewer = {"X-API-Key": keys["viewer"]}
            stream = probe_stream(base, plan["id"], viewer)
            tag = httpx.get(f"{base}/plans/{plan['id']}/status", headers=viewer).headers.get("etag")
            db_name = args.database.split(":")[0] if args.database else "sqlite"
            where = (
                f"server on cores {sorted(split[0])}, load on cores {sorted(split[1])}"
                if split
                else "one core: server and load not pinned"
            )
            print(
                f"{server}, {args.workers} API worker(s), {db_name}; {where}; {args.procs} poller "
                f"process(es); floor: GET {FLOOR_PATH}; server log {tmp / 'server.log'}"
            )
            if stream[0] != 200:
                print(f"SSE: GET /plans/{{id}}/status/stream answers {stream[0]}: no subscribers")
            elif stream[1] != inner(tag):
                print(f"SSE: the stream's first id {stream[1]!r} is not the status ETag {tag!r}")
            return run(base, plan, keys, args, stream)
    finally:
        os.sched_setaffinity(0, mine)
        if schema:
            with sa.create_engine(args.database).begin() as conn:
                conn.execute(sa.text(f'drop schema "{schema}" cascade'))


if __name__ == "__main__":
    main()
