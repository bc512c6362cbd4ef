"""Navigable-water graph per vessel class and shortest sea paths between terminals.

Land (OSM polygons) is grown by the class's clearance, merged and simplified; these grown
shapes are the obstacles. Graph nodes are the terminals (depots and landing points) followed by
the convex vertices of the obstacles; edges are straight segments through open water (a
visibility graph), weighted by geodesic length. Between two obstacle vertices only segments
tangent to the obstacles at both ends are kept, since a shortest path only bends around convex
corners. A terminal lies inside the clearance (landing points sit about 100 m off the coast):
it is joined to the obstacle vertices and terminals it can see within ``approach_radius_m``
through segments that may pass inside the clearance but never cross land.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from routing.errors import NoSeaPath, NotFound
from routing.geo import GEOD, to_metric

# Edges are tested in blocks of this many candidate pairs to bound memory.
_PAIR_BLOCK = 2_000_000
# An obstacle is shrunk by this much before the crossing test, so that segments that only touch
# its boundary (at the vertices they join) are kept.
_TOUCH_TOLERANCE_M = 0.5
# A terminal cut off from the open-water network (in a bay closed by the clearance) is joined to
# the nearest network vertices it can see, looking at this many candidates at a time.
_FALLBACK_BATCH = 64
_FALLBACK_LINKS = 4


@dataclass(frozen=True)
class Terminal:
    """A place a route starts or ends: a depot or a landing point, on open water."""

    id: str
    lon: float
    lat: float


@dataclass(frozen=True)
class SeaGraph:
    """The visibility graph of one vessel class.

    With k terminals, nodes ``0..k-1`` are the terminals as path starts, ``k..2k-1`` the same
    terminals as path ends, the rest obstacle vertices. ``G`` is a directed sparse matrix of
    geodesic edge lengths in metres.
    """

    clearance_m: float
    terminal_ids: tuple[str, ...]
    node_xy: np.ndarray  # (n, 2) UTM 50S metres
    node_lonlat: np.ndarray  # (n, 2)
    G: csr_matrix

    @property
    def n_nodes(self) -> int:
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Edges counted once per direction pair (the graph stores both directions)."""
        return int(self.G.nnz // 2)

    def index(self, terminal_id: str) -> int:
        try:
            return self.terminal_ids.index(terminal_id)
        except ValueError:
            raise NotFound("place", terminal_id) from None


@dataclass(frozen=True)
class AllPairs:
    """Shortest paths from every terminal: distances (k x n, metres) and predecessors."""

    dist_m: np.ndarray
    pred: np.ndarray

    @property
    def terminal_dist_m(self) -> np.ndarray:
        """Terminal-to-terminal distances (k x k); inf where unreachable."""
        k = self.dist_m.shape[0]
        return self.dist_m[:, k : 2 * k]


@dataclass(frozen=True)
class SeaPath:
    origin: str
    destination: str
    distance_m: float
    coords: np.ndarray  # (m, 2) lon/lat
    origin_snap_m: float
    destination_snap_m: float

    @property
    def geometry(self) -> LineString:
        return LineString(self.coords)


def obstacles(land_m: Sequence[BaseGeometry], clearance_m: float) -> BaseGeometry:
    """Land grown by ``clearance_m``, merged and simplified (by a quarter of the clearance)."""
    grown = shapely.unary_union([g.buffer(clearance_m, quad_segs=2) for g in land_m])
    simple = shapely.simplify(grown, clearance_m / 4, preserve_topology=True)
    return shapely.orient_polygons(simple)  # exteriors CCW, holes CW: obstacle on the left


def _rings(geom: BaseGeometry) -> list[np.ndarray]:
    parts = getattr(geom, "geoms", [geom])
    rings = []
    for poly in parts:
        assert isinstance(poly, Polygon)
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:-1]
            if len(xy) >= 3:
                rings.append(xy)
    return rings


def convex_vertices(geom: BaseGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convex vertices of the obstacle rings, with each one's previous and next vertex."""
    pts, prevs, nexts = [], [], []
    for xy in _rings(geom):
        prev, nxt = np.roll(xy, 1, axis=0), np.roll(xy, -1, axis=0)
        a, b = xy - prev, nxt - xy
        convex = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0] > 0  # left turn: obstacle on the left
        pts.append(xy[convex])
        prevs.append(prev[convex])
        nexts.append(nxt[convex])
    if not pts:
        return np.empty((0, 2)), np.empty((0, 2)), np.empty((0, 2))
    return np.concatenate(pts), np.concatenate(prevs), np.concatenate(nexts)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0])


def _tangent_pairs(pts: np.ndarray, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Pairs (i < j) whose segment is tangent to the obstacle at both ends."""
    n = len(pts)
    out = []
    rows_per_block = max(1, _PAIR_BLOCK // max(n, 1))
    for start in range(0, n, rows_per_block):
        i = np.arange(start, min(n, start + rows_per_block))
        ii, jj = np.meshgrid(i, np.arange(n), indexing="ij")
        keep = jj > ii
        ii, jj = ii[keep], jj[keep]
        d = pts[jj] - pts[ii]
        ok = _tangent(d, pts[ii], prev[ii], nxt[ii]) & _tangent(-d, pts[jj], prev[jj], nxt[jj])
        out.append(np.column_stack([ii[ok], jj[ok]]))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=int)


def _tangent(d: np.ndarray, p: np.ndarray, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    s1, s2 = _cross(d, prev - p), _cross(d, nxt - p)
    return np.asarray((s1 * s2) >= 0)


def _clear_segments(a: np.ndarray, b: np.ndarray, blockers: Sequence[BaseGeometry]) -> np.ndarray:
    """True for each segment a[k]-b[k] that meets none of ``blockers``."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    tree = shapely.STRtree(lines)
    ok = np.ones(len(lines), dtype=bool)
    for blocker in blockers:
        shapely.prepare(blocker)
        hit = tree.query(blocker, predicate="intersects")
        ok[hit] = False
    return ok


def _terminal_edges(
    term_xy: np.ndarray,
    vert_xy: np.ndarray,
    land_parts: Sequence[BaseGeometry],
    radius_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Approach edges from each terminal to the vertices and terminals it can see nearby."""
    k = len(term_xy)
    all_xy = np.concatenate([term_xy, vert_xy])
    tree = cKDTree(all_xy)
    src, dst = [], []
    for t, xy in enumerate(term_xy):
        near = np.array(sorted(tree.query_ball_point(xy, radius_m)), dtype=int)
        near = near[near != t]
        src.append(np.full(len(near), t))
        dst.append(near)
    s, d = np.concatenate(src), np.concatenate(dst)
    keep = (d >= k) | (d > s)  # one direction per terminal pair
    s, d = s[keep], d[keep]
    ok = _clear_segments(all_xy[s], all_xy[d], land_parts)
    s, d = s[ok], d[ok]
    return s, d


def _connect_stranded(
    k: int,
    all_xy: np.ndarray,
    pairs: np.ndarray,
    ts: np.ndarray,
    td: np.ndarray,
    land_parts: Sequence[BaseGeometry],
) -> tuple[np.ndarray, np.ndarray]:
    """Approach edges joining terminals cut off from the open-water network to it.

    The network is the largest connected set of obstacle vertices. A terminal whose approach
    edges reach only other vertex sets (a bay closed by the clearance) or no vertex at all, and
    every vertex outside the network, is joined to the nearest network vertices it can see:
    such a link may pass inside the clearance, never over land. Returns edges in ``all_xy``
    indices (terminals first).
    """
    from scipy.sparse.csgraph import connected_components

    m = len(all_xy) - k
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, label = connected_components(adj, directed=False)
    main = np.bincount(label).argmax() if m else -1
    main_vertices = np.flatnonzero(label == main) + k
    reached = {int(t) for t, v in zip(ts, td, strict=True) if v >= k and label[v - k] == main}
    stranded = [t for t in range(k) if t not in reached]
    stranded += [int(v) + k for v in np.flatnonzero(label != main)]
    extra_s: list[np.ndarray] = [np.empty(0, dtype=int)]
    extra_d: list[np.ndarray] = [np.empty(0, dtype=int)]
    if len(main_vertices) == 0:
        return extra_s[0], extra_d[0]
    tree = cKDTree(all_xy[main_vertices])
    for t in stranded:
        order = np.atleast_1d(tree.query(all_xy[t], k=min(len(main_vertices), 4096))[1])
        for start in range(0, len(order), _FALLBACK_BATCH):
            cand = main_vertices[order[start : start + _FALLBACK_BATCH]]
            a = np.repeat(all_xy[t : t + 1], len(cand), axis=0)
            vis = cand[_clear_segments(a, all_xy[cand], land_parts)][:_FALLBACK_LINKS]
            if len(vis):
                extra_s.append(np.full(len(vis), t))
                extra_d.append(vis)
                break
    return np.concatenate(extra_s), np.concatenate(extra_d)


def build_sea_graph(
    land: Sequence[BaseGeometry],
    terminals: Sequence[Terminal],
    *,
    clearance_m: float,
    approach_radius_m: float | None = None,
    hazards: Sequence[BaseGeometry] = (),
) -> SeaGraph:
    """Build the navigable-water graph for one clearance (and the hazards a class avoids).

    Parameters
    ----------
    land
        Land polygons in lon/lat (the dataset's OSM land).
    terminals
        Depots and landing points, on open water.
    clearance_m
        How far from land open passage keeps; the approach to a terminal may come closer.
    approach_radius_m
        How far a terminal looks for graph nodes; default ``max(2000, 4 * clearance_m)``.
    hazards
        Polygons (lon/lat) the class keeps out of (``routing.hazards.avoided``): obstacles
        grown by the clearance as land is, and never crossed by an approach either. A
        terminal inside one is cut off from the network.

    Returns
    -------
    SeaGraph

    Raises
    ------
    NoSeaPath
        When a terminal lies on land.
    """
    land_m = [to_metric(g) for g in land]
    land_tree = shapely.STRtree(land_m)
    term_xy = np.array([to_metric(shapely.Point(t.lon, t.lat)).coords[0] for t in terminals])
    for t, xy in zip(terminals, term_xy, strict=True):
        if len(land_tree.query(shapely.Point(xy), predicate="intersects")):
            raise NoSeaPath(t.id, t.id, "the point lies on land")
    hazards_m = [to_metric(g) for g in hazards]
    obst = obstacles([*land_m, *hazards_m], clearance_m)
    vert, prev, nxt = convex_vertices(obst)
    pairs = _tangent_pairs(vert, prev, nxt)
    shrunk_all = obst.buffer(-_TOUCH_TOLERANCE_M)
    shrunk = list(getattr(shrunk_all, "geoms", [shrunk_all]))
    ok = _clear_segments(vert[pairs[:, 0]], vert[pairs[:, 1]], shrunk)
    pairs = pairs[ok]
    k = len(terminals)
    radius = approach_radius_m or max(2000.0, 4 * clearance_m)
    keep_out = [*land_m, *hazards_m]
    ts, td = _terminal_edges(term_xy, vert, keep_out, radius)
    xs, xd = _connect_stranded(k, np.concatenate([term_xy, vert]), pairs, ts, td, keep_out)
    vertex_links = xs >= k  # links from vertices outside the network join the vertex pairs
    pairs = np.concatenate([pairs, np.column_stack([xs[vertex_links], xd[vertex_links]]) - k])
    ts, td = np.concatenate([ts, xs[~vertex_links]]), np.concatenate([td, xd[~vertex_links]])
    # Nodes: terminals as path starts (0..k-1), terminals as path ends (k..2k-1), then obstacle
    # vertices, so that no path passes through a terminal on its way elsewhere.
    vv = pairs + 2 * k
    tv = td >= k  # approach edges to a vertex (td + k is its node index)
    tt = ~tv  # terminal-to-terminal edges
    src = np.concatenate([vv[:, 0], vv[:, 1], ts[tv], td[tv] + k, ts[tt], td[tt]])
    dst = np.concatenate([vv[:, 1], vv[:, 0], td[tv] + k, ts[tv] + k, td[tt] + k, ts[tt] + k])
    node_xy = np.concatenate([term_xy, term_xy, vert]) if k else vert
    vert_lonlat = shapely.get_coordinates(_lonlat_points(vert)).reshape(-1, 2)
    term_lonlat = np.array([[t.lon, t.lat] for t in terminals]).reshape(-1, 2)
    node_lonlat = np.concatenate([term_lonlat, term_lonlat, vert_lonlat])
    _, _, length = GEOD.inv(
        node_lonlat[src, 0], node_lonlat[src, 1], node_lonlat[dst, 0], node_lonlat[dst, 1]
    )
    n = len(node_xy)
    G = coo_matrix((length, (src, dst)), shape=(n, n)).tocsr()
    return SeaGraph(clearance_m, tuple(t.id for t in terminals), node_xy, node_lonlat, G)


def _lonlat_points(xy: np.ndarray) -> BaseGeometry:
    from routing.geo import to_lonlat

    return to_lonlat(shapely.multipoints(xy)) if len(xy) else shapely.MultiPoint()


def all_pairs(graph: SeaGraph) -> AllPairs:
    """Shortest paths from every terminal to every node (Dijkstra, scipy.sparse.csgraph)."""
    k = len(graph.terminal_ids)
    dist, pred = dijkstra(graph.G, directed=True, indices=np.arange(k), return_predecessors=True)
    return AllPairs(dist_m=dist, pred=pred.astype(np.int32))


def sea_path(graph: SeaGraph, paths: AllPairs, origin: str, destination: str) -> SeaPath:
    """The shortest sea path between two terminals, with its geometry.

    Raises
    ------
    NoSeaPath
        When the two are the same place or no path joins them.
    NotFound
        When an id is not a terminal of the graph.
    """
    k = len(graph.terminal_ids)
    i, j = graph.index(origin), graph.index(destination) + k
    if i + k == j:
        raise NoSeaPath(origin, destination, "both ends are the same place")
    dist = paths.dist_m[i, j]
    if not np.isfinite(dist):
        raise NoSeaPath(
            origin, destination, f"unreachable with a {graph.clearance_m:.0f} m clearance"
        )
    nodes = [j]
    while nodes[-1] != i:
        nodes.append(int(paths.pred[i, nodes[-1]]))
    nodes.reverse()
    coords = graph.node_lonlat[nodes]
    first = float(graph.G[nodes[0], nodes[1]])
    last = float(graph.G[nodes[-2], nodes[-1]])
    direct = len(nodes) == 2
    return SeaPath(
        origin=origin,
        destination=destination,
        distance_m=float(dist),
        coords=coords,
        origin_snap_m=float(dist) if direct else first,
        destination_snap_m=float(dist) if direct else last,
    )
