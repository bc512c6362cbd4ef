"""Engine benchmark: standard VRPLIB instances through the project's solver adapter.

Run: .venv/bin/python bench/engine.py [--seconds 60] [--seed 1] [--shared ../shared]

Solves each instance of shared/bench (CVRP X set, nint distances; Solomon and Gehring-Homberger
VRPTW, DIMACS one-decimal distances) at a fixed wall-time budget and seed, and prints the cost
beside the best-known solution (BKS) and the gap.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.solver import solve_vrplib  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--only", nargs="*", help="instance names to run")
    args = ap.parse_args()
    bench = args.shared / "bench"
    with (bench / "BKS.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    header = [
        "instance",
        "kind",
        "n",
        "bks",
        "cost",
        "gap_%",
        "routes",
        "bks_routes",
        "iterations",
        "seconds",
    ]
    print(f"Engine on VRPLIB instances, {args.seconds:.0f} s each, seed {args.seed}\n")
    print("  ".join(f"{h:>10}" for h in header))
    for row in rows:
        if args.only and row["instance"] not in args.only:
            continue
        path = bench / row["kind"] / f"{row['instance']}.vrp"
        round_func = "round" if row["kind"] == "cvrp" else "dimacs"
        r = solve_vrplib(str(path), max_seconds=args.seconds, seed=args.seed, round_func=round_func)
        bks = float(row["bks"])
        gap = (r.cost - bks) / bks * 100 if r.feasible else float("nan")
        cells = [
            row["instance"],
            row["kind"],
            row["n"],
            f"{bks:g}",
            f"{r.cost:.1f}",
            f"{gap:.2f}",
            str(r.routes),
            row["bks_routes"],
            str(r.iterations),
            f"{r.runtime_s:.1f}",
        ]
        print("  ".join(f"{c:>10}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
