"""Hazards to navigation (reefs, shoals, restricted waters) and which of them a vessel avoids.

``data/hazards.geojson`` holds one polygon per hazard with its least depth (metres below chart
datum) or ``no_go``, a source and a status: ``verified`` (charted, or confirmed by a person with
a source), ``reported`` (a grounding or wreck reported at a position by a named source: the
position, the date (``reported_on``) and the radius taken round it (``radius_m``, with why, in
``radius_source``) are in its properties and its polygon is that circle, ``reported_circle``)
or ``unverified`` (a candidate nobody has confirmed, such as the places where an independent
land mask sees land and OSM does not: ``ballot-routing data check-coast``). A vessel class
avoids every hazard that is ``no_go`` or whose least depth is less than its draft times the
under-keel ratio of ``data/fleet.toml`` (``[under_keel]``, with its source); unverified hazards
count only where the caller says so (a scenario's ``unverified_hazards``).

The sea network of a class treats the hazards it avoids as land (``routing.sea.graph``), and the
network's cache key includes them, so a change to the file rebuilds only the networks it
touches.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from routing.errors import DataError, Issue

STATUSES = ("verified", "reported", "unverified")
KINDS = ("reef", "shoal", "restricted", "wreck", "grounding", "land_mask_disagreement")
COUNTED = ("verified", "reported")
"""The statuses every plan keeps out of; ``unverified`` only where a scenario asks."""
CIRCLE_SIDES = 32
"""The sides of the polygon that stands for a reported hazard's circle."""
# A hazard lies in the planning region: the bounding box of the dataset's land (the OSM land
# polygons clipped to the archipelago's box, ``routing.inputs.geodata.load_land``) widened by this
# much on each side, about 55 km at these latitudes: the open sea beyond the outermost islands
# that a voyage may still cross. A hazard past it lies on no route, and one far past it is a
# typing error (a sign lost, lon/lat swapped) or a ring drawn the wrong way round the world.
REGION_MARGIN_DEG = 0.5
# A ring wider than this in longitude is read as crossing the antimeridian (from 179 to -179
# the short way), which the planar polygons of the sea networks cannot hold.
MAX_RING_SPAN_DEG = 180.0


@dataclass(frozen=True)
class Hazard:
    """One hazard: a polygon (lon/lat) with its least depth or ``no_go``."""

    id: str
    name: str
    kind: str
    geometry: BaseGeometry
    least_depth_m: float | None
    no_go: bool
    status: str
    source: str
    note: str = ""
    reported_on: str | None = None  # a reported hazard: the date of the report (ISO 8601)
    position: tuple[float, float] | None = None  # ... the position reported (lon, lat)
    radius_m: float | None = None  # ... the radius of the circle kept clear round it
    radius_source: str | None = None  # ... why that radius (an assumption, stated)

    def blocks(self, draft_m: float, rule: KeelRule) -> bool:
        """Whether a vessel of this draft must keep out (the status aside)."""
        if self.no_go:
            return True
        return self.least_depth_m is not None and self.least_depth_m < rule.required_m(draft_m)


@dataclass(frozen=True)
class KeelRule:
    """The least depth a vessel needs: ``ratio * draft_m`` (a gross under-keel allowance)."""

    ratio: float
    status: str
    source: str

    def required_m(self, draft_m: float) -> float:
        return self.ratio * draft_m


def load_keel_rule(fleet_file: Path) -> KeelRule:
    """The ``[under_keel]`` rule of the fleet catalogue.

    Raises
    ------
    DataError
        When the table is missing, the ratio is not a number >= 1, or it has no source.
    """
    with fleet_file.open("rb") as fh:
        raw = tomllib.load(fh).get("under_keel")
    problems: list[Issue] = []
    if not isinstance(raw, dict):
        raise DataError(
            [Issue("missing_field", "/under_keel", "no under-keel rule")], source=str(fleet_file)
        )
    ratio = raw.get("depth_to_draft_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio >= 1:
        problems.append(
            Issue("bad_value", "/under_keel/depth_to_draft_ratio", "must be a number >= 1")
        )
    if not raw.get("source"):
        problems.append(Issue("missing_field", "/under_keel/source", "the rule needs a source"))
    if raw.get("status") not in ("verified", "derived", "assumed"):
        problems.append(Issue("bad_value", "/under_keel/status", "verified, derived or assumed"))
    if problems:
        raise DataError(problems, source=str(fleet_file))
    return KeelRule(float(ratio), str(raw["status"]), str(raw["source"]))  # type: ignore[arg-type]


def parse_hazards(raw: Any, *, source: str = "hazards") -> tuple[Hazard, ...]:
    """Validate a hazards FeatureCollection; every problem is raised at once.

    Raises
    ------
    DataError
        Naming the feature and field of each problem: a missing id, source or status, an
        unknown kind or status, a depth that is not a finite number >= 0, neither depth nor
        ``no_go``, a geometry that is not a valid polygon, an id used twice.
    """
    problems: list[Issue] = []
    features = raw.get("features") if isinstance(raw, dict) else None
    if not isinstance(features, list):
        raise DataError([Issue("bad_value", "/features", "expected a list")], source=source)
    out: list[Hazard] = []
    seen: set[str] = set()
    for n, feature in enumerate(features):
        base = f"/features/{n}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            problems.append(Issue("bad_value", f"{base}/properties", "expected an object"))
            continue
        found = _property_problems(props, base, seen)
        geom, wrong = _geometry(feature.get("geometry"), base)
        found += wrong
        if props.get("status") == "reported":
            found += _reported_problems(props, geom, base)
        problems += found
        if found or geom is None:
            continue
        ident, depth, no_go = props["id"], props.get("least_depth_m"), props.get("no_go", False)
        out.append(
            Hazard(
                id=str(ident),
                name=str(props.get("name") or ident),
                kind=str(props["kind"]),
                geometry=geom,
                least_depth_m=None if depth is None else float(depth),
                no_go=bool(no_go),
                status=str(props["status"]),
                source=str(props["source"]),
                note=str(props.get("note") or ""),
                **_reported(props),
            )
        )
    if problems:
        raise DataError(problems, source=source)
    return tuple(out)


def _property_problems(props: dict[str, Any], base: str, seen: set[str]) -> list[Issue]:
    """The problems of one hazard's properties (its id added to ``seen`` when new)."""
    problems: list[Issue] = []
    ident = props.get("id")
    if not isinstance(ident, str) or not ident:
        problems.append(Issue("missing_field", f"{base}/properties/id", "needs an id"))
    elif ident in seen:
        problems.append(Issue("duplicate", f"{base}/properties/id", f"{ident} used twice"))
    else:
        seen.add(ident)
    for name, allowed in (("status", STATUSES), ("kind", KINDS)):
        if props.get(name) not in allowed:
            problems.append(
                Issue("bad_value", f"{base}/properties/{name}", f"must be one of {allowed}")
            )
    if not isinstance(props.get("source"), str) or not props["source"].strip():
        problems.append(
            Issue("missing_field", f"{base}/properties/source", "every hazard needs a source")
        )
    depth = props.get("least_depth_m")
    no_go = props.get("no_go", False)
    if not isinstance(no_go, bool):
        problems.append(Issue("bad_value", f"{base}/properties/no_go", "true or false"))
    if depth is not None and (
        isinstance(depth, bool)
        or not isinstance(depth, (int, float))
        or not math.isfinite(depth)
        or depth < 0
    ):
        problems.append(
            Issue("bad_value", f"{base}/properties/least_depth_m", "a number >= 0 or null")
        )
    elif depth is None and no_go is not True:
        problems.append(
            Issue(
                "missing_field",
                f"{base}/properties/least_depth_m",
                "give the least depth, or no_go: true",
            )
        )
    return problems


REPORTED_FIELDS = ("reported_on", "position", "radius_m", "radius_source")


def _reported(props: dict[str, Any]) -> dict[str, Any]:
    if props.get("status") != "reported":
        return {}
    lon, lat = props["position"]
    return {
        "reported_on": str(props["reported_on"]),
        "position": (float(lon), float(lat)),
        "radius_m": float(props["radius_m"]),
        "radius_source": str(props["radius_source"]),
    }


def _reported_problems(props: dict[str, Any], geom: BaseGeometry | None, base: str) -> list[Issue]:
    """The problems of a reported hazard: its date, position, radius and why, and a polygon
    round the position."""
    problems: list[Issue] = []
    at = f"{base}/properties"
    when = props.get("reported_on")
    if not isinstance(when, str) or not _is_day(when):
        problems.append(Issue("bad_value", f"{at}/reported_on", "the date reported: YYYY-MM-DD"))
    position = props.get("position")
    ok_position = (
        isinstance(position, (list, tuple))
        and len(position) == 2
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in position
        )
        and abs(position[0]) <= 180
        and abs(position[1]) <= 90
    )
    if not ok_position:
        problems.append(Issue("bad_value", f"{at}/position", "[longitude, latitude] (WGS 84)"))
    radius = props.get("radius_m")
    if (
        isinstance(radius, bool)
        or not isinstance(radius, (int, float))
        or not math.isfinite(radius)
        or not radius > 0
    ):
        problems.append(Issue("bad_value", f"{at}/radius_m", "a number of metres > 0"))
    why = props.get("radius_source")
    if not isinstance(why, str) or not why.strip():
        problems.append(
            Issue("missing_field", f"{at}/radius_source", "say why this radius (or 'assumed')")
        )
    if ok_position and geom is not None and not geom.contains(shapely.Point(position)):
        problems.append(
            Issue("bad_value", f"{base}/geometry", "the polygon must lie round the position")
        )
    return problems


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def reported_circle(lon: float, lat: float, radius_m: float) -> Polygon:
    """The polygon of ``CIRCLE_SIDES`` sides on the WGS 84 ellipsoid, ``radius_m`` round a
    reported position (lon/lat; positions rounded to 1e-6 degrees, about 0.1 m)."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    azimuths = [360.0 * k / CIRCLE_SIDES for k in range(CIRCLE_SIDES)]
    lons, lats, _ = geod.fwd(
        [lon] * CIRCLE_SIDES, [lat] * CIRCLE_SIDES, azimuths, [radius_m] * CIRCLE_SIDES
    )
    ring = [(round(x, 6), round(y, 6)) for x, y in zip(lons, lats, strict=True)]
    return Polygon([*ring, ring[0]])


def _geometry(geometry: Any, base: str) -> tuple[Polygon | MultiPolygon | None, list[Issue]]:
    """One hazard's geometry as a shape, and its problems: a valid polygon or multipolygon of
    WGS 84 positions whose rings span at most ``MAX_RING_SPAN_DEG`` of longitude."""
    problems: list[Issue] = []
    try:
        geom = shape(geometry)
    except Exception:  # shapely's own errors vary by what is wrong
        geom = None
    if not isinstance(geom, (Polygon, MultiPolygon)) or geom.is_empty:
        problems.append(Issue("bad_value", f"{base}/geometry", "a valid Polygon/MultiPolygon"))
    elif not geom.is_valid:
        why = explain_validity(geom)
        problems.append(
            Issue("invalid_geometry", f"{base}/geometry", f"not a valid polygon: {why}")
        )
    elif ring_span_deg(geom) > MAX_RING_SPAN_DEG:
        problems.append(
            Issue(
                "antimeridian",
                f"{base}/geometry",
                f"a ring spans more than {MAX_RING_SPAN_DEG:g} degrees of longitude",
            )
        )
    elif not _lonlat(geom):
        problems.append(
            Issue(
                "bad_value",
                f"{base}/geometry",
                "coordinates must be longitude -180..180 and latitude -90..90 (WGS 84)",
            )
        )
    return (geom if isinstance(geom, (Polygon, MultiPolygon)) else None), problems


def _lonlat(geom: BaseGeometry) -> bool:
    xy = shapely.get_coordinates(geom)
    return bool(
        len(xy)
        and (abs(xy[:, 0]) <= 180).all()  # NaN fails these too
        and (abs(xy[:, 1]) <= 90).all()
    )


def ring_span_deg(geom: BaseGeometry) -> float:
    """The widest span in longitude of any ring of a polygon or multipolygon, degrees."""
    polygons = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    widest = 0.0
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            x0, _, x1, _ = ring.bounds
            widest = max(widest, x1 - x0)
    return widest


def region_bounds(land: Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    """The planning region (lon/lat min x, min y, max x, max y): the bounding box of the
    dataset's land widened by ``REGION_MARGIN_DEG``."""
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(list(land)))
    m = REGION_MARGIN_DEG
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def outside_region(
    geom: BaseGeometry, bounds: tuple[float, float, float, float], *, path: str = "/geometry"
) -> list[Issue]:
    """The problem of a hazard's shape that leaves the planning region ``bounds`` (none when
    it lies within)."""
    x0, y0, x1, y1 = bounds
    gx0, gy0, gx1, gy1 = geom.bounds
    if gx0 >= x0 and gy0 >= y0 and gx1 <= x1 and gy1 <= y1:
        return []
    box = f"longitude {x0:.2f}..{x1:.2f}, latitude {y0:.2f}..{y1:.2f}"
    return [
        Issue(
            "outside_region",
            path,
            f"the hazard reaches past the planning region ({box}): lon/lat order (WGS 84)?",
        )
    ]


def load_hazards(path: Path) -> tuple[Hazard, ...]:
    """The hazards of a GeoJSON file (none when it does not exist)."""
    if not path.exists():
        return ()
    return parse_hazards(json.loads(path.read_text(encoding="utf-8")), source=str(path))


def avoided(
    hazards: Iterable[Hazard], draft_m: float, rule: KeelRule, *, unverified: bool = False
) -> tuple[Hazard, ...]:
    """The hazards a vessel of ``draft_m`` keeps out of (verified and reported ones; unverified
    ones only when asked)."""
    return tuple(
        h for h in hazards if (h.status in COUNTED or unverified) and h.blocks(draft_m, rule)
    )


def version_of(hazards: Sequence[Hazard]) -> str:
    """A short hash of the hazards (ids, values and shapes): the version a plan records."""
    h = hashlib.sha256()
    for z in sorted(hazards, key=lambda z: z.id):
        fields = [z.id, z.kind, z.least_depth_m, z.no_go, z.status, z.source]
        h.update(json.dumps(fields).encode())
        h.update(shapely.to_wkb(z.geometry, hex=False, output_dimension=2))
    return h.hexdigest()[:16]


def feature(h: Hazard) -> dict[str, Any]:
    """A hazard as a GeoJSON feature (as the file holds it)."""
    props: dict[str, Any] = {
        "id": h.id,
        "name": h.name,
        "kind": h.kind,
        "least_depth_m": h.least_depth_m,
        "no_go": h.no_go,
        "status": h.status,
        "source": h.source,
    }
    if h.note:
        props["note"] = h.note
    if h.status == "reported":
        props.update(
            reported_on=h.reported_on,
            position=list(h.position) if h.position else None,
            radius_m=h.radius_m,
            radius_source=h.radius_source,
        )
    return {
        "type": "Feature",
        "properties": props,
        "geometry": shapely.geometry.mapping(h.geometry),
    }


def dump(hazards: Iterable[Hazard]) -> str:
    """The hazards as ``data/hazards.geojson`` holds them: one feature per line."""
    lines = [json.dumps(feature(h), ensure_ascii=False) for h in hazards]
    return '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"
