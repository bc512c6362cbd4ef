"""Field events: their types, the order each voyage stop goes through, the rules of time and
order a new event must keep, and the clean-up of stored events before they are replayed.

A stop goes ``loaded -> departed`` at a depot, ``arrived -> handed_over -> departed`` at a
landing and ``arrived`` at the final return (``STEPS``); a note such as ``delayed`` may come any
time before a stop is done and moves nothing (``NOTES``).
A voyage only moves forward: once a later stop has been reported, an earlier one is closed (a
stop the crew did not report may be skipped, never reported afterwards). Times move forward too:
an event is not before the plan's start, not before the vessel's previous event and not further
past the server's clock than a configured skew.

Events stored before these rules existed may break them; ``usable_events`` sets such an event
aside with a warning for its voyage, so the status and the re-planner read the rest.

A booked scheduled sailing (a two-echelon plan's ``sailings[]``) is followed the same way, by
whoever watches it (the election office's logistics desk, the receiving district office): its
event names the ``sailing_id`` instead of a vessel and the index of a call in the sailing's
``calls``. The call where the kits are loaded goes ``loaded -> departed``, a call at a hub
``arrived -> handed_over -> departed`` (handed over to the district offices there), any other
call ``arrived -> departed``. A late sailing makes late what goes on from its hubs: the local
boats it feeds and the kits taken on by road or handed over at the hub.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing.inputs.schema import EARLIEST, LATEST
from routing.plandoc import BookedSailing, ManifestItem, PlanDocument, Village, Voyage, district_of


class EventType(StrEnum):
    loaded = "loaded"
    departed = "departed"
    arrived = "arrived"
    handed_over = "handed_over"
    delayed = "delayed"


# A step moves its stop along the stop's sequence; a note may come any time before the stop is
# done, at the kinds of stop it names, and moves nothing. A kind is a depot (loading), a landing,
# or the return to a depot at the end of the voyage.
STEPS: dict[str, tuple[str, ...]] = {
    "depot": ("loaded", "departed"),
    "landing": ("arrived", "handed_over", "departed"),
    "return": ("arrived",),
    "call": ("arrived", "departed"),  # a sailing's call where none of the plan's kits move
}
NOTES: dict[str, tuple[str, ...]] = {"delayed": ("depot", "landing", "return", "call")}
# A booked sailing's call kinds (``SailingCall.kind``) as stop kinds: the kits are loaded at its
# depot call and handed over to the district offices at a hub as at a landing.
CALL_KINDS: dict[str, str] = {"depot": "depot", "hub": "landing", "call": "call"}
# Whose an event is: ("vessel", vessel id) or ("sailing", sailing id).
Carrier = tuple[str, str]
AT_RISK_NOTES = frozenset({"delayed"})  # a note that puts its stop's districts at risk
AT_RISK_MARGIN = timedelta(hours=6)
# How far past the clock of whoever records it an event's time may be: phones' clocks drift, and
# a handover recorded offline carries the phone's time (assumed: ten minutes covers it).
DEFAULT_CLOCK_SKEW = timedelta(minutes=10)  # assumed: less than this to a deadline is at risk
REQUIRED: dict[str, tuple[str, ...]] = {  # what an event must carry besides its stop and time
    "handed_over": ("boxes", "condition", "receiver"),
    "delayed": ("reason",),
}
LABELS: dict[str, dict[str, str]] = {  # what people read: Indonesian first, then English
    "loaded": {"id": "Dimuat", "en": "Loaded"},
    "departed": {"id": "Berangkat", "en": "Departed"},
    "arrived": {"id": "Tiba", "en": "Arrived"},
    "handed_over": {"id": "Serah terima", "en": "Handed over"},
    "delayed": {"id": "Terlambat", "en": "Delayed"},
}


def required_fields(event_type: str) -> tuple[str, ...]:
    return REQUIRED.get(event_type, ())


def describe() -> list[dict[str, Any]]:
    """The event types as the API serves them: labels (Indonesian, English), required fields,
    the kinds of stop each belongs to, and whether it is a note (moves nothing)."""
    return [
        {
            "type": t.value,
            "labels": LABELS[t.value],
            "required": list(required_fields(t)),
            "stops": sorted(
                NOTES.get(t.value) or (k for k, seq in STEPS.items() if t.value in seq)
            ),
            "note": t.value in NOTES,
        }
        for t in EventType
    ]


def kind_of(stop_kind: str, *, last: bool) -> str:
    """``depot``, ``landing``, ``return`` (a depot at the end), or ``start`` (a re-plan's
    starting position, where nothing is reported)."""
    return "return" if stop_kind == "depot" and last else stop_kind


def sequence(stop_kind: str, *, last: bool) -> tuple[str, ...]:
    """The steps a stop of this kind (``Stop.kind``) goes through, in order."""
    return STEPS.get(kind_of(stop_kind, last=last), ())


def stop_state(done: Sequence[str]) -> str:
    return done[-1] if done else "planned"


@dataclass(frozen=True)
class Refusal:
    """Why an event cannot be recorded: a stable code, the field at fault, the reason."""

    code: str
    path: str
    message: str


def check_transition(stop_kind: str, *, last: bool, done: Sequence[str], event: str) -> str | None:
    """Why ``event`` cannot happen now at a stop of this kind, or ``None`` when it can."""
    seq = sequence(stop_kind, last=last)
    if event in NOTES:
        if kind_of(stop_kind, last=last) not in NOTES[event]:
            return f"a {stop_kind} stop has no '{event}' event"
        return None if len(done) < len(seq) else f"the stop is already {stop_state(done)}"
    if event not in seq:
        return f"a {stop_kind} stop has no '{event}' event (it goes {' -> '.join(seq)})"
    expected = seq[len(done)] if len(done) < len(seq) else None
    if expected is None:
        return f"the stop is already {stop_state(done)}"
    if event != expected:
        return f"the stop is {stop_state(done)}; '{event}' needs '{expected}' first"
    return None


def carrier_of(e: Mapping[str, Any]) -> Carrier:
    """Whose a stored or new event is: a booked sailing's when it names one, else a vessel's."""
    sailing = e.get("sailing_id")
    return ("sailing", str(sailing)) if sailing else ("vessel", str(e.get("vessel_id")))


def stop_kinds(document: PlanDocument) -> dict[Carrier, tuple[str, ...]]:
    """Each voyage's stops' and each booked sailing's calls' kinds, by carrier."""
    out: dict[Carrier, tuple[str, ...]] = {
        ("vessel", v.vessel_id): tuple(s.kind for s in v.stops) for v in document.voyages
    }
    for s in document.sailings:
        out[("sailing", s.sailing_id)] = tuple(CALL_KINDS[c.kind] for c in s.calls)
    return out


def check_event(
    document: PlanDocument,
    previous: Sequence[Mapping[str, Any]],
    *,
    carrier: Carrier,
    stop: int,
    type: str,
    at: datetime,
    now: datetime,
    skew: timedelta,
) -> Refusal | None:
    """Why a new event cannot be recorded after the carrier's ``previous`` (usable) events.

    ``previous`` are that vessel's (or sailing's) events, oldest first, as ``usable_events``
    returns them."""
    kinds = stop_kinds(document).get(carrier)
    if kinds is None:
        raise KeyError(carrier)
    whose = "sailing" if carrier[0] == "sailing" else "vessel"
    if at < document.start:
        return Refusal("before_plan_start", "/at", f"{at.isoformat()} is before the plan starts")
    if at > now + skew:
        return Refusal(
            "in_the_future",
            "/at",
            f"{at.isoformat()} is more than {skew.total_seconds():g} s past the server's clock",
        )
    if previous:
        latest = max(datetime.fromisoformat(e["at"]) for e in previous)
        if at < latest:
            return Refusal(
                "before_previous_event",
                "/at",
                f"the {whose}'s previous event was at {latest.isoformat()}; events go forward",
            )
    reported = [int(e["stop"]) for e in previous if e["type"] not in NOTES]
    if reported and stop < max(reported):
        return Refusal(
            "stop_passed",
            "/stop",
            f"the {whose} has reported stop {max(reported)}; stop {stop} is behind it",
        )
    done = [e["type"] for e in previous if int(e["stop"]) == stop and e["type"] not in NOTES]
    why = check_transition(kinds[stop], last=stop == len(kinds) - 1, done=done, event=type)
    return Refusal("bad_transition", "/type", why) if why else None


def _why_unusable(
    e: Mapping[str, Any],
    carriers: Mapping[Carrier, Sequence[str]],
    start: datetime,
    skew: timedelta,
) -> str | None:
    carrier = carrier_of(e)
    stops = carriers.get(carrier)
    if stops is None:
        return f"{carrier[0]} {carrier[1]!r} has no {_of(carrier)} in this plan"
    stop = e.get("stop")
    if isinstance(stop, bool) or not isinstance(stop, int) or not 0 <= stop < len(stops):
        return f"stop {stop!r} is not a stop of the {_of(carrier)}"
    if e.get("type") not in LABELS:
        return f"{e.get('type')!r} is not an event type"
    try:
        at = datetime.fromisoformat(str(e.get("at")))
    except ValueError:
        return f"its time {e.get('at')!r} is not an RFC 3339 time"
    if at.tzinfo is None:
        return f"its time {e.get('at')!r} has no UTC offset"
    if not EARLIEST <= at < LATEST:
        return f"its time {e.get('at')!r} is out of range"
    if at < start:
        return f"its time {e.get('at')!r} is before the plan starts"
    recorded = e.get("recorded_at")
    if recorded and at > datetime.fromisoformat(str(recorded)) + skew:
        return f"its time {e.get('at')!r} is after it reached the service ({recorded})"
    return None


def _of(carrier: Carrier) -> str:
    return "booking" if carrier[0] == "sailing" else "voyage"


def usable_events(
    document: PlanDocument,
    events: Iterable[Mapping[str, Any]],
    *,
    skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
    """The stored events that can be replayed, and a warning for each one set aside.

    An event is set aside when it names no stop of the plan, carries a time without a UTC
    offset or out of range, goes back in time against the vessel's (or sailing's) events
    before it, or reports a stop behind one already reported. A warning names the event's
    ``vessel_id`` or its ``sailing_id``."""
    carriers = stop_kinds(document)
    good: list[Mapping[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    latest: dict[Carrier, datetime] = {}
    furthest: dict[Carrier, int] = {}
    for e in events:
        why = _why_unusable(e, carriers, document.start, skew)
        c = carrier_of(e)
        if why is None:
            at = datetime.fromisoformat(str(e["at"]))
            if c in latest and at < latest[c]:
                why = f"its time {e['at']} is before the {c[0]}'s previous event"
            elif int(e["stop"]) < furthest.get(c, -1):
                why = f"stop {e['stop']} is behind stop {furthest[c]}, reported before it"
        if why is not None:
            warnings.append(
                {
                    f"{c[0]}_id": c[1],
                    "event_id": e.get("id"),
                    "code": "event_ignored",
                    "message": f"event {e.get('id')} ({e.get('type')}) is ignored: {why}",
                }
            )
            continue
        latest[c] = datetime.fromisoformat(str(e["at"]))
        if e["type"] not in NOTES:
            furthest[c] = max(furthest.get(c, -1), int(e["stop"]))
        good.append(e)
    return good, warnings


@dataclass
class _Replay:
    """The usable events of a plan, replayed: the steps done per stop, the stops a note put at
    risk, each vessel's (and sailing's) last event and how late it runs against the plan."""

    done: dict[tuple[Carrier, int], list[str]] = field(default_factory=lambda: defaultdict(list))
    at_risk: set[tuple[Carrier, int]] = field(default_factory=set)
    last_at: dict[Carrier, datetime] = field(default_factory=dict)
    late: dict[Carrier, timedelta] = field(default_factory=dict)


@dataclass(frozen=True)
class _Planned:
    """When a stop (or a sailing's call) was planned: arrival, end of the loading, departure."""

    arrival: datetime
    loaded: datetime
    departure: datetime


def _planned(plan: PlanDocument) -> dict[Carrier, list[_Planned]]:
    out = {
        ("vessel", v.vessel_id): [_Planned(s.arrival, s.work_end, s.departure) for s in v.stops]
        for v in plan.voyages
    }
    for b in plan.sailings:  # the kits are due on board by the cut-off
        calls = [_Planned(c.arrival, b.cutoff, c.departure) for c in b.calls]
        out[("sailing", b.sailing_id)] = calls
    return out


def _replay(plan: PlanDocument, events: Iterable[Mapping[str, Any]]) -> _Replay:
    out = _Replay()
    planned = _planned(plan)
    for e in events:
        c, n, kind = carrier_of(e), int(e["stop"]), str(e["type"])
        if kind in NOTES:
            if kind in AT_RISK_NOTES:
                out.at_risk.add((c, n))
        else:
            out.done[(c, n)].append(kind)
        at = datetime.fromisoformat(e["at"])
        out.last_at[c] = at
        stop = planned[c][n]
        due = stop.arrival if kind == "arrived" or kind in NOTES else stop.departure
        if kind == "loaded":
            due = stop.loaded
        out.late[c] = max(timedelta(0), at - due)
    return out


def status(
    plan: PlanDocument,
    events: Iterable[Mapping[str, Any]],
    *,
    skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> dict[str, Any]:
    """Per voyage where it is; per booked sailing where it is; per district TPS delivered of
    total, ETA against deadline, risk.

    Stored events that cannot be replayed (old data that breaks today's rules) are left out and
    named in the voyage's (or sailing's) ``warnings``."""
    usable, ignored = usable_events(plan, events, skew=skew)
    r = _replay(plan, usable)
    districts = _district_status(plan, r)
    return {
        "status": plan.status,
        "tps_delivered": sum(d["tps_delivered"] for d in districts),
        "tps_total": sum(d["tps_total"] for d in districts),
        "voyages": [_voyage_status(v, r, ignored) for v in plan.voyages],
        "sailings": [_sailing_status(b, r, ignored) for b in plan.sailings],
        "districts": districts,
        "unassigned": [u.village_code for u in plan.unassigned],
        "unassigned_villages": [
            {
                "code": u.village_code,
                "name": u.village_name,
                "district_code": u.district_code,
                "district_name": u.district_name,
                "tps": u.tps,
            }
            for u in plan.unassigned
        ],
        "warnings": ignored,
        "stop_states": {
            f"{c[1]}/{i}": stop_state(types)
            for (c, i), types in r.done.items()
            if types and c[0] == "vessel"
        },
    }


def _progress(
    carrier: Carrier, kinds: Sequence[str], r: _Replay, ignored: list[dict[str, Any]]
) -> tuple[int | None, dict[str, Any]]:
    """Where a voyage or a sailing is (its current stop, None once finished) and the status
    fields both share."""
    current = _current_stop(carrier, kinds, r.done)
    here = current < len(kinds)
    key = f"{carrier[0]}_id"
    return (current if here else None), {
        "current_state": stop_state(r.done[(carrier, current)]) if here else "finished",
        "delay_h": round(r.late.get(carrier, timedelta(0)).total_seconds() / 3600, 2),
        "last_event_at": r.last_at[carrier].isoformat() if carrier in r.last_at else None,
        "warnings": [w for w in ignored if w.get(key) == carrier[1]],
    }


def _voyage_status(v: Voyage, r: _Replay, ignored: list[dict[str, Any]]) -> dict[str, Any]:
    stops = v.stops
    current, progress = _progress(("vessel", v.vessel_id), [s.kind for s in stops], r, ignored)
    return {
        "vessel_id": v.vessel_id,
        "vessel_name": v.vessel_name,
        "vessel_class": v.vessel_class,
        "vessel_class_name": v.vessel_class_name,
        "hub": v.hub,
        "stops": len(stops),
        "current_stop": current,
        "current_place": stops[current].id if current is not None else None,
        "current_place_name": stops[current].name if current is not None else None,
    } | progress


def _sailing_status(b: BookedSailing, r: _Replay, ignored: list[dict[str, Any]]) -> dict[str, Any]:
    """A booked sailing: the call it is at, how late it runs, and per call the planned times
    and what was reported there (departures and arrivals as events)."""
    carrier = ("sailing", b.sailing_id)
    kinds = [CALL_KINDS[c.kind] for c in b.calls]
    current, progress = _progress(carrier, kinds, r, ignored)
    return {
        "sailing_id": b.sailing_id,
        "trip_id": b.trip_id,
        "route_name": b.route_name,
        "calls": [
            {
                "stop_id": c.stop_id,
                "stop_name": c.stop_name,
                "kind": c.kind,
                "arrival": c.arrival.isoformat(),
                "departure": c.departure.isoformat(),
                "state": stop_state(r.done[(carrier, i)]),
            }
            for i, c in enumerate(b.calls)
        ],
        "current_call": current,
        "current_place": b.calls[current].stop_id if current is not None else None,
        "current_place_name": b.calls[current].stop_name if current is not None else None,
    } | progress


@dataclass
class _DistrictTally:
    """What the status counts of one district's villages."""

    name: str | None = None
    total: int = 0
    delivered: int = 0
    eta: datetime | None = None
    risky: bool = False
    villages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def count(
        self,
        item: ManifestItem | Village,
        tps: int,
        by: dict[str, str | None],
        *,
        handed: bool,
        due: datetime,
        risky: bool,
    ) -> None:
        code = item.village_code if isinstance(item, ManifestItem) else item.code
        name = item.village_name if isinstance(item, ManifestItem) else item.name
        self.name = self.name or item.district_name
        self.total += tps
        village = self.villages.setdefault(
            code,
            {"code": code, "name": name, "tps_delivered": 0, "tps_total": 0, "vessels": []},
        )
        village["tps_total"] += tps
        if by not in village["vessels"]:
            village["vessels"].append(by)
        if handed:
            self.delivered += tps
            village["tps_delivered"] += tps
            return
        self.eta = max(self.eta or due, due)
        self.risky = self.risky or risky


def _district_status(plan: PlanDocument, r: _Replay) -> list[dict[str, Any]]:
    """Per district: TPS delivered of total, the latest ETA of what is still to come (shifted by
    how late its vessel, or the sailing that brought it to its hub, runs), the deadline, whether
    it is at risk, and its villages (name, TPS delivered of total, by which vessel).

    A consignment taken on by road, or handed over at its hub, counts as delivered once its
    sailing's handover at the hub is recorded: the district office takes it from there, and
    the road has no field events of its own."""
    tally: dict[str, _DistrictTally] = defaultdict(_DistrictTally)
    for d in plan.kpis.districts:
        tally[d.district_code].name = d.district_name
    # Each consignment on a sailing: the sailing, and the index of its call at the hub.
    landed: dict[str, tuple[Carrier, int]] = {}
    tps: dict[str, int] = {}  # and its TPS
    for b in plan.sailings:
        hub_calls = {c.stop_id: i for i, c in enumerate(b.calls) if c.kind == "hub"}
        for load in b.loads:
            at = (("sailing", b.sailing_id), hub_calls.get(load.stop_id, -1))
            for item in load.manifest:
                landed[item.consignment] = at
                tps[item.consignment] = item.tps

    def sailing_late(cid: str) -> timedelta:
        return r.late.get(landed[cid][0], timedelta(0)) if cid in landed else timedelta(0)

    def sailing_risky(cid: str) -> bool:
        return cid in landed and any(
            c == landed[cid][0] and n <= landed[cid][1] for c, n in r.at_risk
        )

    for v in plan.voyages:
        own = r.late.get(("vessel", v.vessel_id), timedelta(0))
        by = {"vessel_id": v.vessel_id, "vessel_name": v.vessel_name}
        for i, s in enumerate(v.stops):
            if s.kind != "landing":
                continue
            handed = "handed_over" in r.done[(("vessel", v.vessel_id), i)]
            noted = (("vessel", v.vessel_id), i) in r.at_risk
            for item in s.manifest:
                # A local boat waits for the sailing that brings its kits to the hub.
                shift = max(own, sailing_late(item.consignment))
                tally[district_of(item.village_code)].count(
                    item,
                    item.tps,
                    by,
                    handed=handed,
                    due=s.work_end + shift,
                    risky=noted or sailing_risky(item.consignment),
                )
    for o in plan.onward:
        carrier, call = landed.get(o.consignment, (("sailing", ""), -1))
        tally[district_of(o.village.code)].count(
            o.village,
            tps.get(o.consignment, 0),
            {"hub": o.hub, "hub_name": o.hub_name, "mode": o.mode},
            handed="handed_over" in r.done.get((carrier, call), ()),
            due=o.arrive + sailing_late(o.consignment),
            risky=sailing_risky(o.consignment),
        )
    deadlines = {d.district_code: d.deadline for d in plan.kpis.districts}
    return [
        {"district_code": d, "district_name": t.name}
        | _district_row(d, t.delivered, t.total, t.eta, deadlines.get(d), t.risky)
        | {"villages": [t.villages[code] for code in sorted(t.villages)]}
        for d, t in sorted(tally.items())
        if t.total
    ]


def _district_row(
    d: str, delivered: int, total: int, due: datetime | None, deadline: datetime | None, risky: bool
) -> dict[str, Any]:
    margin = (deadline - due).total_seconds() / 3600 if due and deadline else None
    return {
        "district_code": d,
        "tps_delivered": delivered,
        "tps_total": total,
        "eta": due.isoformat() if due else None,
        "deadline": deadline.isoformat() if deadline else None,
        "margin_h": round(margin, 2) if margin is not None else None,
        "at_risk": risky or bool(due and deadline and due > deadline - AT_RISK_MARGIN),
    }


def _current_stop(
    carrier: Carrier, kinds: Sequence[str], done: Mapping[tuple[Carrier, int], list[str]]
) -> int:
    """The stop a voyage (or sailing) is at: the furthest one reported, or the next once that
    one is done (a stop skipped without a report stays behind)."""
    reported = [i for i in range(len(kinds)) if done.get((carrier, i))]
    if not reported:
        return 0
    last = max(reported)
    steps = sequence(kinds[last], last=last == len(kinds) - 1)
    return last + 1 if len(done[(carrier, last)]) >= len(steps) else last
