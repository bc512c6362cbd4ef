"""Re-planning under way: the field events of a plan as the current state, a change, the rest
planned again, and what changed against the old plan.

The state comes from the old plan (its JSON document) and its field events: a landing with a
``handed_over`` event is delivered and stays so; a vessel is where its last event puts it (at a
stop, or under way to the next one, due there at the planned sailing time after it left), and
carries what its current trip loaded and has not yet handed over. Such a vessel continues: it
hands over what it carries in the old order, sails home, and only then takes new trips. Vessels
that have not started are free at their depot from the re-plan time. A vessel out of service
from a time works only until then; one out of service already is gone, and what it carried is
assumed brought back to its depot and free to load from the re-plan time (assumed: transfer at
sea is not modelled). What is not delivered or on board is planned again from scratch, starting
from the old routes so that, at equal cost, the old assignment is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from routing.domain import Plan, Problem, SolvedRoute, Vessel
from routing.echelon.booking import held_by
from routing.errors import DataError, Issue
from routing.fieldlog import NOTES, usable_events
from routing.plandoc import PlanDocument, Voyage
from routing.planner import make_plan
from routing.schedule import PathCoords, Resume, make_voyage
from routing.sea.matrix import Matrix
from routing.sea.weather import Detour, Weather
from routing.solver import Progress, SolveOptions, Solver

RETIMED_S = 1800  # a handover that moves by more than this is listed as retimed


@dataclass(frozen=True)
class VesselState:
    place: str  # the stop it is at, or the one it is sailing to
    at: datetime  # when it is (or will be) there
    onboard: tuple[str, ...]  # loaded and not yet handed over, in the old order
    started: bool


@dataclass(frozen=True)
class FieldState:
    as_of: datetime
    delivered: dict[str, datetime]  # consignment -> handed over (from the events)
    vessels: dict[str, VesselState]


@dataclass(frozen=True)
class Replan:
    plan: Plan
    state: FieldState
    diff: dict[str, Any]
    gone: tuple[str, ...]  # vessels out of service at the re-plan time
    # two echelons: consignments left on their booked sailing and hub as planned -> handover
    kept: dict[str, datetime] = dataclasses.field(default_factory=dict)


def _t(raw: str) -> datetime:
    return datetime.fromisoformat(raw)


def field_state(
    document: PlanDocument, events: Sequence[Mapping[str, Any]], as_of: datetime | None
) -> FieldState:
    """What is delivered and where each vessel is, from a plan document and its events.

    Events that cannot be replayed (``fieldlog.usable_events``: no such stop, a time without a
    UTC offset, a time going back) are left out."""
    usable, _ = usable_events(document, events)
    latest = max((_t(e["at"]) for e in usable), default=document.start)
    now = as_of or latest
    # A re-planned plan: what was delivered before it stays delivered.
    delivered: dict[str, datetime] = {
        d.consignment: d.handed_over
        for d in (document.replan.delivered_before if document.replan else ())
    }
    vessels: dict[str, VesselState] = {}
    for voyage in document.voyages:
        evs = [e for e in usable if e["vessel_id"] == voyage.vessel_id and _t(e["at"]) <= now]
        done: dict[int, dict[str, datetime]] = {}
        for e in evs:
            if e["type"] not in NOTES:
                done.setdefault(int(e["stop"]), {})[str(e["type"])] = _t(e["at"])
        for i, types in done.items():
            if voyage.stops[i].kind == "landing" and "handed_over" in types:
                for cid in voyage.stops[i].consignments:
                    delivered[cid] = types["handed_over"]
        vessels[voyage.vessel_id] = _vessel_state(voyage, done, delivered, now)
    return FieldState(now, delivered, vessels)


def _vessel_state(
    voyage: Voyage,
    done: Mapping[int, Mapping[str, datetime]],
    delivered: Mapping[str, datetime],
    now: datetime,
) -> VesselState:
    """Where a vessel is and what it carries, from the steps done at its stops."""
    stops = voyage.stops
    if not done:
        if stops[0].kind == "start":  # a re-planned voyage: under way with its cargo
            cargo = tuple(c for c in voyage.cargo_at(0) if c not in delivered)
            return VesselState(stops[0].id, max(stops[0].arrival, now), cargo, True)
        return VesselState(stops[0].id, now, (), False)
    last = max(done)
    stop, types = stops[last], done[last]
    onboard = tuple(c for c in voyage.cargo_at(last) if c not in delivered)
    if "departed" in types and last + 1 < len(stops):
        nxt = stops[last + 1]
        at = types["departed"] + max(nxt.arrival - stop.departure, timedelta(0))
        return VesselState(nxt.id, max(at, now), onboard, True)
    if stop.kind == "depot" and "loaded" not in types:
        return VesselState(stop.id, now, (), True)  # back at a depot
    return VesselState(stop.id, now, onboard, True)


def replan(
    problem: Problem,
    document: PlanDocument,
    events: Sequence[Mapping[str, Any]],
    matrices: Mapping[str, Matrix],
    *,
    options: SolveOptions,
    as_of: datetime | None = None,
    out_of_service: Mapping[str, datetime] | None = None,
    path: PathCoords | None = None,
    solver: Solver | None = None,
    progress: Progress | None = None,
    deadline_monotonic: float | None = None,
    detour: Detour | None = None,
) -> Replan:
    """Plan the rest of ``problem`` (the scenario with its change applied) from the state its
    old plan ``document`` and ``events`` give; see the module docstring."""
    if problem.direction != "outbound":
        raise DataError(
            [Issue("bad_value", "/direction", "re-planning covers outbound plans only")],
            source=problem.name,
        )
    state = field_state(document, events, as_of)
    riding: dict[str, datetime] = {}
    if problem.hubs:  # two echelons: what stays on its sailing; the dispatched part is planned
        broken = set(out_of_service or ())
        problem, riding = _off_the_sailings(problem, document, state.as_of, broken)
    out_of_service = dict(out_of_service or {})
    planned = {v.vessel_id for v in document.voyages if v.hub is None}
    known = {x.id for x in problem.vessels} | planned
    unknown = [v for v in out_of_service if v not in known]
    if unknown:
        raise DataError(
            [
                Issue("unknown_vessel", f"/change/out_of_service/{v}", f"no vessel {v!r}")
                for v in unknown
            ],
            source=problem.name,
        )
    by_id = {c.id: c for c in problem.consignments}
    remaining = {cid for cid in by_id if cid not in state.delivered}
    released: dict[str, datetime] = {}
    resumes: dict[str, Resume] = {}
    vessels: list[Vessel] = []
    # Vessels of the old plan that the scenario no longer has (out of service before it starts).
    gone: list[str] = sorted(planned - {x.id for x in problem.vessels})
    weather = Weather(problem, path, detour)
    for v in problem.vessels:
        vs = state.vessels.get(v.id, VesselState(v.home_depot, state.as_of, (), False))
        onboard = tuple(c for c in vs.onboard if c in remaining)
        until = min(v.available_until, out_of_service.get(v.id, v.available_until))
        if until <= state.as_of:
            gone.append(v.id)
            for cid in onboard:
                released[cid] = state.as_of
            continue
        start = max(vs.at, v.available_from, state.as_of)
        if onboard or vs.place not in problem.depots:
            resume = Resume(vs.place, float(problem.seconds(start)), onboard, v.home_depot)
            probe = dataclasses.replace(
                problem,
                vessels=(dataclasses.replace(v, available_from=start),),
            )
            voyage, _ = make_voyage(
                probe,
                SolvedRoute(v.id, ()),
                matrices,
                weather=weather if weather.active else None,
                resume=resume,
            )
            back = voyage.stops[-1].arrival
            resumes[v.id] = resume
            vessels.append(
                dataclasses.replace(v, available_from=max(back, start), available_until=until)
            )
        else:
            vessels.append(
                dataclasses.replace(
                    v, home_depot=vs.place, available_from=start, available_until=until
                )
            )
    kept = tuple(
        dataclasses.replace(c, release=released[c.id]) if c.id in released else c
        for c in problem.consignments
        if c.id in remaining
    )
    sub = dataclasses.replace(problem, vessels=tuple(vessels), consignments=kept)
    onboard_ids = {c for r in resumes.values() for c in r.onboard}
    hint = _old_trips(document, remaining - onboard_ids, {v.id for v in vessels})
    plan = make_plan(
        sub,
        matrices,
        options=dataclasses.replace(options, hint=hint),
        solver=solver,
        path=path,
        progress=progress,
        deadline_monotonic=deadline_monotonic,
        resumes=resumes,
        detour=detour,
    )
    changes = diff(document, plan, state, kept=set(riding))
    return Replan(plan, state, changes, tuple(sorted(gone)), riding)


def _off_the_sailings(
    problem: Problem, document: PlanDocument, as_of: datetime, broken: set[str]
) -> tuple[Problem, dict[str, datetime]]:
    """A two-echelon plan re-planned: the consignments of a booked sailing that has not left
    and that the problem's forecast now holds (``routing.echelon.booking``'s rule) go back to
    the dispatched vessels, released at the depot at ``as_of``; the rest stay on their sailing,
    local boat or road as planned (kept, with their planned handover). The local boats and the
    roads are not re-planned: what a local boat out of service (``broken``) would have handed
    over goes to the dispatched vessels too."""
    handover = {o.consignment: o.arrive for o in document.onward}
    for v in document.voyages:
        if v.hub is not None and v.vessel_id not in broken:
            for st in v.stops:
                handover |= (
                    dict.fromkeys(st.consignments, st.work_end) if st.kind == "landing" else {}
                )
    kept: dict[str, datetime] = {}
    for b in document.sailings:
        leave, reach = b.calls[0].departure, b.calls[-1].arrival
        if leave < as_of or held_by(problem, b.trip_id, leave, reach) is None:
            for h in b.loads:
                kept |= {c: handover[c] for c in h.consignments if c in handover}
    rest = dataclasses.replace(
        problem,
        vessels=problem.dispatched,
        consignments=tuple(c for c in problem.consignments if c.id not in kept),
        hubs=(),
        sailings=(),
        sailing_areas={},
    )
    return rest, kept


def _old_trips(
    document: PlanDocument, wanted: set[str], vessels: set[str]
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The old plan's trips of each vessel, restricted to the consignments still to plan."""
    out = {}
    for voyage in document.voyages:
        if voyage.vessel_id not in vessels:
            continue
        trips: dict[int, list[str]] = {}
        for s in voyage.stops:
            if s.kind == "landing":
                trips.setdefault(s.trip, []).extend(c for c in s.consignments if c in wanted)
        kept = tuple(tuple(t) for _, t in sorted(trips.items()) if t)
        if kept:
            out[voyage.vessel_id] = kept
    return out


def _handovers(voyages: Sequence[Voyage]) -> dict[str, tuple[str, datetime, str]]:
    out = {}
    for v in voyages:
        for s in v.stops:
            if s.kind == "landing":
                for cid, item in zip(s.consignments, s.manifest, strict=True):
                    out[cid] = (v.vessel_id, s.work_end, item.village_code)
    return out


def diff(
    document: PlanDocument, plan: Plan, state: FieldState, *, kept: set[str] | None = None
) -> dict[str, Any]:
    """What the new plan changes against the old one, consignment by consignment (``kept``:
    left as planned on their sailing and hub, as delivered ones are)."""
    kept = kept or set()
    village = {c.id: c.village_code for c in plan.problem.consignments}
    old = _handovers(document.voyages)
    new = {
        cid: (v.vessel_id, s.work_end, village[cid])
        for v in plan.voyages
        for s in v.stops
        if s.kind == "landing"
        for cid in s.consignments
    }
    names = plan.problem.names

    def village_of(code: str) -> dict[str, Any]:
        v = names.village(code)
        return {"village_code": code, "village_name": v.name if v else None}

    moved, retimed, dropped, added = [], [], [], []
    unchanged = 0
    for cid in sorted(set(old) | set(new)):
        if cid in state.delivered or cid in kept:
            continue
        o, n = old.get(cid), new.get(cid)
        if o and n:
            item = {"consignment": cid} | village_of(n[2])
            delta_h = round((n[1] - o[1]).total_seconds() / 3600, 2)
            if o[0] != n[0]:
                moved.append(
                    item
                    | {
                        "from_vessel": o[0],
                        "from_vessel_name": names.vessel(o[0]),
                        "to_vessel": n[0],
                        "to_vessel_name": names.vessel(n[0]),
                        "old_handover": o[1].isoformat(),
                        "new_handover": n[1].isoformat(),
                        "delta_h": delta_h,
                    }
                )
            elif abs((n[1] - o[1]).total_seconds()) > RETIMED_S:
                retimed.append(
                    item
                    | {
                        "vessel": n[0],
                        "vessel_name": names.vessel(n[0]),
                        "old_handover": o[1].isoformat(),
                        "new_handover": n[1].isoformat(),
                        "delta_h": delta_h,
                    }
                )
            else:
                unchanged += 1
        elif o:
            dropped.append(
                {"consignment": cid}
                | village_of(o[2])
                | {"from_vessel": o[0], "from_vessel_name": names.vessel(o[0])}
            )
        elif n:
            added.append(
                {"consignment": cid}
                | village_of(n[2])
                | {"to_vessel": n[0], "to_vessel_name": names.vessel(n[0])}
            )
    return {
        "as_of": state.as_of.isoformat(),
        "delivered_before": len(state.delivered),
        "unchanged": unchanged,
        "moved": moved,
        "retimed": retimed,
        "now_unserved": dropped,
        "now_served": added,
        "villages_moved": sorted({m["village_code"] for m in moved}),
    }


CHANGE_KEYS = ("out_of_service", "closed_landings", "forecast", "deadlines", "default_deadline")


def apply_change(
    scenario: Mapping[str, Any], change: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, datetime]]:
    """The scenario (as read from TOML or JSON) with a change folded in, and the vessels out of
    service from when. A change may carry ``out_of_service = [{vessel, from}]``,
    ``closed_landings = [{landing, from, until}]``, ``forecast = [{area, from, until, wave_m}]``
    (added to the scenario's), ``deadlines = {district: time}`` and ``default_deadline``."""
    issues: list[Issue] = []
    for key in change:
        if key not in CHANGE_KEYS:
            issues.append(
                Issue(
                    "unknown_field", f"/change/{key}", f"a change has only {', '.join(CHANGE_KEYS)}"
                )
            )
    raw = dict(scenario)
    out: dict[str, datetime] = {}
    if not isinstance(raw.get("out_of_service") or {}, Mapping):
        issues.append(Issue("bad_value", "/out_of_service", "must map vessel ids to times"))
    for n, item in enumerate(change.get("out_of_service") or []):
        item = item if isinstance(item, Mapping) else {}
        vid, when = item.get("vessel"), item.get("from")
        if not vid:
            issues.append(
                Issue("missing_field", f"/change/out_of_service/{n}/vessel", "name the vessel")
            )
        try:
            at = when if isinstance(when, datetime) else datetime.fromisoformat(str(when))
        except ValueError:
            issues.append(
                Issue(
                    "bad_time",
                    f"/change/out_of_service/{n}/from",
                    f"{when!r} is not an RFC 3339 time",
                )
            )
            continue
        if at.tzinfo is None:
            issues.append(
                Issue("bad_time", f"/change/out_of_service/{n}/from", "give a UTC offset (+07:00)")
            )
        elif vid:
            out[str(vid)] = at
    for key in ("closed_landings", "forecast"):
        if key in change:
            if not isinstance(change[key], list):
                issues.append(Issue("bad_value", f"/change/{key}", "must be a list"))
            else:
                raw[key] = list(raw.get(key) or []) + list(change[key])
    if "deadlines" in change:
        if not isinstance(change["deadlines"], Mapping):
            issues.append(
                Issue("bad_value", "/change/deadlines", "must map district codes to times")
            )
        else:
            raw["deadlines"] = dict(raw.get("deadlines") or {}) | dict(change["deadlines"])
    if "default_deadline" in change:
        raw["default_deadline"] = change["default_deadline"]
    if issues:
        raise DataError(issues, source="change")
    # Kept in the scenario, so that a later re-plan of the new plan still has the vessel out.
    raw["out_of_service"] = dict(raw.get("out_of_service") or {}) | {
        k: v.isoformat() for k, v in out.items()
    }
    return raw, out
