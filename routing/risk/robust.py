"""Plans that hold: the cheapest plan whose simulated chance of delivery by the deadline reaches
a target in every district.

No routing engine takes uncertain sailing times, so this is the published pattern that works
(sample average approximation, plan with buffers and check by Monte Carlo): a deterministic
solve (``routing.pipeline.plan``) wrapped in the risk simulation (``routing.risk``). Every
candidate is simulated with the same seed from the same first day, so candidates meet the same
sampled seas (common random numbers) and differ by what they do, not by the luck of the draw.

The levers, in the order a planner pulls them:

1. **buffers**: a district below the target is planned for an earlier deadline (by how late its
   completion runs at the target's percentile, 6 to 24 hours a round): the solver then serves it
   earlier, far and exposed islands first, and books it an earlier sailing; a district at the
   target keeps the time its plan served it by as its deadline (plus ``PIN_SLACK_H``), so that
   serving the others earlier does not push it later;
2. **dispatch**: in a two-echelon plan, a district below the target whose kits ride scheduled
   sailings goes by dispatched vessels instead (its hub no longer serves it);
3. **vessels**: one more vessel of the fleet file the scenario does not use, the one that helps
   most, up to ``Options.extra_vessels``;
4. **start**: an earlier start, a day at a time, up to ``Options.earlier_days``;
5. **combined**: where the target is still not met, every lever that helped a district below it
   at once: on the best candidate, the districts dispatched that reached more by it, the vessels
   and the earliest start of the candidates that raised a district's chance, and each such
   district planned for the deadline of the candidate that gave it its best chance.

Each lever starts from the best candidate so far. The answer is the cheapest candidate that
reaches the target in every district (cost: hire, fuel and freight); where none does, the one
that reaches it in most districts, and per district the best chance any candidate reached and
the levers with which it reached the target.

**Checked on other seas.** The chances a search compares are estimates from ``Options.runs``
runs, and the candidate chosen is the one whose estimates came out best, so they flatter it
(the winner's curse of sample average approximation: at 300 runs a district that comes out at
96 % may hold 93 % on other seas). So the search counts a district at the target only at the
target plus ``Options.margin_se`` standard errors of its estimate, and the answer's chances
are not the search's: the chosen plan is simulated again on seas the search never met
(``Options.check_runs`` runs of ``Options.check_seed``), and a district is said to reach the
target only where that check says so. Where the check puts a district below it, the next
cheapest candidate that met the target in the search is checked (up to ``CHECKS``); where none
holds, the best by the search is checked, and so are the candidates whose estimates put a
district it leaves below the target at the target (up to ``REACH_CHECKS``): the cheapest of
those that holds everywhere is the answer, else the best by the search, with what would reach
the target per district said by the checks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from routing import pipeline
from routing.errors import RoutingError
from routing.inputs import Inputs
from routing.inputs.climate import Climate
from routing.inputs.scenario import Scenario

STEP_H = (6.0, 24.0)  # a district's deadline moves this much earlier per round, at most
EARLIEST_AFTER_START_H = 12.0  # a deadline is never planned earlier than this after the start
PIN_SLACK_H = 2.0  # a district at the target is planned for no later than it was served, plus this
CHECKS = 3  # candidates that met the target in the search checked on other seas, at most
REACH_CHECKS = 6  # candidates that may reach a district below the target checked, at most
CHECK_RUNS = 1000  # runs of the check on other seas, unless asked otherwise


@dataclass(frozen=True)
class Options:
    """How hard robust planning tries.

    ``seed`` and ``iterations``/``seconds`` are the solver's; ``runs`` and ``sim_seed`` the risk
    simulation's, the same for every candidate (common random numbers); ``check_runs`` and
    ``check_seed`` (default ``sim_seed + 1``) the simulation that checks the plan chosen on seas
    the search never met; ``margin_se`` how many standard errors above the target a district's
    estimate must be for the search to count it at the target."""

    target: float
    runs: int = 300
    sim_seed: int = 1
    check_runs: int = CHECK_RUNS
    check_seed: int | None = None
    margin_se: float = 1.0
    seed: int = 0
    iterations: int | None = None
    seconds: float | None = None
    rounds: int = 6  # buffer rounds at most
    extra_vessels: int = 2  # vessels of the fleet file added at most
    earlier_days: int = 3  # days the start may move earlier at most
    breakdowns: bool = True

    @property
    def seed_of_check(self) -> int:
        """The check's seed: ``check_seed``, else the one after the search's."""
        return self.sim_seed + 1 if self.check_seed is None else self.check_seed

    @property
    def bar(self) -> float:
        """The chance a district's estimate over ``runs`` runs must reach for the search to
        count it at the target: the target plus ``margin_se`` standard errors (at most 1)."""
        return _bar(self.target, self.runs, self.margin_se)

    @property
    def check_bar(self) -> float:
        """The same over the check's ``check_runs`` runs: the chance a district's check must
        reach for the answer to claim it at the target. Several candidates may be checked
        before one holds, so the check is a selection too, and gets the same margin."""
        return _bar(self.target, self.check_runs, self.margin_se)


def _chances(report: Mapping[str, Any]) -> dict[str, float]:
    """A risk report's chance on time per district."""
    return {d["district_code"]: d["on_time"] for d in report["districts"]}


def _holds(c: Candidate, chances: Mapping[str, float], bar: float) -> bool:
    """Every village of ``c`` served and every district's chance at least ``bar``."""
    return not c.unserved and all(x >= bar for x in chances.values())


def _bar(target: float, runs: int, margin_se: float) -> float:
    """``target`` plus ``margin_se`` standard errors of a share estimated over ``runs`` runs."""
    return min(1.0, target + margin_se * math.sqrt(target * (1 - target) / max(runs, 1)))


@dataclass(frozen=True, eq=False)  # one candidate is itself: found by identity, never by value
class Candidate:
    """One plan tried: which lever made it, the scenario it was planned from, the plan, its
    simulated report and its cost."""

    lever: str  # plan, buffers, dispatch, vessels, start, combined
    detail: dict[str, Any]
    scenario: Scenario
    run: pipeline.PlanRun
    report: dict[str, Any]

    @property
    def chances(self) -> dict[str, float]:
        return _chances(self.report)

    @property
    def cost_idr(self) -> int:
        k = self.run.document["kpis"]
        return int(k["fuel_cost_idr"] + k["ship_time_cost_idr"] + k.get("freight_idr", 0))

    @property
    def unserved(self) -> set[str]:
        return {u["district_code"] for u in self.run.document["unassigned"]}

    def meets(self, target: float) -> bool:
        return _holds(self, self.chances, target)

    def score(self, target: float) -> tuple[bool, int, float, float, int]:
        """Every village served, the districts at the target, the least chance, the mean
        chance, then the cheaper: a plan that leaves a district unserved (its deadline planned
        too early to meet) is never preferred to one that serves it."""
        c = list(self.chances.values()) or [0.0]
        served = not self.unserved
        return served, sum(x >= target for x in c), min(c), sum(c) / len(c), -self.cost_idr

    def summary(self, target: float) -> dict[str, Any]:
        k = self.run.document["kpis"]
        return {
            "lever": self.lever,
            "detail": self.detail,
            "cost_idr": self.cost_idr,
            "ship_hours": k["ship_hours"],
            "every_district_on_time": self.report["every_district_on_time"],
            "least_on_time": min(self.chances.values(), default=None),
            "meets_target": self.meets(target),
            "planning_start": self.scenario.planning_start.isoformat(),
            "vessels": list(self.scenario.vessel_ids),
        }


@dataclass
class Result:
    """The candidate chosen, every candidate tried (the first is the plan as the scenario
    stands), the reports of those checked on other seas (by index; the chosen one always), and
    per district the check does not claim at the target what was reached and what would reach
    it."""

    chosen: Candidate
    candidates: list[Candidate]
    checks: dict[int, dict[str, Any]]
    options: Options
    below_target: list[dict[str, Any]] = field(default_factory=list)
    vessel_names: dict[str, str] = field(default_factory=dict)  # every candidate's vessels

    @property
    def baseline(self) -> Candidate:
        return self.candidates[0]

    @property
    def check(self) -> dict[str, Any]:
        """The chosen plan's risk report on seas the search never met."""
        return self.checks[self.candidates.index(self.chosen)]

    def tried(self) -> list[dict[str, Any]]:
        """Every candidate's summary (the search's estimates, at the search's bar), with its
        check (at the check's bar) where it was checked."""
        out = []
        for i, c in enumerate(self.candidates):
            row = c.summary(self.options.bar)
            if i in self.checks:
                chances = _chances(self.checks[i])
                row["check"] = {
                    "every_district_on_time": self.checks[i]["every_district_on_time"],
                    "least_on_time": min(chances.values(), default=None),
                    "meets_target": _holds(c, chances, self.options.check_bar),
                }
            out.append(row)
        return out

    def _runs(self) -> dict[str, Any]:
        """The search's runs and seed, its bar; the check's."""
        o = self.options
        return {
            "runs": self.chosen.report["runs"],
            "seed": self.chosen.report["seed"],
            "bar": round(o.bar, 4),
            "check_runs": self.check["runs"],
            "check_seed": self.check["seed"],
            "check_bar": round(o.check_bar, 4),
        }

    def summary(self, climate: str) -> dict[str, Any]:
        """The search as the plan document carries it (``PlanDocument.robust``): the chosen
        plan's chances are the check's, each beside its estimate in the search."""
        r = self.check
        searched = self.chosen.chances
        return {
            "target_on_time": self.options.target,
            "climate": climate,
            **self._runs(),
            "chosen": self.candidates.index(self.chosen),
            "every_district_on_time": r["every_district_on_time"],
            "districts": [
                {
                    **{k: d[k] for k in ("district_code", "district_name", "on_time", "by_h5")},
                    "searched": searched.get(d["district_code"]),
                }
                for d in r["districts"]
            ],
            "candidates": self.tried(),
            "below_target": self.below_target,
            "vessel_names": self.vessel_names,
        }

    def report(self) -> dict[str, Any]:
        """The chosen plan's risk report (the check's: its ``runs`` and ``seed`` are the
        check's) with the robust search beside it."""
        out = dict(self.check)
        out["target_on_time"] = self.options.target
        out["robust"] = {
            **self._runs(),
            "chosen": self.candidates.index(self.chosen),
            "searched": self.chosen.chances,
            "candidates": self.tried(),
        }
        out["below_target"] = self.below_target
        return out


class _Search:
    """The state of one robust search: the inputs, the seas every candidate meets, the
    candidates so far."""

    def __init__(
        self,
        inputs: Inputs,
        scenario: Scenario,
        climate: Climate,
        options: Options,
        executor: Executor | None,
        progress: Callable[[str], object] | None,
    ) -> None:
        self.inputs = inputs
        self.scenario = scenario
        self.climate = climate
        self.options = options
        self.executor = executor
        self.progress = progress
        # The seas are drawn from the earliest start any candidate may take.
        self.weather_from: date = (
            scenario.planning_start - timedelta(days=options.earlier_days)
        ).date()
        self.candidates: list[Candidate] = []
        self.checks: dict[int, dict[str, Any]] = {}  # candidate index: its report on other seas

    def judge(self, lever: str, detail: dict[str, Any], scenario: Scenario) -> Candidate:
        """Plan ``scenario`` and simulate it against the scenario's own deadlines."""
        o = self.options
        run = pipeline.plan(
            self.inputs,
            pipeline.problem_for(self.inputs, scenario),
            seed=o.seed,
            seconds=o.seconds,
            iterations=o.iterations,
        )
        judged = pipeline.problem_for(
            self.inputs, dataclasses.replace(scenario, deadlines=dict(self.scenario.deadlines))
        )
        report = pipeline.risk_report(
            self.inputs,
            judged,
            run.document,
            self.climate,
            election_day=scenario.election_day,
            runs=o.runs,
            seed=o.sim_seed,
            breakdowns=o.breakdowns,
            weather_from=self.weather_from,
            executor=self.executor,
        )
        found = Candidate(lever, detail, scenario, run, report)
        self.candidates.append(found)
        if self.progress is not None:
            below = sum(c < o.bar for c in found.chances.values())
            self.progress(
                f"plan {len(self.candidates)} ({lever}): {below} district(s) below "
                f"{100 * o.bar:.1f}% on time"
            )
        return found

    def check(self, c: Candidate) -> dict[str, Any]:
        """``c``'s risk report on seas the search never met (``Options.check_runs`` runs of
        ``Options.seed_of_check``), against the scenario's own deadlines: drawn from the plan's
        own start, as ``ballot-routing risk --plan PLAN --runs N --seed K`` draws them, so that
        anyone can run the check again."""
        i = self.candidates.index(c)
        if i not in self.checks:
            o = self.options
            judged = pipeline.problem_for(
                self.inputs,
                dataclasses.replace(c.scenario, deadlines=dict(self.scenario.deadlines)),
            )
            self.checks[i] = pipeline.risk_report(
                self.inputs,
                judged,
                c.run.document,
                self.climate,
                election_day=c.scenario.election_day,
                runs=o.check_runs,
                seed=o.seed_of_check,
                breakdowns=o.breakdowns,
                executor=self.executor,
            )
            if self.progress is not None:
                low = [d for d in self.checks[i]["districts"] if d["on_time"] < o.check_bar]
                self.progress(
                    f"plan {i + 1} checked on {o.check_runs} other runs: {len(low)} district(s) "
                    f"below {100 * o.check_bar:.1f}% on time"
                )
        return self.checks[i]

    def checked(self, c: Candidate) -> dict[str, float]:
        """``c``'s chance per district on other seas (``check``)."""
        return _chances(self.check(c))

    def chance(self, c: Candidate, code: str) -> tuple[float, bool]:
        """``c``'s chance for district ``code``: the check's where ``c`` was checked, else the
        search's; and whether it was checked."""
        if self.candidates.index(c) not in self.checks:
            return c.chances.get(code, 0.0), False
        return self.checked(c).get(code, 0.0), True

    def best(self) -> Candidate:
        """The cheapest candidate at the target in every district (the search's estimates, at
        ``Options.bar``), else the best by ``Candidate.score``."""
        bar = self.options.bar
        meeting = [c for c in self.candidates if c.meets(bar)]
        if meeting:
            return min(meeting, key=lambda c: (c.cost_idr, self.candidates.index(c)))
        return max(self.candidates, key=lambda c: c.score(bar))

    def below(self, c: Candidate) -> list[dict[str, Any]]:
        return [d for d in c.report["districts"] if d["on_time"] < self.options.bar]

    def choose(self) -> Candidate:
        """The cheapest candidate that met the target in the search and holds it on other seas
        (up to ``CHECKS`` checked, cheapest first). Where none holds: the best by the search is
        checked, and so are the candidates whose estimates put a district it leaves below the
        target at the target (up to ``REACH_CHECKS``); the cheapest of those checked that holds
        everywhere, else the best by the search. At most ``CHECKS + 1 + REACH_CHECKS`` checks."""
        o = self.options
        meeting = sorted(
            (c for c in self.candidates if c.meets(o.bar)),
            key=lambda c: (c.cost_idr, self.candidates.index(c)),
        )
        for c in meeting[:CHECKS]:
            if self.holds(c):
                return c
        chosen = max(self.candidates, key=lambda c: c.score(o.bar))
        # A candidate at the target for a district the check puts below it, by the search's
        # estimate, is checked too (the likeliest first, up to REACH_CHECKS), so that what would
        # reach the target is said by other seas as well; one that holds everywhere is taken.
        below = [d["district_code"] for d in self.check(chosen)["districts"]
                 if d["on_time"] < o.check_bar]  # fmt: skip
        hopes: dict[int, float] = {}
        for i, c in enumerate(self.candidates):
            for code in below:
                chance = c.chances.get(code, 0.0)
                if i not in self.checks and chance >= o.target and code not in c.unserved:
                    hopes[i] = max(hopes.get(i, 0.0), chance)
        for i in sorted(hopes, key=lambda i: (-hopes[i], i))[:REACH_CHECKS]:
            self.check(self.candidates[i])
        holding = [self.candidates[i] for i in self.checks if self.holds(self.candidates[i])]
        if holding:
            return min(holding, key=lambda c: (c.cost_idr, self.candidates.index(c)))
        return chosen

    def holds(self, c: Candidate) -> bool:
        """Every village served and every district at the target on other seas (``check``,
        at ``Options.check_bar``)."""
        return _holds(c, self.checked(c), self.options.check_bar)


def robust_plan(
    inputs: Inputs,
    scenario: Scenario,
    climate: Climate,
    options: Options,
    *,
    executor: Executor | None = None,
    progress: Callable[[str], object] | None = None,
) -> Result:
    """The cheapest plan found whose chance on time reaches ``options.target`` in every district
    (see the module's text for the levers), or the best one and why not."""
    s = _Search(inputs, scenario, climate, options, executor, progress)
    s.judge("plan", {}, scenario)
    for lever in (_buffers, _dispatch, _vessels, _start, _combine):
        if s.best().meets(options.bar):
            break
        lever(s)
    chosen = s.choose()
    ids = sorted({v for c in s.candidates for v in c.scenario.vessel_ids})
    names = {v: inputs.vessels[v].name for v in ids if v in inputs.vessels}
    below = _why_below(s, chosen)
    return Result(
        chosen, s.candidates, s.checks, options, below, {k: v for k, v in names.items() if v}
    )


def _late_by_h(district: dict[str, Any], target: float) -> float:
    """How many hours past its deadline the district's completion runs at the target's
    percentile (from its histogram of hours against the deadline)."""
    h = district["histogram"]
    total = h["before"] + sum(h["counts"]) + h["after"] + h["not_delivered"]
    need, seen = target * total, h["before"]
    for edge, count in zip(h["edges_h"][1:], h["counts"], strict=False):
        seen += count
        if seen >= need:
            return max(0.0, float(edge))
    return float(h["edges_h"][-1])


def _buffers(s: _Search) -> None:
    """Plan each district below the target for an earlier deadline, round after round, while
    one moves; a deadline too early to serve goes back to the last one served, and stays."""
    o = s.options
    start = s.best()
    codes = [d["district_code"] for d in start.report["districts"]]
    original = {code: s.scenario.deadline_for(code) for code in codes}
    current = dict(start.scenario.deadlines)
    fixed: set[str] = set()
    served_at: dict[str, datetime] = {}
    last = start
    for round_no in range(1, o.rounds + 1):
        for code in original.keys() - last.unserved:
            served_at[code] = current.get(code, original[code])
        moved = False
        served_by = {
            k["district_code"]: datetime.fromisoformat(k["delivered_by"])
            for k in last.run.document["kpis"]["districts"]
            if k["delivered_by"]
        }
        for code, chance in last.chances.items():  # at the target: pinned where it was served
            if chance >= o.bar and code in served_by and code not in last.unserved:
                pin = served_by[code] + timedelta(hours=PIN_SLACK_H)
                if pin < current.get(code, original[code]):
                    current[code] = pin
        for d in s.below(last):
            code = d["district_code"]
            deadline = current.get(code, original[code])
            if code in last.unserved:
                if code in served_at and served_at[code] != deadline and code not in fixed:
                    current[code] = served_at[code]  # too early to serve: back, and stay
                    fixed.add(code)
                    moved = True
                continue
            if code in fixed:
                continue
            step = min(STEP_H[1], max(STEP_H[0], _late_by_h(d, o.bar)))
            earliest = start.scenario.planning_start + timedelta(hours=EARLIEST_AFTER_START_H)
            new = max(earliest, deadline - timedelta(hours=step))
            if new < deadline:
                current[code] = new
                moved = True
        if not moved:
            return
        planned_for = {k: v.isoformat() for k, v in sorted(current.items()) if v != original.get(k)}
        tried = dataclasses.replace(start.scenario, deadlines=dict(current))
        last = s.judge("buffers", {"round": round_no, "planned_for": planned_for}, tried)
        if last.meets(o.bar):
            return


def _dispatch(s: _Search) -> None:
    """A two-echelon plan: the districts below the target whose kits ride sailings go by
    dispatched vessels instead."""
    best = s.best()
    if not best.scenario.hubs or not best.run.document.get("sailings"):
        return
    riding = {
        item["district_code"]
        for b in best.run.document["sailings"]
        for load in b["loads"]
        for item in load["manifest"]
    }
    moved = sorted({d["district_code"] for d in s.below(best)} & riding)
    if not moved:
        return
    hubs = tuple(
        dataclasses.replace(h, districts=tuple(d for d in h.districts if d not in moved))
        for h in best.scenario.hubs
    )
    hubs = tuple(h for h in hubs if h.districts)
    detail = {**best.detail, "districts": sorted({*best.detail.get("districts", ()), *moved})}
    s.judge("dispatch", detail, dataclasses.replace(best.scenario, hubs=hubs))


def _spare_vessels(s: _Search, scenario: Scenario) -> list[str]:
    """The fleet file's vessels the scenario does not use and may: not taken out of use, not out
    of service."""
    used = set(scenario.vessel_ids)
    return sorted(
        v
        for v in s.inputs.vessels
        if v not in used and v not in scenario.inactive and v not in scenario.out_of_service
    )


def _vessels(s: _Search) -> None:
    """One more vessel of the fleet at a time, the one that helps most, while the target is not
    met and one helps."""
    for _ in range(s.options.extra_vessels):
        best = s.best()
        spare = _spare_vessels(s, best.scenario)
        if not spare:
            return
        tried = [
            s.judge(
                "vessels",
                {**best.detail, "added": [*best.detail.get("added", []), vid]},
                dataclasses.replace(best.scenario, vessel_ids=(*best.scenario.vessel_ids, vid)),
            )
            for vid in spare
        ]
        t = s.options.bar
        top = max(tried, key=lambda c: c.score(t))
        if top.meets(t) or top.score(t) <= best.score(t):
            return


def head_start(scenario: Scenario, start: datetime, codes: Iterable[str]) -> Scenario:
    """``scenario`` started at ``start``; when that is earlier than its own start, every
    district is planned for as much earlier (never earlier than ``EARLIEST_AFTER_START_H``
    after the start): a head start is a buffer, not idle days the solver may leave unused."""
    head = scenario.planning_start - start
    earliest = start + timedelta(hours=EARLIEST_AFTER_START_H)
    deadlines = dict(scenario.deadlines)
    if head > timedelta(0):
        for code in codes:
            deadlines[code] = max(earliest, scenario.deadline_for(code) - head)
    return dataclasses.replace(scenario, planning_start=start, deadlines=deadlines)


def _start(s: _Search) -> None:
    """An earlier start, a day at a time (the head start a buffer), until the target is met."""
    best = s.best()
    codes = list(best.chances)
    for days in range(1, s.options.earlier_days + 1):
        shifted = best.scenario.planning_start - timedelta(days=days)
        found = s.judge(
            "start",
            {**best.detail, "earlier_days": days, "planning_start": shifted.isoformat()},
            head_start(best.scenario, shifted, codes),
        )
        if found.meets(s.options.bar):
            return


def _combine(s: _Search) -> None:
    """Every lever that raised the chance of a district below the target, at once (see the
    module's text), unless that is a plan already tried."""
    best = s.best()
    top: dict[str, Candidate] = {}  # per district below, the candidate that raised it most
    for d in s.below(best):
        k = d["district_code"]
        raised = [
            c
            for c in s.candidates
            if c.chances.get(k, 0.0) > best.chances.get(k, 0.0) and k not in c.unserved
        ]
        if raised:
            top[k] = max(raised, key=lambda c: c.chances.get(k, 0.0))
    if not top:
        return
    scenario = _combined(s, best, top)
    if any(scenario == c.scenario for c in s.candidates):
        return
    s.judge("combined", _pulled(s, scenario), scenario)


def _combined(s: _Search, best: Candidate, top: Mapping[str, Candidate]) -> Scenario:
    """``best``'s scenario with, for each district of ``top``, what its candidate did: started
    as early as the earliest of them (the head start a buffer for every district), planned for
    its deadline where earlier, dispatched where it was, and their vessels added."""
    start = min(c.scenario.planning_start for c in [*top.values(), best])
    base = head_start(best.scenario, start, best.chances)
    deadlines = dict(base.deadlines)
    for k, c in top.items():
        if c.scenario.deadline_for(k) < base.deadline_for(k):
            deadlines[k] = c.scenario.deadline_for(k)
    moved = {
        k for k, c in top.items() if k in _hub_districts(best.scenario) - _hub_districts(c.scenario)
    }
    used = set(base.vessel_ids)
    added = [v for c in top.values() for v in c.scenario.vessel_ids if v not in used]
    hubs = (dataclasses.replace(h, districts=tuple(d for d in h.districts if d not in moved))
            for h in base.hubs)  # fmt: skip
    return dataclasses.replace(
        base,
        deadlines=deadlines,
        vessel_ids=(*base.vessel_ids, *dict.fromkeys(added)),
        hubs=tuple(h for h in hubs if h.districts),
    )


def _hub_districts(scenario: Scenario) -> set[str]:
    return {d for h in scenario.hubs for d in h.districts}


def _pulled(s: _Search, scenario: Scenario) -> dict[str, Any]:
    """What ``scenario`` changes from the search's own, as a candidate's detail: the deadlines
    planned earlier, the districts dispatched instead of riding sailings, the vessels added,
    how many days earlier it starts."""
    own = s.scenario
    detail: dict[str, Any] = {
        "planned_for": {
            k: v.isoformat()
            for k, v in sorted(scenario.deadlines.items())
            if v < own.deadline_for(k)
        },
        "districts": sorted(_hub_districts(own) - _hub_districts(scenario)),
        "added": [v for v in scenario.vessel_ids if v not in own.vessel_ids],
    }
    earlier = (own.planning_start - scenario.planning_start).days
    if earlier > 0:
        detail.update(earlier_days=earlier, planning_start=scenario.planning_start.isoformat())
    return detail


def _lever_text(c: Candidate) -> str:
    """What a candidate did, in words (English; the command line and the dashboard word the
    values themselves). A lever's detail keeps what earlier levers pulled."""
    d = c.detail
    parts = []
    if "round" in d:
        parts.append(f"planned for earlier deadlines (round {d['round']})")
    elif d.get("planned_for") and c.lever == "combined":
        parts.append("planned for the earlier deadlines that helped")
    if d.get("districts"):
        parts.append("by dispatched vessels instead of sailings: " + ", ".join(d["districts"]))
    if d.get("added"):
        parts.append("with " + ", ".join(d["added"]))
    if d.get("earlier_days"):
        parts.append(f"starting {d['earlier_days']} day(s) earlier")
    return "; ".join(parts) or "the plan as the scenario stands"


def _why_below(s: _Search, chosen: Candidate) -> list[dict[str, Any]]:
    """Per district the chosen plan's check does not claim at the target (below
    ``Options.check_bar``): the best chance any candidate reached (by its check where it was
    checked, ``best_checked``; else by the search), and the candidates with which it reached the
    target (a candidate checked at ``Options.check_bar``, one not checked at ``Options.bar``)."""
    o = s.options
    below = [d for d in s.check(chosen)["districts"] if d["on_time"] < o.check_bar]
    out = []
    for d in below:
        code = d["district_code"]
        tries = [(*s.chance(c, code), i, c) for i, c in enumerate(s.candidates)]
        best_chance, best_checked, best_i, best_c = max(tries, key=lambda x: (x[0], x[1], -x[2]))
        reach = [
            {"candidate": i, "lever": c.lever, "detail": c.detail, "what": _lever_text(c)}
            for chance, checked, i, c in tries
            if chance >= (o.check_bar if checked else o.bar) and code not in c.unserved
        ]
        out.append(
            {
                "district_code": code,
                "district_name": d["district_name"],
                "on_time": d["on_time"],
                "best_on_time": best_chance,
                "best_checked": best_checked,
                "best_candidate": best_i,
                "best_by": _lever_text(best_c),
                "would_reach": reach,
                "never_delivered": (
                    round(1 - d["delivered_in_runs"], 4)
                    if d["delivered_in_runs"] is not None and d["delivered_in_runs"] < 1
                    else None
                ),
                "why": _why_text(d, best_chance, best_c, reach, o),
            }
        )
    return out


def _why_text(
    d: dict[str, Any], best: float, best_c: Candidate, reach: Iterable[dict[str, Any]], o: Options
) -> str:
    t = o.target
    why = f"on time in {d['on_time']:.1%} of runs"
    if d["on_time"] >= t:
        why += f", within a standard error of {t:.0%} (claimed from {o.check_bar:.1%})"
    why += f"; best reached {best:.1%} ({_lever_text(best_c)})"
    found = [r["what"] for r in reach]
    if found:
        why += "; reaches the target " + "; or ".join(found) + ", at the cost of other districts"
    elif best >= t:  # at the target, but within the noise of the runs that said so
        why += (
            f"; none gets it a standard error above {t:.0%} ({o.check_bar:.1%} on a check, "
            f"{o.bar:.1%} in the search)"
        )
    else:
        why += f"; no lever in reach gets it to {t:.0%}"
    return why


def as_planned(scenario: Scenario, document: Mapping[str, Any], fleet: Iterable[str]) -> Scenario:
    """The scenario a plan was made from, as the plan says it was: its planning start, and the
    vessels of the fleet its voyages use that the scenario does not list (a robust plan may
    start earlier, or add a vessel). A plan judged by the risk simulation is judged so, against
    the scenario's own deadlines."""
    start = datetime.fromisoformat(str(document["planning_start"]))
    known = set(fleet)
    added = [
        v["vessel_id"]
        for v in document.get("voyages", ())
        if v["vessel_id"] in known and v["vessel_id"] not in scenario.vessel_ids
    ]
    if start == scenario.planning_start and not added:
        return scenario
    return dataclasses.replace(
        scenario, planning_start=start, vessel_ids=(*scenario.vessel_ids, *added)
    )


# --- capacity under risk ------------------------------------------------------------------------

DAYS_BEFORE = tuple(range(14, 2, -1))  # start days tried: H-14 to H-3
FIXED_COST_IDR = 50_000_000  # a calm-sea capacity plan's cost of one more vessel (assumed)


@dataclass(frozen=True)
class FleetOption:
    """A fleet the capacity table tries: ``least`` (what a calm-sea capacity plan uses),
    ``scenario`` (the scenario's vessels) or ``fleet`` (every vessel of the fleet file)."""

    id: str
    vessel_ids: tuple[str, ...]


def fleet_options(inputs: Inputs, scenario: Scenario, options: Options) -> list[FleetOption]:
    """The fleets to try, smallest first, each once: the vessels a calm-sea capacity plan (a
    fixed cost per vessel used) needs, the scenario's, and the whole fleet file's (less those
    out of use). The hubs' local boats come with the scenario's hubs in each."""
    run = pipeline.plan(
        inputs,
        pipeline.problem_for(inputs, scenario),
        seed=options.seed,
        seconds=options.seconds,
        iterations=options.iterations,
        fixed_cost_per_vessel=FIXED_COST_IDR,
    )
    dispatched = set(scenario.vessel_ids)
    least = tuple(
        v["vessel_id"]
        for v in run.document["voyages"]
        if v["trips"] and v["vessel_id"] in dispatched
    )
    spare = [
        v
        for v in inputs.vessels
        if v not in dispatched and v not in scenario.inactive and v not in scenario.out_of_service
    ]
    out: list[FleetOption] = []
    for fid, ids in (
        ("least", least),
        ("scenario", scenario.vessel_ids),
        ("fleet", (*scenario.vessel_ids, *sorted(spare))),
    ):
        if ids and all(set(ids) != set(o.vessel_ids) for o in out):
            out.append(FleetOption(fid, tuple(ids)))
    return out


def _latest_safe(
    s: _Search, row: list[dict[str, Any]], made: Mapping[int, Candidate], code: str | None
) -> dict[str, Any] | None:
    """The latest start of ``row`` (one fleet's cells, earliest first; ``made``: their plans by
    start day) at which district ``code`` (None: every district) reaches the target in the
    table and holds it on other seas (at ``Options.check_bar``): a later start the check puts
    below it is passed over."""
    o = s.options
    for cell in reversed(row):
        found = made.get(cell["days_before"])
        if found is None:
            continue
        if code is None:
            if found.meets(o.target) and s.holds(found):
                return cell
            continue
        chance = found.chances.get(code)
        if chance is None or chance < o.target or code in found.unserved:
            continue
        if s.checked(found).get(code, 0.0) >= o.check_bar:
            return cell
    return None


def capacity_under_risk(
    inputs: Inputs,
    scenario: Scenario,
    climate: Climate,
    options: Options,
    *,
    days_before: Iterable[int] = DAYS_BEFORE,
    executor: Executor | None = None,
    progress: Callable[[str], object] | None = None,
) -> tuple[dict[str, Any], pipeline.PlanRun]:
    """The least fleet and the latest safe start per district for a chance on time of
    ``options.target``: a table of start days (``days_before`` election day, the scenario's
    hour; a start earlier than the scenario's plans every district as much earlier,
    ``head_start``) against fleets (``fleet_options``), each cell a plan simulated on the same seas
    (``options.runs`` runs of ``options.sim_seed`` from the earliest start's day): the chance
    that every district is on time, each district's, and the cost.

    The fleet is the smallest that reaches the target in every district from some start, in
    the table and in a check of that plan on seas the table never met (``options.check_runs``
    runs of ``options.seed_of_check``, at ``Options.check_bar``), else the largest; a district's
    latest safe start is the latest start day at which it reaches the target with that fleet,
    in the table and in the check (``checks``), so that the day claimed is not one the table's
    runs flattered (None: no start of the table).
    An earlier start plans the head start as a buffer, so it is not worse at sea; a cell below
    the target before that day is the solver's (or the runs') noise, and the table shows it.
    Returns the report and the plan of the fleet chosen at the latest safe start for every
    district (else at the start where it fares best)."""
    days = sorted(set(days_before), reverse=True)  # earliest start first
    hour = scenario.planning_start.timetz()

    def start_of(k: int) -> datetime:
        return datetime.combine(scenario.election_day - timedelta(days=k), hour)

    s = _Search(inputs, scenario, climate, options, executor, progress)
    s.weather_from = start_of(days[0]).date()
    fleets = fleet_options(inputs, scenario, options)
    codes = sorted({c.district_code for c in pipeline.problem_for(inputs, scenario).consignments})
    cells: list[dict[str, Any]] = []
    made: dict[tuple[str, int], Candidate] = {}
    for fleet in fleets:
        for k in days:
            tried = dataclasses.replace(
                head_start(scenario, start_of(k), codes), vessel_ids=fleet.vessel_ids
            )
            cell: dict[str, Any] = {
                "fleet": fleet.id,
                "days_before": k,
                "start": start_of(k).isoformat(),
            }
            try:
                found = s.judge("capacity", {"fleet": fleet.id, "days_before": k}, tried)
            except RoutingError as exc:
                cells.append(cell | {"error": str(exc)})
                continue
            made[(fleet.id, k)] = found
            cells.append(
                cell
                | {
                    "every_district_on_time": found.report["every_district_on_time"],
                    "districts": found.chances,
                    "unserved": sorted(found.unserved),
                    "cost_idr": found.cost_idr,
                    "ship_hours": found.run.document["kpis"]["ship_hours"],
                    "meets_target": found.meets(options.target),
                }
            )

    def row_of(fleet: FleetOption) -> tuple[list[dict[str, Any]], dict[int, Candidate]]:
        own = {k: c for (f, k), c in made.items() if f == fleet.id}
        return [x for x in cells if x["fleet"] == fleet.id], own

    # The smallest fleet that reaches the target in every district from some start, in the table
    # and on other seas; else the largest.
    chosen = next((f for f in fleets if _latest_safe(s, *row_of(f), None)), fleets[-1])
    names = {
        d["district_code"]: d["district_name"] for c in s.candidates for d in c.report["districts"]
    }
    row, own = row_of(chosen)  # earliest start first
    districts = []
    for code in sorted(names):
        latest = _latest_safe(s, row, own, code)
        then = s.checked(own[latest["days_before"]]) if latest else {}
        districts.append(
            {
                "district_code": code,
                "district_name": names[code],
                "latest_safe_start": latest["start"] if latest else None,
                "latest_safe_days_before": latest["days_before"] if latest else None,
                "on_time_then": then.get(code) if latest else None,
                "searched_then": latest["districts"][code] if latest else None,
            }
        )
    vessel_names = s.candidates[0].run.plan.problem.names if s.candidates else None
    overall = _latest_safe(s, row, own, None)
    checks = [
        {
            "days_before": k,
            "every_district_on_time": s.check(c)["every_district_on_time"],
            "districts": s.checked(c),
        }
        for k, c in own.items()
        if s.candidates.index(c) in s.checks
    ]
    ran = [own[k] for k in days if k in own]
    if overall is not None:
        run = own[overall["days_before"]].run
    elif ran:
        run = max(ran, key=lambda c: c.score(options.target)).run
    else:
        raise RoutingError(f"no start day of {days} could be planned with any fleet")
    return {
        "scenario": scenario.name,
        "target_on_time": options.target,
        "runs": options.runs,
        "seed": options.sim_seed,
        "check_runs": options.check_runs,
        "check_seed": options.seed_of_check,
        "checks": checks,
        "climate_source": climate.source,
        "election_day": scenario.election_day.isoformat(),
        "fleets": [
            {
                "id": f.id,
                "vessels": [
                    {
                        "vessel_id": v,
                        "vessel_name": vessel_names.vessel(v) if vessel_names else None,
                    }
                    for v in f.vessel_ids
                ],
            }
            for f in fleets
        ],
        "fleet": chosen.id,
        "latest_safe_start": overall["start"] if overall else None,
        "latest_safe_days_before": overall["days_before"] if overall else None,
        "days_before": days,
        "table": cells,
        "districts": districts,
    }, run
