"""API load benchmark: many dashboard pollers of /plans/{id}/status with ETags.

Run: .venv/bin/python bench/api_load.py [--pollers 200] [--seconds 30] [--interval 1.0]
     .venv/bin/python bench/api_load.py --pollers 500 --workers 2 \
         --database postgresql+psycopg://root@127.0.0.1:5432/test

Starts `ballot-routing serve [--workers N]` on a free loopback port with a fresh SQLite database
(or a fresh schema of the PostgreSQL database given), plans the 2024
scenario (iteration budget), then runs the pollers for the given time: each sends
If-None-Match with the last ETag it saw and sleeps `interval` between requests. A field client
posts a handed_over event now and then so that the status (and its ETag) really changes. Prints
requests/s, p50/p99 latency, the share of 304 answers and the errors. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import localserver  # noqa: E402


async def poller(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    stop: float,
    interval: float,
    out: list[tuple[float, int]],
) -> None:
    tag = None
    while time.monotonic() < stop:
        t0 = time.perf_counter()
        try:
            r = await client.get(
                url, headers={**headers, **({"If-None-Match": tag} if tag else {})}
            )
            code = r.status_code
            tag = r.headers.get("ETag", tag)
        except httpx.HTTPError:
            code = 0
        out.append((time.perf_counter() - t0, code))
        await asyncio.sleep(interval)


async def field_client(
    client: httpx.AsyncClient, base: str, plan: dict, headers: dict[str, str], stop: float
) -> int:
    posted = 0
    for v in plan["result"]["voyages"]:
        for i, s in enumerate(v["stops"]):
            if time.monotonic() >= stop:
                return posted
            seq = (
                ["arrived", "handed_over", "departed"]
                if s["kind"] == "landing"
                else ["loaded", "departed"]
            )
            if i == len(v["stops"]) - 1:
                seq = ["arrived"]
            for ev in seq:
                body = {"vessel_id": v["vessel_id"], "stop": i, "type": ev, "at": s["arrival"]}
                if ev == "handed_over":
                    body.update(boxes=s["ballot_boxes"], condition="good", receiver="PPS")
                await client.post(f"{base}/plans/{plan['id']}/events", json=body, headers=headers)
                posted += 1
            await asyncio.sleep(2.0)
    return posted


async def run(base: str, plan: dict, keys: dict[str, str], args: argparse.Namespace) -> None:
    url = f"{base}/plans/{plan['id']}/status"
    limits = httpx.Limits(max_connections=args.pollers, max_keepalive_connections=args.pollers)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        stop = time.monotonic() + args.seconds
        out: list[tuple[float, int]] = []
        started = time.monotonic()
        tasks = [
            poller(client, url, {"X-API-Key": keys["viewer"]}, stop, args.interval, out)
            for _ in range(args.pollers)
        ]
        field = field_client(client, base, plan, {"X-API-Key": keys["field"]}, stop)
        results = await asyncio.gather(*tasks, field)
        wall = time.monotonic() - started
    lat = sorted(t for t, _ in out)
    codes = [c for _, c in out]
    print(
        f"{args.pollers} pollers for {args.seconds:.0f} s against {args.workers} API worker(s) "
        f"({args.database.split(':')[0] if args.database else 'sqlite'}), "
        f"{results[-1]} field events posted meanwhile\n"
    )
    header = ("requests", "req/s", "p50_ms", "p99_ms", "200", "304", "errors")
    print(" ".join(f"{h:>9}" for h in header))
    p99 = lat[int(0.99 * (len(lat) - 1))] if lat else 0.0
    errors = sum(1 for c in codes if c not in (200, 304))
    row = (
        len(out),
        f"{len(out) / wall:.1f}",
        f"{statistics.median(lat) * 1000:.1f}",
        f"{p99 * 1000:.1f}",
        codes.count(200),
        codes.count(304),
        errors,
    )
    print(" ".join(f"{c!s:>9}" for c in row))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pollers", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument(
        "--interval", type=float, default=1.0, help="pause between one poller's requests"
    )
    ap.add_argument("--workers", type=int, default=1, help="API worker processes")
    ap.add_argument("--database", default=None, help="a PostgreSQL URL (a fresh schema is used)")
    args = ap.parse_args()
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
    try:
        keys = localserver.create_keys(env)
        with localserver.serving(env, workers=args.workers) as base:
            plan = localserver.completed_plan(base, keys)
            asyncio.run(run(base, plan, keys, args))
    finally:
        if schema:
            with sa.create_engine(args.database).begin() as conn:
                conn.execute(sa.text(f'drop schema "{schema}" cascade'))


if __name__ == "__main__":
    main()
