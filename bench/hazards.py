"""Hazard changes benchmark: the time of a small hazard change (``PUT /hazards/{id}``) and of
reading the hazards in force just after (``GET /hazards``) once the history holds 0, 10 and 100
changes of a large hazard (a ring of 3,000 positions, about 75 KB each, as a survey's outline
may be).

Run: .venv/bin/python bench/hazards.py [--database URL] [--repeat 5]
(default: a new SQLite file; for PostgreSQL give an empty database or schema, e.g.
``postgresql+psycopg://root@127.0.0.1:5432/test?options=-csearch_path%3Dbench``).

Each time is the median of ``--repeat`` changes through the real app (in process, no network).
Before the hazards in force were kept as current rows, each change re-read and re-parsed the
whole history, so its time grew with the history; now it should not.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from app.auth import create_key  # noqa: E402
from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402

LEVELS = (0, 10, 100)


def _ring(lon: float, lat: float, radius_deg: float, n: int) -> list[list[float]]:
    ring = [
        [
            round(lon + radius_deg * math.cos(2 * math.pi * k / n), 7),
            round(lat + radius_deg * math.sin(2 * math.pi * k / n), 7),
        ]
        for k in range(n)
    ]
    return [*ring, ring[0]]


def _hazard(source: str, ring: list[list[float]]) -> dict:
    return {
        "kind": "reef",
        "least_depth_m": 1.5,
        "status": "verified",
        "source": source,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _put(client: TestClient, key: dict[str, str], hazard_id: str, body: dict) -> float:
    """One change (on the ETag read just before, where the service gives one): seconds."""
    tag = client.get(f"/hazards/{hazard_id}", headers=key).headers.get("ETag")
    headers = {**key, **({"If-Match": tag} if tag else {})}
    start = time.perf_counter()
    r = client.put(f"/hazards/{hazard_id}", json=body, headers=headers)
    elapsed = time.perf_counter() - start
    if r.status_code not in (200, 201):
        raise SystemExit(f"PUT /hazards/{hazard_id}: {r.status_code} {r.text[:300]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="database URL (default: a new SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-hazards-"))
    database = args.database or f"sqlite:///{tmp}/bench.db"
    settings = Settings(data_dir=ROOT / "data", cache_dir=tmp / "cache", database_url=database)
    big = _ring(114.62, -7.13, 0.01, 3000)
    small = _ring(114.60, -7.15, 0.003, 8)
    print(f"database: {database.split('?')[0]}; each time the median of {args.repeat}")
    print(f"{'changes before':>14}  {'history KB':>10}  {'PUT ms':>8}  {'GET /hazards ms':>15}")
    with TestClient(create_app(settings)) as client:
        key = {"X-API-Key": create_key(database, "planner")}
        made, size = 0, 0
        for level in LEVELS:
            while made < level:
                body = _hazard(f"survey {made}", big)
                _put(client, key, "big", body)
                made += 1
                size += len(str(body))
            puts, gets = [], []
            for n in range(args.repeat):
                puts.append(_put(client, key, "small", _hazard(f"small {level}/{n}", small)))
                start = time.perf_counter()
                client.get("/hazards", headers=key).raise_for_status()
                gets.append(time.perf_counter() - start)
            put_ms = 1000 * statistics.median(puts)
            get_ms = 1000 * statistics.median(gets)
            print(f"{level:>14}  {size / 1000:>10.0f}  {put_ms:>8.1f}  {get_ms:>15.1f}")


if __name__ == "__main__":
    main()
