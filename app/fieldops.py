"""Field events on voyage stops (a state machine per stop) and the live status of a plan."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, defaultdict
from datetime import datetime, timedelta
from typing import Any

from routing.fieldlog import sequence, stop_state, usable_events

AT_RISK_MARGIN = timedelta(hours=6)  # assumed: less than this to a deadline is at risk


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
