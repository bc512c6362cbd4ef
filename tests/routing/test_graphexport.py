"""The sea network as a networkx graph, exported by ``ballot-routing graph export``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from routing import inputs as data
from routing.inputs.fleet import load_fleet
from routing.outputs.graph import passage_view, to_networkx
from routing.sea.network import SeaNetwork
from tests.conftest import DATA

CLASSES = load_fleet(DATA / "fleet.toml")
# The class with the smallest clearance: the largest network.
CLASS = "motor_boat"


@pytest.fixture(scope="module")
def net(network_cache: Path) -> SeaNetwork:
    """The class's network as the CLI gets it, built into the session's cache (the CLI's
    process loads it from there)."""
    _, network = data.network(DATA, CLASS, network_cache)
    return network


@pytest.fixture(scope="module")
def graph(net: SeaNetwork) -> nx.Graph:
    return to_networkx(net.graph, vessel_class=CLASS)


def run(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ballot-routing") or str(Path(sys.executable).parent / "ballot-routing")
    env = dict(os.environ, BALLOT_DATA_DIR=str(DATA), BALLOT_CACHE_DIR=str(cache))
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, check=False, env=env, timeout=120
    )


def test_graph_export_writes_graphml_that_networkx_reads_back(
    net: SeaNetwork, graph: nx.Graph, network_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sea.graphml"
    done = run("graph", "export", "--vessel-class", CLASS, "--out", str(out), cache=network_cache)
    assert done.returncode == 0, done.stderr
    back = nx.read_graphml(out)

    sg = net.graph
    k = len(sg.terminal_ids)
    # Each terminal's start and end node are one node; every edge is stored in both directions.
    assert back.number_of_nodes() == graph.number_of_nodes() == sg.n_nodes - k
    assert back.number_of_edges() == graph.number_of_edges() == sg.n_edges
    assert not back.is_directed()
    assert f"{sg.n_nodes - k} simpul, {sg.n_edges} sisi" in done.stderr  # Indonesian first
    assert str(out) in done.stderr
    assert back.graph["vessel_class"] == CLASS
    assert back.graph["clearance_m"] == CLASSES[CLASS].clearance_m
    assert back.graph["crs"] == "EPSG:4326"

    for i, tid in enumerate(sg.terminal_ids):
        node = back.nodes[tid]
        assert node["kind"] == "terminal"
        assert (node["lon"], node["lat"]) == tuple(sg.node_lonlat[i].tolist())
    vertices = [n for n, kind in back.nodes(data="kind") if kind == "vertex"]
    assert len(vertices) == sg.n_nodes - 2 * k
    assert back.nodes["v0"]["lon"] == sg.node_lonlat[2 * k, 0]

    # Every edge: the length the sea graph gives it, a straight segment between its two nodes.
    lines, ends = [], []
    for u, v, attrs in back.edges(data=True):
        assert attrs["length_m"] == graph.edges[u, v]["length_m"]
        lines.append(attrs["geometry"])
        ends.append([[back.nodes[n]["lon"], back.nodes[n]["lat"]] for n in (u, v)])
    coords = shapely.get_coordinates(shapely.from_wkt(lines)).reshape(-1, 2, 2)
    forward, backward = np.array(ends), np.array(ends)[:, ::-1]
    assert (np.all(coords == forward, axis=(1, 2)) | np.all(coords == backward, axis=(1, 2))).all()
    # An edge out of Kalianget in the sea graph (to a terminal's end node or to a vertex).
    row = sg.G.getrow(sg.index("kalianget"))
    j, length = int(row.indices[0]), float(row.data[0])
    other = sg.terminal_ids[j - k] if j < 2 * k else f"v{j - 2 * k}"
    assert back.edges["kalianget", other]["length_m"] == length


def test_shortest_paths_match_the_scipy_all_pairs_distances(
    net: SeaNetwork, graph: nx.Graph
) -> None:
    ids = net.graph.terminal_ids
    dist = net.paths.terminal_dist_m
    pairs = [(a, b) for a in range(0, len(ids), 11) for b in range(3, len(ids), 7) if a != b]
    pairs.append((ids.index("kalianget"), ids.index("port-mes")))
    assert len(pairs) >= 50
    shortcut = 0
    for a, b in pairs:
        view = passage_view(graph, ids[a], ids[b])
        if not np.isfinite(dist[a, b]):  # cut off for this class: no path here either
            assert not nx.has_path(view, ids[a], ids[b]), (ids[a], ids[b])
            continue
        length = nx.dijkstra_path_length(view, ids[a], ids[b], weight="length_m")
        assert length == pytest.approx(dist[a, b], abs=1.0), (ids[a], ids[b])
        # On the whole graph a path may pass through another terminal: never longer.
        whole = nx.dijkstra_path_length(graph, ids[a], ids[b], weight="length_m")
        assert whole <= dist[a, b] + 1e-6
        shortcut += whole < dist[a, b] - 1.0
    assert shortcut, "some path is shorter through a terminal: why passage_view exists"


def test_geojson_export_has_a_point_per_node_and_a_line_per_edge(
    graph: nx.Graph, network_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "nested" / "sea.json"  # .json: GeoJSON; the folder is made
    done = run("graph", "export", "--vessel-class", CLASS, "--out", str(out), cache=network_cache)
    assert done.returncode == 0, done.stderr
    assert "(geojson)" in done.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    clearance_m = CLASSES[CLASS].clearance_m
    assert doc["graph"] == {"clearance_m": clearance_m, "crs": "EPSG:4326", "vessel_class": CLASS}
    points = [f for f in doc["features"] if f["geometry"]["type"] == "Point"]
    lines = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(points) + len(lines) == len(doc["features"])
    assert len(points) == graph.number_of_nodes()
    assert len(lines) == graph.number_of_edges()
    assert {p["properties"]["id"] for p in points} == set(graph.nodes)
    kalianget = next(p for p in points if p["properties"]["id"] == "kalianget")
    node = graph.nodes["kalianget"]
    assert kalianget["properties"]["kind"] == "terminal"
    assert kalianget["geometry"]["coordinates"] == [round(node["lon"], 7), round(node["lat"], 7)]
    for f in lines[:200]:
        props = f["properties"]
        assert graph.has_edge(props["source"], props["target"])
        assert props["length_m"] == graph.edges[props["source"], props["target"]]["length_m"]
        assert "geometry" not in props and len(f["geometry"]["coordinates"]) == 2
    assert all(round(c, 7) == c for f in lines for xy in f["geometry"]["coordinates"] for c in xy)


def test_format_option_overrides_the_extension(
    graph: nx.Graph, network_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sea.xml"
    args = ("graph", "export", "--vessel-class", CLASS, "--out", str(out), "--format", "graphml")
    done = run(*args, cache=network_cache)
    assert done.returncode == 0, done.stderr
    assert nx.read_graphml(out).number_of_edges() == graph.number_of_edges()


def test_unknown_vessel_class_and_extension_are_clear_errors(
    network_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sea.graphml"
    bad = run("graph", "export", "--vessel-class", "atlantis", "--out", str(out), cache=tmp_path)
    assert bad.returncode == 2
    assert "--vessel-class" in bad.stderr and "'atlantis'" in bad.stderr
    assert all(c in bad.stderr for c in CLASSES)
    assert "Traceback" not in bad.stderr and not out.exists()

    txt = tmp_path / "sea.txt"
    bad = run("graph", "export", "--vessel-class", CLASS, "--out", str(txt), cache=network_cache)
    assert bad.returncode == 2
    assert "--out" in bad.stderr and "sea.txt" in bad.stderr and ".graphml" in bad.stderr
    assert "Traceback" not in bad.stderr and not txt.exists()
