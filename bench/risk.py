"""How long the risk simulation of the 2024 plan takes, and what it says.

Plans the 2024 scenario (iteration budget, so the plan is the same every time), then runs the
Monte Carlo (routing.risk) at ``--runs`` runs: without breakdown re-plans and with them, on a
local process pool of ``--workers`` processes, and on a Dask LocalCluster of as many workers.
Prints the on-time chance per district (by its deadline and by H-5) and the wall time of each.

    .venv/bin/python bench/risk.py [--runs 1000] [--workers 2] [--seed 1] [--no-dask]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=2000, help="of the plan's solver")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()

    from app import planning
    from app.config import Settings
    from routing import pipeline
    from routing import risk as mc
    from routing.inputs.climate import load_climate
    from routing.inputs.scenario import load_scenario
    from routing.plandoc import PlanDocument

    settings = Settings()
    scenario = load_scenario(ROOT / "data" / "scenarios" / "pemilu2024.toml")
    given = planning.inputs(settings)
    problem = pipeline.problem_for(given, scenario)
    t = time.perf_counter()
    run = pipeline.plan(given, problem, seed=0, seconds=None, iterations=args.iterations)
    print(f"plan: {time.perf_counter() - t:.1f} s ({args.iterations} iterations)")
    document = PlanDocument.from_json(run.document)
    climate = load_climate(settings.climate_file, given.sea_areas, given.classes)

    def simulate(executor: Executor | None, replan: bool) -> tuple[dict[str, Any], float]:
        t0 = time.perf_counter()
        model = pipeline.risk_model(
            given,
            problem,
            document,
            climate,
            election_day=scenario.election_day,
            replan_breakdowns=replan,
        )
        times = mc.simulate(model, args.runs, args.seed, executor=executor)
        return mc.report(model, times, seed=args.seed), time.perf_counter() - t0

    results: list[tuple[str, dict[str, Any], float]] = []
    for replan in (False, True):
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            report, wall = simulate(pool, replan)
        label = f"pool x{args.workers}, " + ("re-plans" if replan else "no re-plans")
        results.append((label, report, wall))
    if not args.no_dask:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True) as cluster,
            Client(cluster) as client,
        ):
            for replan in (False, True):
                report, wall = simulate(client.get_executor(pure=False), replan)
                label = f"Dask x{args.workers}, " + ("re-plans" if replan else "no re-plans")
                results.append((label, report, wall))

    first = results[0][1]
    print()
    print(f"{args.runs} runs, seed {args.seed}; climate: {first['climate_source']}")
    head = f"{'district':<14}" + "".join(f"{label[:22]:>24}" for label, _, _ in results)
    print(head)
    print(f"{'':<14}" + "".join(f"{'on time / by H-5':>24}" for _ in results))
    for n, d in enumerate(first["districts"]):
        cells = "".join(
            f"{r['districts'][n]['on_time']:>15.1%} / {r['districts'][n]['by_h5']:>5.1%}"
            for _, r, _ in results
        )
        print(f"{d['district_name'] or d['district_code']:<14}{cells}")
    every = "".join(f"{r['every_district_on_time']:>24.1%}" for _, r, _ in results)
    print(f"{'all on time':<14}{every}")
    print(f"{'wall s':<14}" + "".join(f"{w:>24.1f}" for _, _, w in results))
    if len(results) == 4:
        same = [results[k][1] == results[k + 2][1] for k in (0, 1)]
        print(
            f"\nthe pool and Dask give the same report: {same[0]} (no re-plans), "
            f"{same[1]} (re-plans)"
        )


if __name__ == "__main__":
    main()
