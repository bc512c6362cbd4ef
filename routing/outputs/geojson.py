"""A plan as GeoJSON (RFC 7946): each leg a LineString and each stop a Point, with its vessel and
times, names beside the codes; in a two-echelon plan also each hub a Point (the sailings that
land kits there and its local boats) and each consignment taken on from a hub by road or handed
over there (a straight line from the hub to the village's landing point: the road network is not
carried); rendered from the plan document (the points from the dataset the plan was made on)."""

from __future__ import annotations

import json
from typing import Any

from routing.errors import DataError, Issue
from routing.outputs.formats import Context
from routing.plandoc import PlanDocument


def features(document: PlanDocument, context: Context) -> dict[str, Any]:
    """The plan's FeatureCollection: a vessel's legs, then its stops, vessel by vessel."""
    places = context.places
    missing = [
        Issue("unknown_place", f"/voyages/{i}/stops/{n}/id", f"{s.id} is no place of the dataset")
        for i, v in enumerate(document.voyages)
        for n, s in enumerate(v.stops)
        if s.id not in places
    ]
    if missing:
        raise DataError(missing, source="plan")
    out: list[dict[str, Any]] = []
    for v in document.voyages:
        vessel = {
            "vessel_id": v.vessel_id,
            "vessel_name": v.vessel_name,
            "vessel_class": v.vessel_class,
            "vessel_class_name": v.vessel_class_name,
        }
        for n, leg in enumerate(v.legs):
            out.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [list(c) for c in leg.geometry.coordinates],
                    },
                    "properties": {"kind": "leg"}
                    | vessel
                    | {
                        "leg": n,
                        "trip": leg.trip,
                        "from": leg.from_,
                        "from_name": leg.from_name,
                        "to": leg.to,
                        "to_name": leg.to_name,
                        "depart": leg.depart.isoformat(),
                        "arrive": leg.arrive.isoformat(),
                        "distance_nm": leg.distance_nm,
                    },
                }
            )
        for n, stop in enumerate(v.stops):
            lon, lat = places[stop.id]
            props = stop.to_json()
            props.update({"kind": "stop", "stop_kind": stop.kind, "stop": n} | vessel)
            out.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": props,
                }
            )
    out.extend(_hubs(document, places))
    out.extend(_onward(document, context))
    return {"type": "FeatureCollection", "features": out}


def _point(at: tuple[float, float], props: dict[str, Any]) -> dict[str, Any]:
    geometry = {"type": "Point", "coordinates": list(at)}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _hubs(document: PlanDocument, places: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """Each hub the plan uses: the booked sailings that land kits there, what they land, and the
    local boats that take them on."""
    hubs: dict[str, dict[str, Any]] = {}

    def hub(stop_id: str, name: str | None) -> dict[str, Any]:
        return hubs.setdefault(
            stop_id,
            {"kind": "hub", "id": stop_id, "name": name, "sailings": [], "tps": 0}
            | {"local_boats": []},
        )

    for b in document.sailings:
        for load in b.loads:
            h = hub(load.stop_id, load.stop_name)
            h["sailings"].append(b.sailing_id)
            h["tps"] += load.tps
    for v in document.voyages:
        if v.hub is not None:
            hub(v.hub, v.stops[0].name if v.stops else v.hub)["local_boats"].append(v.vessel_id)
    for o in document.onward:
        hub(o.hub, o.hub_name)
    return [_point(places[k], props) for k, props in hubs.items() if k in places]


def _onward(document: PlanDocument, context: Context) -> list[dict[str, Any]]:
    """Each consignment taken on by road or handed over at its hub."""
    if not document.onward:
        return []
    places = context.places
    villages = context.dataset.villages
    out = []
    for o in document.onward:
        village = villages.get(o.village.code)
        landing = village.landing_point_id if village is not None else None
        ends = [places[o.hub]] if o.hub in places else []
        if landing in places and places[landing] != places.get(o.hub):
            ends.append(places[landing])
        if not ends:
            continue
        props = {
            "kind": "onward",
            "mode": o.mode,
            "consignment": o.consignment,
            "hub": o.hub,
            "hub_name": o.hub_name,
            "village_code": o.village.code,
            "village_name": o.village.name,
            "district_code": o.village.district_code,
            "district_name": o.village.district_name,
            "depart": o.depart.isoformat(),
            "arrive": o.arrive.isoformat(),
            "distance_km": o.distance_km,
        }
        geometry = (
            {"type": "LineString", "coordinates": [list(e) for e in ends]}
            if len(ends) == 2
            else {"type": "Point", "coordinates": list(ends[0])}
        )
        out.append({"type": "Feature", "geometry": geometry, "properties": props})
    return out


def render(document: PlanDocument, context: Context) -> bytes:
    """``plan.geojson``: the FeatureCollection as UTF-8 JSON, one line."""
    return (json.dumps(features(document, context), ensure_ascii=False) + "\n").encode()
