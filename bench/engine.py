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

``--ablate`` also solves the adapter's own model with features a plan needs taken out, to say
what each costs: every client required (a plan's consignments are optional, with a prize, so
that an unservable village is reported rather than failing the plan), no reload depots (a
plan's vessels may make several trips), and both; printed as gaps in a table of their own.
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


def solve_ablated(
    path: Path, *, round_func: str, seconds: float, seed: int, required: bool, reloads: bool
) -> tuple[float, int]:
    """The adapter's model of the instance (``PyVRPSolver._model``) with clients required and/or
    reload depots taken out, solved as the adapter solves: cost in instance units."""
    from routing.solver import SOLVE_PARAMS, PyVRPSolver
    from testkit.vrplib import read_vrplib, vrplib_problem

    vp = vrplib_problem(read_vrplib(path, round_func=round_func))
    options = vp.options(seed=seed, max_seconds=seconds)
    model, _, _, _ = PyVRPSolver()._model(vp.problem, vp.matrices, options)
    data = model.data()
    if required:
        clients = [
            pyvrp.Client(
                c.location,
                c.delivery,
                c.pickup,
                c.service_duration,
                c.tw_early,
                c.tw_late,
                c.release_time,
                c.prize,
                True,
                c.group,
                name=c.name,
            )
            for c in data.clients()
        ]
        data = data.replace(clients=clients)
    if not reloads:
        data = data.replace(
            vehicle_types=[vt.replace(reload_depots=[]) for vt in data.vehicle_types()]
        )
    result = pyvrp.solve(
        data, MaxRuntime(seconds), seed=seed, collect_stats=False, params=SOLVE_PARAMS
    )
    best = result.best
    done = best.is_feasible() and best.num_clients() == data.num_clients
    cost = best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost()
    return (cost / vp.scale if done else math.inf), result.num_iterations


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
    ap.add_argument("--ablate", action="store_true", help="also the adapter's model without "
                    "optional clients, without reloads, and without both")  # fmt: skip
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
        if args.ablate:
            ablate(rows, bench, budget, args.seed)
        raw_mean = statistics.fmean(p[0] for p in pairs) if pairs else math.nan
        our_mean = statistics.fmean(p[1] for p in pairs) if pairs else math.nan
        print(
            f"mean at {budget:g} s over {len(pairs)} instances: raw gap {fmt(raw_mean, 2)} %, "
            f"adapter gap {fmt(our_mean, 2)} %, diff {fmt(our_mean - raw_mean, 2)} pp\n",
            flush=True,
        )


def ablate(rows: list[dict[str, str]], bench: Path, budget: float, seed: int) -> None:
    """Gaps of the adapter's model with a plan's features taken out (see the module's text)."""
    variants = (("required", True, True), ("no_reload", False, False), ("both", True, False))
    print(f"\nthe adapter's model at {budget:g} s, features taken out (gap %, iterations)")
    print("instance".rjust(12) + "".join(v[0].rjust(22) for v in variants))
    sums: dict[str, list[float]] = {v[0]: [] for v in variants}
    for r in rows:
        path = bench / r["kind"] / f"{r['instance']}.vrp"
        round_func = "round" if r["kind"] == "cvrp" else "dimacs"
        cells = []
        for name, required, reloads in variants:
            cost, iters = solve_ablated(
                path, round_func=round_func, seconds=budget, seed=seed, required=required,
                reloads=reloads,
            )  # fmt: skip
            g = gap(cost, float(r["bks"]))
            if math.isfinite(g):
                sums[name].append(g)
            cells.append(f"{fmt(g, 2)} ({iters})".rjust(22))
        print(r["instance"].rjust(12) + "".join(cells), flush=True)
    means = "".join(fmt(statistics.fmean(v) if v else math.nan, 2).rjust(22) for v in sums.values())
    print("mean".rjust(12) + means + "\n", flush=True)


if __name__ == "__main__":
    main()
