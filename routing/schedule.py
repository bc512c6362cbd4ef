"""Solver routes to timed itineraries: stops, legs, manifests and KPIs.

The timeline is recomputed here from the vessel's own rates, not taken from the solver: at a
depot the whole trip is loaded before departure; at a landing, consecutive consignments for the
same landing are one stop; handover happens only in daylight (a vessel arriving at night waits
at anchor, and unloading that runs past dusk resumes the next morning); a vessel that cannot
berth anchors and unloads by tender.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from routing.domain import (
    Consignment,
    Leg,
    Plan,
    Problem,
    SolvedRoute,
    Stop,
    VesselClass,
    Voyage,
)
from routing.sea.matrix import Matrix
from routing.sea.weather import Weather
from routing.units import loading_seconds, metres_to_nm, unloading_seconds

DAY_S = 86_400
PathCoords = Callable[[str, str, str], tuple[tuple[float, float], ...]]
"""``path(class_id, from_id, to_id)``: the sea-path coordinates of a leg."""


@dataclass(frozen=True)
class Daylight:
    """Handover hours: seconds after local midnight, for times counted from the planning start."""

    start_s: int
    end_s: int
    offset_s: int  # local time of day at the planning start, in seconds

    @classmethod
    def of(cls, problem: Problem) -> Daylight:
        t = problem.start
        return cls(
            problem.daylight[0], problem.daylight[1], t.hour * 3600 + t.minute * 60 + t.second
        )

    def _tod(self, s: float) -> float:
        return (self.offset_s + s) % DAY_S

    def next_open(self, s: float) -> float:
        """The first moment at or after ``s`` inside the daylight window."""
        tod = self._tod(s)
        if self.start_s <= tod < self.end_s:
            return s
        return s + ((self.start_s - tod) % DAY_S)

    def work(self, s: float, duration: float) -> float:
        """When ``duration`` seconds of daylight work starting at ``s`` are done."""
        s = self.next_open(s)
        while duration > 0:
            left = self.end_s - self._tod(s)
            if duration <= left:
                return s + duration
            duration -= left
            s = self.next_open(s + left)
        return s


def _groups(ids: tuple[str, ...], by_id: Mapping[str, Consignment]) -> list[list[Consignment]]:
    groups: list[list[Consignment]] = []
    for cid in ids:
        c = by_id[cid]
        if groups and groups[-1][-1].landing_id == c.landing_id:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


@dataclass(frozen=True)
class Resume:
    """Where a vessel is when a plan is re-made: at ``place`` from ``at_s`` (seconds from the
    planning start), with ``onboard`` still to hand over in this order, then home."""

    place: str
    at_s: float
    onboard: tuple[str, ...] = ()
    home: str = ""


class Clock:
    """Builds one vessel's stops and legs while keeping its time."""

    def __init__(
        self,
        problem: Problem,
        vc: VesselClass,
        matrix: Matrix,
        path: PathCoords | None,
        weather: Weather | None = None,
    ) -> None:
        self.problem, self.vc, self.matrix, self.path = problem, vc, matrix, path
        self.weather = weather
        self.light = Daylight.of(problem)
        self.stops: list[Stop] = []
        self.legs: list[Leg] = []
        self.delivered: dict[str, datetime] = {}
        self.closures: dict[str, list[tuple[float, float]]] = {}
        for lid, a, b in problem.landing_closures:
            end = float(problem.seconds(b)) if b else float("inf")
            self.closures.setdefault(lid, []).append((float(problem.seconds(a)), end))

    def sail(self, a: str, b: str, t: float, trip: int) -> float:
        i, j = self.matrix.index(a), self.matrix.index(b)
        duration = float(self.matrix.duration_s[i, j])
        distance = float(self.matrix.distance_m[i, j])
        go = self.weather.passage(self.vc.id, a, b, t, duration) if self.weather else None
        coords = self.path(self.vc.id, a, b) if self.path and a != b else ()
        if go is not None and go.hold is not None:
            last = self.stops[-1]
            self.stops[-1] = dataclasses.replace(
                last,
                departure=self.problem.at(go.depart_s),
                hold_s=round(go.depart_s - t),
                hold_reason=go.hold.reason,
                hold_area=go.hold.area_id,
                hold_wave_m=go.hold.wave_m,
            )
            t = go.depart_s
        elif go is not None and go.distance_m is not None:  # around the closed waters
            duration, distance = go.duration_s, go.distance_m
            coords = go.coords if self.path else ()
        arrive = t + duration
        self.legs.append(
            Leg(
                a,
                b,
                trip,
                self.problem.at(t),
                self.problem.at(arrive),
                distance,
                coords,
                go.detour if go is not None else "",
            )
        )
        return arrive

    def _call(
        self,
        kind: str,
        place: str,
        trip: int,
        times: tuple[float, float, float],
        cons: list[Consignment],
        access: str,
        operation: str,
    ) -> None:
        """Record a stop (arrival, work start, work end = departure) with its manifest."""
        arrive, start, end = times
        at = self.problem.at
        self.stops.append(
            Stop(
                kind,
                place,
                trip,
                at(arrive),
                at(start),
                at(end),
                at(end),
                tuple(c.id for c in cons),
                tuple(dict.fromkeys(c.village_code for c in cons)),
                sum(c.tps for c in cons),
                sum(c.ballot_boxes for c in cons),
                round(sum(c.weight_kg for c in cons), 3),
                round(sum(c.volume_m3 for c in cons), 4),
                access,
                round(start - arrive),
                operation,
            )
        )

    def depot(
        self,
        depot: str,
        t: float,
        trip: int,
        cons: list[Consignment],
        *,
        arrival: float,
        operation: str = "load",
    ) -> float:
        """Load (outbound) or unload (return) ``cons`` at a depot, not before their release."""
        released = [self.problem.seconds(c.release) for c in cons if c.release]
        t = max([t, *released])
        end = t + loading_seconds(self.vc, sum(c.weight_kg for c in cons))
        self._call("depot", depot, trip, (arrival, t, end), cons, "depot", operation)
        if operation == "unload":
            for c in cons:
                self.delivered[c.id] = self.problem.at(end)
        return end

    def open_at(self, landing: str, s: float) -> float:
        """The first daylight moment at or after ``s`` when the landing is not closed."""
        for _ in range(100):
            s = self.light.next_open(s)
            hit = [b for a, b in self.closures.get(landing, []) if a <= s < b]
            if not hit:
                return s
            s = max(hit)
            if s == float("inf"):
                return s
        return s

    def landing(self, group: list[Consignment], arrive: float, trip: int) -> float:
        landing = group[0].landing_id
        berth = self.problem.can_berth(self.vc, landing)
        ready = [self.problem.seconds(c.ready) for c in group if c.ready]
        start = self.open_at(landing, max([arrive, *ready]))
        kg = sum(c.weight_kg for c in group)
        end = self.light.work(start, unloading_seconds(self.vc, kg, berth=berth))
        back = self.problem.direction == "return"
        self._call(
            "landing",
            landing,
            trip,
            (arrive, start, end),
            group,
            "berth" if berth else "tender",
            "collect" if back else "handover",
        )
        if not back:
            for c in group:
                self.delivered[c.id] = self.problem.at(end)
        return end


def make_voyage(
    problem: Problem,
    route: SolvedRoute,
    matrices: Mapping[str, Matrix],
    *,
    path: PathCoords | None = None,
    weather: Weather | None = None,
    resume: Resume | None = None,
) -> tuple[Voyage, dict[str, datetime]]:
    """Time one vessel's trips; returns its voyage and when each consignment was handed over
    (outbound) or unloaded at the depot (return).

    Trips are numbered from 1: a trip is one loading at a depot up to the next, and the sail
    home after the last one belongs to the last trip (it is not a trip of its own). With
    ``resume`` the voyage starts where the vessel is, hands over what it carries and sails home
    before its new trips: that is trip 1 when it carries something (the new trips are numbered
    from 2), else the start and the sail home belong to the first new trip. Returning, a depot
    call that unloads a trip's cargo belongs to that trip.
    """
    vessel = next(v for v in problem.vessels if v.id == route.vessel_id)
    vc = problem.classes[vessel.class_id]
    clock = Clock(problem, vc, matrices[vc.id], path, weather)
    by_id = {c.id: c for c in problem.consignments}
    back = problem.direction == "return"
    t = float(max(0, problem.seconds(vessel.available_from)))
    arrival = t
    first = 0  # trips before the solver's (the cargo on board of a resumed voyage)
    if resume is not None:
        first = 1 if resume.onboard else 0
        t = arrival = resume.at_s
        clock._call("start", resume.place, 1, (t, t, t), [], "start", "start")
        here = resume.place
        for group in _groups(resume.onboard, by_id):
            landing = group[0].landing_id
            t = clock.landing(group, clock.sail(here, landing, t, 1) if here != landing else t, 1)
            here = landing
        home = resume.home or vessel.home_depot
        if here != home:
            t = clock.sail(here, home, t, 1)
        arrival = t
        t = max(t, float(max(0, problem.seconds(vessel.available_from))))
    carried: list[Consignment] = []
    for n, trip in enumerate(route.trips):
        trip_no = n + 1 + first
        cons = [by_id[c] for c in trip.consignments]
        if back:
            unloads = trip_no - 1 if carried else trip_no
            t = clock.depot(
                trip.start_depot, t, unloads, carried, arrival=arrival, operation="unload"
            )
        else:
            t = clock.depot(trip.start_depot, t, trip_no, cons, arrival=arrival)
        here = trip.start_depot
        for group in _groups(trip.consignments, by_id):
            t = clock.landing(group, clock.sail(here, group[0].landing_id, t, trip_no), trip_no)
            here = group[0].landing_id
        t = arrival = clock.sail(here, trip.end_depot, t, trip_no)
        carried = cons
    last = (
        route.trips[-1].end_depot if route.trips else (resume.home if resume else vessel.home_depot)
    )
    clock.depot(
        last,
        t,
        max(1, len(route.trips) + first),
        carried if back else [],
        arrival=t,
        operation="unload" if back and carried else "",
    )
    return Voyage(vessel.id, vc.id, tuple(clock.stops), tuple(clock.legs)), clock.delivered


def lateness_s(problem: Problem, delivered: Mapping[str, datetime]) -> dict[str, int]:
    """Seconds each late consignment is handed over after its deadline (only the late ones)."""
    by_id = {c.id: c for c in problem.consignments}
    late = {cid: int((t - by_id[cid].deadline).total_seconds()) for cid, t in delivered.items()}
    return {cid: s for cid, s in late.items() if s > 0}


def kpis(plan: Plan) -> dict[str, Any]:
    """Makespan, ship-hours, distance, fuel and time cost, and per district delivery and margin."""
    problem = plan.problem
    ship_s = distance_m = fuel = time_cost = 0.0
    ends: list[datetime] = []
    for v in plan.voyages:
        vc = problem.classes[v.class_id]
        busy_s = (v.stops[-1].departure - v.stops[0].work_start).total_seconds()
        sailed_m = sum(leg.distance_m for leg in v.legs)
        ship_s += busy_s
        distance_m += sailed_m
        fuel += metres_to_nm(sailed_m) * vc.cost_per_nm_idr
        time_cost += busy_s / 3600 * vc.cost_per_hour_idr
        ends.append(v.stops[-1].arrival)
    districts: dict[str, dict[str, Any]] = {}
    by_id = {c.id: c for c in problem.consignments}
    for c in problem.consignments:
        d = districts.setdefault(
            c.district_code,
            {
                "district_code": c.district_code,
                "deadline": c.deadline,
                "tps": 0,
                "tps_delivered": 0,
                "delivered_by": None,
            },
        )
        d["deadline"] = min(d["deadline"], c.deadline)
        d["tps"] += c.tps
        when = plan.delivered.get(c.id)
        if when is not None:
            d["tps_delivered"] += c.tps
            d["delivered_by"] = max(d["delivered_by"] or when, when)
    for d in districts.values():
        by = d["delivered_by"]
        d["margin_h"] = round((d["deadline"] - by).total_seconds() / 3600, 2) if by else None
    makespan = (max(ends) - problem.start).total_seconds() / 3600 if ends else 0.0
    return {
        "makespan_h": round(makespan, 2),
        "ship_hours": round(ship_s / 3600, 2),
        "distance_nm": round(metres_to_nm(distance_m), 1),
        "fuel_cost_idr": round(fuel),
        "ship_time_cost_idr": round(time_cost),
        "vessels_used": len(plan.voyages),
        "trips": sum(v.trips for v in plan.voyages),
        "tps_delivered": sum(d["tps_delivered"] for d in districts.values()),
        "tps_total": sum(d["tps"] for d in districts.values()),
        "min_margin_h": min(
            (d["margin_h"] for d in districts.values() if d["margin_h"] is not None), default=None
        ),
        "districts": [districts[k] for k in sorted(districts)],
        "freight_idr": round(sum(b.freight_idr for b in plan.sailings)),
        "tps_by_sailing": sum(
            by_id[c].tps for b in plan.sailings for h in b.loads for c in h.consignments
        ),
    }
