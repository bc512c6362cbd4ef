from __future__ import annotations

import math
import tomllib

import pytest

from routing.errors import DataError
from routing.inputs.demand import ballot_sets, demand_for, parse_kit, split_voters
from tests.conftest import DATA


def test_kit_for_a_190_voter_tps_matches_the_research(kit) -> None:
    d = demand_for(1, 190, kit)
    assert 45 <= d.weight_kg <= 53  # researched ~49 kg (42-56)
    assert 0.5 <= d.volume_m3 <= 0.6  # researched ~0.55 m3
    assert d.ballot_boxes == 5
    assert d.ballots == 5 * 194


def test_kit_arithmetic_follows_the_item_table() -> None:
    raw = tomllib.loads((DATA / "kit.toml").read_text())
    sets = math.ceil(190 * 1.02)
    weight = volume = 0.0
    for item in raw["items"]:
        unit = item.get("unit_weight_kg")
        if unit is None:
            w, h = item["sheet_cm"]
            unit = w * h / 1e4 * item["paper_gsm"] / 1000
        n = item["quantity"] * (1 if item["basis"] == "per_tps" else sets)
        weight += n * unit
        volume += n * item["unit_volume_m3"]
    d = demand_for(1, 190, parse_kit(raw))
    assert d.weight_kg == pytest.approx(weight, abs=1e-3)
    assert d.volume_m3 == pytest.approx(volume, abs=1e-4)


def test_ballot_reserve_is_rounded_up_per_tps() -> None:
    assert ballot_sets(250, reserve_percent=2) == 255
    assert ballot_sets(190, reserve_percent=2) == 194  # 193.8 -> 194
    assert ballot_sets(0, reserve_percent=2) == 0
    assert split_voters(10, 3) == [4, 3, 3]


def test_village_demand_rounds_each_tps(kit) -> None:
    one = demand_for(1, 150, kit)
    two = demand_for(2, 300, kit)
    assert two.ballots == 2 * one.ballots
    assert two.weight_kg == pytest.approx(2 * one.weight_kg, abs=2e-3)


def test_bad_counts_name_the_field(kit) -> None:
    with pytest.raises(DataError) as err:
        demand_for(-1, -5, kit, label="villages/x")
    paths = {p.path for p in err.value.problems}
    assert paths == {"villages/x/tps", "villages/x/voters"}
    with pytest.raises(DataError, match="exceed 300 per TPS"):
        demand_for(1, 301, kit)


def test_broken_kit_lists_every_problem() -> None:
    raw = {
        "ballot_reserve_percent": -1,
        "max_voters_per_tps": 300,
        "items": [
            {
                "id": "a",
                "basis": "per_tps",
                "quantity": 1,
                "unit_weight_kg": -2,
                "unit_volume_m3": 0,
                "status": "verified",
                "source": "x",
            },
            {"id": "a", "basis": "per_bag", "quantity": 1, "unit_volume_m3": 0, "status": "guess"},
        ],
    }
    with pytest.raises(DataError) as err:
        parse_kit(raw)
    codes = sorted(p.path for p in err.value.problems)
    assert "/ballot_reserve_percent" in codes
    assert "/items/0/unit_weight_kg" in codes
    assert "/items/1/id" in codes  # duplicate
    assert "/items/1/basis" in codes
    assert "/items/1/status" in codes
    assert "/items/1/source" in codes
    assert "/items/1/unit_weight_kg" in codes
