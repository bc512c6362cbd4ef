"""The plan document (``routing.plandoc.PlanDocument``, plan.json) built from the domain plan,
once, when a plan is made; every other file a plan is read as is rendered from the document
(``routing.outputs.formats``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from routing import plandoc
from routing.domain import (
    Booking,
    Consignment,
    Names,
    Plan,
    Problem,
    Stop,
    Unassigned,
    Voyage,
)
from routing.echelon.booking import passage
from routing.schedule import kpis
from routing.sea.weather import area_features
from routing.units import metres_to_nm

if TYPE_CHECKING:
    from routing.replan import Replan as ReplanResult


def _t(when: datetime) -> str:
    return when.isoformat()


def _village(names: Names, code: str) -> plandoc.Village:
    v = names.village(code)
    return plandoc.Village(
        code=code,
        name=v.name if v else None,
        district_code=v.district_code if v else None,
        district_name=v.district if v else None,
    )


def _item(names: Names, c: Consignment) -> plandoc.ManifestItem:
    v = names.village(c.village_code)
    return plandoc.ManifestItem(
        consignment=c.id,
        village_code=c.village_code,
        village_name=v.name if v else None,
        district_code=c.district_code,
        district_name=names.district(c.district_code),
        tps=c.tps,
        ballot_boxes=c.ballot_boxes,
        weight_kg=round(c.weight_kg, 1),
        volume_m3=round(c.volume_m3, 3),
        deadline=c.deadline,
    )


UNKNOWN_DEPTH = "depth alongside not known"


def _water(problem: Problem, stop: Stop) -> tuple[float | None, str | None]:
    """A landing's known depth alongside and the note on its water; nothing at a depot."""
    if stop.kind != "landing":
        return None, None
    depth = problem.depths_m.get(stop.id)
    note = problem.water_notes.get(stop.id, "")
    if depth is None:
        note = UNKNOWN_DEPTH + (f"; {note}" if note else "")
    return depth, note or None


def _stop(stop: Stop, by_id: Mapping[str, Consignment], problem: Problem) -> plandoc.Stop:
    names = problem.names
    island_code, island_name = names.island_of(stop.id)
    depth, note = _water(problem, stop)
    return plandoc.Stop(
        kind=stop.kind,  # type: ignore[arg-type]  # the domain's str, checked here
        id=stop.id,
        name=names.place(stop.id),
        island_code=island_code,
        island_name=island_name,
        trip=stop.trip,
        village_codes=stop.village_codes,
        villages=tuple(_village(names, code) for code in stop.village_codes),
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
        manifest=tuple(_item(names, by_id[cid]) for cid in stop.consignments),
        depth_alongside_m=depth,
        water_note=note,
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


def _voyage(v: Voyage, by_id: Mapping[str, Consignment], problem: Problem) -> plandoc.Voyage:
    names = problem.names
    return plandoc.Voyage(
        vessel_id=v.vessel_id,
        vessel_name=names.vessel(v.vessel_id),
        vessel_class=v.class_id,
        vessel_class_name=names.vessel_class(v.class_id),
        hub=_hub_of(problem, v),
        trips=v.trips,
        stops=tuple(_stop(s, by_id, problem) for s in v.stops),
        legs=tuple(
            plandoc.Leg(
                from_=leg.origin,
                from_name=names.place(leg.origin),
                to=leg.destination,
                to_name=names.place(leg.destination),
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


def _hub_of(problem: Problem, v: Voyage) -> str | None:
    """The hub a local boat works from (None for a dispatched vessel)."""
    home = next((x.home_depot for x in problem.vessels if x.id == v.vessel_id), None)
    return home if any(h.landing_id == home for h in problem.hubs) else None


def _call_kind(problem: Problem, b: Booking, n: int) -> Literal["depot", "hub", "call"]:
    """What a booked sailing's n-th call does with the plan's kits: loads them at the depot,
    lands a hub's load, or neither."""
    for load in b.loads:
        found = passage(problem, b.sailing, load.stop_id)
        if found is not None:
            depot, hub = found
            if b.sailing.calls[n] is depot:
                return "depot"
            if b.sailing.calls[n] is hub:
                return "hub"
    return "call"


def _sailings(plan: Plan, by_id: Mapping[str, Consignment]) -> tuple[plandoc.BookedSailing, ...]:
    names = plan.problem.names
    out = []
    for b in plan.sailings:
        s = b.sailing
        out.append(
            plandoc.BookedSailing(
                sailing_id=s.key,
                trip_id=s.trip_id,
                route_id=s.route_id,
                route_name=s.route_name,
                service_date=s.service_date.isoformat(),
                cutoff=s.cutoff,
                capacity_kg=s.cargo.capacity_kg.value,
                capacity_m3=s.cargo.capacity_m3.value,
                weight_kg=round(b.weight_kg, 3),
                volume_m3=round(b.volume_m3, 4),
                freight_idr=round(b.freight_idr),
                calls=tuple(
                    plandoc.SailingCall(
                        stop_id=c.stop_id,
                        stop_name=names.place(c.stop_id) or c.stop_name,
                        arrival=c.arrival,
                        departure=c.departure,
                        kind=_call_kind(plan.problem, b, n),
                    )
                    for n, c in enumerate(s.calls)
                ),
                loads=tuple(
                    plandoc.HubLoad(
                        stop_id=h.stop_id,
                        stop_name=names.place(h.stop_id),
                        consignments=h.consignments,
                        tps=sum(by_id[c].tps for c in h.consignments),
                        ballot_boxes=sum(by_id[c].ballot_boxes for c in h.consignments),
                        weight_kg=h.weight_kg,
                        volume_m3=h.volume_m3,
                        manifest=tuple(_item(names, by_id[c]) for c in h.consignments),
                    )
                    for h in b.loads
                ),
            )
        )
    return tuple(out)


def _onward(plan: Plan, by_id: Mapping[str, Consignment]) -> tuple[plandoc.OnwardDelivery, ...]:
    names = plan.problem.names
    return tuple(
        plandoc.OnwardDelivery(
            consignment=o.consignment,
            village=_village(names, by_id[o.consignment].village_code),
            hub=o.hub,
            hub_name=names.place(o.hub),
            mode=o.mode,  # type: ignore[arg-type]  # the domain's str, checked here
            depart=o.depart,
            arrive=o.arrive,
            distance_km=round(o.distance_m / 1000, 2),
        )
        for o in plan.onward
    )


def _off_sailings(plan: Plan, by_id: Mapping[str, Consignment]) -> tuple[plandoc.OffSailing, ...]:
    names = plan.problem.names
    return tuple(
        plandoc.OffSailing(
            consignment=o.consignment,
            village=_village(names, by_id[o.consignment].village_code),
            hub=o.hub,
            hub_name=names.place(o.hub),
            code=o.code,  # type: ignore[arg-type]  # the domain's str, checked here
            message=o.message,
        )
        for o in plan.off_sailings
    )


def _weather(plan: Plan) -> plandoc.Weather:
    names = plan.problem.names
    areas = {a.id: a.name for a in plan.problem.sea_areas}
    return plandoc.Weather(
        sea_areas=plandoc.SeaAreas.model_validate(
            area_features(plan.problem.sea_areas, plan.problem.forecast)
        ),
        holds=tuple(
            plandoc.WeatherHold(
                vessel_id=v.vessel_id,
                vessel_name=names.vessel(v.vessel_id),
                stop=n,
                at=s.id,
                at_name=names.place(s.id),
                from_=s.work_end,
                until=s.departure,
                hours=round(s.hold_s / 3600, 2),
                reason=s.hold_reason,
                area_id=s.hold_area or None,
                area_name=areas.get(s.hold_area),
                wave_m=s.hold_wave_m,
            )
            for v in plan.voyages
            for n, s in enumerate(v.stops)
            if s.hold_s
        ),
        closed_landings=tuple(
            plandoc.ClosedLanding(landing_id=lid, landing_name=names.place(lid), from_=a, until=b)
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
    names = plan.problem.names
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
        voyages=tuple(_voyage(v, by_id, plan.problem) for v in plan.voyages),
        unassigned=tuple(_unassigned(names, u) for u in plan.unassigned),
        kpis=plandoc.Kpis.model_validate(_named_kpis(plan)),
        weather=_weather(plan),
        timetable=plan.problem.timetable or None,
        sailings=_sailings(plan, by_id),
        onward=_onward(plan, by_id),
        off_sailings=_off_sailings(plan, by_id),
        replan=replan,
    )


def _unassigned(names: Names, u: Unassigned) -> plandoc.Unassigned:
    village = names.village(u.village_code)
    return plandoc.Unassigned(
        village_code=u.village_code,
        village_name=village.name if village else None,
        district_code=village.district_code if village else None,
        district_name=village.district if village else None,
        consignments=u.consignments,
        tps=u.tps,
        reasons=tuple(
            plandoc.Reason(
                code=r.code,  # type: ignore[arg-type]  # the domain's str, checked here
                message=r.message,
                vessels=r.vessels,
                vessel_names=tuple(names.vessel(vid) for vid in r.vessels),
            )
            for r in u.reasons
        ),
    )


def _named_kpis(plan: Plan) -> dict[str, Any]:
    k = kpis(plan)
    names = plan.problem.names
    k["districts"] = [
        {"district_code": d["district_code"], "district_name": names.district(d["district_code"])}
        | d
        for d in k["districts"]
    ]
    return k


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
