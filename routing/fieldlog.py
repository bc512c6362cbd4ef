"""Field events: their types, the order each voyage stop goes through, the rules of time and
order a new event must keep, and the clean-up of stored events before they are replayed.

A stop goes ``loaded -> departed`` at a depot, ``arrived -> handed_over -> departed`` at a
landing and ``arrived`` at the final return; ``delayed`` may come any time before a stop is done.
A voyage only moves forward: once a later stop has been reported, an earlier one is closed (a
stop the crew did not report may be skipped, never reported afterwards). Times move forward too:
an event is not before the plan's start, not before the vessel's previous event and not further
past the server's clock than a configured skew.

Events stored before these rules existed may break them; ``usable_events`` sets such an event
aside with a warning for its voyage, so the status and the re-planner read the rest.
"""

from __future__ import annotations

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


LABELS: dict[str, dict[str, str]] = {  # what people read: Indonesian first, then English
    "loaded": {"id": "Dimuat", "en": "Loaded"},
    "departed": {"id": "Berangkat", "en": "Departed"},
    "arrived": {"id": "Tiba", "en": "Arrived"},
    "handed_over": {"id": "Serah terima", "en": "Handed over"},
    "delayed": {"id": "Terlambat", "en": "Delayed"},
}


def sequence(stop: Mapping[str, Any], *, last: bool) -> tuple[str, ...]:
    """The events a stop goes through, in order (``delayed`` may come any time before the end)."""
    if stop["kind"] == "start":  # a re-plan's starting position: nothing to report
        return ()
    if stop["kind"] == "landing":
        return ("arrived", "handed_over", "departed")
    if last:
        return ("arrived",)
    return ("loaded", "departed")


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
    if event == "delayed":
        return (
            None
            if len(done) < len(seq)
            else f"the stop is already {stop_state(done)}; nothing to delay"
        )
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
    reported = [int(e["stop"]) for e in previous if e["type"] != "delayed"]
    if reported and stop < max(reported):
        return Refusal(
            "stop_passed",
            "/stop",
            f"the vessel has reported stop {max(reported)}; stop {stop} is behind it",
        )
    done = [e["type"] for e in previous if int(e["stop"]) == stop and e["type"] != "delayed"]
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
        if e["type"] != "delayed":
            furthest[vid] = max(furthest.get(vid, -1), int(e["stop"]))
        good.append(e)
    return good, warnings
