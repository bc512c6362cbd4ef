"""Which consignments ride which scheduled sailing to their island hub.

Each consignment of a district a hub serves is offered the sailings that leave a scenario depot
and call at its hub afterwards, earliest arrival first. A sailing takes it when the kits are on
the quay by its cut-off, no forecast over the waters it crosses is above the sailing limit while
it is at sea, it arrives early enough for the kits to go on (transfer, then the quickest way on:
road, a local boat's passage, or nothing where the village lands at the hub) before the
deadline, and its cargo space (kg and m3) still holds them. Consignments go in order of
deadline, the far ones first, so the sailings' space goes where the time is shortest. What no
sailing takes is given to the dispatched vessels, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from routing.domain import (
    Consignment,
    Hub,
    OffSailing,
    Problem,
    Sailing,
    SailingCall,
    WaveForecast,
)
from routing.schedule import Daylight
from routing.sea.matrix import Matrix

# When no sailing takes a consignment, the reason given is the one that came closest, in this
# order: a sailing in time but full says more than one too late, and so on.
REASON_ORDER = ("capacity", "weather", "too_late", "cutoff")


@dataclass(frozen=True)
class Way:
    """How a consignment goes on from its hub: ``mode`` "hub" (it lands at the hub), "road"
    or "boat", and the least time that takes (a boat's passage at its speed, without daylight)."""

    hub: Hub
    mode: str
    least_s: float
    distance_m: float = 0.0


@dataclass
class Booked:
    """The bookings made: consignment -> (sailing, its hub), and each sailing's space used."""

    ride: dict[str, tuple[Sailing, Hub]] = field(default_factory=dict)
    ways: dict[str, Way] = field(default_factory=dict)
    used: dict[str, tuple[float, float]] = field(default_factory=dict)  # sailing key -> kg, m3
    off: dict[str, OffSailing] = field(default_factory=dict)

    def drop(self, c: Consignment, code: str, message: str) -> None:
        """Take a consignment off its sailing (its local boats or road could not make it)."""
        sailing, hub = self.ride.pop(c.id)
        kg, m3 = self.used[sailing.key]
        self.used[sailing.key] = (kg - c.weight_kg, m3 - c.volume_m3)
        self.off[c.id] = OffSailing(c.id, hub.landing_id, code, message)


def hub_for(problem: Problem, c: Consignment) -> Hub | None:
    """The hub a consignment goes through: one that lands it, one whose roads reach it, else
    the first that serves its district (None: no hub serves it)."""
    serving = [h for h in problem.hubs if c.district_code in h.districts]
    for test in (lambda h: h.landing_id == c.landing_id, lambda h: c.landing_id in h.road_m):
        found = next((h for h in serving if test(h)), None)
        if found is not None:
            return found
    return serving[0] if serving else None


def way_on(
    problem: Problem, hub: Hub, c: Consignment, matrices: Mapping[str, Matrix]
) -> Way | None:
    """How a consignment goes on from its hub, and the least time it takes (None: no local
    boat of the hub reaches its landing)."""
    if c.landing_id == hub.landing_id:
        return Way(hub, "hub", 0.0)
    if c.landing_id in hub.road_m:
        metres = hub.road_m[c.landing_id]
        return Way(hub, "road", metres / (hub.road_speed_kmh / 3.6), metres)
    boats = {v.class_id for v in problem.vessels if v.home_depot == hub.landing_id}
    best = None
    for cid in boats:
        m = matrices[cid]
        if hub.landing_id not in m.ids or c.landing_id not in m.ids:
            continue
        i, j = m.index(hub.landing_id), m.index(c.landing_id)
        if m.reachable[i, j] and (best is None or m.duration_s[i, j] < best):
            best = float(m.duration_s[i, j])
    return None if best is None else Way(hub, "boat", best)


def onward_arrival(problem: Problem, way: Way, ready: datetime) -> datetime:
    """The earliest a consignment can be handed over going on from its hub at ``ready``: by road
    or at the hub, the handover waits for daylight; a boat's is a lower bound."""
    light = Daylight.of(problem)
    s = problem.seconds(ready) + way.least_s
    return problem.at(light.next_open(s) if way.mode != "boat" else s)


def passage(
    problem: Problem, sailing: Sailing, hub_id: str
) -> tuple[SailingCall, SailingCall] | None:
    """A sailing's call at a scenario depot and its first call at a hub after it (None where it
    does not go from a depot to the hub)."""
    stops = [c.stop_id for c in sailing.calls]
    first = next((n for n, s in enumerate(stops) if s in problem.depots), None)
    if first is None or hub_id not in stops[first + 1 :]:
        return None
    return sailing.calls[first], sailing.calls[stops.index(hub_id, first + 1)]


def held_by(
    problem: Problem, trip_id: str, leave: datetime, arrive: datetime
) -> WaveForecast | None:
    """The forecast that holds a trip at sea from ``leave`` to ``arrive``: over a sea area its
    course crosses and above the problem's sailing limit (None: it sails)."""
    areas = set(problem.sailing_areas.get(trip_id, ()))
    return next(
        (
            f
            for f in problem.forecast
            if f.wave_m > problem.sailing_max_wave_m
            and f.area_id in areas
            and f.start < arrive
            and f.end > leave
        ),
        None,
    )


def _try(
    problem: Problem,
    booked: Booked,
    sailing: Sailing,
    leg: tuple[SailingCall, SailingCall],
    c: Consignment,
    way: Way,
) -> tuple[str, str] | None:
    """Why a sailing cannot take a consignment (code, message), or None when it can; ``leg``
    is its ``passage`` from the depot to the consignment's hub."""
    hub = way.hub
    leave_at, reach = leg
    cutoff = leave_at.departure - timedelta(hours=sailing.cargo.cutoff_h.value)
    if cutoff < max(problem.start, c.release or problem.start):
        return (
            "cutoff",
            f"{sailing.key}: cargo closes {cutoff.isoformat()}, before the kits are ready",
        )
    held = held_by(problem, sailing.trip_id, leave_at.departure, reach.arrival)
    if held is not None:
        return (
            "weather",
            f"{sailing.key} is held: {held.wave_m:g} m forecast over {held.area_id}, above "
            f"the {problem.sailing_max_wave_m:g} m sailing limit",
        )
    ready = reach.arrival + timedelta(seconds=hub.transfer_s)
    handover = onward_arrival(problem, way, ready)
    if handover > c.deadline:
        return (
            "too_late",
            f"{sailing.key}: at the hub {reach.arrival.isoformat()}, handed over "
            f"{handover.isoformat()} at the earliest, after the deadline {c.deadline.isoformat()}",
        )
    kg, m3 = booked.used.get(sailing.key, (0.0, 0.0))
    cap = sailing.cargo
    if (
        kg + c.weight_kg > cap.capacity_kg.value + 1e-6
        or m3 + c.volume_m3 > cap.capacity_m3.value + 1e-6
    ):
        return (
            "capacity",
            f"{sailing.key}: {kg:.0f} of {cap.capacity_kg.value:.0f} kg and {m3:.1f} of "
            f"{cap.capacity_m3.value:.1f} m3 already booked",
        )
    return None


def book(problem: Problem, matrices: Mapping[str, Matrix]) -> Booked:
    """Book the problem's consignments on its sailings (see the module's text)."""
    booked = Booked()
    order = sorted(problem.consignments, key=lambda c: (c.deadline, -c.weight_kg, c.id))
    for c in order:
        hub = hub_for(problem, c)
        if hub is None:
            continue
        way = way_on(problem, hub, c, matrices)
        if way is None:
            why = "no local boat of the hub reaches its landing"
            booked.off[c.id] = OffSailing(c.id, hub.landing_id, "local_boats", why)
            continue
        booked.ways[c.id] = way
        legs = [(s, p) for s in problem.sailings if (p := passage(problem, s, hub.landing_id))]
        if not legs:
            why = f"no sailing of the timetable reaches {hub.landing_id} from a depot in time"
            booked.off[c.id] = OffSailing(c.id, hub.landing_id, "no_sailing", why)
            continue
        failures: dict[str, str] = {}
        for s, leg in sorted(legs, key=lambda sl: (sl[1][1].arrival, sl[0].key)):
            failed = _try(problem, booked, s, leg, c, way)
            if failed is None:
                booked.ride[c.id] = (s, hub)
                kg, m3 = booked.used.get(s.key, (0.0, 0.0))
                booked.used[s.key] = (kg + c.weight_kg, m3 + c.volume_m3)
                break
            failures.setdefault(failed[0], failed[1])
        else:
            code = next(k for k in REASON_ORDER if k in failures)
            booked.off[c.id] = OffSailing(c.id, hub.landing_id, code, failures[code])
    return booked
