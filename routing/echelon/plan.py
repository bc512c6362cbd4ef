"""Plan two echelons: scheduled sailings to the island hubs, the district offices' boats and
roads from the hubs, and the dispatched vessels for what no sailing serves in time.

1. ``booking.book`` puts each hub's consignments on sailings (capacity, cut-off, weather, time).
2. At each hub the kits go on: handed over at the hub, by road (the handover in daylight), or by
   the hub's local boats, planned as a problem of their own whose depot is the hub and whose
   cargo is released there at the sailing's arrival plus the transfer.
3. What the sailings do not take, and what the boats or roads cannot bring in time (taken off its
   sailing again), goes to the dispatched vessels from the depots, planned as before.

The plan's cost adds the sailings' freight to the solver's cost of the vessels' hours and miles.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from routing.domain import (
    Booking,
    Consignment,
    HubLoad,
    Onward,
    Plan,
    Problem,
    Reason,
    Unassigned,
)
from routing.echelon.booking import Booked, book, onward_arrival, passage
from routing.planner import make_plan
from routing.schedule import PathCoords
from routing.sea.matrix import Matrix
from routing.sea.weather import Detour
from routing.solver import Progress, SolveOptions, Solver

HUB_SHARE = 0.3
"""Of a wall-time budget, the share the hubs' local boats get (the dispatched vessels the rest)."""


def _only(
    problem: Problem, vessels: tuple, consignments: list[Consignment], **kw: object
) -> Problem:
    """A part of the problem: some vessels (and their classes) and consignments, one echelon."""
    classes = {v.class_id for v in vessels}
    return dataclasses.replace(
        problem,
        vessels=vessels,
        classes={k: vc for k, vc in problem.classes.items() if k in classes},
        consignments=tuple(consignments),
        sailings=(),
        hubs=(),
        sailing_areas={},
        **kw,  # type: ignore[arg-type]
    )


def _ready(problem: Problem, booked: Booked, cid: str) -> datetime:
    """When a booked consignment can go on from its hub: arrival plus the transfer."""
    sailing, hub = booked.ride[cid]
    found = passage(problem, sailing, hub.landing_id)
    assert found is not None, "a booked sailing goes from a depot to its hub"
    return found[1].arrival + timedelta(seconds=hub.transfer_s)


def _roads(problem: Problem, booked: Booked) -> list[Onward]:
    """The booked consignments handed over at the hub or taken on by road; those that would be
    late are taken off their sailing."""
    out = []
    by_id = {c.id: c for c in problem.consignments}
    for cid in sorted(booked.ride):
        way = booked.ways[cid]
        if way.mode == "boat":
            continue
        ready = _ready(problem, booked, cid)
        arrive = onward_arrival(problem, way, ready)
        if arrive > by_id[cid].deadline:
            booked.drop(by_id[cid], "too_late", f"by {way.mode} from the hub, after the deadline")
            continue
        # leave the hub as late as still arrives then (no wait on the road), whole seconds
        depart = max(ready, problem.at(problem.seconds(arrive) - math.ceil(way.least_s)))
        out.append(Onward(cid, way.hub.landing_id, way.mode, depart, arrive, way.distance_m))
    return out


def _bookings(problem: Problem, booked: Booked) -> tuple[Booking, ...]:
    by_id = {c.id: c for c in problem.consignments}
    per: dict[str, dict[str, list[str]]] = {}
    sailings = {}
    for cid, (s, hub) in booked.ride.items():
        per.setdefault(s.key, {}).setdefault(hub.landing_id, []).append(cid)
        sailings[s.key] = s
    out = []
    for key in sorted(per, key=lambda k: (sailings[k].departure, k)):
        s = sailings[key]
        order = [c.stop_id for c in s.calls]
        loads = tuple(
            HubLoad(
                hub,
                tuple(sorted(cids)),
                round(sum(by_id[c].weight_kg for c in cids), 3),
                round(sum(by_id[c].volume_m3 for c in cids), 4),
            )
            for hub, cids in sorted(per[key].items(), key=lambda kv: order.index(kv[0]))
        )
        out.append(Booking(s, loads))
    return tuple(out)


def make_two_echelon_plan(
    problem: Problem,
    matrices: Mapping[str, Matrix],
    *,
    options: SolveOptions,
    solver: Solver | None = None,
    path: PathCoords | None = None,
    progress: Progress | None = None,
    deadline_monotonic: float | None = None,
    detour: Detour | None = None,
) -> Plan:
    """Plan a problem with hubs (see the module's text); arguments as ``make_plan``'s.

    Returns
    -------
    Plan
        The dispatched vessels' and the local boats' voyages, the booked sailings, the road
        and hub handovers, and for each consignment a hub serves that is not on a sailing why.
    """
    booked = book(problem, matrices)
    onward = _roads(problem, booked)
    by_id = {c.id: c for c in problem.consignments}
    released = {cid: _ready(problem, booked, cid) for cid in booked.ride}
    hub_plans = []
    by_boat = [c for c in sorted(booked.ride) if booked.ways[c].mode == "boat"]
    # Each hub's by now: a hub's boats that cannot bring a consignment take it off its sailing
    # (``booked.drop``), which must not hide it from the hubs after.
    hub_of = {c: booked.ride[c][1].landing_id for c in by_boat}
    hubs = sorted(set(hub_of.values()))
    for n, hub in enumerate(hubs):
        cons = [
            dataclasses.replace(by_id[cid], release=released[cid])
            for cid in by_boat
            if hub_of[cid] == hub
        ]
        boats = tuple(v for v in problem.vessels if v.home_depot == hub)
        part = _only(problem, boats, cons, depots=(hub,))
        budget = None
        if deadline_monotonic is not None:
            left = deadline_monotonic - time.monotonic()
            budget = time.monotonic() + max(0.5, left * HUB_SHARE / (len(hubs) - n))
        sub = make_plan(
            part, matrices, options=options, solver=solver, path=path,
            deadline_monotonic=budget, detour=detour,
        )  # fmt: skip
        for u in sub.unassigned:
            why = "; ".join(r.message for r in u.reasons)
            for cid in u.consignments:
                booked.drop(by_id[cid], "local_boats", f"the hub's boats cannot bring it: {why}")
        hub_plans.append(sub)
    rest = [c for c in problem.consignments if c.id not in booked.ride]
    dispatched = _dispatched(problem, rest, matrices, options, solver, path, progress,
                             deadline_monotonic, detour)  # fmt: skip
    return _merge(problem, booked, released, onward, hub_plans, dispatched)


def _dispatched(
    problem: Problem,
    rest: list[Consignment],
    matrices: Mapping[str, Matrix],
    options: SolveOptions,
    solver: Solver | None,
    path: PathCoords | None,
    progress: Progress | None,
    deadline_monotonic: float | None,
    detour: Detour | None,
) -> Plan:
    part = _only(problem, problem.dispatched, rest)
    if not rest:
        return Plan("completed", part, (), (), {}, 0.0, options.seed, "none", 0)
    return make_plan(
        part, matrices, options=options, solver=solver, path=path, progress=progress,
        deadline_monotonic=deadline_monotonic, detour=detour,
    )  # fmt: skip


def _merge(
    problem: Problem,
    booked: Booked,
    released: dict[str, datetime],
    onward: list[Onward],
    hub_plans: list[Plan],
    dispatched: Plan,
) -> Plan:
    """One plan of the echelons; the problem's consignments carry their release at the hub."""
    onward = [o for o in onward if o.consignment in booked.ride]
    riding = set(booked.ride)
    merged = dataclasses.replace(
        problem,
        consignments=tuple(
            dataclasses.replace(c, release=released[c.id]) if c.id in riding else c
            for c in problem.consignments
        ),
    )
    delivered = dict(dispatched.delivered)
    voyages = list(dispatched.voyages)
    for sub in hub_plans:
        voyages += sub.voyages
        delivered |= sub.delivered
    delivered |= {o.consignment: o.arrive for o in onward}
    bookings = _bookings(problem, booked)
    freight = sum(b.freight_idr for b in bookings)
    order = {v.id: n for n, v in enumerate(problem.vessels)}
    unassigned: tuple[Unassigned, ...] = dispatched.unassigned
    unassigned = tuple(_with_sailing_reason(u, booked) for u in unassigned)
    return Plan(
        status="infeasible" if unassigned else "completed",
        problem=merged,
        voyages=tuple(sorted(voyages, key=lambda v: order[v.vessel_id])),
        unassigned=unassigned,
        delivered=delivered,
        objective=dispatched.objective + sum(p.objective for p in hub_plans) + freight,
        seed=dispatched.seed,
        engine=dispatched.engine if dispatched.engine != "none" else _engine(hub_plans),
        iterations=dispatched.iterations + sum(p.iterations for p in hub_plans),
        sailings=bookings,
        onward=tuple(sorted(onward, key=lambda o: (o.arrive, o.consignment))),
        off_sailings=tuple(booked.off[c] for c in sorted(booked.off)),
    )


def _engine(plans: list[Plan]) -> str:
    return next((p.engine for p in plans if p.engine != "none"), "none")


def _with_sailing_reason(u: Unassigned, booked: Booked) -> Unassigned:
    """An unserved village's reasons, with why its kits are not on a sailing."""
    extra = tuple(
        Reason("NO_SAILING", booked.off[cid].message) for cid in u.consignments if cid in booked.off
    )[:1]
    return dataclasses.replace(u, reasons=u.reasons + extra)
