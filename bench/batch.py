"""Batch throughput: the same scenarios through `ballot-routing batch` on the local process pool
and on a Dask LocalCluster (processes), with the same number of workers.

    .venv/bin/python bench/batch.py [--scenarios 32] [--workers 2] [--seconds 3]

The scenarios are the 2024 outbound plan cut into district subsets with different seeds (so
that each is a real, different plan). Prints wall time, scenarios completed and the speed-up
over running them one after the other (the sum of the scenarios' own run times / wall time).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.inputs.scenario import scenario_toml  # noqa: E402
from routing.outputs.export import jsonable  # noqa: E402
from testkit import localserver  # noqa: E402

DISTRICTS = ["35.29.04", "35.29.08", "35.29.20", "35.29.21", "35.29.22", "35.29.24", "35.29.25"]


def write_scenarios(folder: Path, n: int) -> list[str]:
    """``n`` scenario files: the 2024 plan for one to three districts each, seeded apart."""
    from routing.inputs.geodata import load_dataset

    arch = load_dataset(ROOT / "data" / "islands")
    with (ROOT / "data" / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        base = jsonable(tomllib.load(fh))
    files = []
    for k in range(n):
        chosen = {DISTRICTS[(k + j) % len(DISTRICTS)] for j in range(1 + k % 3)}
        villages = sorted(
            c for c, v in arch.villages.items() if v.sea and v.district_code in chosen
        )
        body = {**base, "name": f"batch-{k:02d}", "villages": villages}
        path = folder / f"batch-{k:02d}.toml"
        path.write_text(scenario_toml(body), encoding="utf-8")
        files.append(str(path))
    return files


def run_batch(files: list[str], out: Path, env: dict[str, str], args: argparse.Namespace) -> dict:
    t = time.monotonic()
    done = subprocess.run(
        [localserver.executable(), "batch", *files, "--out", str(out), "--workers",
         str(args.workers), "--seconds", str(args.seconds)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.monotonic() - t
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    rows = list(csv.DictReader(io.StringIO((out / "comparison.csv").read_text())))
    serial = sum(float(r["runtime_s"]) for r in rows)
    return {
        "scenarios": len(files),
        "completed": sum(r["status"] == "completed" for r in rows),
        "wall_s": round(wall, 1),
        "sum_of_runs_s": round(serial, 1),
        "speed_up": round(serial / wall, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenarios", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0, help="budget per scenario")
    args = ap.parse_args()
    from distributed import LocalCluster

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    files = write_scenarios(tmp, args.scenarios)
    env = dict(os.environ, BALLOT_CACHE_DIR=str(ROOT / "var" / "cache"))
    env.pop("DASK_SCHEDULER", None)
    rows = {"local process pool": run_batch(files, tmp / "local", env, args)}
    with LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask_env = dict(env, DASK_SCHEDULER=cluster.scheduler_address)
        rows["Dask LocalCluster"] = run_batch(files, tmp / "dask", dask_env, args)
    cols = ["engine", *next(iter(rows.values()))]
    print(" | ".join(cols))
    for name, r in rows.items():
        print(" | ".join([name, *(str(v) for v in r.values())]))
    print(f"\n{args.workers} workers each, {args.seconds:g} s budget per scenario, this machine")


if __name__ == "__main__":
    main()
