"""Robust planning benchmark: today's plan and the robust plan side by side, under the bundled
climate and its rougher and calmer variants (routing.inputs.climate.VARIANTS).

Run: .venv/bin/python bench/robust.py [--target 0.95] [--iterations 300] [--runs 300]

For each climate: the robust search (routing.risk.robust: earlier planned deadlines, dispatched
vessels instead of sailings, more vessels, an earlier start, what helped combined; every
candidate simulated with --runs runs of seed 1, the same seas for all), then today's plan (the
scenario as it stands, the search's first candidate) and the plan chosen are each judged by
--judge-runs runs of seed 7, which neither the search nor its check used. Printed: per district
the chance on time of each, and beside the robust plan's its estimate in the search and the
check the answer claims by (1,000 runs of seed 2, the seas of neither); how many districts it
claims at the target (a standard error of the check above it) and how many of those the
judgement puts within two points of it; the
chance that every district is on time, ship-hours, cost (hire + fuel + freight), the districts
below the target with the best chance reached and what would reach it, and the wall time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import planning  # noqa: E402
from app.config import Settings  # noqa: E402
from routing import pipeline  # noqa: E402
from routing.inputs.climate import VARIANTS, load_climate, variant  # noqa: E402
from routing.inputs.scenario import load_scenario  # noqa: E402
from routing.risk import robust  # noqa: E402

JUDGE_SEED = 7


def judge(given, scenario, candidate, climate, runs: int) -> dict:
    """A candidate's plan under ``runs`` runs of a seed the search never used."""
    problem = pipeline.problem_for(
        given, robust.as_planned(scenario, candidate.run.document, given.vessels)
    )
    return pipeline.risk_report(
        given,
        problem,
        candidate.run.document,
        climate,
        election_day=scenario.election_day,
        runs=runs,
        seed=JUDGE_SEED,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default=str(ROOT / "data" / "scenarios" / "pemilu2024.toml"))
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--runs", type=int, default=300, help="runs per candidate in the search")
    ap.add_argument("--judge-runs", type=int, default=1000)
    ap.add_argument("--climates", default=",".join(VARIANTS))
    ap.add_argument(
        "--capacity-days", default="14-3", help="start days of the capacity table ('' to skip)"
    )
    args = ap.parse_args()
    settings = Settings()
    given = planning.inputs(settings)
    scenario = load_scenario(Path(args.scenario))
    bundled = load_climate(settings.climate_file, given.sea_areas, given.classes)
    for name in args.climates.split(","):
        climate = variant(bundled, name)
        started = time.monotonic()
        options = robust.Options(
            target=args.target, runs=args.runs, iterations=args.iterations, seed=1
        )
        result = robust.robust_plan(given, scenario, climate, options)
        search_s = time.monotonic() - started
        today = judge(given, scenario, result.baseline, climate, args.judge_runs)
        chosen = judge(given, scenario, result.chosen, climate, args.judge_runs)
        wall = time.monotonic() - started
        print(f"\n## climate: {name} ({climate.source.split(';')[0][:60]}...)")
        print(f"target {args.target:.0%}; {len(result.candidates)} plans tried in {search_s:.0f} s")
        print(f"robust plan: {robust._lever_text(result.chosen)}")
        print("\n| district | today | robust | robust, search | robust, check (claim) |")
        print("|---|---|---|---|---|")
        a = {d["district_code"]: d for d in today["districts"]}
        claim = {d["district_code"]: d["on_time"] for d in result.check["districts"]}
        searched = result.chosen.chances
        held = claimed = 0
        for d in chosen["districts"]:
            code = d["district_code"]
            mark = "" if d["on_time"] >= args.target else " (below)"
            if code not in {r["district_code"] for r in result.below_target}:
                claimed += 1
                held += d["on_time"] >= args.target - 0.02
            print(
                f"| {d['district_name']} | {a[code]['on_time']:.3f} | {d['on_time']:.3f}{mark} "
                f"| {searched[code]:.3f} | {claim[code]:.3f} |"
            )
        b, c = result.baseline, result.chosen
        kb, kc = b.run.document["kpis"], c.run.document["kpis"]
        every = today["every_district_on_time"], chosen["every_district_on_time"]
        print(f"| every district | {every[0]:.3f} | {every[1]:.3f} |")
        print(f"| ship-hours | {kb['ship_hours']:.1f} | {kc['ship_hours']:.1f} |")
        print(f"| cost (M IDR) | {b.cost_idr / 1e6:,.0f} | {c.cost_idr / 1e6:,.0f} |")
        starts = b.scenario.planning_start, c.scenario.planning_start
        print(f"| start | {starts[0]:%d %b %H:%M} | {starts[1]:%d %b %H:%M} |")
        for r in result.below_target:
            print(f"- {r['district_name']}: {r['why']}")
        judged = f"{args.judge_runs} runs, seed {JUDGE_SEED}"
        print(
            f"claimed at the target: {claimed} district(s); {held} of them at least "
            f"{args.target - 0.02:.2f} judged ({judged})"
        )
        print(f"wall time {wall:.0f} s (search and both judgements, {judged})")
        if args.capacity_days:
            a, b = (int(x) for x in args.capacity_days.split("-"))
            started = time.monotonic()
            cap, _ = robust.capacity_under_risk(
                given, scenario, climate, options, days_before=range(a, b - 1, -1)
            )
            print(f"\nlatest safe start (capacity under risk, fleet: {cap['fleet']}):")
            print("\n| district | latest safe start | chance then |")
            print("|---|---|---|")
            for d in cap["districts"]:
                k = d["latest_safe_days_before"]
                when = f"H-{k} ({d['latest_safe_start'][:10]})" if k else "none of the table"
                chance = f"{d['on_time_then']:.3f}" if k else "-"
                print(f"| {d['district_name']} | {when} | {chance} |")
            k = cap["latest_safe_days_before"]
            print(f"every district: {f'H-{k}' if k else 'no start of the table'}")
            rows = {}
            for c in cap["table"]:
                rows.setdefault(c["days_before"], {})[c["fleet"]] = c.get("every_district_on_time")
            fleets = [f["id"] for f in cap["fleets"]]
            print("\n| start | " + " | ".join(fleets) + " |")
            print("|---" * (len(fleets) + 1) + "|")
            for k, row in rows.items():
                cells = " | ".join("-" if row.get(f) is None else f"{row[f]:.3f}" for f in fleets)
                print(f"| H-{k} | {cells} |")
            print(f"capacity table: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
