"""Closures on record as stress tests: which day's closure breaks a plan, and for which island.

Each episode of ``data/closures.toml`` (a closure of the sea routes on record: the sea areas it
closed, for how many days, replayed as a forecast wave height that holds exactly the classes it
held) is laid over the plan's window starting on each day from the planning start to the last
deadline. The plan runs as planned until that day (its field events as planned), then the
re-planner (``routing.replan``) plans the rest knowing the closure, with the sea paths around
closed areas where there are any; a district makes it when every one of its villages has its
kits by the district's deadline, before the closure or after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from routing.domain import Problem
from routing.errors import RoutingError
from routing.inputs.closures import Episode
from routing.local import WIB
from routing.plandoc import PlanDocument
from routing.risk import field_events

# (problem with the closure in its forecast, the plan's events until then, as of) -> handovers
Replanner = Callable[[Problem, list[dict[str, Any]], datetime], Mapping[str, datetime]]


def start_days(problem: Problem) -> list[date]:
    """Every day (WIB) from the planning start to the last deadline."""
    first = problem.start.astimezone(WIB).date()
    last = max(c.deadline for c in problem.consignments).astimezone(WIB).date()
    return [first + timedelta(days=d) for d in range((last - first).days + 1)]


def replay(
    problem: Problem,
    document: PlanDocument,
    episodes: Sequence[Episode],
    replan: Replanner,
    *,
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """Each episode from each start day, through the re-planner: per episode and start day the
    districts that still make their deadline and those that do not (with when their last village
    would have its kits, or that it would not)."""
    days = start_days(problem)
    districts: dict[str, list[Any]] = {}
    for c in problem.consignments:
        districts.setdefault(c.district_code, []).append(c)
    names = {c.district_code: problem.names.district(c.district_code) for c in problem.consignments}
    as_planned = {v.vessel_id: v for v in document.voyages}
    total, done = len(episodes) * len(days), 0
    report = []
    for episode in episodes:
        rows = []
        for day in days:
            begins = datetime.combine(day, time(0, 0), tzinfo=WIB)
            as_of = max(begins, problem.start)
            closed = dataclasses.replace(
                problem, forecast=(*problem.forecast, *episode.forecast(begins))
            )
            error = None
            try:
                handed = replan(closed, field_events(as_planned, as_of), as_of)
            except RoutingError as exc:
                handed, error = {}, str(exc)
            rows.append(_outcome(day, districts, names, handed, error))
            done += 1
            if progress is not None:
                progress(done, total)
        report.append(
            {
                "id": episode.id,
                "name": episode.name,
                "name_en": episode.name_en,
                "began": episode.began.isoformat(),
                "days": episode.days,
                "areas": list(episode.areas),
                "wave_m": episode.wave_m,
                "wave_source": episode.wave_source,
                "source": episode.source,
                "starts": rows,
            }
        )
    return {
        "plan": document.input_hash,
        "scenario": document.scenario,
        "start_days": [d.isoformat() for d in days],
        "episodes": report,
    }


def _outcome(
    day: date,
    districts: Mapping[str, list[Any]],
    names: Mapping[str, str | None],
    handed: Mapping[str, datetime],
    error: str | None,
) -> dict[str, Any]:
    on_time, late = [], []
    for code in sorted(districts):
        wanted = districts[code]
        times = [handed.get(c.id) for c in wanted]
        missed = [c for c, at in zip(wanted, times, strict=True) if at is None or at > c.deadline]
        if not missed:
            on_time.append(code)
            continue
        served = [at for at in times if at is not None]
        late.append(
            {
                "district_code": code,
                "district_name": names.get(code),
                "villages_late": len({c.village_code for c in missed}),
                "unserved": sum(at is None for at in times),
                "last_handover": max(served).isoformat() if len(served) == len(times) else None,
                "deadline": min(c.deadline for c in wanted).isoformat(),
            }
        )
    out: dict[str, Any] = {"day": day.isoformat(), "on_time": on_time, "late": late}
    if error:
        out["error"] = error
    return out
