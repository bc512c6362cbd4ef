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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing.inputs.schema import EARLIEST, LATEST
from routing.plandoc import PlanDocument, Stop, Voyage, district_of


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
}
NOTES: dict[str, tuple[str, ...]] = {"delayed": ("depot", "landing", "return")}
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


def check_event(
    document: PlanDocument,
    previous: Sequence[Mapping[str, Any]],
    *,
    vessel_id: str,
    stop: int,
    type: str,
    at: datetime,
    now: datetime,
    skew: timedelta,
) -> Refusal | None:
    """Why a new event cannot be recorded after the vessel's ``previous`` (usable) events.

    ``previous`` are that vessel's events, oldest first, as ``usable_events`` returns them."""
    voyage = document.voyage(vessel_id)
    if voyage is None:
        raise KeyError(vessel_id)
    stops = voyage.stops
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
                f"the vessel's previous event was at {latest.isoformat()}; events go forward",
            )
    reported = [int(e["stop"]) for e in previous if e["type"] not in NOTES]
    if reported and stop < max(reported):
        return Refusal(
            "stop_passed",
            "/stop",
            f"the vessel has reported stop {max(reported)}; stop {stop} is behind it",
        )
    done = [e["type"] for e in previous if int(e["stop"]) == stop and e["type"] not in NOTES]
    why = check_transition(stops[stop].kind, last=stop == len(stops) - 1, done=done, event=type)
    return Refusal("bad_transition", "/type", why) if why else None


def _why_unusable(
    e: Mapping[str, Any],
    voyages: Mapping[str, Sequence[Stop]],
    start: datetime,
    skew: timedelta,
) -> str | None:
    stops = voyages.get(str(e.get("vessel_id")))
    if stops is None:
        return f"vessel {e.get('vessel_id')!r} has no voyage in this plan"
    stop = e.get("stop")
    if isinstance(stop, bool) or not isinstance(stop, int) or not 0 <= stop < len(stops):
        return f"stop {stop!r} is not a stop of the voyage"
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


def usable_events(
    document: PlanDocument,
    events: Iterable[Mapping[str, Any]],
    *,
    skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
    """The stored events that can be replayed, and a warning for each one set aside.

    An event is set aside when it names no stop of the plan, carries a time without a UTC
    offset or out of range, goes back in time against the vessel's events before it, or
    reports a stop behind one already reported."""
    voyages = {v.vessel_id: v.stops for v in document.voyages}
    good: list[Mapping[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    latest: dict[str, datetime] = {}
    furthest: dict[str, int] = {}
    for e in events:
        why = _why_unusable(e, voyages, document.start, skew)
        vid = str(e.get("vessel_id"))
        if why is None:
            at = datetime.fromisoformat(str(e["at"]))
            if vid in latest and at < latest[vid]:
                why = f"its time {e['at']} is before the vessel's previous event"
            elif int(e["stop"]) < furthest.get(vid, -1):
                why = f"stop {e['stop']} is behind stop {furthest[vid]}, reported before it"
        if why is not None:
            warnings.append(
                {
                    "vessel_id": vid,
                    "event_id": e.get("id"),
                    "code": "event_ignored",
                    "message": f"event {e.get('id')} ({e.get('type')}) is ignored: {why}",
                }
            )
            continue
        latest[vid] = datetime.fromisoformat(str(e["at"]))
        if e["type"] not in NOTES:
            furthest[vid] = max(furthest.get(vid, -1), int(e["stop"]))
        good.append(e)
    return good, warnings


@dataclass
class _Replay:
    """The usable events of a plan, replayed: the steps done per stop, the stops a note put at
    risk, each vessel's last event and how late it runs against the plan."""

    done: dict[tuple[str, int], list[str]] = field(default_factory=lambda: defaultdict(list))
    at_risk: set[tuple[str, int]] = field(default_factory=set)
    last_at: dict[str, datetime] = field(default_factory=dict)
    late: dict[str, timedelta] = field(default_factory=dict)


def _replay(plan: PlanDocument, events: Iterable[Mapping[str, Any]]) -> _Replay:
    out = _Replay()
    stops = {v.vessel_id: v.stops for v in plan.voyages}
    for e in events:
        vid, n, kind = str(e["vessel_id"]), int(e["stop"]), str(e["type"])
        if kind in NOTES:
            if kind in AT_RISK_NOTES:
                out.at_risk.add((vid, n))
        else:
            out.done[(vid, n)].append(kind)
        at = datetime.fromisoformat(e["at"])
        out.last_at[vid] = at
        stop = stops[vid][n]
        planned = stop.arrival if kind == "arrived" or kind in NOTES else stop.departure
        if kind == "loaded":
            planned = stop.work_end
        out.late[vid] = max(timedelta(0), at - planned)
    return out


def status(
    plan: PlanDocument,
    events: Iterable[Mapping[str, Any]],
    *,
    skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> dict[str, Any]:
    """Per voyage where it is; per district TPS delivered of total, ETA against deadline, risk.

    Stored events that cannot be replayed (old data that breaks today's rules) are left out and
    named in the voyage's ``warnings``."""
    usable, ignored = usable_events(plan, events, skew=skew)
    r = _replay(plan, usable)
    districts = _district_status(plan, r)
    return {
        "status": plan.status,
        "tps_delivered": sum(d["tps_delivered"] for d in districts),
        "tps_total": sum(d["tps_total"] for d in districts),
        "voyages": [_voyage_status(v, r, ignored) for v in plan.voyages],
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
            f"{vid}/{i}": stop_state(types) for (vid, i), types in r.done.items() if types
        },
    }


def _voyage_status(v: Voyage, r: _Replay, ignored: list[dict[str, Any]]) -> dict[str, Any]:
    stops = v.stops
    current = _current_stop(v.vessel_id, stops, r.done)
    here = current < len(stops)
    return {
        "vessel_id": v.vessel_id,
        "vessel_name": v.vessel_name,
        "vessel_class": v.vessel_class,
        "vessel_class_name": v.vessel_class_name,
        "stops": len(stops),
        "current_stop": current if here else None,
        "current_place": stops[current].id if here else None,
        "current_place_name": stops[current].name if here else None,
        "current_state": stop_state(r.done[(v.vessel_id, current)]) if here else "finished",
        "delay_h": round(r.late.get(v.vessel_id, timedelta(0)).total_seconds() / 3600, 2),
        "last_event_at": r.last_at[v.vessel_id].isoformat() if v.vessel_id in r.last_at else None,
        "warnings": [w for w in ignored if w["vessel_id"] == v.vessel_id],
    }


def _district_status(plan: PlanDocument, r: _Replay) -> list[dict[str, Any]]:
    """Per district: TPS delivered of total, the latest ETA of what is still to come (shifted by
    how late its vessel runs), the deadline, whether it is at risk, and its villages (name, TPS
    delivered of total, by which vessel)."""
    total: dict[str, int] = defaultdict(int)
    villages: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    delivered: dict[str, int] = defaultdict(int)
    eta: dict[str, datetime] = {}
    risky: set[str] = set()
    names = {d.district_code: d.district_name for d in plan.kpis.districts}
    for v in plan.voyages:
        shift = r.late.get(v.vessel_id, timedelta(0))
        for i, s in enumerate(v.stops):
            if s.kind != "landing":
                continue
            handed = "handed_over" in r.done[(v.vessel_id, i)]
            for item in s.manifest:
                d = district_of(item.village_code)
                names.setdefault(d, item.district_name)
                total[d] += item.tps
                village = villages[d].setdefault(
                    item.village_code,
                    {
                        "code": item.village_code,
                        "name": item.village_name,
                        "tps_delivered": 0,
                        "tps_total": 0,
                        "vessels": [],
                    },
                )
                village["tps_total"] += item.tps
                if all(x["vessel_id"] != v.vessel_id for x in village["vessels"]):
                    village["vessels"].append(
                        {"vessel_id": v.vessel_id, "vessel_name": v.vessel_name}
                    )
                if handed:
                    delivered[d] += item.tps
                    village["tps_delivered"] += item.tps
                    continue
                eta[d] = max(eta.get(d, s.work_end + shift), s.work_end + shift)
                if (v.vessel_id, i) in r.at_risk:
                    risky.add(d)
    deadlines = {d.district_code: d.deadline for d in plan.kpis.districts}
    return [
        {"district_code": d, "district_name": names.get(d)}
        | _district_row(d, delivered[d], total[d], eta.get(d), deadlines.get(d), d in risky)
        | {"villages": [villages[d][code] for code in sorted(villages[d])]}
        for d in sorted(total)
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
    vid: str, stops: Sequence[Stop], done: Mapping[tuple[str, int], list[str]]
) -> int:
    """The stop a voyage is at: the furthest one reported, or the next once that one is done
    (a stop skipped without a report stays behind)."""
    reported = [i for i in range(len(stops)) if done.get((vid, i))]
    if not reported:
        return 0
    last = max(reported)
    steps = sequence(stops[last].kind, last=last == len(stops) - 1)
    return last + 1 if len(done[(vid, last)]) >= len(steps) else last
