"""The vessel catalogue's wave limits come from the sailing rules on record (``data/fleet.toml``
``[sailing_rules]``: BMKG's risk table, the Kemenhub sailing notices, the Kalianget practice),
or say they are assumed; a limit that is not its rule's is refused."""

from __future__ import annotations

import copy
import tomllib

import pytest

from routing.errors import DataError
from routing.inputs.fleet import RULE_KINDS, load_sailing_rules, parse_fleet
from tests.conftest import DATA

RAW = tomllib.loads((DATA / "fleet.toml").read_text(encoding="utf-8"))


def test_every_class_has_a_wave_limit_from_a_rule_on_record_or_a_stated_assumption() -> None:
    rules = load_sailing_rules(DATA / "fleet.toml")
    classes = parse_fleet(RAW)
    assert {"bmkg_ferry", "kemenhub_2013_small_craft", "kalianget_under_1000_gt"} <= set(
        rules.rules
    )
    assert all(r.kind in RULE_KINDS and r.source.strip() for r in rules.rules.values())
    for ident, vc in classes.items():
        entry = RAW["classes"][ident]["max_wave_m"]
        rule = rules.rules[entry["rule"]]  # every class names one
        assert vc.max_wave_m == rule.forecast_limit_m(rules.largest_wave_factor)
        assert rule.kind in ("regulation", "published table") or entry["status"] == "assumed"
        if entry["status"] == "assumed":  # a rule taken for a class it does not name says so
            assert "taken for" in entry["source"], ident


def test_a_rule_on_the_waves_met_is_a_forecast_over_the_largest_wave_factor() -> None:
    rules = load_sailing_rules(DATA / "fleet.toml")
    captain = rules.rules["pioneer_captain"]
    assert captain.speaks_of == "met" and captain.wave_m == 2.0
    assert rules.largest_wave_factor == 2.0
    assert captain.forecast_limit_m(rules.largest_wave_factor) == 1.0
    assert rules.rules["bmkg_ferry"].forecast_limit_m(rules.largest_wave_factor) == 2.5


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"rule": "bmkg_nothing"}, "/classes/pc40/max_wave_m/rule"),
        ({"value": 3.0}, "/classes/pc40/max_wave_m/value"),
        ({"rule": None, "status": "verified"}, "/classes/pc40/max_wave_m/rule"),
    ],
)
def test_a_wave_limit_that_is_not_its_rules_is_refused(change: dict, path: str) -> None:
    raw = copy.deepcopy(RAW)
    entry = raw["classes"]["pc40"]["max_wave_m"]
    entry.update(change)
    if entry.get("rule") is None:
        del entry["rule"]
    with pytest.raises(DataError) as caught:
        parse_fleet(raw)
    assert path in {p.path for p in caught.value.problems}
    # an assumed limit with no rule is a stated assumption, and stands
    raw["classes"]["pc40"]["max_wave_m"] = {"value": 2.2, "status": "assumed", "source": "assumed"}
    assert parse_fleet(raw)["pc40"].max_wave_m == 2.2


def test_a_broken_rule_is_refused_naming_its_field() -> None:
    raw = copy.deepcopy(RAW)
    raw["sailing_rules"]["bmkg_ferry"]["speaks_of"] = "rumour"
    raw["sailing_rules"]["bmkg_barge"]["wave_m"] = -1
    with pytest.raises(DataError) as caught:
        parse_fleet(raw)
    paths = {p.path for p in caught.value.problems}
    assert {"/sailing_rules/bmkg_ferry/speaks_of", "/sailing_rules/bmkg_barge/wave_m"} <= paths
