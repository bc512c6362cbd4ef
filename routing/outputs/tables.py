"""A plan as the tables people read in a spreadsheet, rendered from the plan document:
``manifests.csv`` (what is handed over where and when, one row per consignment) and
``timeline.csv`` (what each vessel does when). Names stand beside the codes; times are RFC 3339
with their offset, as in plan.json."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from routing.outputs.formats import Context
from routing.plandoc import PlanDocument, Stop

MANIFEST_COLUMNS = (
    "vessel_id",
    "vessel_name",
    "trip",
    "stop",
    "landing_id",
    "landing_name",
    "village_code",
    "village_name",
    "district_code",
    "district_name",
    "island_code",
    "island_name",
    "consignment",
    "tps",
    "ballot_boxes",
    "weight_kg",
    "volume_m3",
    "operation",
    "access",
    "arrival",
    "done_at",
    "deadline",
)
TIMELINE_COLUMNS = (
    "vessel_id",
    "vessel_name",
    "vessel_class",
    "trip",
    "activity",
    "where",
    "where_name",
    "villages",
    "start",
    "end",
    "hours",
    "note",
)


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def _name(name: str | None) -> str:
    return name or ""


def _t(when: datetime) -> str:
    return when.isoformat()


def manifests(document: PlanDocument, context: Context) -> bytes:
    """``manifests.csv``: one row per consignment handed over (or collected, returning), by
    vessel and trip in stop order, then those taken on by road or handed over at a hub."""
    rows = []
    for v in document.voyages:
        for n, s in enumerate(v.stops):
            if s.kind != "landing":
                continue
            for c in s.manifest:
                rows.append(
                    [
                        v.vessel_id,
                        _name(v.vessel_name),
                        s.trip,
                        n,
                        s.id,
                        _name(s.name),
                        c.village_code,
                        _name(c.village_name),
                        c.district_code,
                        _name(c.district_name),
                        s.island_code or "",
                        _name(s.island_name),
                        c.consignment,
                        c.tps,
                        c.ballot_boxes,
                        c.weight_kg,
                        c.volume_m3,
                        s.operation,
                        s.access,
                        _t(s.arrival),
                        _t(s.work_end),
                        _t(c.deadline),
                    ]
                )
    return _csv(MANIFEST_COLUMNS, rows + _onward_rows(document))


def _onward_rows(document: PlanDocument) -> list[list[Any]]:
    """Two echelons: the kits taken on from their hub by road (``operation`` "road") or handed
    over at the hub itself ("hub"), after the booked sailing; no vessel, trip or stop."""
    items = {m.consignment: m for s in document.sailings for h in s.loads for m in h.manifest}
    rows = []
    for o in document.onward:
        c = items[o.consignment]
        place = [o.hub, _name(o.hub_name), c.village_code, _name(c.village_name)]
        district = [c.district_code or "", _name(c.district_name), "", ""]
        load = [c.consignment, c.tps, c.ballot_boxes, c.weight_kg, c.volume_m3, o.mode, ""]
        rows.append(["", "", "", "", *place, *district, *load, _t(o.depart), _t(o.arrive)])
        rows[-1].append(_t(c.deadline))
    return rows


def _villages(stop: Stop) -> str:
    """The names of the villages a stop serves ("Masalembu; Sukajeruk"), codes where unknown."""
    named = {v.code: v.name for v in stop.villages}
    return "; ".join(named.get(code) or code for code in stop.village_codes)


def _echelon_rows(document: PlanDocument) -> list[list[Any]]:
    """Two echelons: each booked sailing's passages from the call where the kits go on board
    (activity ``scheduled_sailing``, the route's name in place of a vessel's, the sailing's id as
    the note), then the kits taken on by road (``road``) or handed over at the hub (``hub``),
    the consignment as the note; no vessel."""
    rows: list[list[Any]] = []
    for b in document.sailings:
        calls = list(b.calls)
        first = next((n for n, c in enumerate(calls) if c.kind == "depot"), 0)
        last = max((n for n, c in enumerate(calls) if c.kind == "hub"), default=len(calls) - 1)
        landed = {h.stop_id: "; ".join(_name(m.village_name) for m in h.manifest) for h in b.loads}
        for a, c in zip(calls[first:last], calls[first + 1 : last + 1], strict=True):
            where = f"{_name(a.stop_name)} -> {_name(c.stop_name)}"
            villages = landed.get(c.stop_id, "") if c.kind == "hub" else ""
            hours = round((c.arrival - a.departure).total_seconds() / 3600, 2)
            rows.append(["", b.route_name, "", "", "scheduled_sailing"])
            rows[-1] += [f"{a.stop_id}->{c.stop_id}", where, villages]
            rows[-1] += [_t(a.departure), _t(c.arrival), hours, b.sailing_id]
    for o in document.onward:
        hours = round((o.arrive - o.depart).total_seconds() / 3600, 2)
        rows.append(["", "", "", "", o.mode, o.hub, _name(o.hub_name), _name(o.village.name)])
        rows[-1] += [_t(o.depart), _t(o.arrive), hours, o.consignment]
    return rows


def timeline(document: PlanDocument, context: Context) -> bytes:
    """``timeline.csv``: per vessel, loading, sailing, waiting for daylight, weather holds and
    unloading, in time order; in a two-echelon plan then the booked sailings and the kits taken
    on from the hubs (``_echelon_rows``)."""
    rows = []
    for v in document.voyages:
        events = []
        for s in v.stops:
            here = (s.trip, s.id, _name(s.name), _villages(s))
            if s.kind == "depot" and s.consignments:
                activity = "unloading" if s.operation == "unload" else "loading"
                events.append((s.work_start, s.work_end, activity, *here, ""))
            elif s.kind == "landing":
                if s.work_start > s.arrival:
                    events.append((s.arrival, s.work_start, "waiting", *here, "daylight"))
                activity = "loading" if s.operation == "collect" else "unloading"
                events.append((s.work_start, s.work_end, activity, *here, s.access))
            if s.departure > s.work_end:
                events.append((s.work_end, s.departure, "weather_hold", *here, s.hold_reason))
        for leg in v.legs:
            events.append(
                (
                    leg.depart,
                    leg.arrive,
                    "sailing",
                    leg.trip,
                    f"{leg.from_}->{leg.to}",
                    f"{_name(leg.from_name)} -> {_name(leg.to_name)}",
                    "",
                    leg.note,
                )
            )
        for start, end, activity, trip, where, where_name, villages, note in sorted(
            events, key=lambda e: (e[0], e[1])
        ):
            rows.append(
                [
                    v.vessel_id,
                    _name(v.vessel_name),
                    v.vessel_class,
                    trip,
                    activity,
                    where,
                    where_name,
                    villages,
                    _t(start),
                    _t(end),
                    round((end - start).total_seconds() / 3600, 2),
                    note,
                ]
            )
    return _csv(TIMELINE_COLUMNS, rows + _echelon_rows(document))
