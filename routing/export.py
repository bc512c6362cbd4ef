"""A plan as the files people read: plan.json, plan.geojson, manifests.csv, timeline.csv."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from routing.domain import Consignment, Plan, Stop
from routing.matrix import metres_to_nm
from routing.schedule import kpis
from routing.weather import area_features


def _t(when: datetime) -> str:
    return when.isoformat()


def _stop(stop: Stop, by_id: Mapping[str, Consignment]) -> dict[str, Any]:
    return {
        "kind": stop.kind,
        "id": stop.id,
        "trip": stop.trip,
        "village_codes": list(stop.village_codes),
        "consignments": list(stop.consignments),
        "arrival": _t(stop.arrival),
        "work_start": _t(stop.work_start),
        "work_end": _t(stop.work_end),
        "departure": _t(stop.departure),
        "access": stop.access,
        "operation": stop.operation,
        "daylight_wait_h": round(stop.wait_s / 3600, 2),
        "weather_hold_h": round(stop.hold_s / 3600, 2),
        "hold_reason": stop.hold_reason,
        "tps": stop.tps,
        "ballot_boxes": stop.ballot_boxes,
        "load_kg": stop.load_kg,
        "load_m3": stop.load_m3,
        "manifest": [
            {
                "consignment": cid,
                "village_code": by_id[cid].village_code,
                "tps": by_id[cid].tps,
                "ballot_boxes": by_id[cid].ballot_boxes,
                "weight_kg": round(by_id[cid].weight_kg, 1),
                "volume_m3": round(by_id[cid].volume_m3, 3),
                "deadline": _t(by_id[cid].deadline),
            }
            for cid in stop.consignments
        ],
    }


def jsonable(value: Any) -> Any:
    """Nested values with dates and times as ISO 8601 strings (TOML and KPIs to JSON)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def plan_json(plan: Plan, *, input_hash: str, versions: Mapping[str, str]) -> dict[str, Any]:
    """The whole plan as JSON-ready values; no wall-clock data, so a rerun is byte-identical."""
    by_id = {c.id: c for c in plan.problem.consignments}
    return {
        "status": plan.status,
        "scenario": plan.problem.name,
        "seed": plan.seed,
        "input_hash": input_hash,
        "versions": dict(versions),
        "engine": plan.engine,
        "direction": plan.problem.direction,
        "planning_start": _t(plan.problem.start),
        "objective": plan.objective,
        "voyages": [
            {
                "vessel_id": v.vessel_id,
                "vessel_class": v.class_id,
                "trips": v.trips,
                "stops": [_stop(s, by_id) for s in v.stops],
                "legs": [
                    {
                        "from": leg.origin,
                        "to": leg.destination,
                        "trip": leg.trip,
                        "depart": _t(leg.depart),
                        "arrive": _t(leg.arrive),
                        "distance_nm": round(metres_to_nm(leg.distance_m), 2),
                        "note": leg.note,
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [list(c) for c in leg.coords],
                        },
                    }
                    for leg in v.legs
                ],
            }
            for v in plan.voyages
        ],
        "unassigned": [
            {
                "village_code": u.village_code,
                "consignments": list(u.consignments),
                "tps": u.tps,
                "reasons": [
                    {"code": r.code, "message": r.message, "vessels": list(r.vessels)}
                    for r in u.reasons
                ],
            }
            for u in plan.unassigned
        ],
        "kpis": jsonable(kpis(plan)),
        "weather": {
            "sea_areas": area_features(plan.problem.sea_areas, plan.problem.forecast),
            "holds": [
                {
                    "vessel_id": v.vessel_id,
                    "stop": n,
                    "at": s.id,
                    "from": _t(s.work_end),
                    "until": _t(s.departure),
                    "hours": round(s.hold_s / 3600, 2),
                    "reason": s.hold_reason,
                }
                for v in plan.voyages
                for n, s in enumerate(v.stops)
                if s.hold_s
            ],
            "closed_landings": [
                {"landing_id": lid, "from": _t(a), "until": _t(b) if b else None}
                for lid, a, b in plan.problem.landing_closures
            ],
        },
    }


def plan_geojson(plan: Plan, places: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """Legs as LineStrings and stops as Points, each with its vessel and times."""
    by_id = {c.id: c for c in plan.problem.consignments}
    features: list[dict[str, Any]] = []
    for v in plan.voyages:
        for n, leg in enumerate(v.legs):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [list(c) for c in leg.coords],
                    },
                    "properties": {
                        "kind": "leg",
                        "vessel_id": v.vessel_id,
                        "vessel_class": v.class_id,
                        "leg": n,
                        "trip": leg.trip,
                        "from": leg.origin,
                        "to": leg.destination,
                        "depart": _t(leg.depart),
                        "arrive": _t(leg.arrive),
                        "distance_nm": round(metres_to_nm(leg.distance_m), 2),
                    },
                }
            )
        for n, stop in enumerate(v.stops):
            lon, lat = places[stop.id]
            props = _stop(stop, by_id)
            props.update(
                {"kind": "stop", "stop_kind": stop.kind, "vessel_id": v.vessel_id, "stop": n}
            )
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": props,
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def manifests_csv(plan: Plan) -> str:
    """One row per consignment handed over (or collected, returning): vessel, trip, landing,
    village, load, time."""
    by_id = {c.id: c for c in plan.problem.consignments}
    rows = []
    for v in plan.voyages:
        for s in v.stops:
            if s.kind != "landing":
                continue
            for cid in s.consignments:
                c = by_id[cid]
                rows.append(
                    [
                        v.vessel_id,
                        s.trip + 1,
                        s.id,
                        c.village_code,
                        cid,
                        c.tps,
                        c.ballot_boxes,
                        round(c.weight_kg, 1),
                        round(c.volume_m3, 3),
                        s.operation,
                        _t(s.work_end),
                        _t(c.deadline),
                    ]
                )
    return _csv(
        [
            "vessel_id",
            "trip",
            "landing_id",
            "village_code",
            "consignment",
            "tps",
            "ballot_boxes",
            "weight_kg",
            "volume_m3",
            "operation",
            "done_at",
            "deadline",
        ],
        rows,
    )


def timeline_csv(plan: Plan) -> str:
    """What each vessel does when: loading, sailing, waiting for daylight, unloading."""
    rows = []
    for v in plan.voyages:
        events = []
        for s in v.stops:
            if s.kind == "depot" and s.consignments:
                activity = "unloading" if s.operation == "unload" else "loading"
                events.append((s.work_start, s.work_end, activity, s.id, ""))
            elif s.kind == "landing":
                if s.wait_s:
                    events.append((s.arrival, s.work_start, "waiting", s.id, "daylight"))
                activity = "loading" if s.operation == "collect" else "unloading"
                events.append((s.work_start, s.work_end, activity, s.id, s.access))
            if s.hold_s:
                events.append((s.work_end, s.departure, "weather_hold", s.id, s.hold_reason))
        for leg in v.legs:
            events.append(
                (leg.depart, leg.arrive, "sailing", f"{leg.origin}->{leg.destination}", leg.note)
            )
        for start, end, activity, where, note in sorted(events, key=lambda e: (e[0], e[1])):
            rows.append(
                [
                    v.vessel_id,
                    v.class_id,
                    activity,
                    where,
                    _t(start),
                    _t(end),
                    round((end - start).total_seconds() / 3600, 2),
                    note,
                ]
            )
    return _csv(
        ["vessel_id", "vessel_class", "activity", "where", "start", "end", "hours", "note"], rows
    )
