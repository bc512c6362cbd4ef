"""How the pipeline grows: synthetic archipelagos of 100, 500 and 2,000 landing points.

Each case runs in a fresh process (so that its peak memory is its own): generate the archipelago
(testkit/synthetic.py), build the sea network of each vessel class, then (unless ``--no-plan``)
the matrices and a plan with a fixed wall-time budget.

The sea networks of the classes are built side by side, one class per worker of a process pool
(``--workers``, default 2) or on the Dask cluster that ``--dask`` or ``DASK_SCHEDULER`` names.
For each class: the graph build time (``build_sea_graph``), the time of the shortest paths from
every terminal (``all_pairs``), and, against the exact visibility graph (``exact_sea_graph``,
every tangent pair tested whole; minutes at 2,000 landings, skipped with ``--no-exact``), the
largest and mean relative difference of shortest-path length over a sample of terminal pairs
(``--pairs``, fixed seed). Per case: the wall time of the whole network stage and its peak
memory: ``peak_graph_mb`` is the largest sum of resident memory over the case process and its
workers, read every 0.1 s from /proc; ``bound_graph_mb`` adds up each process's own peak
(getrusage), an upper bound. With planning: matrix time, time to the first feasible solution,
what the plan serves and costs after the budget, and the case process's peak memory.

    .venv/bin/python bench/scale.py                       # 100/10, 500/30, 2000/60
    .venv/bin/python bench/scale.py --no-plan             # the sea networks only
    .venv/bin/python bench/scale.py --cases 2000:60 --seconds 120 --no-exact
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ("regency_ferry", "sabuk_nusantara")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sample_pairs(k: int, n: int, seed: int) -> np.ndarray:
    """``n`` ordered pairs of distinct terminals (indices), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, k, n)
    j = (i + rng.integers(1, k, n)) % k
    return np.column_stack([i, j])


def _network_task(
    land: list, terminals: list, clearance_m: float, sample: np.ndarray, keep: str | None
) -> dict[str, Any]:
    """In a worker: build one class's graph and shortest paths; the sample's distances.

    ``keep``: None, or where to save the shortest paths for planning (a file name prefix), or
    "return" to send them back (from a Dask worker, which may not share the case's disk).
    """
    from routing.sea.graph import all_pairs, build_sea_graph

    t = time.perf_counter()
    graph = build_sea_graph(land, terminals, clearance_m=clearance_m)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    paths = all_pairs(graph)
    paths_s = time.perf_counter() - t
    row: dict[str, Any] = {
        "build_s": build_s,
        "paths_s": paths_s,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "sample_m": paths.terminal_dist_m[sample[:, 0], sample[:, 1]],
        "pid": os.getpid(),
        "peak_mb": _peak_rss_mb(),
    }
    if keep == "return":
        row["graph"], row["paths"] = graph, paths
    elif keep is not None:  # through files rather than the pipe: no second copy on the way
        np.save(f"{keep}-dist.npy", paths.dist_m)
        np.save(f"{keep}-pred.npy", paths.pred)
        row["graph"] = graph
    return row


def _exact_task(
    land: list, terminals: list, clearance_m: float, sample: np.ndarray
) -> dict[str, Any]:
    """In a worker: the exact visibility graph and the sample's shortest-path lengths on it."""
    from scipy.sparse.csgraph import dijkstra

    from routing.sea.graph import exact_sea_graph

    t = time.perf_counter()
    graph = exact_sea_graph(land, terminals, clearance_m=clearance_m)
    exact_s = time.perf_counter() - t
    k = len(terminals)
    origins, row = np.unique(sample[:, 0], return_inverse=True)
    dist = dijkstra(graph.G, directed=True, indices=origins)
    return {"exact_s": exact_s, "sample_m": dist[row, k + sample[:, 1]]}


class _TreeMemory(threading.Thread):
    """Samples the resident memory of this process and all its descendants (Linux /proc)."""

    def __init__(self, interval_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.peak_mb: float | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop_event.is_set():
            try:
                total = _tree_pages(os.getpid()) * page / 2**20
            except OSError:
                return  # no /proc: peak_mb stays None
            self.peak_mb = max(self.peak_mb or 0.0, total)
            self._stop_event.wait(self.interval_s)

    def stop(self) -> float | None:
        self._stop_event.set()
        self.join()
        return self.peak_mb


def _tree_pages(root: int) -> int:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):  # it ended meanwhile
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        todo.extend(children.get(pid, []))
    return total


class _Pool:
    """A local process pool, or the Dask cluster at ``dask``: ``submit`` a task, then ``close``."""

    def __init__(self, workers: int, dask: str | None) -> None:
        self.client: Any = None
        if dask:
            import cloudpickle
            from distributed import Client

            # The tasks are functions of this script, which Dask workers cannot import: they
            # travel by value (cloudpickle, which distributed uses for what pickle refuses).
            cloudpickle.register_pickle_by_value(sys.modules[__name__])
            self.client = Client(dask, set_as_default=False, timeout=30)
            self.executor: Executor = self.client.get_executor(pure=False)
        else:
            ctx = multiprocessing.get_context("spawn")
            self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        if self.client is None:
            return self.executor.submit(fn, *args)
        return self.executor.submit(lambda: fn(*args))

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        if self.client is not None:
            self.client.close()


def run_case(
    landings: int,
    vessels: int,
    seconds: float,
    seed: int,
    *,
    exact: bool,
    plan: bool,
    pairs: int,
    workers: int,
    dask: str | None,
) -> dict[str, Any]:
    from routing.inputs.fleet import load_fleet
    from testkit import synthetic

    data = ROOT / "data"
    classes = load_fleet(data / "fleet.toml")
    syn = synthetic.archipelago(landings, seed=seed)
    terminals = syn.arch.terminals()
    sample = _sample_pairs(len(terminals), pairs, seed)
    tmp = tempfile.TemporaryDirectory(prefix="scale-")
    memory = _TreeMemory()
    memory.start()
    t = time.perf_counter()
    pool = _Pool(workers, dask)
    futures = {
        c: pool.submit(
            _network_task,
            syn.land,
            terminals,
            classes[c].clearance_m,
            sample,
            None if not plan else "return" if dask else f"{tmp.name}/{c}",
        )
        for c in CLASSES
    }
    built = {c: f.result() for c, f in futures.items()}
    pool.close()
    graph_s = time.perf_counter() - t
    peak_graph = memory.stop()
    worker_peaks = {r["pid"]: r["peak_mb"] for r in built.values()}  # a worker's last is its peak
    bound = None if dask else _peak_rss_mb() + sum(worker_peaks.values())
    if dask:
        peak_graph = None  # the workers are not this process's children
    print(f"  {landings}: networks in {graph_s:.1f} s", file=sys.stderr, flush=True)
    per_class = []
    exact_rows: dict[str, dict[str, Any]] = {}
    if exact:
        pool = _Pool(workers, dask)
        futures = {
            c: pool.submit(_exact_task, syn.land, terminals, classes[c].clearance_m, sample)
            for c in CLASSES
        }
        exact_rows = {c: f.result() for c, f in futures.items()}
        pool.close()
    for c in CLASSES:
        r = built[c]
        row: dict[str, Any] = {
            "landings": len(syn.arch.landing_points),
            "class": c,
            "clearance_m": classes[c].clearance_m,
            "nodes": r["nodes"],
            "edges": r["edges"],
            "build_s": round(r["build_s"], 1),
            "paths_s": round(r["paths_s"], 1),
        }
        if c in exact_rows:
            fast, ref = r["sample_m"], exact_rows[c]["sample_m"]
            both = np.isfinite(fast) & np.isfinite(ref)
            rel = np.abs(fast[both] - ref[both]) / ref[both] * 100
            row["exact_s"] = round(exact_rows[c]["exact_s"], 1)
            row["pairs"] = int(both.sum())
            row["reach_differs"] = int((np.isfinite(fast) != np.isfinite(ref)).sum())
            row["max_diff_%"] = f"{rel.max():.4f}" if len(rel) else "-"
            row["mean_diff_%"] = f"{rel.mean():.4f}" if len(rel) else "-"
        per_class.append(row)
    case: dict[str, Any] = {
        "landings": len(syn.arch.landing_points),
        "islands": len(syn.land) - 1,
        "graph_build_s": round(max(r["build_s"] for r in built.values()), 1),
        "network_s": round(graph_s, 1),
        "peak_graph_mb": "n/a" if peak_graph is None else round(peak_graph),
        "bound_graph_mb": "n/a" if bound is None else round(bound),
    }
    if plan:
        case |= _plan(syn, built, classes, vessels, seconds, seed, tmp.name)
    tmp.cleanup()
    return {"case": case, "classes": per_class}


def _plan(
    syn: Any,
    built: dict[str, dict[str, Any]],
    classes: dict,
    vessels: int,
    seconds: float,
    seed: int,
    tmp: str,
) -> dict[str, Any]:
    from routing.inputs.demand import load_kit
    from routing.inputs.scenario import build_problem
    from routing.planner import make_plan
    from routing.schedule import kpis
    from routing.sea.graph import AllPairs
    from routing.sea.matrix import build_matrix
    from routing.sea.network import SeaNetwork
    from routing.solver import SolveOptions
    from testkit import synthetic

    kit = load_kit(ROOT / "data" / "kit.toml")
    t = time.perf_counter()
    nets = {
        c: SeaNetwork(
            built[c]["graph"],
            built[c].get("paths")
            or AllPairs(np.load(f"{tmp}/{c}-dist.npy"), np.load(f"{tmp}/{c}-pred.npy")),
            "bench",
            False,
        )
        for c in CLASSES
    }
    matrices = {c: build_matrix(nets[c], classes[c]) for c in CLASSES}
    matrix_s = time.perf_counter() - t
    fleet = synthetic.fleet(syn, vessels, CLASSES)
    problem = build_problem(synthetic.scenario(syn, tuple(fleet)), syn.arch, kit, classes, fleet)
    first: list[float] = []

    def progress(iteration: int, elapsed: float, best: float) -> bool:
        if not first and best < float("inf"):
            first.append(elapsed)
        return False

    t = time.perf_counter()
    plan = make_plan(
        problem,
        matrices,
        options=SolveOptions(seed=seed),
        progress=progress,
        deadline_monotonic=time.monotonic() + seconds,
    )
    solve_s = time.perf_counter() - t
    k = kpis(plan)
    return {
        "vessels": vessels,
        "consignments": len(problem.consignments),
        "matrix_s": round(matrix_s, 2),
        "first_feasible_s": round(first[0], 1) if first else None,
        "solve_s": round(solve_s, 1),
        "served": f"{k['tps_delivered']}/{k['tps_total']}",
        "unserved_villages": len(plan.unassigned),
        "vessels_used": k["vessels_used"],
        "ship_hours": k["ship_hours"],
        "distance_nm": k["distance_nm"],
        "peak_mb": round(_peak_rss_mb()),
    }


def _table(rows: list[dict[str, Any]]) -> None:
    cols = list(dict.fromkeys(c for r in rows for c in r))
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for row in cells:
        print("  ".join(x.rjust(w) for x, w in zip(row, widths, strict=True)))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", nargs="+", default=["100:10", "500:30", "2000:60"])
    ap.add_argument("--seconds", type=float, default=60.0, help="planning budget per case")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pairs", type=int, default=200, help="terminal pairs checked against exact")
    ap.add_argument("--no-exact", action="store_true", help="skip the exact visibility graphs")
    ap.add_argument("--no-plan", action="store_true", help="sea networks only")
    ap.add_argument("--workers", type=int, default=2, help="processes building the networks")
    ap.add_argument("--dask", default=os.environ.get("DASK_SCHEDULER"), help="Dask scheduler")
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    cases, per_class = [], []
    for case in args.cases:
        landings, vessels = (int(x) for x in case.split(":"))
        # A fresh process per case (not a multiprocessing.Pool: its daemonic workers may not
        # start the pool that builds the networks).
        with ProcessPoolExecutor(1, mp_context=ctx) as case_pool:
            out = case_pool.submit(
                run_case,
                landings,
                vessels,
                args.seconds,
                args.seed,
                exact=not args.no_exact,
                plan=not args.no_plan,
                pairs=args.pairs,
                workers=args.workers,
                dask=args.dask,
            ).result()
        cases.append(out["case"])
        per_class.extend(out["classes"])
        print(f"done {case}", file=sys.stderr, flush=True)
    _table(per_class)
    print()
    _table(cases)
    where = f"Dask at {args.dask}" if args.dask else f"{args.workers} local processes"
    print(
        f"\nclasses {', '.join(CLASSES)}, one per worker ({where}); build_s: build_sea_graph, "
        "paths_s: all_pairs; max/mean_diff_%: relative difference of shortest-path length "
        f"against exact_sea_graph over {args.pairs} terminal pairs (seed {args.seed}); "
        "graph_build_s: the slower class's build; network_s: wall time of the network stage "
        "(both classes, graphs and paths); peak_graph_mb: its largest resident total over the "
        "case process and workers (sampled), bound_graph_mb: the sum of their own peaks"
        + (
            f"; planning budget {args.seconds:g} s (matrices excluded), peak_mb: the case "
            "process's peak resident memory"
            if not args.no_plan
            else ""
        )
    )


if __name__ == "__main__":
    main()
