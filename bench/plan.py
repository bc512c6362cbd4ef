"""Plan benchmark: our plan against the hand-made plan and OR-Tools on the same inputs.

Run: .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/plan.py [--seconds 30] [--seed 1]

(a) hand-made: what planners do today, one dedicated voyage per island district from Kalianget on
    the fastest vessel that carries the district's whole load (voyages of one vessel run one
    after another, earliest deadline first; landings in nearest-neighbour order);
(b) OR-Tools routing with the same matrices, capacities, service times, deadlines, vessel
    windows and time budget; reloads at the home depot as optional depot copies;
(c) ours (PyVRP through routing.planner), every vessel dispatched;
(d) two echelons with the scenario's timetable: scheduled sailings to the island hubs, local boats
    and roads from there, dispatched vessels for the rest (routing.echelon);
(e) the same, with OR-Tools routing the dispatched part (it cannot book sailings itself: it is
    given the same bookings, local boats and roads).
Every plan is timed by the same schedule (loading, daylight handovers) and scored the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import planning  # noqa: E402
from app.config import Settings  # noqa: E402
from routing import pipeline  # noqa: E402
from routing.domain import (  # noqa: E402  # noqa: E402
    Budget,
    Plan,
    Problem,
    SolvedRoute,
    SolvedTrip,
)
from routing.inputs.scenario import load_scenario  # noqa: E402
from routing.schedule import kpis, lateness_s, make_voyage  # noqa: E402
from routing.sea.matrix import Matrix  # noqa: E402
from routing.solver import _edge_cost, service_seconds  # noqa: E402

DATA = ROOT / "data"


def score(
    problem: Problem, routes: tuple[SolvedRoute, ...], matrices: Mapping[str, Matrix]
) -> dict[str, object]:
    """Time routes made elsewhere with our schedule and score them like our own plans."""
    voyages, delivered = [], {}
    for r in routes:
        v, d = make_voyage(problem, r, matrices)
        voyages.append(v)
        delivered.update(d)
    return score_plan(Plan("completed", problem, tuple(voyages), (), delivered, 0.0, 0, "", 0))


def hand_made(problem: Problem, matrices: Mapping[str, Matrix]) -> tuple[SolvedRoute, ...]:
    districts: dict[str, list] = {}
    for c in problem.consignments:
        districts.setdefault(c.district_code, []).append(c)
    trips: dict[str, list[SolvedTrip]] = {}
    order = sorted(districts, key=lambda d: (min(c.deadline for c in districts[d]), d))
    for d in order:
        cons = districts[d]
        kg, m3 = sum(c.weight_kg for c in cons), sum(c.volume_m3 for c in cons)
        able = [
            v
            for v in problem.vessels
            if problem.classes[v.class_id].capacity_kg >= kg
            and problem.classes[v.class_id].capacity_m3 >= m3
            and v.home_depot == "kalianget"
        ]
        if not able:
            continue
        vessel = max(able, key=lambda v: (problem.classes[v.class_id].speed_kn, v.id))
        m = matrices[vessel.class_id]
        here, left, seq = "kalianget", list(cons), []
        while left:  # nearest neighbour over landings
            nxt = min(
                left, key=lambda c: (m.distance_m[m.index(here), m.index(c.landing_id)], c.id)
            )
            same = [c for c in left if c.landing_id == nxt.landing_id]
            seq += [c.id for c in same]
            left = [c for c in left if c.landing_id != nxt.landing_id]
            here = nxt.landing_id
        trips.setdefault(vessel.id, []).append(SolvedTrip("kalianget", tuple(seq), "kalianget"))
    return tuple(SolvedRoute(v, tuple(t)) for v, t in trips.items())


def ortools_plan(
    problem: Problem, matrices: Mapping[str, Matrix], *, seconds: float, trips_per_vessel: int
) -> tuple[SolvedRoute, ...]:
    """OR-Tools routing on the same model; reloads as optional depot copies (its reload idiom)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    depots = list(problem.depots)
    cons = list(problem.consignments)
    vessels = list(problem.vessels)
    reloads = [(k, v) for k, v in enumerate(vessels) for _ in range(trips_per_vessel - 1)]
    places = depots + [c.landing_id for c in cons] + [v.home_depot for _, v in reloads]
    first_reload = len(depots) + len(cons)
    n = len(places)
    starts = [depots.index(v.home_depot) for v in vessels]
    manager = pywrapcp.RoutingIndexManager(n, len(vessels), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    service = [0] * len(depots) + [service_seconds(problem, c) for c in cons] + [0] * len(reloads)
    big = 10**9

    def arrays(cid: str) -> tuple[list[list[int]], list[list[int]]]:
        m = matrices[cid]
        idx = [m.index(p) for p in places]
        dist = [[int(m.distance_m[a, b]) if m.reachable[a, b] else big for b in idx] for a in idx]
        dur = [[int(m.duration_s[a, b]) if m.reachable[a, b] else big for b in idx] for a in idx]
        return dist, dur

    time_cb, cost_cb = {}, {}
    for cid in problem.classes:
        dist, dur = arrays(cid)
        per_m, per_s = _edge_cost(problem, problem.classes[cid])

        def t(i: int, j: int, dur=dur) -> int:
            a, b = manager.IndexToNode(i), manager.IndexToNode(j)
            return dur[a][b] + service[a]

        def c(i: int, j: int, dist=dist, dur=dur, per_m=per_m, per_s=per_s) -> int:
            a, b = manager.IndexToNode(i), manager.IndexToNode(j)
            return per_m * dist[a][b] + per_s * (dur[a][b] + service[a])

        time_cb[cid] = routing.RegisterTransitCallback(t)
        cost_cb[cid] = routing.RegisterTransitCallback(c)
    for k, v in enumerate(vessels):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[v.class_id], k)
    horizon = max(problem.seconds(v.available_until) for v in vessels)
    routing.AddDimensionWithVehicleTransits(
        [time_cb[v.class_id] for v in vessels], horizon, horizon, False, "time"
    )
    tdim = routing.GetDimensionOrDie("time")
    for name, scale, cap_field in (("kg", 1, "capacity_kg"), ("litres", 1000, "capacity_m3")):
        caps = [int(getattr(problem.classes[v.class_id], cap_field) * scale) for v in vessels]
        demand = (
            [0] * len(depots)
            + [
                int(getattr(c, "weight_kg" if name == "kg" else "volume_m3") * scale + 0.999)
                for c in cons
            ]
            + [-caps[k] for k, _ in reloads]
        )
        cb = routing.RegisterUnaryTransitCallback(lambda i, d=demand: d[manager.IndexToNode(i)])
        routing.AddDimensionWithVehicleCapacity(cb, max(caps), caps, True, name)
        dim = routing.GetDimensionOrDie(name)
        for node in range(len(depots), first_reload):
            dim.SlackVar(manager.NodeToIndex(node)).SetValue(0)
    for j, c in enumerate(cons):
        node = manager.NodeToIndex(len(depots) + j)
        tdim.CumulVar(node).SetRange(
            0, max(0, problem.seconds(c.deadline) - service[len(depots) + j])
        )
        routing.AddDisjunction([node], 10**12)
    for r, (k, _) in enumerate(reloads):
        node = manager.NodeToIndex(first_reload + r)
        routing.VehicleVar(node).SetValues([-1, k])
        routing.AddDisjunction([node], 0)
    for k, v in enumerate(vessels):
        tdim.CumulVar(routing.Start(k)).SetMin(max(0, problem.seconds(v.available_from)))
        tdim.CumulVar(routing.End(k)).SetMax(problem.seconds(v.available_until))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return ()
    out = []
    for k, v in enumerate(vessels):
        i, trips, seq = routing.Start(k), [], []
        while not routing.IsEnd(i):
            node = manager.IndexToNode(i)
            if len(depots) <= node < first_reload:
                seq.append(cons[node - len(depots)].id)
            elif node >= first_reload and seq:
                trips.append(SolvedTrip(v.home_depot, tuple(seq), v.home_depot))
                seq = []
            i = sol.Value(routing.NextVar(i))
        if seq:
            trips.append(SolvedTrip(v.home_depot, tuple(seq), v.home_depot))
        if trips:
            out.append(SolvedRoute(v.id, tuple(trips)))
    return tuple(out)


NAVY_CLASSES = ("lst_teluk_bintuni", "pc40", "kal28")
"""The classes of data/fleet.toml that are TNI AL ships (the fallback a planner wants to spare)."""


def two_echelon_ortools(
    plan: Plan, matrices: Mapping[str, Matrix], *, seconds: float, trips_per_vessel: int
) -> Plan:
    """The two-echelon plan with its dispatched part routed by OR-Tools instead: the same
    bookings, local boats and roads; OR-Tools takes the consignments no sailing carries."""
    problem = plan.problem
    riding = {c for b in plan.sailings for h in b.loads for c in h.consignments}
    rest = dataclasses.replace(
        problem,
        vessels=problem.dispatched,
        consignments=tuple(c for c in problem.consignments if c.id not in riding),
        hubs=(),
        sailings=(),
    )
    routes = ortools_plan(rest, matrices, seconds=seconds, trips_per_vessel=trips_per_vessel)
    voyages, delivered = [], {}
    for r in routes:
        v, d = make_voyage(rest, r, matrices)
        voyages.append(v)
        delivered.update(d)
    hubs = {h.landing_id for h in problem.hubs}
    homes = {v.id: v.home_depot for v in problem.vessels}
    local = [v for v in plan.voyages if homes[v.vessel_id] in hubs]
    done = {c for v in local for s in v.stops if s.kind == "landing" for c in s.consignments}
    delivered |= {c: t for c, t in plan.delivered.items() if c in done}
    delivered |= {o.consignment: o.arrive for o in plan.onward}
    return dataclasses.replace(
        plan, voyages=tuple(voyages) + tuple(local), delivered=delivered, unassigned=()
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", type=Path, default=DATA / "scenarios" / "pemilu2024.toml")
    ap.add_argument("--seconds", type=float, default=Budget.DEFAULT_S)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trips-per-vessel", type=int, default=12)
    args = ap.parse_args()
    given = planning.inputs(Settings(data_dir=DATA, cache_dir=ROOT / "var" / "cache"))
    scenario = load_scenario(args.scenario)
    problem = pipeline.problem_for(given, scenario.all_dispatched())
    matrices, _ = pipeline.sea(given, problem)
    rows = {
        "hand-made (1 voyage per district)": score(problem, hand_made(problem, matrices), matrices)
    }
    t0 = time.perf_counter()
    rows[f"all dispatched, OR-Tools GLS {args.seconds:.0f} s"] = score(
        problem,
        ortools_plan(
            problem, matrices, seconds=args.seconds, trips_per_vessel=args.trips_per_vessel
        ),
        matrices,
    )
    t_ort = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = pipeline.plan(given, problem, seed=args.seed, seconds=args.seconds).plan
    t_ours = time.perf_counter() - t0
    rows[f"all dispatched, ours (PyVRP) {args.seconds:.0f} s"] = score_plan(plan)
    timing = f"OR-Tools took {t_ort:.1f} s, ours {t_ours:.1f} s"
    if scenario.timetable:
        two = pipeline.problem_for(given, scenario)
        t0 = time.perf_counter()
        echelons = pipeline.plan(given, two, seed=args.seed, seconds=args.seconds).plan
        timing += f", two echelons {time.perf_counter() - t0:.1f} s"
        rows[f"two echelons ({two.timetable}), ours {args.seconds:.0f} s"] = score_plan(echelons)
        two_matrices, _ = pipeline.sea(given, two)
        rows["two echelons, OR-Tools for the dispatched part"] = score_plan(
            two_echelon_ortools(
                echelons,
                two_matrices,
                seconds=args.seconds,
                trips_per_vessel=args.trips_per_vessel,
            )
        )
    print(
        f"Scenario {problem.name}: {len(problem.consignments)} consignments, "
        f"{len(problem.vessels)} dispatchable vessels; {timing}\n"
    )
    cols = [
        "feasible",
        "served",
        "late",
        "cost_m_idr",
        "ship_hours",
        "navy_hours",
        "least_margin_h",
        "by_sailing",
        "vessels",
    ]
    width = max(len(k) for k in rows)
    print(f"{'plan':<{width}}  " + "  ".join(f"{c:>14}" for c in cols))
    for name, r in rows.items():
        print(f"{name:<{width}}  " + "  ".join(f"{r[c]!s:>14}" for c in cols))
    print(
        "\ncost_m_idr: hire (cost per hour) + fuel (cost per nm) + the sailings' freight, million "
        "rupiah; navy_hours: ship-hours of the TNI AL classes; by_sailing: share of TPS whose "
        "kits ride a scheduled sailing"
    )


def score_plan(plan: Plan) -> dict[str, object]:
    """The table's columns, from the same KPIs as plan.json."""
    k = kpis(plan)
    late = lateness_s(plan.problem, plan.delivered)
    navy_s = sum(
        (v.stops[-1].departure - v.stops[0].work_start).total_seconds()
        for v in plan.voyages
        if v.class_id in NAVY_CLASSES
    )
    cost = k["fuel_cost_idr"] + k["ship_time_cost_idr"] + k["freight_idr"]
    total = len(plan.problem.consignments)
    served = len(plan.delivered)
    return {
        "feasible": "yes" if served == total and not late else "no",
        "served": f"{served}/{total}",
        "late": str(len(late)),
        "ship_hours": f"{k['ship_hours']:.1f}",
        "navy_hours": f"{navy_s / 3600:.1f}",
        "cost_m_idr": f"{cost / 1e6:.1f}",
        "by_sailing": f"{k['tps_by_sailing'] / max(1, k['tps_total']):.0%}",
        "least_margin_h": "" if k["min_margin_h"] is None else f"{k['min_margin_h']:.1f}",
        "vessels": str(k["vessels_used"]),
    }


if __name__ == "__main__":
    main()
