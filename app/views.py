"""Turn dataset objects into the JSON, GeoJSON and CSV that the API and the CLI print."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.responses import JSONResponse

from routing.domain import VESSEL_CLASS_NUMBERS, VILLAGE_FIELDS, VesselClass, Village
from routing.inputs.demand import Kit
from routing.inputs.geodata import Archipelago
from routing.inputs.places import Resolved
from routing.sea.graph import SeaPath
from routing.sea.matrix import Matrix
from routing.units import metres_to_nm, sailing_seconds, seconds_to_h

ISLAND_CSV_FIELDS = [
    "code",
    "name",
    "source",
    "gazetteer_status",
    "inhabited",
    "inhabited_evidence",
    "area_km2",
    "area_km2_gazetteer",
    "osm_poly_id",
    "geometry_source",
    "shares_polygon_with",
    "district_codes",
    "districts",
    "village_seats",
    "is_madura_mainland",
    "lon",
    "lat",
]
VILLAGE_CSV_FIELDS = [
    *(f for f in VILLAGE_FIELDS if f not in ("sea", "landing_point_id")),
    "ballots",
    "ballot_boxes",
    "weight_kg",
    "volume_m3",
    "sea",
    "landing_point_id",
    "landing_point_lon",
    "landing_point_lat",
    "landing_point_source",
]


def _matches_district(feature: dict[str, Any], district: str | None) -> bool:
    if district is None:
        return True
    props = feature["properties"]
    wanted = district.casefold()
    return (
        wanted in {d.casefold() for d in props["districts"]} or district in props["district_codes"]
    )


def island_features(
    arch: Archipelago, *, district: str | None = None, inhabited: bool | None = None
) -> list[dict[str, Any]]:
    return [
        f
        for f in arch.features["islands"]
        if _matches_district(f, district)
        and (inhabited is None or f["properties"]["inhabited"] == inhabited)
    ]


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def village_record(arch: Archipelago, village: Village, kit: Kit) -> dict[str, Any]:
    d = arch.demand(village.code, kit)
    lp = arch.landing_points.get(village.landing_point_id or "")
    return {
        "code": village.code,
        "name": village.name,
        "district_code": village.district_code,
        "district": village.district,
        "kind": village.kind,
        "island_code": village.island_code,
        "tps": village.tps,
        "tps_regular": village.tps_regular,
        "tps_special": village.tps_special,
        "dpt_2019": village.dpt_2019,
        "voters_est": village.voters_est,
        "ballots": d.ballots,
        "ballot_boxes": d.ballot_boxes,
        "weight_kg": d.weight_kg,
        "volume_m3": d.volume_m3,
        "sea": village.sea,
        "landing_point": (
            {"id": lp.id, "lon": lp.lon, "lat": lp.lat, "source": lp.source, "depth_m": lp.depth_m}
            if lp
            else None
        ),
    }


def village_records(
    arch: Archipelago, kit: Kit, *, sea: bool | None = None, district: str | None = None
) -> list[dict[str, Any]]:
    out = []
    for v in arch.villages.values():
        if sea is not None and v.sea != sea:
            continue
        if district is not None and district.casefold() not in (
            v.district.casefold(),
            v.district_code,
        ):
            continue
        out.append(village_record(arch, v, kit))
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ";".join(str(x) for x in value)
    return "" if value is None else value


def to_csv(rows: list[dict[str, Any]], fields: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in fields})
    return buf.getvalue()


def islands_csv(arch: Archipelago, features: list[dict[str, Any]]) -> str:
    """One row per island; lon/lat is the gazetteer point or a point inside the polygon."""
    rows = []
    for f in features:
        row = dict(f["properties"])
        pt = arch.island(row["code"]).geometry.representative_point()
        row["lon"], row["lat"] = round(pt.x, 6), round(pt.y, 6)
        rows.append(row)
    return to_csv(rows, ISLAND_CSV_FIELDS)


def villages_csv(records: list[dict[str, Any]]) -> str:
    rows = []
    for r in records:
        row = dict(r)
        lp = r["landing_point"] or {}
        row["landing_point_id"] = lp.get("id")
        row["landing_point_lon"] = lp.get("lon")
        row["landing_point_lat"] = lp.get("lat")
        row["landing_point_source"] = lp.get("source")
        rows.append(row)
    return to_csv(rows, VILLAGE_CSV_FIELDS)


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


def vessel_class_record(vc: VesselClass) -> dict[str, Any]:
    record: dict[str, Any] = {"id": vc.id, "name": vc.name}
    for name in (*VESSEL_CLASS_NUMBERS, "berths_small_pier"):
        record[name] = getattr(vc, name)
    record["sources"] = {k: {"status": s.status, "source": s.source} for k, s in vc.sources.items()}
    return record


def route_feature(path: SeaPath, vc: VesselClass) -> dict[str, Any]:
    """A sea path as a GeoJSON Feature with distance, duration and snap distances."""
    seconds = sailing_seconds(path.distance_m, vc.speed_kn)
    return {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[round(x, 6), round(y, 6)] for x, y in path.coords],
        },
        "properties": {
            "from": path.origin,
            "to": path.destination,
            "vessel_class": vc.id,
            "distance_m": round(path.distance_m),
            "distance_nm": round(metres_to_nm(path.distance_m), 2),
            "duration_h": round(seconds_to_h(seconds), 2),
            "speed_kn": vc.speed_kn,
            "clearance_m": vc.clearance_m,
            "from_snap_m": round(path.origin_snap_m),
            "to_snap_m": round(path.destination_snap_m),
        },
    }


def resolved_record(r: Resolved) -> dict[str, Any]:
    """What a place query was taken to mean: the landing (or depot) chosen and how it matched."""
    return {
        "id": r.place_id,
        "name": r.place_name,
        "matched": r.matched,
        "matched_id": r.matched_id,
        "matched_name": r.matched_name,
        "note": r.note,
    }


def matrix_record(m: Matrix) -> dict[str, Any]:
    """A matrix as JSON: null marks an unreachable pair, never zero."""

    def cells(values: Any) -> list[list[int | None]]:
        return [
            [int(v) if ok else None for v, ok in zip(row, okrow, strict=True)]
            for row, okrow in zip(values, m.reachable, strict=True)
        ]

    return {
        "vessel_class": m.vessel_class,
        "ids": list(m.ids),
        "distance_m": cells(m.distance_m),
        "duration_s": cells(m.duration_s),
        "unreachable_pairs": int((~m.reachable).sum()),
    }


def matrix_csv(m: Matrix) -> str:
    """``from,to,distance_nm,duration_h`` for every ordered pair; empty cells where unreachable."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["from", "to", "distance_nm", "duration_h", "reachable"])
    for i, a in enumerate(m.ids):
        for j, b in enumerate(m.ids):
            if i == j:
                continue
            ok = bool(m.reachable[i, j])
            writer.writerow(
                [
                    a,
                    b,
                    f"{metres_to_nm(m.distance_m[i, j]):.2f}" if ok else "",
                    f"{seconds_to_h(m.duration_s[i, j]):.2f}" if ok else "",
                    "true" if ok else "false",
                ]
            )
    return buf.getvalue()


def csv_rows(text: str) -> list[dict[str, str]]:
    """A CSV text's rows as records (the timeline as JSON)."""
    return list(csv.DictReader(io.StringIO(text)))
