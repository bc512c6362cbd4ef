"""Projection and geodesic helpers. Metric work is done in UTM zone 50S (EPSG:32750)."""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

METRIC_CRS = "EPSG:32750"
GEOD = Geod(ellps="WGS84")

G = TypeVar("G", bound=BaseGeometry)


@lru_cache(maxsize=1)
def _to_metric() -> Transformer:
    return Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


@lru_cache(maxsize=1)
def _to_lonlat() -> Transformer:
    return Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def _apply(transformer: Transformer, geom: G) -> G:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def to_metric(geom: G) -> G:
    """Project a lon/lat geometry to UTM 50S metres."""
    return _apply(_to_metric(), geom)


def to_lonlat(geom: G) -> G:
    """Project a UTM 50S geometry back to lon/lat."""
    return _apply(_to_lonlat(), geom)


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres on the WGS84 ellipsoid."""
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(dist)


def line_length_m(coords: np.ndarray) -> float:
    """Geodesic length in metres of a lon/lat polyline given as an (n, 2) array."""
    if len(coords) < 2:
        return 0.0
    _, _, dist = GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    return float(np.sum(dist))
