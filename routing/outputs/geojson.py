"""A plan as GeoJSON (RFC 7946): each leg a LineString and each stop a Point, with its vessel and
times, names beside the codes; rendered from the plan document (the stops' points from the
dataset the plan was made on)."""

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
    return {"type": "FeatureCollection", "features": out}


def render(document: PlanDocument, context: Context) -> bytes:
    """``plan.geojson``: the FeatureCollection as UTF-8 JSON, one line."""
    return (json.dumps(features(document, context), ensure_ascii=False) + "\n").encode()
