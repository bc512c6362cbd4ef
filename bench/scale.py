"""How the pipeline grows: synthetic archipelagos of 100, 500 and 2,000 landing points.

Each case runs in a fresh process (so that its peak memory is its own): generate the archipelago
(routing/synthetic.py), build the sea graph of each vessel class, the matrices, then plan with a
fixed wall-time budget. Prints, per case: sea-graph build time, matrix time, time to the first
feasible solution, what the plan serves and costs after the budget, and peak resident memory.

    .venv/bin/python bench/scale.py                       # 100/10, 500/30, 2000/60
    .venv/bin/python bench/scale.py --cases 2000:60 --seconds 120
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ("regency_ferry", "sabuk_nusantara")


def run_case(landings: int, vessels: int, seconds: float, seed: int) -> dict:
    from routing import synthetic
    from routing.demand import load_kit
    from routing.fleet import load_fleet
    from routing.matrix import build_matrix, sea_network
    from routing.planner import make_plan
    from routing.scenario import build_problem
    from routing.schedule import kpis
    from routing.solver import SolveOptions

    data = ROOT / "data"
    classes = load_fleet(data / "fleet.toml")
    kit = load_kit(data / "kit.toml")
    syn = synthetic.archipelago(landings, seed=seed)
    t = time.perf_counter()
    nets = {
        c: sea_network(syn.land, syn.arch.terminals(), clearance_m=classes[c].clearance_m)
        for c in CLASSES
    }
    graph_s = time.perf_counter() - t
    t = time.perf_counter()
    matrices = {c: build_matrix(nets[c], classes[c]) for c in CLASSES}
    matrix_s = time.perf_counter() - t
    fleet = synthetic.fleet(syn, vessels, CLASSES)
    problem = build_problem(synthetic.scenario(syn, tuple(fleet)), syn.arch, kit, classes, fleet)
    first: list[float] = []

    def progress(iteration: int, elapsed: float, best: float) -> bool:
        if not first and best < float("inf"):
            first.append(elapsed)
        return False

    t = time.perf_counter()
    plan = make_plan(
        problem,
        matrices,
        options=SolveOptions(seed=seed),
        progress=progress,
        deadline_monotonic=time.monotonic() + seconds,
    )
    solve_s = time.perf_counter() - t
    k = kpis(plan)
    return {
        "landings": len(syn.arch.landing_points),
        "islands": len(syn.land) - 1,
        "vessels": vessels,
        "consignments": len(problem.consignments),
        "graph_s": round(graph_s, 1),
        "matrix_s": round(matrix_s, 2),
        "first_feasible_s": round(first[0], 1) if first else None,
        "solve_s": round(solve_s, 1),
        "served": f"{k['tps_delivered']}/{k['tps_total']}",
        "unserved_villages": len(plan.unassigned),
        "vessels_used": k["vessels_used"],
        "ship_hours": k["ship_hours"],
        "distance_nm": k["distance_nm"],
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", nargs="+", default=["100:10", "500:30", "2000:60"])
    ap.add_argument("--seconds", type=float, default=60.0, help="planning budget per case")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    rows = []
    for case in args.cases:
        landings, vessels = (int(x) for x in case.split(":"))
        with ctx.Pool(1) as pool:
            rows.append(pool.apply(run_case, (landings, vessels, args.seconds, args.seed)))
        print(f"done {case}", file=sys.stderr, flush=True)
    cols = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for r in rows:
        print("  ".join(str(r[c]).rjust(w) for c, w in zip(cols, widths, strict=True)))
    print(
        f"\nbudget {args.seconds:g} s per plan (matrices excluded); classes {', '.join(CLASSES)}; "
        "graph_s covers both classes; peak_mb is the case process's peak resident memory"
    )


if __name__ == "__main__":
    main()
