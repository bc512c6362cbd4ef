"""A vessel class's sea network (the sea graph of one clearance plus the shortest paths from every
terminal), cached on disk under a key hashed from everything it depends on: the land polygons,
the terminals, the clearance, the hazards kept out of and the build parameters. A second start
loads it instead of building it.
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


@dataclass(frozen=True)
class SeaNetwork:
    """The sea graph of one clearance and the shortest paths from every terminal."""

    graph: SeaGraph
    paths: AllPairs
    key: str
    from_cache: bool

    def path(self, origin: str, destination: str) -> SeaPath:
        return sea_path(self.graph, self.paths, origin, destination)


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
