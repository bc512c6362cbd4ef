"""Navigable-water graph per vessel class and shortest sea paths between terminals.

Land (OSM polygons) is grown by the class's clearance, merged and simplified; these grown
shapes are the obstacles. Graph nodes are the terminals (depots and landing points) followed by
the convex vertices of the obstacles; edges are straight segments through open water (a
visibility graph), weighted by geodesic length. Between two obstacle vertices only segments
tangent to the obstacles at both ends are kept, since a shortest path only bends around convex
corners. A terminal lies inside the clearance (landing points sit about 100 m off the coast):
it is joined to the obstacle vertices and terminals it can see within ``approach_radius_m``
through segments that may pass inside the clearance but never cross land.

How the edges between obstacle vertices are found
-------------------------------------------------
Candidates are the tangent pairs of convex vertices, looked for a block of vertex rows at a
time (``_tangent_blocks``; on the 2,000-landing synthetic archipelago about 1.5 million of 31
million pairs, never all n^2 pairs in memory at once). A candidate is an edge when its segment
crosses no obstacle (each shrunk by half a metre, so that it may touch the two it joins).
Testing each one whole with GEOS is what took the time: a long segment's bounding box overlaps
hundreds of islands. So the test has two steps (``_visible_pairs``):

1. A raster of the obstacles (about 500 cells per convex vertex, at most 4 million) holds for
   each cell a distance within which no obstacle comes, from any point of the cell (scipy's
   exact Euclidean distance transform to the cells an obstacle touches, less 1.5 cells), or a
   mark that the cell lies wholly inside an obstacle. Each segment is walked from one end: it
   jumps across the free disc around the current point; it is blocked at a point in an inside
   cell; near an obstacle it moves one cell at a time, and that stretch is noted.
2. The noted stretches of the segments not found blocked (always the two ends, which lie on an
   obstacle, and the passages close by an island) are tested with GEOS as before.

Both certificates are exact (a free disc holds no obstacle, an inside cell is all obstacle) and
everything else goes to the same GEOS predicate, so the edges are those of the exact visibility
graph, which ``exact_sea_graph`` builds by testing every candidate whole: the two graphs are
the same, well within the 0.5 % the shortest-path lengths may differ by. bench/scale.py
compares them on a sample of terminal pairs and the tests on a small archipelago. A class of
the 2,000-landing archipelago builds in about 8 s instead of 80 s and at a third of the memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from routing.errors import NoSeaPath, NotFound
from routing.sea.geo import GEOD, to_metric

# Tangent pairs are looked for in blocks of this many vertex pairs, and walked across the raster
# this many at a time, to bound memory.
_PAIR_BLOCK = 1_000_000
_WALK_BLOCK = 100_000
# The raster of distances to the obstacles has about this many cells per convex vertex (within
# bounds), none smaller than the minimum size.
_RASTER_CELLS_PER_VERTEX = 500
_RASTER_CELLS = (250_000, 4_000_000)
_RASTER_MIN_CELL_M = 25.0
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
    return np.concatenate([*_tangent_blocks(pts, prev, nxt), np.empty((0, 2), dtype=np.int64)])


def _tangent_blocks(pts: np.ndarray, prev: np.ndarray, nxt: np.ndarray) -> Iterator[np.ndarray]:
    """The tangent pairs (i < j) a block of rows ``i`` at a time, never all n^2 pairs at once."""
    n = len(pts)
    u, w = prev - pts, nxt - pts  # each vertex's two edges, pointing away from it
    start = 0
    while start < n - 1:
        rows = max(1, _PAIR_BLOCK // (n - start))
        stop = min(n - 1, start + rows)
        i = np.arange(start, stop)
        cols = slice(start + 1, n)
        # d = pts[j] - pts[i]; the same arithmetic as _tangent, one (rows x cols) block at once
        dx = pts[None, cols, 0] - pts[i, None, 0]
        dy = pts[None, cols, 1] - pts[i, None, 1]
        ok = (dx * u[i, None, 1] - dy * u[i, None, 0]) * (
            dx * w[i, None, 1] - dy * w[i, None, 0]
        ) >= 0
        ok &= (dx * u[None, cols, 1] - dy * u[None, cols, 0]) * (
            dx * w[None, cols, 1] - dy * w[None, cols, 0]
        ) >= 0
        ok &= np.arange(start + 1, n)[None, :] > i[:, None]
        ii, jj = np.nonzero(ok)
        yield np.column_stack([ii + start, jj + start + 1])
        start = stop


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


# ---- visibility of the tangent pairs: a raster certifies most, GEOS decides the rest


@dataclass(frozen=True)
class _FreeRaster:
    """How far from each raster cell the obstacles are, as a certificate for straight segments.

    ``free[r, c]`` is a distance in cells that no obstacle comes nearer than from any point of
    cell ``(r, c)`` (0 near an obstacle), or -1 for a cell wholly inside one. Cell ``(r, c)``
    covers ``x0 + c * cell_m <= x < x0 + (c + 1) * cell_m`` and likewise in y.
    """

    x0: float
    y0: float
    cell_m: float
    free: np.ndarray  # (rows, cols) float32


def _free_raster(geom: BaseGeometry, n_vertices: int) -> _FreeRaster:
    """Rasterise the obstacles and the distance to them (scipy.ndimage's exact EDT).

    A cell is *touched* when its centre lies inside an obstacle or the boundary passes through
    it (the boundary sampled at half a cell, each sample's cell and its 8 neighbours marked: any
    boundary point is within a quarter cell of a sample); *inside* when its centre is inside and
    it is not touched by the boundary. From any point of a cell whose centre is ``D`` from the
    nearest touched cell's centre, no obstacle is nearer than ``D - sqrt(2) * cell``; the
    margin taken is 1.5 cells.
    """
    from scipy.ndimage import binary_dilation, distance_transform_edt

    xmin, ymin, xmax, ymax = geom.bounds
    cells = min(max(_RASTER_CELLS_PER_VERTEX * n_vertices, _RASTER_CELLS[0]), _RASTER_CELLS[1])
    cell = max(_RASTER_MIN_CELL_M, math.sqrt((xmax - xmin) * (ymax - ymin) / cells))
    x0, y0 = xmin - 2 * cell, ymin - 2 * cell
    cols = int((xmax - x0) / cell) + 3
    rows = int((ymax - y0) / cell) + 3
    rings = _rings(geom)
    p = np.concatenate(rings)
    q = np.concatenate([np.roll(r, -1, axis=0) for r in rings])
    # Centres inside (even-odd rule along each row of centres; rings do not cross).
    fy = (np.minimum(p[:, 1], q[:, 1]) - y0) / cell - 0.5
    ty = (np.maximum(p[:, 1], q[:, 1]) - y0) / cell - 0.5
    r_lo, r_hi = np.ceil(fy).astype(np.intp), np.ceil(ty).astype(np.intp)
    count = r_hi - r_lo
    edge = np.repeat(np.arange(len(p)), count)
    row = r_lo[edge] + _rank_in_group(count)
    yc = y0 + (row + 0.5) * cell
    pe, qe = p[edge], q[edge]
    xc = pe[:, 0] + (yc - pe[:, 1]) * (qe[:, 0] - pe[:, 0]) / (qe[:, 1] - pe[:, 1])
    col = np.clip(np.ceil((xc - x0) / cell - 0.5).astype(np.intp), 0, cols)
    toggle = np.zeros((rows, cols + 1), dtype=np.uint8)
    np.add.at(toggle, (row, col), 1)
    inside = np.bitwise_xor.accumulate(toggle & 1, axis=1)[:, :cols].astype(bool)
    del toggle
    # Cells the boundary passes through (and their neighbours).
    length = np.hypot(*(q - p).T)
    steps = np.maximum(1, np.ceil(length / (cell / 2)).astype(np.intp))
    edge = np.repeat(np.arange(len(p)), steps + 1)
    frac = _rank_in_group(steps + 1) / steps[edge]
    s = p[edge] + (q[edge] - p[edge]) * frac[:, None]
    near = np.zeros((rows, cols), dtype=bool)
    near[((s[:, 1] - y0) / cell).astype(np.intp), ((s[:, 0] - x0) / cell).astype(np.intp)] = True
    near = binary_dilation(near, structure=np.ones((3, 3), dtype=bool))
    touched = inside | near
    free = distance_transform_edt(~touched).astype(np.float32)
    free = np.maximum(free - np.float32(1.5), 0)
    free[inside & ~near] = -1.0
    return _FreeRaster(x0, y0, cell, free)


def _rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, .., counts[0] - 1, 0, 1, .., counts[1] - 1, ...: each item's place in its group."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _visible_pairs(
    pts: np.ndarray,
    blocks: Iterable[np.ndarray],
    raster: _FreeRaster,
    blockers: Sequence[BaseGeometry],
) -> np.ndarray:
    """The pairs (from ``blocks`` of candidates) whose segment meets none of ``blockers``.

    ``raster`` is that of the blockers. Each segment is walked from its start: where the raster
    certifies a free disc around the current point the walk jumps across it; where a point falls
    in an inside cell the segment is blocked; elsewhere (near an obstacle: always at both ends,
    which lie on one) it moves by one cell and the stretch is left to the exact test. The
    stretches of segments not found blocked are then tested exactly (GEOS, ``_clear_segments``),
    so the answer is the same as testing the whole segments.
    """
    out = [np.empty((0, 2), dtype=np.int64)]
    batch: list[np.ndarray] = []
    size = 0
    for block in [*blocks, None]:
        if block is not None:
            batch.append(block)
            size += len(block)
        if size and (block is None or size >= _WALK_BLOCK):
            pairs = np.concatenate(batch)
            out.append(pairs[_walk(pts[pairs[:, 0]], pts[pairs[:, 1]], raster, blockers)])
            batch, size = [], 0
    return np.concatenate(out)


def _walk(
    a: np.ndarray, b: np.ndarray, raster: _FreeRaster, blockers: Sequence[BaseGeometry]
) -> np.ndarray:
    """True for each segment a[k]-b[k] that meets none of ``blockers`` (see _visible_pairs)."""
    m = len(a)
    cols = raster.free.shape[1]
    free_flat = raster.free.ravel()
    # Walk in cell units: start x, y, direction x, y, length, position t; one row per segment.
    d = (b - a) / raster.cell_m
    length = np.hypot(d[:, 0], d[:, 1])
    state = np.empty((m, 6))
    state[:, 0] = (a[:, 0] - raster.x0) / raster.cell_m
    state[:, 1] = (a[:, 1] - raster.y0) / raster.cell_m
    state[:, 2:4] = d / np.maximum(length, 1e-12)[:, None]
    state[:, 4] = length
    state[:, 5] = 0.0
    seg = np.arange(m)  # the segments still walking (rows of state)
    run_start = np.full(m, np.nan)  # where each one's current near-obstacle stretch began
    blocked = np.zeros(m, dtype=bool)
    runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    while len(seg):
        t = state[:, 5]
        col = (state[:, 0] + t * state[:, 2]).astype(np.intp)
        row = (state[:, 1] + t * state[:, 3]).astype(np.intp)
        free = free_flat[row * cols + col]
        hit = free < 0
        near = free < 1
        in_run = ~np.isnan(run_start)
        closing = in_run & ~near  # a free point: the stretch ended here
        if closing.any():
            runs.append((seg[closing], run_start[closing], t[closing]))
            run_start[closing] = np.nan
        opened = near & ~in_run
        run_start[opened] = t[opened]
        t += np.where(near, 1.0, free)
        blocked[seg[hit]] = True
        done = hit | (t >= state[:, 4])
        ending = done & ~hit & ~np.isnan(run_start)  # reached the far end inside a stretch
        if ending.any():
            runs.append((seg[ending], run_start[ending], state[ending, 4]))
        if done.any():
            keep = ~done
            seg, state, run_start = seg[keep], state[keep], run_start[keep]
    if not runs:
        return ~blocked
    rs, rf, rt = (np.concatenate(x) for x in zip(*runs, strict=True))
    live = ~blocked[rs]
    rs, rf, rt = rs[live], rf[live], np.minimum(rt[live], length[rs[live]])
    u = (b - a)[rs] / np.maximum(length[rs], 1e-12)[:, None]
    clear = _clear_segments(a[rs] + rf[:, None] * u, a[rs] + rt[:, None] * u, blockers)
    blocked[rs[~clear]] = True
    return ~blocked


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
        Polygons (lon/lat) the class keeps out of (``routing.inputs.hazards.avoided``): obstacles
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
    graph = _build(land, terminals, clearance_m, approach_radius_m, hazards, exact=False)
    _release_freed_memory()
    return graph


def exact_sea_graph(
    land: Sequence[BaseGeometry],
    terminals: Sequence[Terminal],
    *,
    clearance_m: float,
    approach_radius_m: float | None = None,
    hazards: Sequence[BaseGeometry] = (),
) -> SeaGraph:
    """The same graph as ``build_sea_graph``, each tangent pair tested whole against the obstacles.

    The reference the fast build is checked against (bench/scale.py, the tests): every segment
    goes through GEOS, so it takes minutes for thousands of landing points. Same parameters.
    """
    return _build(land, terminals, clearance_m, approach_radius_m, hazards, exact=True)


def _build(
    land: Sequence[BaseGeometry],
    terminals: Sequence[Terminal],
    clearance_m: float,
    approach_radius_m: float | None,
    hazards: Sequence[BaseGeometry],
    *,
    exact: bool,
) -> SeaGraph:
    land_m = [to_metric(g) for g in land]
    land_tree = shapely.STRtree(land_m)
    term_xy = np.array([to_metric(shapely.Point(t.lon, t.lat)).coords[0] for t in terminals])
    for t, xy in zip(terminals, term_xy, strict=True):
        if len(land_tree.query(shapely.Point(xy), predicate="intersects")):
            raise NoSeaPath.unreachable(t.id, "the point lies on land")
    hazards_m = [to_metric(g) for g in hazards]
    obst = obstacles([*land_m, *hazards_m], clearance_m)
    vert, prev, nxt = convex_vertices(obst)
    shrunk_all = obst.buffer(-_TOUCH_TOLERANCE_M)
    shrunk = list(getattr(shrunk_all, "geoms", [shrunk_all]))
    if len(vert) < 2:
        pairs = np.empty((0, 2), dtype=np.int64)
    elif exact:
        pairs = _tangent_pairs(vert, prev, nxt)
        pairs = pairs[_clear_segments(vert[pairs[:, 0]], vert[pairs[:, 1]], shrunk)]
    else:
        raster = _free_raster(shrunk_all, len(vert))
        pairs = _visible_pairs(vert, _tangent_blocks(vert, prev, nxt), raster, shrunk)
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


def _release_freed_memory() -> None:
    """Hand the heap the build freed back to the system (glibc keeps it otherwise).

    The build's temporaries, arrays of a few MB and many small geometries, leave the heap
    fragmented: without this a process keeps about 100 MB more after a 2,000-landing build,
    just when the shortest paths (``all_pairs``) need their largest arrays.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL(None).malloc_trim(0)


def _lonlat_points(xy: np.ndarray) -> BaseGeometry:
    from routing.sea.geo import to_lonlat

    return to_lonlat(shapely.multipoints(xy)) if len(xy) else shapely.MultiPoint()


def all_pairs(graph: SeaGraph) -> AllPairs:
    """Shortest paths from every terminal to every node (Dijkstra, scipy.sparse.csgraph)."""
    k = len(graph.terminal_ids)
    dist, pred = dijkstra(graph.G, directed=True, indices=np.arange(k), return_predecessors=True)
    return AllPairs(dist_m=dist, pred=pred.astype(np.int32, copy=False))


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
