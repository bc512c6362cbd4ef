"""Where an independent land mask and the OSM coast disagree: candidate hazards for a person.

The OSM land polygons the sea graph avoids leave out islets under about 0.01 km² and drying
reefs (``data/islands/README.md``). The GLOBE 1 km land mask (NOAA NGDC, through the
``global-land-mask`` package) is an independent view of where land is. A grid over the
archipelago is read against both: a cell GLOBE calls land that lies in OSM's water and farther
than ``min_distance_m`` from any OSM land (so not a coastline drawn a little differently) is a
*candidate*: a reef flat, a shoal or an islet a ship may not cross, or an error of the coarse
mask. Adjacent cells form one candidate. Nobody has confirmed them: they go into
``data/hazards.geojson`` as ``status = "unverified"`` (``ballot-routing data check-coast
--write``) and count in a plan only when its scenario says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry.base import BaseGeometry

from routing.inputs.hazards import Hazard
from routing.sea.geo import to_metric

MASK = "GLOBE 1 km land mask (NOAA NGDC), global-land-mask 1.0.0"
SOURCE = (
    f"{MASK}: land where the OSM land polygons have open water, more than {{distance:g}} m from "
    "OSM land (ballot-routing data check-coast); not confirmed by a chart or a person"
)


@dataclass(frozen=True)
class Candidate:
    """A group of adjacent grid cells where the land mask sees land and OSM water."""

    id: str
    lon: float  # the centre of its cells
    lat: float
    cells: int
    area_km2: float
    nearest_osm_land_m: float
    geometry: BaseGeometry  # the cells' union, lon/lat
    covered_by: str | None  # a hazard of the file that holds its centre, if any

    def hazard(self, min_distance_m: float) -> Hazard:
        """The candidate as an unverified, no-go hazard."""
        return Hazard(
            id=self.id,
            name=f"Land mask candidate {abs(self.lat):.3f} S {self.lon:.3f} E",
            kind="land_mask_disagreement",
            geometry=self.geometry,
            least_depth_m=None,
            no_go=True,
            status="unverified",
            source=SOURCE.format(distance=min_distance_m),
            note=(
                f"{self.cells} cell(s) of the check grid; nearest OSM land "
                f"{self.nearest_osm_land_m:.0f} m. Confirm (give a least depth or no_go, a "
                "source, status verified) or withdraw."
            ),
        )


def candidates(
    land: Sequence[BaseGeometry],
    bounds: tuple[float, float, float, float],
    *,
    step_deg: float = 0.005,
    min_distance_m: float = 1500.0,
    known: Sequence[Hazard] = (),
) -> list[Candidate]:
    """Candidates inside ``bounds`` (lon/lat min x, min y, max x, max y), north to south.
    Cells at the edge of the grid are left out (the OSM extract is clipped there, so land
    beyond its edge looks like open water).

    Parameters
    ----------
    land
        The OSM land polygons (lon/lat) the sea graph uses.
    step_deg
        The grid step (0.005 degrees: about 550 m, finer than the mask's 1 km).
    min_distance_m
        How far from OSM land a cell must be to count (coastlines drawn differently are not
        hazards).
    known
        The hazards already on file: a candidate whose centre one of them holds says which.
    """
    from global_land_mask import globe

    x0, y0, x1, y1 = bounds
    lons = np.arange(x0, x1 + step_deg / 2, step_deg)
    lats = np.arange(y0, y1 + step_deg / 2, step_deg)
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    masked = globe.is_land(grid_lat, grid_lon)
    osm = shapely.union_all(list(land))
    shapely.prepare(osm)
    rows, cols = np.nonzero(masked)
    on_osm = shapely.contains_xy(osm, grid_lon[rows, cols], grid_lat[rows, cols])
    rows, cols = rows[~on_osm], cols[~on_osm]
    land_m = [to_metric(g) for g in land]
    tree = shapely.STRtree(land_m)
    pts = to_metric(
        shapely.multipoints(np.column_stack([grid_lon[rows, cols], grid_lat[rows, cols]]))
    )
    points = list(getattr(pts, "geoms", []))
    far = np.zeros(len(points), dtype=bool)
    nearest = np.full(len(points), np.inf)
    if points:
        _, dist = tree.query_nearest(points, return_distance=True, all_matches=False)
        nearest = np.asarray(dist)
        far = nearest > min_distance_m
    flagged = np.zeros_like(masked, dtype=bool)
    flagged[rows[far], cols[far]] = True
    dist_at = np.full(masked.shape, np.inf)
    dist_at[rows, cols] = nearest
    labels, count = ndimage.label(flagged, structure=np.ones((3, 3), dtype=int))
    known_tree = [(h.id, h.geometry) for h in known]
    found: list[Candidate] = []
    half = step_deg / 2
    last_r, last_c = flagged.shape[0] - 1, flagged.shape[1] - 1
    for label in range(1, count + 1):
        r, c = np.nonzero(labels == label)
        if r.min() == 0 or c.min() == 0 or r.max() == last_r or c.max() == last_c:
            continue  # at the edge of the grid: land the OSM extract cut off, not a hazard
        cells = shapely.box(
            grid_lon[r, c] - half,
            grid_lat[r, c] - half,
            grid_lon[r, c] + half,
            grid_lat[r, c] + half,
        )
        shape = shapely.union_all(cells)
        lon, lat = float(grid_lon[r, c].mean()), float(grid_lat[r, c].mean())
        centre = shapely.Point(lon, lat)
        covered = next((hid for hid, g in known_tree if g.contains(centre)), None)
        found.append(
            Candidate(
                id=f"lm-{abs(lat):.3f}s-{lon:.3f}e",
                lon=round(lon, 5),
                lat=round(lat, 5),
                cells=len(r),
                area_km2=round(float(to_metric(shape).area) / 1e6, 2),
                nearest_osm_land_m=round(float(dist_at[r, c].min()), 0),
                geometry=shapely.set_precision(shape, 1e-6),
                covered_by=covered,
            )
        )
    found.sort(key=lambda k: (-k.lat, k.lon))
    return found
