"""Synthetic archipelagos go through the same pipeline as the real one."""

from __future__ import annotations

import shapely
from shapely.geometry import Point

from routing.inputs.demand import load_kit
from routing.inputs.scenario import build_problem
from routing.planner import make_plan
from routing.sea.matrix import build_matrix
from routing.sea.network import sea_network
from routing.solver import SolveOptions
from testkit import synthetic
from tests.conftest import DATA
from tests.routing.check import check_plan
from tests.routing.conftest import CLASSES


def test_a_synthetic_archipelago_is_planned_like_the_real_one(tmp_path) -> None:
    syn = synthetic.archipelago(40, seed=7)
    again = synthetic.archipelago(40, seed=7)
    assert [p.wkt for p in syn.land] == [p.wkt for p in again.land]  # deterministic
    assert len(syn.arch.landing_points) == 40 and len(syn.arch.villages) == 40
    tree = shapely.STRtree(syn.land)
    for lp in syn.arch.landing_points.values():  # every landing point is at sea
        assert not len(tree.query(Point(lp.lon, lp.lat), predicate="intersects"))
    assert all(not p.intersects(q) for i, p in enumerate(syn.land) for q in syn.land[i + 1 :])
    classes = ("regency_ferry", "motor_boat")
    nets = {
        c: sea_network(syn.land, syn.arch.terminals(), clearance_m=CLASSES[c].clearance_m)
        for c in classes
    }
    matrices = {c: build_matrix(nets[c], CLASSES[c]) for c in classes}
    assert all(m.reachable.all() for m in matrices.values())
    fleet = synthetic.fleet(syn, 4, classes)
    problem = build_problem(
        synthetic.scenario(syn, tuple(fleet)), syn.arch, load_kit(DATA / "kit.toml"), CLASSES, fleet
    )
    plan = make_plan(
        problem,
        matrices,
        options=SolveOptions(seed=1, max_iterations=300),
        path=lambda c, a, b: tuple(map(tuple, nets[c].path(a, b).coords.tolist())),
    )
    check_plan(plan, land=syn.land)
    assert plan.status == "completed", plan.unassigned
