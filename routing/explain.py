"""Why a village is not served: stable reason codes from deterministic checks.

Before solving, each consignment is checked against each vessel on its own: can the vessel's
class reach the landing from its home depot and back (``NO_SEA_PATH``), is the landing deep
enough where its depth is known (``DRAFT_TOO_DEEP``), does the consignment fit the vessel
(``DEMAND_EXCEEDS_CAPACITY``), and does the vessel, loading at its home depot and sailing to it
alone, hand it over before the deadline and within its availability (``DEADLINE_UNREACHABLE``).
A consignment no vessel passes is not given to the solver. One the solver leaves out although
some vessel passes every check is ``FLEET_EXHAUSTED`` when every such vessel is already used to
the end of its window or past the deadline, and ``TRADE_OFF`` otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from routing.domain import Consignment, Plan, Problem, Reason, Unassigned, Vessel
from routing.schedule import Clock
from routing.sea.matrix import Matrix
from routing.sea.weather import Weather
from routing.text import reason_messages
from routing.units import loading_seconds, unloading_seconds

ORDER = (
    "NO_SEA_PATH",
    "DRAFT_TOO_DEEP",
    "DEMAND_EXCEEDS_CAPACITY",
    "LANDING_CLOSED",
    "WEATHER_WINDOW_CLOSED",
    "DEADLINE_UNREACHABLE",
)
MESSAGES = reason_messages()
"""Each code's message as a plan carries it (from the text catalogue, ``routing.text``)."""


@dataclass(frozen=True)
class Check:
    """The first failing check of one vessel for one consignment (``None``: it passes)."""

    vessel_id: str
    code: str | None


def alone_finish_s(
    problem: Problem,
    matrix: Matrix,
    v: Vessel,
    c: Consignment,
    weather: Weather | None = None,
    *,
    closures: bool = True,
) -> float | None:
    """When ``v`` would finish ``c`` if it did nothing else (handed over, or for a return plan
    unloaded at the destination depot); ``None`` if it cannot get there and back."""
    vc = problem.classes[v.class_id]
    back = problem.direction == "return"
    home, landing = v.home_depot, c.landing_id
    i, j = matrix.index(home), matrix.index(landing)
    if not (matrix.reachable[i, j] and matrix.reachable[j, i]):
        return None
    open_problem = problem if closures else dataclasses.replace(problem, landing_closures=())
    clock = Clock(open_problem, vc, matrix, None)
    t: float = max(0, problem.seconds(v.available_from))
    t += 0 if back else loading_seconds(vc, c.weight_kg)
    there = _arrive(weather, vc.id, home, landing, t, float(matrix.duration_s[i, j]))
    ready = problem.seconds(c.ready) if c.ready else 0
    start = clock.open_at(landing, max(there, ready))
    if start == float("inf"):
        return start
    end = clock.light.work(
        start, unloading_seconds(vc, c.weight_kg, berth=problem.can_berth(vc, landing))
    )
    if not back:
        return end
    k = matrix.index(problem.depots[0])
    if not matrix.reachable[j, k]:
        return None
    home_again = _arrive(
        weather, vc.id, landing, problem.depots[0], end, float(matrix.duration_s[j, k])
    )
    return home_again + loading_seconds(vc, c.weight_kg)


def _arrive(weather: Weather | None, cid: str, a: str, b: str, t: float, duration: float) -> float:
    """When a leg left at ``t`` arrives: straight, after a weather hold, or around."""
    if weather is None:
        return t + duration
    go = weather.passage(cid, a, b, t, duration)
    return go.depart_s + go.duration_s


def check(
    problem: Problem,
    matrices: Mapping[str, Matrix],
    v: Vessel,
    c: Consignment,
    weather: Weather | None = None,
) -> Check:
    vc = problem.classes[v.class_id]
    matrix = matrices[vc.id]
    finish = alone_finish_s(problem, matrix, v, c, weather)
    depth = problem.depths_m.get(c.landing_id)
    if finish is None:
        return Check(v.id, "NO_SEA_PATH")
    if depth is not None and vc.draft_m > depth:
        return Check(v.id, "DRAFT_TOO_DEEP")
    if c.weight_kg > vc.capacity_kg or c.volume_m3 > vc.capacity_m3:
        return Check(v.id, "DEMAND_EXCEEDS_CAPACITY")
    latest = min(problem.seconds(c.deadline), problem.seconds(v.available_until))
    if finish > latest:
        calm = alone_finish_s(problem, matrix, v, c, None)
        if weather is not None and calm is not None and calm <= latest:
            return Check(v.id, "WEATHER_WINDOW_CLOSED")
        open_ = alone_finish_s(problem, matrix, v, c, None, closures=False)
        if open_ is not None and open_ <= latest and (calm is None or calm > latest):
            return Check(v.id, "LANDING_CLOSED")
        return Check(v.id, "DEADLINE_UNREACHABLE")
    return Check(v.id, None)


def precheck(
    problem: Problem, matrices: Mapping[str, Matrix], weather: Weather | None = None
) -> dict[str, tuple[Reason, ...]]:
    """Consignments no vessel can serve on its own, with a reason per failing check."""
    out: dict[str, tuple[Reason, ...]] = {}
    for c in problem.consignments:
        checks = [check(problem, matrices, v, c, weather) for v in problem.vessels]
        if any(ch.code is None for ch in checks):
            continue
        out[c.id] = _reasons(checks)
    return out


def _reasons(checks: list[Check]) -> tuple[Reason, ...]:
    return tuple(
        Reason(code, MESSAGES[code], tuple(ch.vessel_id for ch in checks if ch.code == code))
        for code in ORDER
        if any(ch.code == code for ch in checks)
    )


def after_solve(
    problem: Problem,
    matrices: Mapping[str, Matrix],
    plan: Plan,
    cid: str,
    weather: Weather | None = None,
) -> tuple[Reason, ...]:
    """The reason for a consignment that passed the checks but is not in the plan."""
    c = next(x for x in problem.consignments if x.id == cid)
    checks = [check(problem, matrices, v, c, weather) for v in problem.vessels]
    if all(ch.code is not None for ch in checks):
        return _reasons(checks)  # a vessel became unable (weather holds, a re-plan's state)
    able = [ch.vessel_id for ch in checks if ch.code is None]
    busy = []
    for v in plan.voyages:
        if v.vessel_id in able and v.stops[-1].arrival >= c.deadline:
            busy.append(v.vessel_id)
    code = "FLEET_EXHAUSTED" if able and set(busy) == set(able) else "TRADE_OFF"
    return (Reason(code, MESSAGES[code], tuple(able)),)


def unassigned_villages(
    problem: Problem, reasons: Mapping[str, tuple[Reason, ...]]
) -> tuple[Unassigned, ...]:
    """Group unserved consignments by village, merging their reasons."""
    by_village: dict[str, list[Consignment]] = {}
    for c in problem.consignments:
        if c.id in reasons:
            by_village.setdefault(c.village_code, []).append(c)
    out = []
    for code in sorted(by_village):
        cons = by_village[code]
        merged: dict[str, Reason] = {}
        for c in cons:
            for r in reasons[c.id]:
                if r.code in merged:
                    vessels = tuple(dict.fromkeys(merged[r.code].vessels + r.vessels))
                    merged[r.code] = Reason(r.code, r.message, vessels)
                else:
                    merged[r.code] = r
        out.append(
            Unassigned(
                code, tuple(c.id for c in cons), sum(c.tps for c in cons), tuple(merged.values())
            )
        )
    return tuple(out)
