"""Engine benchmark: raw PyVRP and the project's adapter side by side on VRPLIB instances.

Run: .venv/bin/python bench/engine.py [--budgets 10,60] [--seed 1] [--instances X-n101-k25,C101]
                                      [--shared ../shared]

For each instance of shared/bench (CVRP X set, nint distances; Solomon and Gehring-Homberger
VRPTW, DIMACS one-decimal distances) and each wall-time budget, solves the instance twice with
the same budget and seed, one after the other:

- raw: PyVRP's own model of the instance (``pyvrp.read``) and its default ``SolveParams``;
- adapter: the instance as a ``Problem`` (``testkit.vrplib``) solved by ``PyVRPSolver``, the
  model building and search parameters every plan goes through.

Prints the best-known solution (BKS), each side's cost and gap to it, the difference in
percentage points (adapter minus raw; positive: the adapter is worse) and each side's
iteration count, then the mean per budget. A side that leaves a client unserved or ends
infeasible has no gap ("-") and its rows are left out of the mean.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
from pathlib import Path

import pyvrp  # the raw baseline only: the adapter side goes through routing/
from pyvrp.stop import MaxRuntime

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testkit.vrplib import solve_vrplib  # noqa: E402

HEADER = (
    "instance",
    "budget_s",
    "bks",
    "raw",
    "raw_gap_%",
    "adapter",
    "adapter_gap_%",
    "diff_pp",
    "raw_iters",
    "adapter_iters",
)
WIDTHS = (12, 8, 9, 10, 9, 10, 13, 8, 9, 13)


def solve_raw(path: Path, *, round_func: str, seconds: float, seed: int) -> tuple[float, int]:
    """PyVRP on its own model of the instance: cost in instance units (inf if infeasible)."""
    data = pyvrp.read(str(path), round_func=round_func)
    result = pyvrp.solve(data, MaxRuntime(seconds), seed=seed, collect_stats=False)
    scale = 10 if round_func == "dimacs" else 1
    cost = result.cost() / scale if result.is_feasible() else math.inf
    return cost, result.num_iterations


def gap(cost: float, bks: float) -> float:
    return (cost - bks) / bks * 100 if math.isfinite(cost) else math.nan


def fmt(x: float, digits: int) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def row(cells: tuple[str, ...]) -> str:
    return "  ".join(c.rjust(w) for c, w in zip(cells, WIDTHS, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--budgets", default="10,60", help="seconds per solve, comma-separated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--instances", default="", help="instance names, comma-separated (all)")
    args = ap.parse_args()
    budgets = [float(b) for b in args.budgets.split(",") if b]
    only = {n for n in args.instances.split(",") if n}
    bench = args.shared / "bench"
    with (bench / "BKS.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if not only or r["instance"] in only]
    print(f"Raw PyVRP and the adapter on VRPLIB instances, seed {args.seed}\n")
    print(row(HEADER))
    for budget in budgets:
        pairs: list[tuple[float, float]] = []  # (raw gap, adapter gap) where both exist
        for r in rows:
            path = bench / r["kind"] / f"{r['instance']}.vrp"
            round_func = "round" if r["kind"] == "cvrp" else "dimacs"
            bks = float(r["bks"])
            raw, raw_iters = solve_raw(path, round_func=round_func, seconds=budget, seed=args.seed)
            ours = solve_vrplib(path, round_func=round_func, seed=args.seed, max_seconds=budget)
            raw_gap, our_gap = gap(raw, bks), gap(ours.cost, bks)
            diff = our_gap - raw_gap
            if math.isfinite(diff):
                pairs.append((raw_gap, our_gap))
            cells = (
                r["instance"],
                f"{budget:g}",
                f"{bks:g}",
                fmt(raw, 1),
                fmt(raw_gap, 2),
                fmt(ours.cost, 1),
                fmt(our_gap, 2),
                fmt(diff, 2),
                str(raw_iters),
                str(ours.iterations),
            )
            print(row(cells), flush=True)
        raw_mean = statistics.fmean(p[0] for p in pairs) if pairs else math.nan
        our_mean = statistics.fmean(p[1] for p in pairs) if pairs else math.nan
        print(
            f"mean at {budget:g} s over {len(pairs)} instances: raw gap {fmt(raw_mean, 2)} %, "
            f"adapter gap {fmt(our_mean, 2)} %, diff {fmt(our_mean - raw_mean, 2)} pp\n",
            flush=True,
        )


if __name__ == "__main__":
    main()
