"""A vessel class's sea network as a ``networkx.Graph``, written as GraphML or GeoJSON.

The graph is for reading and drawing the network elsewhere (QGIS, Gephi, a notebook); routing
itself keeps the scipy sparse matrix of ``routing.sea.graph`` and its all-pairs Dijkstra
(``scipy.sparse.csgraph``), which is much faster on the whole network.

``SeaGraph`` holds each terminal twice (as a path start and as a path end, so that no path
passes through a terminal on its way elsewhere). Here the two are one node, keyed by the
terminal's id; an obstacle vertex is ``v<i>``, ``i`` its index among the vertices (node
``2k + i`` of the sea graph with ``k`` terminals). Edges are undirected, one per pair of nodes.
Merged, a terminal can be passed through, which routing never does: ``passage_view`` gives the
graph a path between two terminals may use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx

from routing.sea.graph import SeaGraph

CRS = "EPSG:4326"
"""The coordinates' reference system: lon/lat in degrees (WGS 84)."""

GEOJSON_DECIMALS = 7
"""Decimals of a GeoJSON coordinate (about 1 cm)."""


def vertex_key(i: int) -> str:
    """The node key of obstacle vertex ``i`` (its index among the vertices)."""
    return f"v{i}"


def to_networkx(graph: SeaGraph, *, vessel_class: str | None = None) -> nx.Graph:
    """The sea network as an undirected ``networkx.Graph``.

    Parameters
    ----------
    graph
        The sea graph of one clearance.
    vessel_class
        The vessel class's id, kept as the graph attribute ``vessel_class`` when given.

    Returns
    -------
    networkx.Graph
        Nodes: every terminal (keyed by its id) and every obstacle vertex (``v<i>``), with
        ``kind`` ("terminal" or "vertex"), ``lon`` and ``lat``. Edges: ``length_m`` (geodesic
        metres, as the sea graph weighs them) and ``geometry``, the straight segment between the
        two nodes as WKT (``LINESTRING (lon lat, lon lat)``), since GraphML has no geometry
        type. Graph attributes: ``clearance_m``, ``crs`` and, when given, ``vessel_class``.
        A shortest path on it may pass through a terminal, which a sea path never does: see
        ``passage_view``.

    Raises
    ------
    ValueError
        When a terminal id is also the key of an obstacle vertex.
    """
    k = len(graph.terminal_ids)
    lonlat = graph.node_lonlat
    keys = [*graph.terminal_ids, *graph.terminal_ids]
    keys += [vertex_key(i) for i in range(graph.n_nodes - 2 * k)]
    clash = set(graph.terminal_ids) & set(keys[2 * k :])
    if clash:
        raise ValueError(f"terminal ids {sorted(clash)} are also obstacle vertex keys")
    g = nx.Graph(clearance_m=float(graph.clearance_m), crs=CRS)
    if vessel_class is not None:
        g.graph["vessel_class"] = vessel_class
    for i in [*range(k), *range(2 * k, graph.n_nodes)]:
        g.add_node(
            keys[i],
            kind="terminal" if i < k else "vertex",
            lon=float(lonlat[i, 0]),
            lat=float(lonlat[i, 1]),
        )
    coo = graph.G.tocoo()
    for i, j, w in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True):
        u, v = keys[i], keys[j]
        known = g.get_edge_data(u, v)
        if known is not None:  # the other direction, seen before: the lengths agree
            known["length_m"] = min(known["length_m"], float(w))
            continue
        (x0, y0), (x1, y1) = lonlat[i].tolist(), lonlat[j].tolist()
        wkt = f"LINESTRING ({x0!r} {y0!r}, {x1!r} {y1!r})"
        g.add_edge(u, v, length_m=float(w), geometry=wkt)
    return g


def passage_view(g: nx.Graph, origin: str, destination: str) -> nx.Graph:
    """The graph as routing sees a path between two terminals: the obstacle vertices and these
    two terminals only.

    A sea path passes through no other terminal: the last approach to a terminal may come
    closer to land than the clearance, so it is only taken to stop there (``SeaGraph`` keeps
    each terminal as a start node without incoming edges and an end node without outgoing
    ones). On the whole undirected graph a shortest path may cut through a terminal and come
    out shorter; on this view it has the length of ``AllPairs.terminal_dist_m``.

    Parameters
    ----------
    g
        A graph from ``to_networkx``.
    origin, destination
        Terminal ids.

    Returns
    -------
    networkx.Graph
        A read-only view of ``g``.
    """
    ends = {origin, destination}
    return nx.subgraph_view(g, filter_node=lambda n: n in ends or g.nodes[n]["kind"] == "vertex")


def write_graphml(g: nx.Graph, path: Path) -> None:
    """Write the graph as GraphML (``networkx.write_graphml``); ``read_graphml`` reads it back
    with the same nodes, edges and attributes (node ids as text)."""
    nx.write_graphml(g, path)


def _coord(lon: float, lat: float) -> list[float]:
    return [round(lon, GEOJSON_DECIMALS), round(lat, GEOJSON_DECIMALS)]


def geojson(g: nx.Graph) -> dict[str, Any]:
    """The graph as a GeoJSON FeatureCollection.

    Parameters
    ----------
    g
        A graph from ``to_networkx``.

    Returns
    -------
    dict
        One Point per node (properties: ``id`` and the node's attributes other than ``lon`` and
        ``lat``) and one LineString per edge (properties: ``source``, ``target`` and the edge's
        attributes other than ``geometry``), coordinates lon/lat rounded to 7 decimals. The
        graph's attributes are the foreign member ``graph``.
    """
    features: list[dict[str, Any]] = []
    for node, attrs in g.nodes(data=True):
        props = {"id": node, **{a: x for a, x in attrs.items() if a not in ("lon", "lat")}}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _coord(attrs["lon"], attrs["lat"])},
                "properties": props,
            }
        )
    nodes = g.nodes
    for u, v, attrs in g.edges(data=True):
        props = {"source": u, "target": v, **{a: x for a, x in attrs.items() if a != "geometry"}}
        line = [_coord(nodes[n]["lon"], nodes[n]["lat"]) for n in (u, v)]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "graph": dict(g.graph), "features": features}


def write_geojson(g: nx.Graph, path: Path) -> None:
    """Write ``geojson(g)`` to ``path`` as UTF-8 JSON."""
    path.write_text(json.dumps(geojson(g), ensure_ascii=False) + "\n", encoding="utf-8")
