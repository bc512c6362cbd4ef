"""Field events on voyage stops (a state machine per stop) and the live status of a plan."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, defaultdict
from datetime import datetime, timedelta
from typing import Any

EVENT_TYPES = ("loaded", "departed", "arrived", "handed_over", "delayed")
AT_RISK_MARGIN = timedelta(hours=6)  # assumed: less than this to a deadline is at risk


def sequence(stop: dict[str, Any], *, last: bool) -> tuple[str, ...]:
    """The events a stop goes through, in order (``delayed`` may come any time before the end)."""
    if stop["kind"] == "start":  # a re-plan's starting position: nothing to report
        return ()
    if stop["kind"] == "landing":
        return ("arrived", "handed_over", "departed")
    if last:
        return ("arrived",)
    return ("loaded", "departed")


def stop_state(done: list[str]) -> str:
    return done[-1] if done else "planned"


def check_transition(
    stop: dict[str, Any], *, last: bool, done: list[str], event: str
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


def _district(village_code: str) -> str:
    return village_code[:8]


def status(plan: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Per voyage where it is; per district TPS delivered of total, ETA against deadline, risk."""
    done: dict[tuple[str, int], list[str]] = defaultdict(list)
    delayed: set[tuple[str, int]] = set()
    last_at: dict[str, datetime] = {}
    offset: dict[str, timedelta] = {}
    voyages = {v["vessel_id"]: v for v in plan["voyages"]}
    for e in events:
        key = (e["vessel_id"], e["stop"])
        if e["type"] == "delayed":
            delayed.add(key)
        else:
            done[key].append(e["type"])
        at = datetime.fromisoformat(e["at"])
        last_at[e["vessel_id"]] = at
        stop = voyages[e["vessel_id"]]["stops"][e["stop"]]
        planned = stop["arrival"] if e["type"] in ("arrived", "delayed") else stop["departure"]
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
        current = next(
            (
                i
                for i, s in enumerate(stops)
                if len(done[(vid, i)]) < len(sequence(s, last=i == len(stops) - 1))
            ),
            len(stops),
        )
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
        "stop_states": {
            f"{vid}/{i}": stop_state(types) for (vid, i), types in done.items() if types
        },
    }


class StatusCache:
    """The last rendered status bodies by (plan, ETag): pollers of an unchanged plan share one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: tuple[str, str], value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def etag(*parts: object) -> str:
    return 'W/"' + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:20] + '"'
