"""Build the Sumenep island dataset (``data/islands/``) from the source files.

The build reads only ``data/islands/sources/`` and writes GeoJSON with fixed precision and a
fixed order, so that two builds of the same sources give byte-identical files.

Method (every distance and area in UTM 50S metres):

* islands: one feature per gazetteer island (Kepmendagri, 119 in Sumenep). An island whose
  point lies on (or within ``gazetteer_snap_m`` of) an OSM land polygon takes that polygon;
  when several gazetteer names fall on one polygon, the primary one (BP first, then the
  nearest point, then the lowest code) carries the polygon and the others keep their gazetteer
  point and say which island they share it with. OSM polygons that carry a village seat but
  no gazetteer name (the Madura mainland, the Ketupat part of Ra'as) are added with the id
  ``osm-<poly_id>``.
* villages: the seat of a village is its largest polygon part; its island is the OSM polygon
  that overlaps that part (buffered by ``seat_buffer_m``) the most. A village is served by sea
  when its seat island is not the Madura mainland.
* landing points: a registry port (Kemenhub public port without suspect coordinates, or an
  operational KKP fishing port) that lies in a sea-served village on its seat island serves that
  village; every other sea-served village gets a derived point on its island's coast nearest the
  seat. Both are moved ``offshore_m`` off the coast onto open water.
* voters: 2019 DPT share x the 2024 regency DPT, split by largest remainder so the total is
  exact, then capped at ``max_voters_per_tps`` x TPS.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from routing.domain import VILLAGE_FIELDS
from routing.sea.geo import to_lonlat, to_metric

SOURCES = {
    "land": "osm_land_polygons_bbox.geojson",
    "gazetteer": "sumenep_pulau_kepmendagri.csv",
    "codes": "sumenep_kode_wilayah_kepmendagri.csv",
    "villages": "sumenep_desa_boundaries.geojson",
    "tps2024": "sumenep_tps_2024_per_desa.csv",
    "dpt2019": "sumenep_tps_dpt_2019_per_desa.csv",
    "totals2024": "sumenep_pemilu2024_regency_totals.csv",
    "ports": "ports_dephub_bbox.geojson",
    "fishing_ports": "fishing_ports_kkp_bbox.geojson",
}
OUTPUTS = ("islands.geojson", "villages.geojson", "landing_points.geojson", "depots.geojson")

# Depots: the port of the KPU warehouse (Kalianget, Kemenhub SIMPEL code KLN) and Dungkek
# (KKP fishing port), the mainland harbour for Gili Iyang and Sapudi (domain-facts section 4).
DEPOT_REGISTRY = {
    "kalianget": ("ports", "Kalianget (KLN)"),
    "dungkek": ("fishing_ports", "PP. Dungkek"),
}

MADURA_MIN_AREA_KM2 = 1000.0  # the Madura main polygon (2,785 km2 in the bbox) is the only one


@dataclass(frozen=True)
class BuildParams:
    """Tunable constants of the build; each one is an assumption documented in the README."""

    gazetteer_snap_m: float = 1500.0  # a gazetteer point this close to OSM land names it
    seat_buffer_m: float = 200.0  # village main part grown by this much to find its island
    offshore_m: float = 100.0  # landing points sit this far off the coast (assumed)
    merge_m: float = 50.0  # villages whose landing points fall this close share one (assumed)
    port_to_coast_max_m: float = 500.0  # a registry port further from its island is not used
    port_in_village_m: float = 500.0  # a port this close to a village polygon lies in it
    max_voters_per_tps: int = 300  # PKPU rule for Pemilu 2024 (domain-facts 1.2, [S14])
    precision_deg: float = 1e-6  # output coordinates rounded to 6 decimals (~0.1 m)


# ----------------------------------------------------------------------------- reading


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _read_features(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        features: list[dict[str, Any]] = json.load(fh)["features"]
    return features


def dotted_code(raw: str) -> str:
    """Turn a 10-digit KPU village code (``3529011015``) into ``35.29.01.1015``."""
    if not re.fullmatch(r"\d{10}", raw):
        raise ValueError(f"village code {raw!r} is not 10 digits")
    return f"{raw[0:2]}.{raw[2:4]}.{raw[4:6]}.{raw[6:]}"


def regency_dpt_2024(rows: list[dict[str, str]]) -> int:
    """The 2024 regency voter total (DPT) from the news-report table."""
    for row in rows:
        if row["item"] == "DPT Pemilu 2024 (total)":
            return int(row["value"])
    raise ValueError("totals file has no 'DPT Pemilu 2024 (total)' row")


# ----------------------------------------------------------------------------- helpers


def largest_part(geom: BaseGeometry) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    if isinstance(geom, MultiPolygon):
        return max(geom.geoms, key=lambda g: (g.area, g.wkb))
    raise ValueError(f"expected a polygon, got {geom.geom_type}")


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder (exact sum)."""
    wsum = sum(weights)
    if wsum <= 0:
        raise ValueError("weights must add up to more than zero")
    quotas = [total * w / wsum for w in weights]
    base = [math.floor(q) for q in quotas]
    rest = total - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def offshore_point(
    island_m: Polygon,
    near_m: Point,
    land_tree: shapely.STRtree,
    offshore_m: float,
) -> Point:
    """The point ``offshore_m`` off ``island_m``'s coast nearest ``near_m``, on open water."""
    ring = island_m.buffer(offshore_m, quad_segs=8).exterior
    coast_pt = nearest_points(island_m.exterior, near_m)[0]
    start = ring.project(nearest_points(ring, coast_pt)[0])
    # Walk the ring outwards from the nearest spot until the point is clear of all land.
    step = 10.0
    for k in range(int(ring.length / step) + 1):
        for sign in (1, -1):
            cand = ring.interpolate((start + sign * k * step) % ring.length)
            hits = land_tree.query(cand, predicate="dwithin", distance=offshore_m * 0.5)
            if len(hits) == 0:
                return Point(cand.x, cand.y)
    raise ValueError("no open water found around island")


def _round_geom(geom: BaseGeometry, precision: float) -> BaseGeometry:
    return shapely.set_precision(geom, precision)


def _rounded(x: float, nd: int = 6) -> float:
    return round(float(x), nd)


# ----------------------------------------------------------------------------- islands


@dataclass
class _Land:
    ids: list[int]
    geoms: list[BaseGeometry]  # lon/lat
    metric: list[BaseGeometry]
    tree: shapely.STRtree
    madura_id: int


def _load_land(path: Path) -> _Land:
    feats = _read_features(path)
    ids = [int(f["properties"]["poly_id"]) for f in feats]
    geoms = [shape(f["geometry"]) for f in feats]
    metric = [to_metric(g) for g in geoms]
    madura = [i for i, g in zip(ids, metric, strict=True) if g.area / 1e6 > MADURA_MIN_AREA_KM2]
    if len(madura) != 1:
        raise ValueError(f"expected one Madura main polygon, found {len(madura)}")
    return _Land(ids, geoms, metric, shapely.STRtree(metric), madura[0])


def _nearest_land(land: _Land, pt_m: Point, max_m: float) -> tuple[int | None, float]:
    idx = land.tree.query_nearest(pt_m, max_distance=max_m, return_distance=True, all_matches=False)
    (hits, dists) = idx
    if len(hits) == 0:
        return None, math.inf
    return int(hits[0]), float(dists[0])


# ----------------------------------------------------------------------------- build


def build_dataset(sources: Path, *, params: BuildParams | None = None) -> dict[str, list[dict]]:
    """Build the dataset from the source folder.

    Parameters
    ----------
    sources
        Folder holding the files named in ``SOURCES``.
    params
        Build constants; defaults documented on ``BuildParams``.

    Returns
    -------
    dict
        ``{"islands": [...], "villages": [...], "landing_points": [...], "depots": [...]}``,
        each a list of GeoJSON Feature dicts in a fixed order.
    """
    p = params or BuildParams()
    land = _load_land(sources / SOURCES["land"])
    villages = _build_villages(sources, land, p)
    islands = _build_islands(sources, land, villages, p)
    landing, depots = _build_landings(sources, land, villages, islands, p)
    return {
        "islands": _island_features(islands, land, p),
        "villages": _village_features(villages, p),
        "landing_points": landing,
        "depots": depots,
    }


def _build_villages(sources: Path, land: _Land, p: BuildParams) -> list[dict[str, Any]]:
    feats = _read_features(sources / SOURCES["villages"])
    tps = {dotted_code(r["kode_desa"]): r for r in _read_csv(sources / SOURCES["tps2024"])}
    dpt = {r["kode"]: int(r["dpt_2019"]) for r in _read_csv(sources / SOURCES["dpt2019"])}
    total_2024 = regency_dpt_2024(_read_csv(sources / SOURCES["totals2024"]))
    feats = sorted(feats, key=lambda f: f["properties"]["kode"])
    codes = [f["properties"]["kode"] for f in feats]
    missing = [c for c in codes if c not in tps or c not in dpt]
    if missing:
        raise ValueError(f"villages without TPS or DPT rows: {missing}")
    shares = apportion(total_2024, [dpt[c] for c in codes])
    out = []
    for f, share in zip(feats, shares, strict=True):
        props = f["properties"]
        code = props["kode"]
        geom = shape(f["geometry"])
        main_m = largest_part(to_metric(geom))
        island_idx = _seat_island(land, main_m, p)
        row = tps[code]
        n_tps = int(row["tps_total"])
        special = [s for s in row["tps_special_numbers"].split() if s]
        out.append(
            {
                "code": code,
                "name": props["nama"],
                "district_code": props["kecamatan_kode"],
                "district": props["kecamatan_nama"],
                "kind": props["jenis"],
                "geometry": geom,
                "main_m": main_m,
                "seat_poly": land.ids[island_idx],
                "tps": n_tps,
                "tps_regular": int(row["tps_regular"]),
                "tps_special": len(special),
                "dpt_2019": dpt[code],
                "voters_est": min(share, p.max_voters_per_tps * n_tps),
                "sea": land.ids[island_idx] != land.madura_id,
            }
        )
    return out


def _seat_island(land: _Land, main_m: Polygon, p: BuildParams) -> int:
    grown = main_m.buffer(p.seat_buffer_m)
    hits = land.tree.query(grown, predicate="intersects")
    if len(hits):
        overlaps = [(land.metric[i].intersection(grown).area, -int(i)) for i in hits]
        best = max(overlaps)
        return -best[1]
    idx, _ = _nearest_land(land, main_m.representative_point(), math.inf)
    if idx is None:
        raise ValueError("no land at all")
    return idx


def _build_islands(
    sources: Path, land: _Land, villages: list[dict[str, Any]], p: BuildParams
) -> list[dict[str, Any]]:
    rows = sorted(_read_csv(sources / SOURCES["gazetteer"]), key=lambda r: r["kode_pulau"])
    seats: dict[int, list[str]] = {}
    for v in villages:
        seats.setdefault(v["seat_poly"], []).append(v["code"])
    islands: list[dict[str, Any]] = []
    for r in rows:
        pt = Point(float(r["lng"]), float(r["lat"]))
        near_idx, dist = _nearest_land(land, to_metric(pt), p.gazetteer_snap_m)
        islands.append(
            {
                "code": r["kode_pulau"],
                "name": r["nama"],
                "source": "gazetteer",
                "gazetteer_status": r["status"] or None,
                "area_km2_gazetteer": float(r["luas_km2"]) if r["luas_km2"] else None,
                "poly_idx": near_idx,
                "point": pt,
                "dist": dist,
            }
        )
    # The primary gazetteer island of each polygon carries it; the others share it.
    by_poly: dict[int, list[dict[str, Any]]] = {}
    for isl in islands:
        if isl["poly_idx"] is not None:
            by_poly.setdefault(isl["poly_idx"], []).append(isl)
    for members in by_poly.values():
        members.sort(key=lambda i: (i["gazetteer_status"] != "BP", i["dist"], i["code"]))
        for other in members[1:]:
            other["shares_polygon_with"] = members[0]["code"]
    for n, poly_id in enumerate(land.ids):
        if poly_id in seats and n not in by_poly:
            names = sorted({v["name"] for v in villages if v["seat_poly"] == poly_id})
            mainland = poly_id == land.madura_id
            islands.append(
                {
                    "code": f"osm-{poly_id}",
                    # Not in the gazetteer: named for what it is ("Madura (daratan)", the
                    # mainland) or for the villages seated on it ("Pulau desa Ketupat").
                    "name": "Madura (daratan)" if mainland else "Pulau desa " + ", ".join(names),
                    "source": "osm_land",
                    "gazetteer_status": None,
                    "area_km2_gazetteer": None,
                    "poly_idx": n,
                    "point": None,
                    "dist": 0.0,
                }
            )
    for isl in islands:
        idx: int | None = isl["poly_idx"]
        carries = idx is not None and "shares_polygon_with" not in isl
        pid = land.ids[idx] if idx is not None else None
        isl["carries_polygon"] = carries
        isl["osm_poly_id"] = pid
        isl["village_seats"] = sorted(seats.get(pid, [])) if carries and pid is not None else []
        isl["is_madura_mainland"] = pid == land.madura_id and carries
    _assign_districts(islands, land, villages)
    return islands


def _assign_districts(
    islands: list[dict[str, Any]], land: _Land, villages: list[dict[str, Any]]
) -> None:
    vmetric = [to_metric(v["geometry"]) for v in villages]
    vtree = shapely.STRtree(vmetric)
    by_code = {v["code"]: v for v in villages}
    for isl in islands:
        if isl["village_seats"]:
            found = {
                (by_code[c]["district_code"], by_code[c]["district"]) for c in isl["village_seats"]
            }
        else:
            geom_m = (
                land.metric[isl["poly_idx"]] if isl["carries_polygon"] else to_metric(isl["point"])
            )
            hits, _ = vtree.query_nearest(geom_m, max_distance=3000.0, return_distance=True)
            found = {(villages[i]["district_code"], villages[i]["district"]) for i in hits}
        ordered = sorted(found)
        isl["district_codes"] = [c for c, _ in ordered]
        isl["districts"] = [n for _, n in ordered]


def _island_features(
    islands: list[dict[str, Any]], land: _Land, p: BuildParams
) -> list[dict[str, Any]]:
    feats = []
    for isl in islands:
        evidence = []
        if isl["gazetteer_status"] == "BP":
            evidence.append("gazetteer_BP")
        if isl["village_seats"]:
            evidence.append("village_seat")
        if isl["carries_polygon"]:
            geom: BaseGeometry = land.geoms[isl["poly_idx"]]
            area: float | None = round(land.metric[isl["poly_idx"]].area / 1e6, 4)
            gsrc = "osm_land"
        else:
            geom, area, gsrc = isl["point"], None, "gazetteer_point"
        feats.append(
            {
                "type": "Feature",
                "id": isl["code"],
                "properties": {
                    "code": isl["code"],
                    "name": isl["name"],
                    "source": isl["source"],
                    "gazetteer_status": isl["gazetteer_status"],
                    "inhabited": bool(evidence),
                    "inhabited_evidence": evidence,
                    "area_km2": area,
                    "area_km2_gazetteer": isl["area_km2_gazetteer"],
                    "osm_poly_id": isl["osm_poly_id"],
                    "geometry_source": gsrc,
                    "shares_polygon_with": isl.get("shares_polygon_with"),
                    "district_codes": isl["district_codes"],
                    "districts": isl["districts"],
                    "village_seats": isl["village_seats"],
                    "is_madura_mainland": isl["is_madura_mainland"],
                },
                "geometry": mapping(_round_geom(geom, p.precision_deg)),
            }
        )
    return feats


def _registry_ports(sources: Path) -> list[dict[str, Any]]:
    """Registry ports that pass the quality flags of PROVENANCE section 4."""
    ports = []
    for f in _read_features(sources / SOURCES["ports"]):
        pr = f["properties"]
        if pr["suspect_coords"] or not pr["category"].startswith("Pelabuhan Umum"):
            continue
        code = re.search(r"\(([A-Z]+)\)", pr["name"])
        assert code is not None
        ports.append(
            {
                "id": f"port-{code.group(1).lower()}",
                "name": pr["name"],
                "registry": "Kemenhub SIMPEL",
                "point": shape(f["geometry"]),
                "rank": 0,
            }
        )
    for f in _read_features(sources / SOURCES["fishing_ports"]):
        pr = f["properties"]
        if pr["status_operasional"] != "Operasional":
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", pr["nama_pelabuhan"].lower()).strip("-")
        ports.append(
            {
                "id": f"port-{slug}",
                "name": pr["nama_pelabuhan"],
                "registry": "KKP fishing ports",
                "point": shape(f["geometry"]),
                "rank": 1,
            }
        )
    return sorted(ports, key=lambda q: (q["rank"], q["id"]))


def _build_landings(
    sources: Path,
    land: _Land,
    villages: list[dict[str, Any]],
    islands: list[dict[str, Any]],
    p: BuildParams,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    island_of_poly = {isl["osm_poly_id"]: isl["code"] for isl in islands if isl["carries_polygon"]}
    ports = _registry_ports(sources)
    sea = [v for v in villages if v["sea"]]
    taken: dict[str, dict[str, Any]] = {}
    for reg in ports:
        pm = to_metric(reg["point"])
        idx, _ = _nearest_land(land, pm, p.port_to_coast_max_m)
        if idx is None:
            continue
        cands = [
            (to_metric(v["geometry"]).distance(pm), v["code"], v)
            for v in sea
            if v["seat_poly"] == land.ids[idx]
        ]
        cands = [c for c in cands if c[0] <= p.port_in_village_m]
        if not cands:
            continue
        _, code, _ = min(cands, key=lambda c: (c[0], c[1]))
        if code not in taken:  # public ports (rank 0) come first
            taken[code] = reg
    features: list[dict[str, Any]] = []
    placed: list[tuple[Point, str, dict[str, Any]]] = []  # (metric point, island, feature)
    # Registry ports first, so that a derived point next to a port joins the port.
    for v in sorted(sea, key=lambda v: (v["code"] not in taken, v["code"])):
        idx = land.ids.index(v["seat_poly"])
        port: dict[str, Any] | None = taken.get(v["code"])
        near = to_metric(port["point"]) if port else v["main_m"].representative_point()
        pt_m = offshore_point(land.metric[idx], near, land.tree, p.offshore_m)
        v["island_code"] = island_of_poly[v["seat_poly"]]
        same = [
            f for q, isl, f in placed if isl == v["island_code"] and q.distance(pt_m) <= p.merge_m
        ]
        if same:  # two villages landing at the same spot share one landing point
            same[0]["properties"]["village_codes"].append(v["code"])
            v["landing_point_id"] = same[0]["id"]
            continue
        lp_id = port["id"] if port else f"lp-{v['code']}"
        v["landing_point_id"] = lp_id
        feature = _point_feature(
            lp_id,
            to_lonlat(pt_m),
            {
                "id": lp_id,
                "name": port["name"] if port else f"Pantai {v['name']}",
                "source": "registry_port" if port else "derived",
                "registry": port["registry"] if port else None,
                "registry_lon": _rounded(port["point"].x) if port else None,
                "registry_lat": _rounded(port["point"].y) if port else None,
                "island_code": v["island_code"],
                "village_codes": [v["code"]],
                "depth_m": None,
                "offshore_m": p.offshore_m,
            },
        )
        placed.append((pt_m, v["island_code"], feature))
        features.append(feature)
    for v in villages:
        if not v["sea"]:
            v["island_code"] = island_of_poly[v["seat_poly"]]
            v["landing_point_id"] = None
    return sorted(features, key=lambda f: f["id"]), _build_depots(sources, land, p)


def _build_depots(sources: Path, land: _Land, p: BuildParams) -> list[dict[str, Any]]:
    all_ports = {
        f["properties"].get("name") or f["properties"].get("nama_pelabuhan"): f
        for key in ("ports", "fishing_ports")
        for f in _read_features(sources / SOURCES[key])
    }
    feats = []
    for depot_id, (_, registry_name) in sorted(DEPOT_REGISTRY.items()):
        reg = shape(all_ports[registry_name]["geometry"])
        pm = to_metric(reg)
        idx, _ = _nearest_land(land, pm, p.port_to_coast_max_m)
        if idx is None:
            raise ValueError(f"depot {depot_id} is not near any land")
        pt = to_lonlat(offshore_point(land.metric[idx], pm, land.tree, p.offshore_m))
        feats.append(
            _point_feature(
                depot_id,
                pt,
                {
                    "id": depot_id,
                    "name": depot_id.capitalize(),
                    "registry_name": registry_name,
                    "registry_lon": _rounded(reg.x),
                    "registry_lat": _rounded(reg.y),
                    "source": "registry_port",
                    "offshore_m": p.offshore_m,
                },
            )
        )
    return feats


def _point_feature(ident: str, pt: Point, props: dict[str, Any]) -> dict[str, Any]:
    props = dict(props)
    props["lon"] = _rounded(pt.x)
    props["lat"] = _rounded(pt.y)
    return {
        "type": "Feature",
        "id": ident,
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [props["lon"], props["lat"]]},
    }


def _village_features(villages: list[dict[str, Any]], p: BuildParams) -> list[dict[str, Any]]:
    return [
        {
            "type": "Feature",
            "id": v["code"],
            "properties": {k: v[k] for k in VILLAGE_FIELDS},
            "geometry": mapping(_round_geom(v["geometry"], p.precision_deg)),
        }
        for v in villages
    ]


# ----------------------------------------------------------------------------- writing


def _clean_coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        return [_clean_coords(x) for x in obj]
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def dump_feature_collection(features: Iterable[dict[str, Any]]) -> str:
    """Serialise features deterministically: one feature per line, sorted keys, 6 decimals."""
    lines = []
    for f in features:
        f = dict(f)
        geom = dict(f["geometry"])
        geom["coordinates"] = _clean_coords(geom["coordinates"])
        f["geometry"] = geom
        lines.append(json.dumps(f, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"


def write_dataset(dataset: dict[str, list[dict[str, Any]]], out_dir: Path) -> list[Path]:
    """Write the four GeoJSON files of a built dataset into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in OUTPUTS:
        path = out_dir / name
        path.write_text(dump_feature_collection(dataset[name.removesuffix(".geojson")]), "utf-8")
        written.append(path)
    return written


__all__ = ["BuildParams", "apportion", "build_dataset", "dotted_code", "write_dataset"]
