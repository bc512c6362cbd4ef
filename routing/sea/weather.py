"""Sea areas, wave forecasts and what they close: when a vessel class may not be at sea where.

A forecast closes an area to every vessel class whose ``max_wave_m`` is below the forecast wave
height, for the forecast's interval. A vessel may wait in port (or at anchor at a landing) inside
a closed area; it may not sail any part of a leg inside the area while it is closed. The time a
leg spends in an area is taken from its sea path: the fractions of the path's length inside the
area, at the class's constant speed. A leg that would meet a closure either waits in port until
it can pass, or, when both its ends lie outside the areas the forecast closes to the class and a
``Detour`` provider finds a sea path around them, goes the long way if that arrives earlier.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping

from routing.domain import Problem, SeaArea, WaveForecast
from routing.errors import DataError, Issue
from routing.inputs.geodata import Archipelago
from routing.sea.geo import to_lonlat, to_metric
from routing.units import sailing_seconds

PathCoords = Callable[[str, str, str], tuple[tuple[float, float], ...]]
Detour = Callable[[str, str, str], tuple[float, tuple[tuple[float, float], ...]] | None]
"""``detour(class_id, a, b)``: metres and coordinates of a sea path from a to b that keeps out of
every area the forecast ever closes to the class; ``None`` where there is none."""
MAX_HOLD_STEPS = 1000  # a guard: each step moves a departure past one closure


def load_sea_areas(path: Path, arch: Archipelago) -> dict[str, SeaArea]:
    """The sea areas of ``data/sea_areas.toml``, derived from the dataset's villages."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError([Issue("unreadable_file", "/", str(exc))], source=str(path)) from exc
    issues: list[Issue] = []
    out: dict[str, SeaArea] = {}
    for n, a in enumerate(raw.get("areas") or []):
        where = f"/areas/{n}"
        aid = str(a.get("id") or "")
        districts = [str(d) for d in a.get("districts") or []]
        geoms = [
            v.geometry
            for v in arch.villages.values()
            if v.sea and v.district_code in districts and v.geometry is not None
        ]
        if not aid:
            issues.append(Issue("missing_field", f"{where}/id", "sea area has no id"))
        if not geoms:
            issues.append(
                Issue("bad_value", f"{where}/districts", "no sea-served village in these districts")
            )
        buffer_km = a.get("buffer_km")
        if isinstance(buffer_km, bool) or not isinstance(buffer_km, (int, float)) or buffer_km < 0:
            issues.append(Issue("bad_value", f"{where}/buffer_km", "must be a number >= 0"))
            continue
        if aid and geoms:
            hull = to_metric(shapely.union_all(geoms)).convex_hull.buffer(buffer_km * 1000.0)
            out[aid] = SeaArea(
                aid,
                str(a.get("name") or aid),
                str(a.get("status", "assumed")),
                str(a.get("source", "")),
                to_lonlat(hull),
            )
    if issues:
        raise DataError(issues, source=str(path))
    return out


def parse_area(raw: Mapping[str, Any], where: str, issues: list[Issue]) -> SeaArea | None:
    """A scenario's own sea area: ``{id, name, polygon = [[lon, lat], ...]}``."""
    aid = str(raw.get("id") or "")
    if not aid:
        issues.append(Issue("missing_field", f"{where}/id", "sea area has no id"))
        return None
    ring = raw.get("polygon")
    try:
        poly = Polygon([(float(x), float(y)) for x, y in ring or []])
    except (TypeError, ValueError):
        issues.append(Issue("bad_value", f"{where}/polygon", "must be a list of [lon, lat] pairs"))
        return None
    if len(ring or []) < 3 or not poly.is_valid or poly.area == 0:
        issues.append(
            Issue(
                "bad_value", f"{where}/polygon", "needs 3 or more [lon, lat] points, not crossing"
            )
        )
        return None
    return SeaArea(
        aid, str(raw.get("name") or aid), "scenario", str(raw.get("source", "scenario")), poly
    )


@dataclass(frozen=True)
class Closure:
    area_id: str
    start_s: float
    end_s: float
    wave_m: float


@dataclass(frozen=True)
class Hold:
    """A departure moved later by the weather, and why."""

    until_s: float
    reason: str
    area_id: str = ""  # the sea area whose waves close the leg
    wave_m: float | None = None  # the forecast wave height there


@dataclass(frozen=True)
class Passage:
    """How a leg is sailed: when it leaves and how long it takes; a hold in port before it, or
    a detour around the closed areas (its own distance and path)."""

    depart_s: float
    duration_s: float
    hold: Hold | None = None
    distance_m: float | None = None
    coords: tuple[tuple[float, float], ...] = ()
    detour: str = ""


class Weather:
    """Closures per vessel class, and the earliest safe departure of a leg."""

    def __init__(
        self, problem: Problem, path: PathCoords | None, detour: Detour | None = None
    ) -> None:
        self.problem = problem
        self.path = path
        self.detour = detour
        self._detours: dict[tuple[str, str, str], tuple[float, tuple] | None] = {}
        self.areas = {a.id: a for a in problem.sea_areas}
        for a in self.areas.values():
            shapely.prepare(a.geometry)
        self._closures: dict[str, list[Closure]] = {}
        self._exposure: dict[tuple[str, str, str], tuple[tuple[str, float, float], ...]] = {}

    @property
    def active(self) -> bool:
        return self.path is not None and any(self.closures(c) for c in self.problem.classes)

    def closures(self, class_id: str) -> list[Closure]:
        """The forecasts above this class's wave limit, as seconds from the planning start."""
        if class_id not in self._closures:
            limit = self.problem.classes[class_id].max_wave_m
            self._closures[class_id] = sorted(
                (
                    Closure(
                        f.area_id,
                        float(self.problem.seconds(f.start)),
                        float(self.problem.seconds(f.end)),
                        f.wave_m,
                    )
                    for f in self.problem.forecast
                    if f.wave_m > limit and f.area_id in self.areas
                ),
                key=lambda c: (c.start_s, c.area_id),
            )
        return self._closures[class_id]

    def exposure(self, class_id: str, a: str, b: str) -> tuple[tuple[str, float, float], ...]:
        """``(area, f0, f1)``: the parts of the path a -> b inside each forecast area, as
        fractions of its length."""
        key = (class_id, a, b)
        if key not in self._exposure:
            self._exposure[key] = self._compute_exposure(class_id, a, b)
        return self._exposure[key]

    def _compute_exposure(
        self, class_id: str, a: str, b: str
    ) -> tuple[tuple[str, float, float], ...]:
        if self.path is None or a == b:
            return ()
        wanted = {c.area_id for c in self.closures(class_id)}
        if not wanted:
            return ()
        return path_spans(self.path(class_id, a, b), [self.areas[aid] for aid in sorted(wanted)])

    def depart(self, class_id: str, a: str, b: str, t: float, duration: float) -> Hold | None:
        """The earliest departure at or after ``t`` on which the leg a -> b meets no closure for
        the class; ``None`` when ``t`` itself is safe."""
        spans = self.exposure(class_id, a, b)
        if not spans:
            return None
        closures = self.closures(class_id)
        start, reason, area, wave = t, "", "", None
        for _ in range(MAX_HOLD_STEPS):
            moved = False
            for aid, f0, f1 in spans:
                enter, leave = start + f0 * duration, start + f1 * duration
                for c in closures:
                    if c.area_id == aid and enter < c.end_s and leave > c.start_s:
                        start = c.end_s - f0 * duration
                        reason = f"{self.areas[aid].name}: waves {c.wave_m:g} m"
                        area, wave = aid, c.wave_m
                        moved = True
            if not moved:
                break
        return Hold(start, reason, area, wave) if start > t else None

    def around(self, class_id: str, a: str, b: str) -> tuple[float, tuple] | None:
        """The detour from a to b around the class's closed areas, if there is one."""
        key = (class_id, a, b)
        if key not in self._detours:
            self._detours[key] = self.detour(class_id, a, b) if self.detour else None
        return self._detours[key]

    def passage(self, class_id: str, a: str, b: str, t: float, duration: float) -> Passage:
        """Sail now; or wait in port for the waves to drop; or go around, whichever arrives
        first."""
        hold = self.depart(class_id, a, b, t, duration)
        if hold is None:
            return Passage(t, duration)
        alt = self.around(class_id, a, b)
        if alt is not None:
            metres, coords = alt
            sail = sailing_seconds(metres, self.problem.classes[class_id].speed_kn)
            if t + sail < hold.until_s + duration:
                names = sorted(
                    {self.areas[aid].name for aid, _, _ in self.exposure(class_id, a, b)}
                )
                return Passage(t, sail, None, metres, coords, "around " + ", ".join(names))
        return Passage(hold.until_s, duration, hold)

    def blocked(
        self, class_id: str, origins: Iterable[str], landing: str
    ) -> list[tuple[float, float]]:
        """Intervals when the class cannot reach ``landing`` from any of ``origins``: the
        closures of every area the approach passes through (or the landing lies in); none
        when it can go around them from one of the origins."""
        origins = list(origins)
        if any(
            self.exposure(class_id, o, landing) and self.around(class_id, o, landing)
            for o in origins
        ):
            return []
        areas = {aid for o in origins for aid, _, _ in self.exposure(class_id, o, landing)}
        return merge_intervals(
            (c.start_s, c.end_s) for c in self.closures(class_id) if c.area_id in areas
        )


def path_spans(
    coords: Sequence[tuple[float, float]], areas: Iterable[SeaArea]
) -> tuple[tuple[str, float, float], ...]:
    """``(area, f0, f1)``: the parts of a sea path (lon/lat) inside each of ``areas``, as
    fractions of its length, in the areas' order."""
    if len(coords) < 2:
        return ()
    line = LineString(coords)
    length = line.length
    out = []
    for area in areas:
        for part in _lines(line.intersection(area.geometry)):
            ends = [line.project(Point(part.coords[0])), line.project(Point(part.coords[-1]))]
            out.append((area.id, min(ends) / length, max(ends) / length))
    return tuple(out)


def _lines(geom: Any) -> list[LineString]:
    if geom.is_empty:
        return []
    if isinstance(geom, LineString):
        return [geom]
    if isinstance(geom, (Point, MultiPoint)):
        return []
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, LineString) and not g.is_empty]


def merge_intervals(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def open_windows(
    blocked: list[tuple[float, float]], start: float, end: float
) -> list[tuple[float, float]]:
    """The parts of [start, end] outside ``blocked`` (merged, sorted)."""
    out = []
    t = start
    for a, b in blocked:
        if b <= t:
            continue
        if a >= end:
            break
        if a > t:
            out.append((t, min(a, end)))
        t = max(t, b)
    if t < end:
        out.append((t, end))
    return out


def area_features(
    areas: Iterable[SeaArea], forecast: Iterable[WaveForecast] = ()
) -> dict[str, Any]:
    """Sea areas as a GeoJSON FeatureCollection, each with its forecasts."""
    by_area: dict[str, list[dict[str, Any]]] = {}
    for f in forecast:
        by_area.setdefault(f.area_id, []).append(
            {
                "start": f.start.isoformat(),
                "end": f.end.isoformat(),
                "wave_m": f.wave_m,
                "source": f.source,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.id,
                "geometry": mapping(shapely.set_precision(a.geometry, 1e-5)),
                "properties": {
                    "id": a.id,
                    "name": a.name,
                    "status": a.status,
                    "source": a.source,
                    "forecast": by_area.get(a.id, []),
                },
            }
            for a in areas
        ],
    }
