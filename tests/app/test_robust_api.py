"""Plans that hold through the API, on SQLite and PostgreSQL: a plan request with
``target_on_time`` runs the robust search and its result says how it was found (``robust``); a
capacity plan with it gives capacity under risk (``under_risk``: start days against fleets, the
fleet, the latest safe start per district) beside the plan of that fleet; options of the search
without a target, and start days in the wrong order, are refused naming the field."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta

from routing.outputs.export import jsonable
from tests.app.conftest import wait_done
from tests.conftest import DATA

VILLAGES = ["35.29.23.2001", "35.29.25.2001"]  # Masalembu (a sailing) and Sapeken (dispatched)


def _small() -> dict:
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = jsonable(tomllib.load(fh))
    return {**raw, "name": "small", "villages": VILLAGES}


def _done(client, keys, path: str, body: dict) -> dict:
    r = client.post(path, json=body, headers=keys["planner"])
    assert r.status_code == 202, r.text
    done = wait_done(client, r.headers["location"], keys["viewer"], timeout=600)
    assert done["phase"] in ("completed", "infeasible"), done
    return client.get(r.headers["location"], headers=keys["viewer"]).json()["result"]


def test_a_plan_to_a_target_says_how_it_was_found(service) -> None:
    client, keys = service
    body = {"scenario": _small(), "iterations": 60, "seed": 1, "target_on_time": 0.9,
            "risk_runs": 50, "check_runs": 400}  # fmt: skip
    result = _done(client, keys, "/plans", body)
    robust = result["robust"]
    assert robust["target_on_time"] == 0.9 and robust["runs"] == 50  # the search's
    assert robust["check_runs"] == 400  # the chances claimed: a check on runs the search never used
    assert robust["check_seed"] != robust["seed"] and robust["check_bar"] > 0.9
    tried = robust["candidates"]
    assert tried[0]["lever"] == "plan" and 0 <= robust["chosen"] < len(tried)
    chosen = tried[robust["chosen"]]
    assert result["planning_start"] == chosen["planning_start"]
    assert {d["district_code"] for d in robust["districts"]} == {"35.29.23", "35.29.25"}
    below = {b["district_code"] for b in robust["below_target"]}
    bar = robust["check_bar"]
    assert below == {d["district_code"] for d in robust["districts"] if d["on_time"] < bar}
    # A plan without a target carries no search.
    plain = _done(client, keys, "/plans", {"scenario": _small(), "iterations": 60, "seed": 1})
    assert "robust" not in plain


def test_capacity_under_risk_gives_the_fleet_and_the_latest_safe_start(service) -> None:
    client, keys = service
    body = {"scenario": _small(), "iterations": 60, "seed": 1, "target_on_time": 0.9,
            "risk_runs": 50, "check_runs": 200, "days_before": [10, 9]}  # fmt: skip
    result = _done(client, keys, "/capacity-plans", body)
    under = result["under_risk"]
    assert (under["runs"], under["check_runs"]) == (50, 200)
    assert under["days_before"] == [10, 9] and under["target_on_time"] == 0.9
    fleets = [f["id"] for f in under["fleets"]]
    assert under["fleet"] in fleets and len(under["table"]) == 2 * len(fleets)
    election = date.fromisoformat(under["election_day"])
    for d in under["districts"]:
        assert "latest_safe_start" in d
        if d["latest_safe_start"] is not None:
            k = d["latest_safe_days_before"]
            start = datetime.fromisoformat(d["latest_safe_start"]).date()
            assert start == election - timedelta(days=k)
    # The plan beside it is the chosen fleet's: it starts on a day of the table.
    start = datetime.fromisoformat(result["plan"]["planning_start"]).date()
    assert start in {election - timedelta(days=k) for k in (10, 9)}


def test_options_of_the_search_need_a_target_and_days_go_earliest_first(service) -> None:
    client, keys = service
    r = client.post("/plans", json={"bundled": "pemilu2024", "risk_runs": 50},
                    headers=keys["planner"])  # fmt: skip
    assert r.status_code == 422, r.text
    assert [e["path"] for e in r.json()["errors"]] == ["/risk_runs"]
    r = client.post(
        "/capacity-plans",
        json={"bundled": "pemilu2024", "target_on_time": 0.9, "days_before": [3, 10]},
        headers=keys["planner"],
    )
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/days_before", r.text
    r = client.post("/plans", json={"bundled": "pemilu2024", "target_on_time": 1.5},
                    headers=keys["planner"])  # fmt: skip
    assert r.status_code == 422 and "/target_on_time" in r.text, r.text
    # The check's runs: with a target, and not too few to say anything.
    for path, body, field in (
        ("/plans", {"bundled": "pemilu2024", "check_runs": 500}, "/check_runs"),
        ("/plans", {"bundled": "pemilu2024", "target_on_time": 0.9, "check_runs": 20},
         "/check_runs"),
    ):  # fmt: skip
        r = client.post(path, json=body, headers=keys["planner"])
        assert r.status_code == 422, r.text
        assert [e["path"] for e in r.json()["errors"]] == [field], r.text
