"""A plan as the files people read: plan.json, plan.geojson, manifests.csv, timeline.csv.

plan.json is ``routing.plandoc.PlanDocument``, built here from the domain plan; the CSV and
GeoJSON writers read the domain plan itself."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from routing import plandoc
from routing.domain import Consignment, Plan, Stop, Voyage
from routing.matrix import metres_to_nm
from routing.schedule import kpis
from routing.weather import area_features

if TYPE_CHECKING:
    from routing.replan import Replan as ReplanResult


def _t(when: datetime) -> str:
    return when.isoformat()


def _stop(stop: Stop, by_id: Mapping[str, Consignment]) -> plandoc.Stop:
    return plandoc.Stop(
        kind=stop.kind,  # type: ignore[arg-type]  # the domain's str, checked here
        id=stop.id,
        trip=stop.trip,
        village_codes=stop.village_codes,
        consignments=stop.consignments,
        arrival=stop.arrival,
        work_start=stop.work_start,
        work_end=stop.work_end,
        departure=stop.departure,
        access=stop.access,  # type: ignore[arg-type]
        operation=stop.operation,  # type: ignore[arg-type]
        daylight_wait_h=round(stop.wait_s / 3600, 2),
        weather_hold_h=round(stop.hold_s / 3600, 2),
        hold_reason=stop.hold_reason,
        tps=stop.tps,
        ballot_boxes=stop.ballot_boxes,
        load_kg=stop.load_kg,
        load_m3=stop.load_m3,
        manifest=tuple(
            plandoc.ManifestItem(
                consignment=cid,
                village_code=by_id[cid].village_code,
                tps=by_id[cid].tps,
                ballot_boxes=by_id[cid].ballot_boxes,
                weight_kg=round(by_id[cid].weight_kg, 1),
                volume_m3=round(by_id[cid].volume_m3, 3),
                deadline=by_id[cid].deadline,
            )
            for cid in stop.consignments
        ),
    )


def jsonable(value: Any) -> Any:
    """Nested values with dates and times as ISO 8601 strings (TOML and KPIs to JSON)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _voyage(v: Voyage, by_id: Mapping[str, Consignment]) -> plandoc.Voyage:
    return plandoc.Voyage(
        vessel_id=v.vessel_id,
        vessel_class=v.class_id,
        trips=v.trips,
        stops=tuple(_stop(s, by_id) for s in v.stops),
        legs=tuple(
            plandoc.Leg(
                from_=leg.origin,
                to=leg.destination,
                trip=leg.trip,
                depart=leg.depart,
                arrive=leg.arrive,
                distance_nm=round(metres_to_nm(leg.distance_m), 2),
                note=leg.note,
                geometry=plandoc.LineString(type="LineString", coordinates=leg.coords),
            )
            for leg in v.legs
        ),
    )


def _weather(plan: Plan) -> plandoc.Weather:
    return plandoc.Weather(
        sea_areas=plandoc.SeaAreas.model_validate(
            area_features(plan.problem.sea_areas, plan.problem.forecast)
        ),
        holds=tuple(
            plandoc.WeatherHold(
                vessel_id=v.vessel_id,
                stop=n,
                at=s.id,
                from_=s.work_end,
                until=s.departure,
                hours=round(s.hold_s / 3600, 2),
                reason=s.hold_reason,
            )
            for v in plan.voyages
            for n, s in enumerate(v.stops)
            if s.hold_s
        ),
        closed_landings=tuple(
            plandoc.ClosedLanding(landing_id=lid, from_=a, until=b)
            for lid, a, b in plan.problem.landing_closures
        ),
    )


def plan_document(
    plan: Plan,
    *,
    input_hash: str,
    versions: Mapping[str, str],
    replan: plandoc.Replan | None = None,
) -> plandoc.PlanDocument:
    """The whole plan as its typed document; no wall-clock data, so a rerun is identical.

    Parameters
    ----------
    plan : Plan
        The plan (or re-plan) made.
    input_hash : str
        ``routing.planner.input_hash`` of its problem, matrices and seed.
    versions : Mapping
        The versions of the packages that made it.
    replan : plandoc.Replan, optional
        How a re-plan came about (``replan_section``); ``None`` for a plan.

    Returns
    -------
    plandoc.PlanDocument

    Raises
    ------
    pydantic.ValidationError
        When a value does not fit the document's types (a bug, never bad input).
    """
    by_id = {c.id: c for c in plan.problem.consignments}
    return plandoc.PlanDocument(
        status=plan.status,  # type: ignore[arg-type]  # the domain's str, checked here
        scenario=plan.problem.name,
        seed=plan.seed,
        input_hash=input_hash,
        versions=dict(versions),
        engine=plan.engine,
        direction=plan.problem.direction,  # type: ignore[arg-type]
        planning_start=plan.problem.start,
        objective=plan.objective if math.isfinite(plan.objective) else None,
        voyages=tuple(_voyage(v, by_id) for v in plan.voyages),
        unassigned=tuple(
            plandoc.Unassigned(
                village_code=u.village_code,
                consignments=u.consignments,
                tps=u.tps,
                reasons=tuple(
                    plandoc.Reason(
                        code=r.code,  # type: ignore[arg-type]
                        message=r.message,
                        vessels=r.vessels,
                    )
                    for r in u.reasons
                ),
            )
            for u in plan.unassigned
        ),
        kpis=plandoc.Kpis.model_validate(kpis(plan)),
        weather=_weather(plan),
        replan=replan,
    )


def plan_json(plan: Plan, *, input_hash: str, versions: Mapping[str, str]) -> dict[str, Any]:
    """The whole plan as JSON-ready values (``plan_document(...).to_json()``); a missing or
    mistyped field fails here, at export."""
    return plan_document(plan, input_hash=input_hash, versions=versions).to_json()


def replan_section(result: ReplanResult, out_of_service: Mapping[str, datetime]) -> plandoc.Replan:
    """How a re-plan came about, for ``plan_document(..., replan=...)``.

    Parameters
    ----------
    result : routing.replan.Replan
        The re-plan made.
    out_of_service : Mapping
        The vessels out of service, from when (the change's).

    Returns
    -------
    plandoc.Replan
        Its state time, the vessels out of service and gone, what was delivered before it (by
        consignment) and the change against the old plan.
    """
    return plandoc.Replan(
        as_of=result.state.as_of,
        out_of_service=dict(out_of_service),
        vessels_gone=result.gone,
        delivered_before=tuple(
            plandoc.Delivered(consignment=cid, handed_over=when)
            for cid, when in sorted(result.state.delivered.items())
        ),
        diff=plandoc.ReplanDiff.model_validate(result.diff),
    )


def replan_json(
    result: ReplanResult,
    *,
    out_of_service: Mapping[str, datetime],
    input_hash: str,
    versions: Mapping[str, str],
) -> dict[str, Any]:
    """A re-plan's document as JSON-ready values: the plan with its ``replan`` section."""
    return plan_document(
        result.plan,
        input_hash=input_hash,
        versions=versions,
        replan=replan_section(result, out_of_service),
    ).to_json()


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
            props = _stop(stop, by_id).to_json()
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
