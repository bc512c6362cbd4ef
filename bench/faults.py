"""Fault figure: a Dask worker process killed with SIGKILL in the middle of a batch.

    .venv/bin/python bench/faults.py [--scenarios 12] [--seconds 3] [--kill-after 5]

Starts a LocalCluster of two worker processes, runs `ballot-routing batch` on it, kills the
worker running a scenario after `--kill-after` seconds, and checks the outcome: every scenario
completed, and each finished exactly once (from the batch's runs.log). Prints one table row.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from batch import write_scenarios  # noqa: E402

from testkit import localserver  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenarios", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--kill-after", type=float, default=5.0)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    files = write_scenarios(tmp, args.scenarios)
    out = tmp / "out"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        env = dict(
            os.environ,
            BALLOT_CACHE_DIR=str(ROOT / "var" / "cache"),
            DASK_SCHEDULER=cluster.scheduler_address,
        )
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [localserver.executable(), "batch", *files, "--out", str(out), "--seconds",
             str(args.seconds)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(args.kill_after)
        busy = [w for w, tasks in client.processing().items() if tasks]
        killed = None
        if busy:
            killed = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(killed, signal.SIGKILL)
        _, err = proc.communicate(timeout=1800)
        wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(err)
    rows = list(csv.DictReader(io.StringIO((out / "comparison.csv").read_text())))
    runs = Counter(
        json.loads(line)["scenario"] for line in (out / "runs.log").read_text().splitlines()
    )
    header = ["scenarios", "completed", "finished_once", "finished_twice", "killed_pid", "wall_s"]
    print(" | ".join(header))
    print(
        " | ".join(
            str(x)
            for x in (
                len(files),
                sum(r["status"] == "completed" for r in rows),
                sum(1 for n in runs.values() if n == 1),
                sum(1 for n in runs.values() if n > 1),
                killed,
                round(wall, 1),
            )
        )
    )


if __name__ == "__main__":
    main()
