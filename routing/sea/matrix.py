"""Per-class sea networks and their integer distance/duration matrices; the one place units convert.

A network (the sea graph of one clearance plus shortest paths from every terminal) is cached on
disk under a key hashed from everything it depends on: the land polygons, the terminals, the
clearance and the build parameters. A second start loads it instead of building it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from shapely.geometry.base import BaseGeometry

from routing.domain import VesselClass
from routing.errors import NoSeaPath
from routing.sea.geo import METRES_PER_NM
from routing.sea.graph import (
    AllPairs,
    SeaGraph,
    SeaPath,
    Terminal,
    all_pairs,
    build_sea_graph,
    sea_path,
)

CACHE_VERSION = "seagraph-1"
UNREACHABLE = -1
"""Marks an unreachable pair in the integer matrices (``reachable`` is False there too)."""


def metres_to_nm(metres: float) -> float:
    return metres / METRES_PER_NM


def seconds_to_h(seconds: float) -> float:
    return seconds / 3600.0


def sailing_seconds(distance_m: float, speed_kn: float) -> float:
    """Time to sail ``distance_m`` at ``speed_kn`` knots."""
    return distance_m / knots_to_m_per_s(speed_kn)


def loading_seconds(vessel_class: VesselClass, weight_kg: float) -> float:
    """Time to load ``weight_kg`` at a depot."""
    return weight_kg / vessel_class.load_rate_kg_per_h * 3600.0


def unloading_seconds(vessel_class: VesselClass, weight_kg: float, *, berth: bool) -> float:
    """Time to hand over ``weight_kg``: alongside, or anchoring plus tender shuttles."""
    if berth:
        return weight_kg / vessel_class.unload_rate_kg_per_h * 3600.0
    return (
        vessel_class.anchor_setup_min * 60.0
        + weight_kg / vessel_class.tender_rate_kg_per_h * 3600.0
    )


def knots_to_m_per_s(speed_kn: float) -> float:
    return speed_kn * METRES_PER_NM / 3600.0


@dataclass(frozen=True)
class SeaNetwork:
    """The sea graph of one clearance and the shortest paths from every terminal."""

    graph: SeaGraph
    paths: AllPairs
    key: str
    from_cache: bool

    def path(self, origin: str, destination: str) -> SeaPath:
        return sea_path(self.graph, self.paths, origin, destination)


@dataclass(frozen=True)
class Matrix:
    """Integer metres and seconds between terminals for one vessel class.

    ``distance_m[i, j]`` and ``duration_s[i, j]`` are ``UNREACHABLE`` where ``reachable`` is False.
    """

    vessel_class: str
    ids: tuple[str, ...]
    distance_m: np.ndarray
    duration_s: np.ndarray
    reachable: np.ndarray

    def index(self, ident: str) -> int:
        return self.ids.index(ident)

    def distance(self, origin: str, destination: str) -> int:
        """Metres between two terminals; raises ``NoSeaPath`` when unreachable."""
        i, j = self.index(origin), self.index(destination)
        if not self.reachable[i, j]:
            raise NoSeaPath(origin, destination, f"unreachable for {self.vessel_class}")
        return int(self.distance_m[i, j])


def network_key(
    land: Sequence[BaseGeometry],
    terminals: Sequence[Terminal],
    *,
    clearance_m: float,
    hazards: Sequence[BaseGeometry] = (),
) -> str:
    """A hash of everything a network depends on."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    h.update(json.dumps({"clearance_m": clearance_m}, sort_keys=True).encode())
    for g in land:
        h.update(shapely.to_wkb(g, hex=False, output_dimension=2))
    if hazards:  # (a key without hazards stays what it was: cached networks stay valid)
        h.update(b"hazards")
        for g in hazards:
            h.update(shapely.to_wkb(g, hex=False, output_dimension=2))
    for t in terminals:
        h.update(f"{t.id}|{t.lon:.7f}|{t.lat:.7f}\n".encode())
    return h.hexdigest()[:24]


def _save(path: Path, graph: SeaGraph, paths: AllPairs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    os.close(fd)
    np.savez(
        tmp,
        clearance_m=np.float64(graph.clearance_m),
        terminal_ids=np.array(graph.terminal_ids, dtype=str),
        node_xy=graph.node_xy,
        node_lonlat=graph.node_lonlat,
        g_data=graph.G.data,
        g_indices=graph.G.indices,
        g_indptr=graph.G.indptr,
        dist_m=paths.dist_m,
        pred=paths.pred,
    )
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def _load(path: Path) -> tuple[SeaGraph, AllPairs]:
    with np.load(path) as z:
        n = len(z["node_xy"])
        G = csr_matrix((z["g_data"], z["g_indices"], z["g_indptr"]), shape=(n, n))
        graph = SeaGraph(
            float(z["clearance_m"]),
            tuple(str(x) for x in z["terminal_ids"]),
            z["node_xy"],
            z["node_lonlat"],
            G,
        )
        return graph, AllPairs(z["dist_m"], z["pred"])


def sea_network(
    land: Sequence[BaseGeometry],
    terminals: Sequence[Terminal],
    *,
    clearance_m: float,
    cache_dir: Path | None = None,
    hazards: Sequence[BaseGeometry] = (),
) -> SeaNetwork:
    """Load the network for one clearance from the cache, or build it (and cache it).

    Parameters
    ----------
    land
        Land polygons, lon/lat.
    terminals
        Depots and landing points.
    clearance_m
        The vessel class's clearance.
    cache_dir
        Folder for cached networks; ``None`` disables the cache.
    hazards
        Polygons the class keeps out of (``routing.inputs.hazards.avoided``), lon/lat.
    """
    key = network_key(land, terminals, clearance_m=clearance_m, hazards=hazards)
    path = cache_dir / f"{CACHE_VERSION}-{key}.npz" if cache_dir else None
    if path is not None and path.exists():
        try:
            graph, paths = _load(path)
            return SeaNetwork(graph, paths, key, from_cache=True)
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # a damaged cache file is rebuilt, never trusted
    graph = build_sea_graph(land, terminals, clearance_m=clearance_m, hazards=hazards)
    paths = all_pairs(graph)
    if path is not None:
        _save(path, graph, paths)
    return SeaNetwork(graph, paths, key, from_cache=False)


def build_matrix(network: SeaNetwork, vessel_class: VesselClass) -> Matrix:
    """Integer metres and seconds between all terminals for one vessel class."""
    dist = network.paths.terminal_dist_m.copy()
    np.fill_diagonal(dist, 0.0)  # staying put costs nothing
    reachable = np.isfinite(dist)
    metres = np.where(reachable, np.rint(np.where(reachable, dist, 0)), UNREACHABLE).astype(
        np.int64
    )
    secs = np.rint(np.where(reachable, dist, 0) / knots_to_m_per_s(vessel_class.speed_kn))
    seconds = np.where(reachable, secs, UNREACHABLE).astype(np.int64)
    return Matrix(vessel_class.id, network.graph.terminal_ids, metres, seconds, reachable)
