"""Synthetic archipelagos of any size, to measure how the pipeline grows (bench/scale.py).

Nothing here is data about a real place: islands are random star-shaped polygons scattered over
open water east of Madura (so that the metric projection, UTM 50S, stays valid), each with one
or more villages of random polling-station counts and a landing point 150 m off its coast; a
large "mainland" island at the western edge holds the depots. The result is an ``Archipelago``
and a land list like the real dataset's, so it goes through the same sea graph, matrices,
scenario, solver and schedule. Deterministic for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from routing.domain import Depot, Island, LandingPoint, Vessel, Village
from routing.inputs.geodata import Archipelago
from routing.inputs.scenario import Scenario
from routing.sea.geo import to_lonlat

ORIGIN_M = (250_000.0, 9_200_000.0)  # UTM 50S: open water north-east of Madura
COVER = 0.02  # share of the sea area covered by islands
OFFSHORE_M = 150.0
START = datetime.fromisoformat("2030-01-07T06:00:00+07:00")


@dataclass(frozen=True)
class Synthetic:
    arch: Archipelago
    land: list[Polygon]


def _star(rng: np.random.Generator, cx: float, cy: float, radius: float) -> Polygon:
    k = int(rng.integers(6, 11))
    angles = np.sort(rng.uniform(0, 2 * math.pi, k))
    radii = radius * rng.uniform(0.6, 1.0, k)
    return Polygon(zip(cx + radii * np.cos(angles), cy + radii * np.sin(angles), strict=True))


def _offshore(poly: Polygon, angle: float, distance: float) -> Point:
    """The point ``distance`` beyond the coast of ``poly`` along a ray from its centroid."""
    c = poly.centroid
    far = Point(c.x + 1e6 * math.cos(angle), c.y + 1e6 * math.sin(angle))
    ray = shapely.LineString([c, far])
    hit = ray.intersection(poly.exterior)
    coast = min(
        (g for g in getattr(hit, "geoms", [hit]) if isinstance(g, Point)),
        key=lambda p: p.distance(c),
        default=poly.exterior.interpolate(0.0),
    )
    return Point(coast.x + distance * math.cos(angle), coast.y + distance * math.sin(angle))


def archipelago(n_landings: int, *, seed: int = 0, depots: int | None = None) -> Synthetic:
    """An archipelago with ``n_landings`` landing points (one per village)."""
    rng = np.random.default_rng(seed)
    n_islands = max(1, round(n_landings / 2.5))
    radius_km = (0.6, 3.0)
    mean_area = math.pi * (np.mean(radius_km) * 1000) ** 2 * 0.65
    side = math.sqrt(n_islands * mean_area / COVER)
    x0, y0 = ORIGIN_M
    mainland = _star(rng, x0 - 20_000, y0 + side / 2, 15_000)
    polys: list[Polygon] = []
    grid: dict[tuple[int, int], list[int]] = {}
    cell = 10_000.0
    tries = 0
    while len(polys) < n_islands and tries < n_islands * 200:
        tries += 1
        r = float(rng.uniform(*radius_km)) * 1000
        cx, cy = x0 + float(rng.uniform(0, side)), y0 + float(rng.uniform(0, side))
        poly = _star(rng, cx, cy, r)
        room = poly.buffer(1500)  # keep a passage between islands
        gx, gy = int(cx // cell), int(cy // cell)
        near = [
            j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in grid.get((gx + dx, gy + dy), [])
        ]
        if any(room.intersects(polys[j]) for j in near) or room.intersects(mainland):
            continue
        grid.setdefault((gx, gy), []).append(len(polys))
        polys.append(poly)
    # Villages: spread the landings over the islands, at least one each.
    counts = np.ones(len(polys), dtype=int)
    for i in rng.integers(0, len(polys), max(0, n_landings - len(polys))):
        counts[i] += 1
    islands: dict[str, Island] = {}
    villages: dict[str, Village] = {}
    landings: dict[str, LandingPoint] = {}
    every = shapely.STRtree([*polys, mainland])
    for i, (poly, count) in enumerate(zip(polys, counts, strict=True)):
        code = f"SYN.{i:05d}"
        geom = to_lonlat(poly)
        islands[code] = Island(
            code, f"Synthetic island {i}", "synthetic", None, True, ("synthetic",),
            poly.area / 1e6, None, None, "synthetic", None, ("SYN",), ("Synthetic",), (), False,
            geom,
        )  # fmt: skip
        for j in range(int(count)):
            angle = 2 * math.pi * (j + float(rng.uniform(0, 0.5))) / int(count)
            point = _offshore(poly, angle, OFFSHORE_M)
            if len(every.query(point, predicate="intersects")):
                point = _offshore(poly, angle, OFFSHORE_M * 4)
            lon, lat = to_lonlat(point).coords[0]
            vcode = f"{code}.{j:02d}"
            tps = int(rng.integers(1, 16))
            voters = tps * int(rng.integers(150, 290))
            lid = f"lp-{vcode}"
            landings[lid] = LandingPoint(
                lid, lon, lat, "synthetic", code, (vcode,), f"Landing {vcode}", None, None,
                None, None, OFFSHORE_M,
            )  # fmt: skip
            villages[vcode] = Village(
                vcode, f"Village {vcode}", "SYN", "Synthetic", "desa", code, tps, tps, 0,
                voters, voters, True, lid, geom,
            )  # fmt: skip
    n_depots = depots or min(3, 1 + n_landings // 1000)
    depot_map = {}
    for k in range(n_depots):
        angle = math.pi / 6 * (k - (n_depots - 1) / 2)  # facing the islands (east)
        lon, lat = to_lonlat(_offshore(mainland, angle, OFFSHORE_M)).coords[0]
        did = f"depot-{k}"
        depot_map[did] = Depot(did, f"Depot {k}", lon, lat, "synthetic", lon, lat, "synthetic")
    arch = Archipelago(islands, villages, landings, depot_map, {})
    land = [to_lonlat(p) for p in [mainland, *polys]]
    return Synthetic(arch, land)


def scenario(syn: Synthetic, vessel_ids: tuple[str, ...], *, days: int = 10) -> Scenario:
    """Deliver to every village within ``days`` of the start, from all depots."""
    return Scenario(
        name=f"synthetic-{len(syn.arch.landing_points)}",
        election_day=(START + timedelta(days=days + 1)).date(),
        planning_start=START,
        default_deadline=START + timedelta(days=days),
        depots=tuple(syn.arch.depots),
        daylight=(datetime.fromisoformat("2030-01-01T06:00").time(),
                  datetime.fromisoformat("2030-01-01T18:00").time()),
        villages=None,
        vessel_ids=vessel_ids,
        ship_hour_idr=50_000_000.0,
    )  # fmt: skip


def fleet(
    syn: Synthetic, n_vessels: int, class_ids: tuple[str, ...], *, days: int = 10
) -> dict[str, Vessel]:
    """``n_vessels`` vessels, the classes in turn, homed at the depots in turn."""
    depots = list(syn.arch.depots)
    out = {}
    for k in range(n_vessels):
        vid = f"v{k:03d}"
        out[vid] = Vessel(
            vid,
            class_ids[k % len(class_ids)],
            depots[k % len(depots)],
            START,
            START + timedelta(days=days + 2),
            "synthetic",
        )
    return out
