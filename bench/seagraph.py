"""Sea-graph benchmark: build and matrix times per vessel class, and distances against references.

Run: .venv/bin/python bench/seagraph.py   (needs the bench extra for the searoute column:
.venv/bin/pip install -e '.[bench]')

Table 1, per vessel class: graph build time (cold, no cache), nodes, edges, the all-pairs
matrix time once the graph is built, and the time to load graph and matrix from the disk cache.
Table 2: depot-to-island sea distances from the graph against the great-circle distance, the
published figures of domain-facts (Kalianget-Masalembu about 112 nmi, about 12 h by regular
ship; Kangean about 9 h; Sapeken about 12 h) and the searoute package.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.inputs.fleet import load_fleet  # noqa: E402
from routing.inputs.geodata import load_dataset, load_land  # noqa: E402
from routing.sea.geo import geodesic_m  # noqa: E402
from routing.sea.graph import all_pairs, build_sea_graph  # noqa: E402
from routing.sea.matrix import build_matrix  # noqa: E402
from routing.sea.network import sea_network  # noqa: E402
from routing.units import metres_to_nm  # noqa: E402

DATA = ROOT / "data"
# (landing or depot id, label, published distance nmi, published time h, source)
REFERENCES = [
    (
        "port-mes",
        "Masalembu (Masalembo port)",
        112.0,
        12.0,
        "112 nmi [S102]; ~12 h regular ship [S19]",
    ),
    ("port-kng", "Kangean (KNG, Batuguluk)", None, 9.0, "~9 h regular ship [S19]"),
    ("port-spk", "Sapeken (SPK)", None, 12.0, "~12 h regular ship [S19]"),
    ("port-krm", "Keramaian (KRM)", None, None, ""),
    ("port-pp-raas", "Ra'as (PP Raas)", None, None, ""),
    ("port-pp-gayam", "Sapudi (PP Gayam)", None, None, "~4 h by perahu motor [S70][S71]"),
    ("lp-35.29.04.2001", "Talango (Poteran)", None, None, ""),
]


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(_row(header, widths))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(_row(r, widths))
    print()


def main() -> None:
    arch = load_dataset(DATA / "islands")
    land = load_land(DATA / "islands")
    terminals = arch.terminals()
    fleet = load_fleet(DATA / "fleet.toml")
    rows = []
    matrices = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        for vc in fleet.values():
            t0 = time.perf_counter()
            graph = build_sea_graph(land, terminals, clearance_m=vc.clearance_m)
            t_build = time.perf_counter() - t0
            t0 = time.perf_counter()
            all_pairs(graph)
            t_apsp = time.perf_counter() - t0
            sea_network(land, terminals, clearance_m=vc.clearance_m, cache_dir=cache)  # fills cache
            t0 = time.perf_counter()
            net = sea_network(land, terminals, clearance_m=vc.clearance_m, cache_dir=cache)
            m = build_matrix(net, vc)
            t_cache = time.perf_counter() - t0
            assert net.from_cache
            matrices[vc.id] = (vc, net, m)
            rows.append(
                [
                    vc.id,
                    f"{vc.clearance_m:.0f}",
                    f"{t_build:.2f}",
                    str(graph.n_nodes),
                    str(graph.n_edges),
                    f"{t_apsp:.3f}",
                    f"{t_cache:.3f}",
                    str(len(terminals)),
                    str(int((~m.reachable).sum())),
                ]
            )
    print(f"Sea graph per vessel class ({len(terminals)} depots and landing points)\n")
    _table(
        [
            "class",
            "clearance_m",
            "build_s",
            "nodes",
            "edges",
            "matrix_s",
            "cached_s",
            "terminals",
            "unreachable",
        ],
        rows,
    )
    _distance_table(arch, matrices)


def _distance_table(arch, matrices) -> None:  # type: ignore[no-untyped-def]
    try:
        import searoute
    except ImportError:
        searoute = None
    depot = arch.depots["kalianget"]
    ship = "sabuk_nusantara"
    boat = "motor_boat"
    header = [
        "Kalianget to",
        "great_circle_nmi",
        f"{ship}_nmi",
        f"{boat}_nmi",
        "published_nmi",
        "searoute_nmi",
        f"{ship}_h",
        "published_h",
        "vs_112_nmi",
        "source",
    ]
    rows = []
    for ident, label, pub_nm, pub_h, source in REFERENCES:
        lp = arch.landing_points[ident]
        gc = metres_to_nm(geodesic_m(depot.lon, depot.lat, lp.lon, lp.lat))
        m = matrices[ship][2]
        d_ship = metres_to_nm(m.distance("kalianget", ident))
        h_ship = m.duration_s[m.index("kalianget"), m.index(ident)] / 3600
        d_boat = metres_to_nm(matrices[boat][2].distance("kalianget", ident))
        sr = "n/a"
        if searoute is not None:
            feat = searoute.searoute([depot.lon, depot.lat], [lp.lon, lp.lat], units="naut")
            sr = f"{feat['properties']['length']:.1f}"
        rows.append(
            [
                label,
                f"{gc:.1f}",
                f"{d_ship:.1f}",
                f"{d_boat:.1f}",
                f"{pub_nm:.0f}" if pub_nm else "",
                sr,
                f"{h_ship:.1f}",
                f"{pub_h:.0f}" if pub_h else "",
                f"{(d_ship - pub_nm) / pub_nm * 100:+.1f}%" if pub_nm else "",
                source,
            ]
        )
    print(
        f"Sea distances from Kalianget ({ship} at its speed; published times are regular ships)\n"
    )
    _table(header, rows)


if __name__ == "__main__":
    main()
