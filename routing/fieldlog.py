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
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing.schema import EARLIEST, LATEST


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
AT_RISK_MARGIN = timedelta(hours=6)  # assumed: less than this to a deadline is at risk
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


def kind_of(stop: Mapping[str, Any], *, last: bool) -> str:
    """``depot``, ``landing``, ``return`` (a depot at the end), or ``start`` (a re-plan's
    starting position, where nothing is reported)."""
    kind = str(stop["kind"])
    return "return" if kind == "depot" and last else kind


def sequence(stop: Mapping[str, Any], *, last: bool) -> tuple[str, ...]:
    """The steps a stop goes through, in order."""
    return STEPS.get(kind_of(stop, last=last), ())


def stop_state(done: Sequence[str]) -> str:
    return done[-1] if done else "planned"


@dataclass(frozen=True)
class Refusal:
    """Why an event cannot be recorded: a stable code, the field at fault, the reason."""

    code: str
    path: str
    message: str


def check_transition(
    stop: Mapping[str, Any], *, last: bool, done: Sequence[str], event: str
) -> str | None:
    """Why ``event`` cannot happen now at this stop, or ``None`` when it can."""
    seq = sequence(stop, last=last)
    if event in NOTES:
        if kind_of(stop, last=last) not in NOTES[event]:
            return f"a {stop['kind']} stop has no '{event}' event"
        return None if len(done) < len(seq) else f"the stop is already {stop_state(done)}"
    if event not in seq:
        return f"a {stop['kind']} stop has no '{event}' event (it goes {' -> '.join(seq)})"
    expected = seq[len(done)] if len(done) < len(seq) else None
    if expected is None:
        return f"the stop is already {stop_state(done)}"
    if event != expected:
        return f"the stop is {stop_state(done)}; '{event}' needs '{expected}' first"
    return None


def plan_start(document: Mapping[str, Any]) -> datetime:
    """When a plan's voyages begin: its planning start, or a re-plan's state time."""
    earlier = (document.get("replan") or {}).get("as_of")
    return datetime.fromisoformat(earlier or document["planning_start"])


def check_event(
    document: Mapping[str, Any],
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
    stops = voyage_stops(document, vessel_id)
    if at < plan_start(document):
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
    why = check_transition(stops[stop], last=stop == len(stops) - 1, done=done, event=type)
    return Refusal("bad_transition", "/type", why) if why else None


def voyage_stops(document: Mapping[str, Any], vessel_id: str) -> Sequence[Mapping[str, Any]]:
    for v in document["voyages"]:
        if v["vessel_id"] == vessel_id:
            return list(v["stops"])
    raise KeyError(vessel_id)


def _why_unusable(
    e: Mapping[str, Any], voyages: Mapping[str, Sequence[Mapping[str, Any]]]
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
    return None


def usable_events(
    document: Mapping[str, Any], events: Iterable[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
    """The stored events that can be replayed, and a warning for each one set aside.

    An event is set aside when it names no stop of the plan, carries a time without a UTC
    offset or out of range, goes back in time against the vessel's events before it, or
    reports a stop behind one already reported."""
    voyages = {v["vessel_id"]: v["stops"] for v in document["voyages"]}
    good: list[Mapping[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    latest: dict[str, datetime] = {}
    furthest: dict[str, int] = {}
    for e in events:
        why = _why_unusable(e, voyages)
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


def _district(village_code: str) -> str:
    return village_code[:8]


def status(plan: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Per voyage where it is; per district TPS delivered of total, ETA against deadline, risk.

    Stored events that cannot be replayed (old data that breaks today's rules) are left out and
    named in the voyage's ``warnings``."""
    usable, ignored = usable_events(plan, events)
    warnings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for w in ignored:
        warnings[w["vessel_id"]].append(w)
    done: dict[tuple[str, int], list[str]] = defaultdict(list)
    delayed: set[tuple[str, int]] = set()
    last_at: dict[str, datetime] = {}
    offset: dict[str, timedelta] = {}
    voyages = {v["vessel_id"]: v for v in plan["voyages"]}
    for e in usable:
        key = (e["vessel_id"], e["stop"])
        if e["type"] in NOTES:
            if e["type"] in AT_RISK_NOTES:
                delayed.add(key)
        else:
            done[key].append(e["type"])
        at = datetime.fromisoformat(e["at"])
        last_at[e["vessel_id"]] = at
        stop = voyages[e["vessel_id"]]["stops"][e["stop"]]
        arrival = e["type"] == "arrived" or e["type"] in NOTES
        planned = stop["arrival"] if arrival else stop["departure"]
        if e["type"] == "loaded":
            planned = stop["work_end"]
        offset[e["vessel_id"]] = max(timedelta(0), at - datetime.fromisoformat(planned))
    deadlines = {
        d["district_code"]: datetime.fromisoformat(d["deadline"]) for d in plan["kpis"]["districts"]
    }
    tps_total: dict[str, int] = defaultdict(int)
    tps_done: dict[str, int] = defaultdict(int)
    eta: dict[str, datetime] = {}
    risky: set[str] = set()
    out_voyages = []
    for v in plan["voyages"]:
        vid, stops = v["vessel_id"], v["stops"]
        shift = offset.get(vid, timedelta(0))
        current = _current_stop(vid, stops, done)
        for i, s in enumerate(stops):
            if s["kind"] != "landing":
                continue
            handed = "handed_over" in done[(vid, i)]
            for item in s["manifest"]:
                d = _district(item["village_code"])
                tps_total[d] += item["tps"]
                if handed:
                    tps_done[d] += item["tps"]
                else:
                    when = datetime.fromisoformat(s["work_end"]) + shift
                    eta[d] = max(eta.get(d, when), when)
                    if (vid, i) in delayed:
                        risky.add(d)
        out_voyages.append(
            {
                "vessel_id": vid,
                "vessel_class": v["vessel_class"],
                "stops": len(stops),
                "current_stop": current if current < len(stops) else None,
                "current_place": stops[current]["id"] if current < len(stops) else None,
                "current_state": stop_state(done[(vid, current)])
                if current < len(stops)
                else "finished",
                "delay_h": round(shift.total_seconds() / 3600, 2),
                "last_event_at": last_at[vid].isoformat() if vid in last_at else None,
                "warnings": warnings.get(vid, []),
            }
        )
    districts = []
    for d in sorted(tps_total):
        deadline = deadlines.get(d)
        due: datetime | None = eta.get(d)
        at_risk = d in risky or bool(due and deadline and due > deadline - AT_RISK_MARGIN)
        districts.append(
            {
                "district_code": d,
                "tps_delivered": tps_done[d],
                "tps_total": tps_total[d],
                "eta": due.isoformat() if due else None,
                "deadline": deadline.isoformat() if deadline else None,
                "margin_h": round((deadline - due).total_seconds() / 3600, 2)
                if due and deadline
                else None,
                "at_risk": at_risk,
            }
        )
    return {
        "status": plan["status"],
        "tps_delivered": sum(tps_done.values()),
        "tps_total": sum(tps_total.values()),
        "voyages": out_voyages,
        "districts": districts,
        "unassigned": [u["village_code"] for u in plan["unassigned"]],
        "warnings": ignored,
        "stop_states": {
            f"{vid}/{i}": stop_state(types) for (vid, i), types in done.items() if types
        },
    }


def _current_stop(
    vid: str, stops: list[dict[str, Any]], done: dict[tuple[str, int], list[str]]
) -> int:
    """The stop a voyage is at: the furthest one reported, or the next once that one is done
    (a stop skipped without a report stays behind)."""
    reported = [i for i in range(len(stops)) if done.get((vid, i))]
    if not reported:
        return 0
    last = max(reported)
    complete = len(done[(vid, last)]) >= len(sequence(stops[last], last=last == len(stops) - 1))
    return last + 1 if complete else last
