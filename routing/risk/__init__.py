"""How likely a plan is to hold: a Monte Carlo of its voyages under sampled weather, speeds,
loading times and breakdowns.

Each run samples, over the plan's days:

- **waves** per sea area (``data/climate.toml``): one regional chain of rough and calm days,
  since the monsoon's swell reaches every area together; a rough spell lasts ``spell_days`` on
  average; within it each area is rough (always for an open area, with the sheltered/open
  ratio for a sheltered one) in one of BMKG's classes (above 1.25, 2.5 or 4 m) for the spell.
  A spell above a class's wave limit closes the area to it, as a forecast does;
- **speeds** and **loading times** per vessel (normal spreads around the plan's);
- **breakdowns** per vessel (exponential, mean hours under way between breakdowns per class),
  counted in the hours its legs sail: a breakdown ends its part in the plan.

The scenario's own forecast stays in every run, the sampled spells come on top; a sea area the
scenario adds that the climate table does not know is not sampled (the report lists it).

The run then times the plan's own trips again with the schedule (``routing.schedule``): a leg
that meets a closure waits in port until it can pass (the simulation takes no detours, which
makes it pessimistic where a detour exists). Without breakdown re-plans, what a broken-down
vessel had not yet handed over is not delivered; with them (``replan_breakdowns``), the rest
of the plan is planned again from that moment by the re-planner (``routing.replan``, a small
iteration budget), with the vessel out of service and the run's own weather as its forecast.

Results per district: the chance that every village has its kits by the district's deadline and
by H-5 (the end of the fifth day before election day, WIB), the percentiles of the time
its last village is served, and the stops and vessels most often late; with a histogram of
completion times against the deadline. Runs are independent, each with its own random stream
(``numpy.random.SeedSequence(seed).spawn``), so the result does not depend on how the runs are
spread over processes or a Dask cluster: the same seed gives the same bytes.

Common random numbers: two plans simulated with the same seed meet the same seas, which is what
lets robust planning (``routing.risk.robust``) compare them on the runs rather than on the noise.
The weather is drawn first in each run, day by day from ``Model.weather_from`` (the same date for
every plan compared, however early each starts), and each vessel then draws from a stream of its
own (the run's and the vessel id's), so that a plan with one more vessel, or another order of
vessels, leaves the other vessels' speeds and breakdowns as they were.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import numpy as np

from routing import fieldlog
from routing.domain import (
    Problem,
    SeaArea,
    SolvedRoute,
    SolvedTrip,
    VesselClass,
    Voyage,
    WaveForecast,
)
from routing.errors import DataError, Issue
from routing.inputs.climate import Climate
from routing.local import WIB
from routing.plandoc import PlanDocument
from routing.schedule import make_voyage
from routing.sea.matrix import UNREACHABLE, Matrix
from routing.sea.weather import Weather, path_spans

CHUNK = 25  # runs per task handed to a worker
HIST_STEP_H = 12  # histogram bins of completion time against the deadline, hours
HIST_FROM_H, HIST_TO_H = -168, 72


def routes_of(document: PlanDocument) -> tuple[SolvedRoute, ...]:
    """The plan's trips as the solver gave them (depot, consignments in order, depot).

    Raises
    ------
    DataError
        For a re-plan with a voyage under way (its first stop is at sea): the simulation
        covers plans made from a scenario.
    """
    routes = []
    for v in document.voyages:
        trips: list[SolvedTrip] = []
        start: str | None = None
        cons: list[str] = []
        for s in v.stops:
            if s.kind == "start":
                raise DataError(
                    [Issue("bad_value", "/plan", "a re-plan under way: simulate the plan itself")],
                    source=document.scenario,
                )
            if s.kind == "depot":
                # A trip runs from one depot call to the next with its landings between: out
                # loading there (a delivery plan), or collecting and unloading at the next (a
                # return plan).
                if start is not None and cons:
                    trips.append(SolvedTrip(start, tuple(cons), s.id))
                start, cons = s.id, []
            else:
                cons.extend(s.consignments)
        routes.append(SolvedRoute(v.vessel_id, tuple(trips)))
    return tuple(routes)


def exposures(
    document: PlanDocument, areas: Sequence[SeaArea]
) -> dict[tuple[str, str, str], tuple[tuple[str, float, float], ...]]:
    """For each leg of the plan (class, from, to): the parts of its sea path inside each sea
    area, as fractions of its length (from the legs' own geometry)."""
    out: dict[tuple[str, str, str], tuple[tuple[str, float, float], ...]] = {}
    for v in document.voyages:
        for leg in v.legs:
            key = (v.vessel_class, leg.from_, leg.to)
            if key not in out:
                out[key] = path_spans(leg.geometry.coordinates, areas)
    return out


class _SampledWeather(Weather):
    """The weather of one run: the plan's legs' exposure computed once for every run."""

    def __init__(
        self,
        problem: Problem,
        spans: Mapping[tuple[str, str, str], tuple[tuple[str, float, float], ...]],
    ) -> None:
        super().__init__(problem, None)
        self.spans = spans

    def exposure(self, class_id: str, a: str, b: str) -> tuple[tuple[str, float, float], ...]:
        return self.spans.get((class_id, a, b), ())


@dataclass(frozen=True)
class BookedPassage:
    """A booked scheduled sailing as a run takes it: when it leaves the depot and lands its last
    load, the sea areas its course crosses, and the consignments on board. A run holds it in
    port while a sampled spell over those areas is above the problem's sailing limit, and it
    sails when the spell ends (schedules follow ships and weather): what it carries, and what
    the hubs send on, is that much later."""

    key: str
    depart: datetime
    arrive: datetime
    areas: frozenset[str]
    consignments: tuple[str, ...]


def sailing_delays(
    passages: Sequence[BookedPassage], forecast: Sequence[WaveForecast], limit_m: float
) -> dict[str, float]:
    """Seconds each booked sailing leaves late under ``forecast`` (only the held ones)."""
    out: dict[str, float] = {}
    for s in passages:
        shift = timedelta(0)
        for _ in range(100):  # each step moves past one spell; spells are finite
            leave, land = s.depart + shift, s.arrive + shift
            held = [
                f.end
                for f in forecast
                if f.wave_m > limit_m and f.area_id in s.areas and f.start < land and f.end > leave
            ]
            if not held:
                break
            shift = max(held) - s.depart
        if shift > timedelta(0):
            out[s.key] = shift.total_seconds()
    return out


Replanner = Callable[
    [Problem, list[dict[str, Any]], dict[str, datetime], datetime], dict[str, datetime]
]


@dataclass(frozen=True)
class Model:
    """What every run of one plan shares (sent once to each worker task)."""

    problem: Problem
    routes: tuple[SolvedRoute, ...]
    matrices: dict[str, Matrix]
    spans: dict[tuple[str, str, str], tuple[tuple[str, float, float], ...]]
    climate: Climate
    election_day: date
    horizon_days: int
    breakdowns: bool = True
    # the rest planned again from a breakdown: (problem with the run's weather, the run's field
    # events until then, vessels out of service from, as of) -> handover times
    replan: Replanner | None = None
    onward: dict[str, float] = dataclasses.field(default_factory=dict)  # two echelons: road, hub
    sailings: tuple[BookedPassage, ...] = ()  # two echelons: the booked sailings, holds sampled
    # The first day of the sampled weather (default: the planning start's): plans compared on
    # the same seas share it (common random numbers), whatever their own start.
    weather_from: date | None = None

    @property
    def h5(self) -> datetime:
        """The end of H-5 (the fifth day before election day), WIB."""
        return datetime.combine(self.election_day - timedelta(days=4), time(0, 0), tzinfo=WIB)


def sample_weather(model: Model, rng: np.random.Generator) -> tuple[WaveForecast, ...]:
    """The run's rough spells as forecasts per sea area (see the module's text)."""
    c = model.climate
    start = model.weather_from or model.problem.start.astimezone(WIB).date()
    first = datetime.combine(start, time(0, 0), tzinfo=WIB)  # days run midnight to midnight WIB
    days = [first + timedelta(days=d) for d in range(model.horizon_days + 1)]
    rough = np.zeros(len(days), dtype=bool)
    for d, day in enumerate(days):
        s = c.season(day.date(), "open")
        p, spell = s.above_1_25_m, s.spell_days
        if p <= 0:
            continue
        if p >= 1:
            rough[d] = True
            continue
        if d == 0 or not rough[d - 1]:
            go = p if d == 0 else min(1.0, p / (1 - p) / spell)
        else:
            go = 1 - 1 / spell
        rough[d] = rng.random() < go
    out: list[WaveForecast] = []
    d = 0
    while d < len(days):
        if not rough[d]:
            d += 1
            continue
        end = d
        while end + 1 < len(days) and rough[end + 1]:
            end += 1
        spell_start, spell_end = days[d], days[end] + timedelta(days=1)
        for aid in sorted(c.exposure):
            open_ = c.season(days[d].date(), "open")
            here = c.season(days[d].date(), c.exposure[aid])
            share = here.above_1_25_m / open_.above_1_25_m if open_.above_1_25_m else 0.0
            u_area, u_class = rng.random(), rng.random()
            if u_area >= share or here.above_1_25_m <= 0:
                continue
            if u_class < here.above_4_m / here.above_1_25_m:
                wave = c.wave_m[2]
            elif u_class < here.above_2_5_m / here.above_1_25_m:
                wave = c.wave_m[1]
            else:
                wave = c.wave_m[0]
            out.append(WaveForecast(aid, spell_start, spell_end, wave, "simulated"))
        d = end + 1
    return tuple(out)


def _scaled(vc: VesselClass, loading: float) -> VesselClass:
    return dataclasses.replace(
        vc,
        load_rate_kg_per_h=vc.load_rate_kg_per_h / loading,
        unload_rate_kg_per_h=vc.unload_rate_kg_per_h / loading,
        tender_rate_kg_per_h=vc.tender_rate_kg_per_h / loading,
        anchor_setup_min=vc.anchor_setup_min * loading,
    )


def _faster(m: Matrix, speed: float) -> Matrix:
    reach = m.reachable
    secs = np.where(reach, np.rint(m.duration_s / speed), UNREACHABLE).astype(np.int64)
    return dataclasses.replace(m, duration_s=secs)


def one_run(model: Model, rng: np.random.Generator) -> dict[str, float]:
    """One run: seconds from the planning start to each consignment's handover (``inf``: not
    handed over)."""
    p = model.problem
    c = model.climate
    # The scenario's own forecast stays; the sampled spells come on top of it.
    forecast = (*p.forecast, *sample_weather(model, rng))
    done: dict[str, float] = dict(model.onward)  # by road or at a hub, as planned
    # A held sailing: its kits reach their hub later, the local boats take them on later.
    late = sailing_delays(model.sailings, forecast, p.sailing_max_wave_m)
    if late:
        shift = {c: late[s.key] for s in model.sailings if s.key in late for c in s.consignments}
        for cid in shift.keys() & done.keys():
            done[cid] += shift[cid]
        p = dataclasses.replace(
            p,
            consignments=tuple(
                dataclasses.replace(c, release=c.release + timedelta(seconds=shift[c.id]))
                if c.id in shift and c.release is not None
                else c
                for c in p.consignments
            ),
        )
    broken: dict[str, datetime] = {}
    timed: dict[str, Voyage] = {}
    by_vessel = {r.vessel_id: r for r in model.routes}
    base = int(rng.integers(2**63 - 1))  # each vessel's own stream: base and its id
    for v in p.vessels:
        route = by_vessel.get(v.id)
        rng = np.random.default_rng([base, zlib.crc32(v.id.encode())])
        speed = max(0.5, rng.normal(1.0, c.speed_spread)) if c.speed_spread else 1.0
        loading = max(0.3, rng.normal(1.0, c.loading_spread)) if c.loading_spread else 1.0
        mtbf = c.mtbf_h.get(v.class_id, math.inf)
        fails_after_h = rng.exponential(mtbf) if model.breakdowns and math.isfinite(mtbf) else None
        if route is None or not route.trips:
            continue
        vc = _scaled(p.classes[v.class_id], loading)
        run_problem = dataclasses.replace(
            p, classes={**p.classes, v.class_id: vc}, forecast=forecast
        )
        weather = _SampledWeather(run_problem, model.spans)
        matrices = {v.class_id: _faster(model.matrices[v.class_id], speed)}
        voyage, delivered = make_voyage(run_problem, route, matrices, weather=weather)
        timed[v.id] = voyage
        fails_at = _under_way(voyage, fails_after_h) if fails_after_h is not None else None
        if fails_at is not None:
            broken[v.id] = fails_at
        for cid, at in delivered.items():
            if fails_at is None or at <= fails_at:
                done[cid] = p.seconds(at)
    if broken and model.replan is not None:
        first = min(broken.values())
        events = field_events(timed, first)
        moved = model.replan(dataclasses.replace(p, forecast=forecast), events, broken, first)
        for cid, at in moved.items():
            if cid not in done or done[cid] > p.seconds(first):
                done[cid] = float(p.seconds(at))
    return {cons.id: float(done.get(cons.id, math.inf)) for cons in p.consignments}


def _under_way(voyage: Voyage, hours: float) -> datetime | None:
    """When a vessel breaks down after ``hours`` under way (its legs' sailing time, not the
    hours in port or waiting); ``None`` when its voyage ends first."""
    left = timedelta(hours=hours)
    for leg in voyage.legs:
        sailing = leg.arrive - leg.depart
        if left < sailing:
            return leg.depart + left
        left -= sailing
    return None


class _TimedStop(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def arrival(self) -> datetime: ...
    @property
    def work_end(self) -> datetime: ...
    @property
    def departure(self) -> datetime: ...


class _TimedVoyage(Protocol):
    @property
    def stops(self) -> Sequence[_TimedStop]: ...


def field_events(voyages: Mapping[str, _TimedVoyage], until: datetime) -> list[dict[str, Any]]:
    """The field events voyages would have reported up to ``until`` (what the re-planner reads
    to know where each vessel is and what it delivered): a run's timed voyages, or a plan
    document's as planned."""
    out: list[dict[str, Any]] = []
    for vid in sorted(voyages):
        stops = voyages[vid].stops
        for n, stop in enumerate(stops):
            times = {
                "arrived": stop.arrival,
                "loaded": stop.work_end,
                "handed_over": stop.work_end,
                "departed": stop.departure,
            }
            for step in fieldlog.sequence(stop.kind, last=n == len(stops) - 1):
                if times[step] <= until:
                    at = times[step].isoformat()
                    out.append({"vessel_id": vid, "stop": n, "type": step, "at": at})
    return out


def _chunk(model: Model, seed: int, runs: int, lo: int, hi: int) -> np.ndarray:
    """Runs ``lo..hi-1`` of ``runs``: an array (run, consignment) of seconds."""
    streams = np.random.SeedSequence(seed).spawn(runs)[lo:hi]
    order = [c.id for c in model.problem.consignments]
    out = np.empty((hi - lo, len(order)))
    for k, ss in enumerate(streams):
        got = one_run(model, np.random.default_rng(ss))
        out[k] = [got[cid] for cid in order]
    return out


def simulate(
    model: Model,
    runs: int,
    seed: int = 0,
    *,
    executor: Executor | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> np.ndarray:
    """``runs`` runs (on ``executor`` when given: a process pool, or a Dask cluster's
    executor), as an array (run, consignment) of seconds from the planning start."""
    bounds = [(lo, min(runs, lo + CHUNK)) for lo in range(0, runs, CHUNK)]
    if executor is None:
        parts = []
        for lo, hi in bounds:
            parts.append(_chunk(model, seed, runs, lo, hi))
            if progress is not None:
                progress(hi, runs)
    else:
        futures = [executor.submit(_chunk, model, seed, runs, lo, hi) for lo, hi in bounds]
        parts = []
        try:
            for n, f in enumerate(futures):
                parts.append(f.result())
                if progress is not None:
                    progress(bounds[n][1], runs)
        except BaseException:
            for f in futures:  # stopped (the service ends) or failed: the rest never starts
                f.cancel()
            raise
    return np.concatenate(parts) if parts else np.empty((0, len(model.problem.consignments)))


def _iso(problem: Problem, seconds: float) -> str | None:
    return problem.at(seconds).isoformat() if math.isfinite(seconds) else None


def report(model: Model, times: np.ndarray, *, seed: int) -> dict[str, Any]:
    """The result of the runs: per district the chance of delivery by its deadline and by
    H-5, the percentiles of its completion, and the stops and vessels most often late."""
    p = model.problem
    cons = list(p.consignments)
    runs = times.shape[0]
    deadline = np.array([p.seconds(c.deadline) for c in cons], dtype=float)
    h5 = float(p.seconds(model.h5))
    late = times > deadline  # (run, consignment); inf is late
    districts = sorted({c.district_code for c in cons})
    names = p.names
    hist_edges = list(range(HIST_FROM_H, HIST_TO_H + HIST_STEP_H, HIST_STEP_H))
    rows = []
    for d in districts:
        idx = [i for i, c in enumerate(cons) if c.district_code == d]
        last = times[:, idx].max(axis=1)
        district_deadline = float(deadline[idx].min())
        on_time = ~late[:, idx].any(axis=1)
        by_h5 = last <= h5
        rel_h = (last - district_deadline) / 3600
        counts = [
            int(((rel_h >= a) & (rel_h < b)).sum()) for a, b in itertools.pairwise(hist_edges)
        ]
        rows.append(
            {
                "district_code": d,
                "district_name": names.district(d),
                "villages": len({cons[i].village_code for i in idx}),
                "deadline": p.at(district_deadline).isoformat(),
                "on_time": round(float(on_time.mean()), 4) if runs else None,
                "by_h5": round(float(by_h5.mean()), 4) if runs else None,
                "delivered_in_runs": round(float(np.isfinite(last).mean()), 4) if runs else None,
                # Over every run, the ones that never deliver included: a percentile that falls
                # among them is null (not delivered), not the time of the runs that did.
                "completion": {
                    q: _iso(p, float(np.quantile(last, v, method="inverted_cdf"))) if runs else None
                    for q, v in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95))
                },
                "histogram": {
                    "edges_h": hist_edges,
                    "counts": counts,
                    "before": int((rel_h < hist_edges[0]).sum()),
                    "after": int(((rel_h >= hist_edges[-1]) & np.isfinite(rel_h)).sum()),
                    "not_delivered": int((~np.isfinite(last)).sum()),
                },
            }
        )
    landing_of = {c.id: c.landing_id for c in cons}
    stop_of = {
        cid: (r.vessel_id, landing_of[cid])
        for r in model.routes
        for trip in r.trips
        for cid in trip.consignments
    }
    by_stop: dict[tuple[str, str], np.ndarray] = {}
    by_vessel: dict[str, np.ndarray] = {}
    for i, c in enumerate(cons):
        key = stop_of.get(c.id)
        if key is None:
            continue
        by_stop[key] = by_stop.get(key, np.zeros(runs, dtype=bool)) | late[:, i]
        by_vessel[key[0]] = by_vessel.get(key[0], np.zeros(runs, dtype=bool)) | late[:, i]
    stops = sorted(
        (
            {
                "vessel_id": vid,
                "vessel_name": names.vessel(vid),
                "landing_id": lid,
                "landing_name": names.place(lid),
                "late": round(float(v.mean()), 4),
            }
            for (vid, lid), v in by_stop.items()
            if v.any()
        ),
        key=lambda s: (-float(s["late"] or 0), str(s["vessel_id"]), str(s["landing_id"])),
    )[:10]
    vessels = sorted(
        (
            {"vessel_id": vid, "vessel_name": names.vessel(vid), "late": round(float(v.mean()), 4)}
            for vid, v in by_vessel.items()
            if v.any()
        ),
        key=lambda s: (-float(s["late"] or 0), str(s["vessel_id"])),
    )
    return {
        "runs": runs,
        "seed": seed,
        "areas_not_simulated": sorted({a.id for a in p.sea_areas} - set(model.climate.exposure)),
        "breakdowns": model.breakdowns,
        "breakdown_replans": model.replan is not None,
        "h5": model.h5.isoformat(),
        "climate_source": model.climate.source,
        "districts": rows,
        "late_stops": stops,
        "late_vessels": vessels,
        "every_district_on_time": round(float((~late.any(axis=1)).mean()), 4) if runs else None,
    }
