"""A plan as a GeoPackage for QGIS users: the islands, villages and landing points it serves, and
its legs and stops, each with names beside the codes, times and loads (written with geopandas).

Layers (WGS84, EPSG:4326):

- ``islands``: the islands with a surveyed outline (MultiPolygon); ``island_points``: those the
  gazetteer knows only as a point;
- ``villages``: every village (its boundary) with district, island, TPS and, where the plan
  serves it, the vessel, trip, stop and planned handover;
- ``landing_points``: every landing with its island and villages;
- ``legs``: every passage (LineString) with vessel, trip, from, to, times and distance;
- ``stops``: every call (Point) with vessel, trip, place, villages, times, access and load.

Times are date-times in UTC, as the GeoPackage standard stores them (QGIS's temporal controller
reads them), each with a text column in local time beside it (``depart_wib``).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routing.errors import DataError, Issue
from routing.inputs.geodata import Archipelago
from routing.local import stamp
from routing.plandoc import PlanDocument, Stop

CRS = "EPSG:4326"
LAYERS = ("islands", "island_points", "villages", "landing_points", "legs", "stops")


def _multi(geom: BaseGeometry) -> BaseGeometry:
    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom


def _times(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Times in UTC (as the GeoPackage standard stores date-times), each with a text column
    beside it in local time for people (``depart_wib``: "2024-02-05 19:23 WIB")."""
    out = []
    for row in rows:
        new: dict[str, Any] = {}
        for key, value in row.items():
            new[key] = value
            if key in columns:
                new[f"{key}_wib"] = stamp(value) if value else None
        out.append(new)
    frame = pd.DataFrame(out)
    for col in columns:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def _frame(
    rows: list[dict[str, Any]], geometry: list[BaseGeometry], times: tuple[str, ...] = ()
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(_times(rows, times), geometry=geometry, crs=CRS)


def _place_point(arch: Archipelago, ident: str) -> Point:
    if ident in arch.depots:
        d = arch.depots[ident]
        return Point(d.lon, d.lat)
    if ident not in arch.landing_points:
        why = f"{ident} is no landing point or depot of the dataset"
        raise DataError([Issue("unknown_place", "/voyages", why)], source="plan")
    lp = arch.landing_points[ident]
    return Point(lp.lon, lp.lat)


def _served(document: PlanDocument) -> dict[str, dict[str, Any]]:
    """Per village code: the vessel, trip, stop and time of its (last) handover; for a village
    a two-echelon plan serves by road from its hub or at the hub itself, the hub and the mode
    (no vessel)."""
    out: dict[str, dict[str, Any]] = {}
    for o in document.onward:
        out[o.village.code] = {"hub": o.hub, "onward": o.mode, "handover": o.arrive}
    for v in document.voyages:
        for n, s in enumerate(v.stops):
            if s.kind != "landing":
                continue
            for item in s.manifest:
                out[item.village_code] = {
                    "hub": v.hub,
                    "vessel_id": v.vessel_id,
                    "vessel_name": v.vessel_name,
                    "trip": s.trip,
                    "stop": n,
                    "landing_id": s.id,
                    "landing_name": s.name,
                    "handover": s.work_end,
                }
    return out


def _layers(document: PlanDocument, arch: Archipelago) -> dict[str, gpd.GeoDataFrame]:
    islands = [i for i in arch.islands.values() if i.geometry.geom_type != "Point"]
    points = [i for i in arch.islands.values() if i.geometry.geom_type == "Point"]

    def island_row(i: Any) -> dict[str, Any]:
        return {
            "code": i.code,
            "name": i.name,
            "district_codes": ", ".join(i.district_codes),
            "districts": ", ".join(i.districts),
            "inhabited": i.inhabited,
            "area_km2": i.area_km2 if i.area_km2 is not None else i.area_km2_gazetteer,
        }

    island_names = {i.code: i.name for i in arch.islands.values()}
    served = _served(document)
    village_rows = []
    for vil in arch.villages.values():
        got = served.get(vil.code, {})
        village_rows.append(
            {
                "code": vil.code,
                "name": vil.name,
                "district_code": vil.district_code,
                "district_name": vil.district,
                "island_code": vil.island_code,
                "island_name": island_names.get(vil.island_code or ""),
                "tps": vil.tps,
                "by_sea": vil.sea,
                "landing_id": vil.landing_point_id,
                "served": bool(got),
                "vessel_id": got.get("vessel_id"),
                "vessel_name": got.get("vessel_name"),
                "trip": got.get("trip"),
                "handover": got.get("handover"),
                "hub": got.get("hub"),  # two echelons: from which hub
                "onward": got.get("onward"),  # road or hub: no vessel
            }
        )
    village_names = {v.code: v.name for v in arch.villages.values()}
    landing_rows = [
        {
            "id": lp.id,
            "name": lp.name,
            "island_code": lp.island_code,
            "island_name": island_names.get(lp.island_code),
            "village_codes": ", ".join(lp.village_codes),
            "village_names": ", ".join(village_names.get(c, c) for c in lp.village_codes),
            "source": lp.source,
            "depth_m": lp.depth_m,
        }
        for lp in arch.landing_points.values()
    ]
    leg_rows, leg_geoms, stop_rows, stop_geoms = [], [], [], []
    for v in document.voyages:
        vessel = {
            "vessel_id": v.vessel_id,
            "vessel_name": v.vessel_name,
            "vessel_class": v.vessel_class,
            "vessel_class_name": v.vessel_class_name,
        }
        for n, leg in enumerate(v.legs):
            leg_rows.append(
                vessel
                | {
                    "leg": n,
                    "trip": leg.trip,
                    "from_id": leg.from_,
                    "from_name": leg.from_name,
                    "to_id": leg.to,
                    "to_name": leg.to_name,
                    "depart": leg.depart,
                    "arrive": leg.arrive,
                    "distance_nm": leg.distance_nm,
                    "note": leg.note,
                }
            )
            leg_geoms.append(LineString(leg.geometry.coordinates))
        for n, s in enumerate(v.stops):
            stop_rows.append(vessel | {"stop": n} | _stop_row(s))
            stop_geoms.append(_place_point(arch, s.id))
    villages = _frame(
        village_rows, [_multi(x.geometry) for x in arch.villages.values()], ("handover",)
    )
    villages["trip"] = villages["trip"].astype("Int64")  # empty where not served, not NaN
    return {
        "islands": _frame([island_row(i) for i in islands], [_multi(i.geometry) for i in islands]),
        "island_points": _frame([island_row(i) for i in points], [i.geometry for i in points]),
        "villages": villages,
        "landing_points": _frame(
            landing_rows, [Point(lp.lon, lp.lat) for lp in arch.landing_points.values()]
        ),
        "legs": _frame(leg_rows, leg_geoms, ("depart", "arrive")),
        "stops": _frame(stop_rows, stop_geoms, ("arrival", "departure")),
    }


def _stop_row(s: Stop) -> dict[str, Any]:
    return {
        "trip": s.trip,
        "kind": s.kind,
        "place_id": s.id,
        "place_name": s.name,
        "island_name": s.island_name,
        "village_codes": ", ".join(s.village_codes),
        "village_names": ", ".join(v.name or v.code for v in s.villages),
        "district_names": ", ".join(dict.fromkeys(v.district_name or "" for v in s.villages)),
        "arrival": s.arrival,
        "departure": s.departure,
        "access": s.access,
        "operation": s.operation,
        "tps": s.tps,
        "ballot_boxes": s.ballot_boxes,
        "load_kg": s.load_kg,
        "load_m3": s.load_m3,
    }


def write_gpkg(document: PlanDocument, arch: Archipelago, path: Path) -> Path:
    """Write a plan's GeoPackage.

    Parameters
    ----------
    document : PlanDocument
        The plan (or re-plan; for a capacity plan, its ``plan``).
    arch : Archipelago
        The dataset the plan was made on (islands, villages, landing points, depots).
    path : Path
        The file to write (replaced if it exists).

    Returns
    -------
    Path
        ``path``, holding the layers of ``LAYERS``.
    """
    path.unlink(missing_ok=True)
    for name, frame in _layers(document, arch).items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def when(value: Any) -> datetime:
    """A time read back from a layer as an aware datetime (for readers and tests)."""
    return pd.Timestamp(value).to_pydatetime()


def render(document: PlanDocument, context: Any) -> bytes:
    """``plan.gpkg`` (``routing.outputs.formats``): the GeoPackage's bytes, over the context's
    dataset."""
    with tempfile.TemporaryDirectory(prefix="plan-gpkg-") as tmp:
        return write_gpkg(document, context.dataset, Path(tmp) / "plan.gpkg").read_bytes()
