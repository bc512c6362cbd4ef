"""Re-planning, return plans and weather through the HTTP API (SQLite and PostgreSQL)."""

from __future__ import annotations

import tomllib

from routing.outputs.export import jsonable
from tests.app.conftest import wait_done
from tests.conftest import DATA, all_dispatched

LST = "kri-teluk-bintuni-520"


def _plan(client, keys, body: dict) -> dict:
    r = client.post("/plans", json=body, headers=keys["planner"])
    assert r.status_code == 202, r.text
    done = wait_done(client, r.headers["location"], keys["viewer"])
    assert done["phase"] in ("completed", "infeasible"), done
    return client.get(r.headers["location"], headers=keys["viewer"]).json()


def test_replan_after_events_with_the_landing_ship_out(service) -> None:
    client, keys = service
    parent = _plan(client, keys, {"bundled": "pemilu2024", "iterations": 800, "seed": 1})
    doc = parent["result"]
    assert parent["phase"] == "completed"
    # A re-plan of a plan that is not finished is refused; so is a bad change.
    first = next(v for v in doc["voyages"] if v["vessel_id"] != LST)
    vid, stops = first["vessel_id"], first["stops"]
    url = f"/plans/{parent['id']}"
    for stop, kind, at in [
        (0, "loaded", stops[0]["work_end"]),
        (0, "departed", stops[0]["departure"]),
        (1, "arrived", stops[1]["arrival"]),
    ]:
        r = client.post(
            f"{url}/events",
            json={"vessel_id": vid, "stop": stop, "type": kind, "at": at},
            headers=keys["field"],
        )
        assert r.status_code == 201, r.text
    r = client.post(
        f"{url}/events",
        json={
            "vessel_id": vid,
            "stop": 1,
            "type": "handed_over",
            "at": stops[1]["work_end"],
            "boxes": stops[1]["ballot_boxes"],
            "condition": "good",
            "receiver": "PPS",
        },
        headers=keys["field"],
    )
    assert r.status_code == 201, r.text
    bad = client.post(
        f"{url}/replan",
        json={"change": {"out_of_service": [{"vessel": LST, "from": "tomorrow"}]}},
        headers=keys["planner"],
    )
    assert bad.status_code == 422
    assert any("out_of_service" in e["path"] for e in bad.json()["errors"])
    unknown = client.post(
        f"{url}/replan",
        json={"change": {"closed_landings": [{"landing": "nowhere", "from": stops[1]["arrival"]}]}},
        headers=keys["planner"],
    )
    assert unknown.status_code == 422 and "closed_landings" in unknown.text
    assert client.post(f"{url}/replan", json={}, headers=keys["viewer"]).status_code == 403
    assert client.post("/plans/none/replan", json={}, headers=keys["planner"]).status_code == 404

    r = client.post(
        f"{url}/replan",
        json={
            "change": {"out_of_service": [{"vessel": LST, "from": stops[1]["work_end"]}]},
            "iterations": 2500,
            "seed": 1,
        },
        headers=keys["planner"],
    )
    assert r.status_code == 202, r.text
    new = wait_done(client, r.headers["location"], keys["viewer"])
    assert new["phase"] == "completed", new
    assert new["kind"] == "replan" and new["parent_id"] == parent["id"]
    result = client.get(r.headers["location"], headers=keys["viewer"]).json()["result"]
    meta = result["replan"]
    handed = set(stops[1]["consignments"])
    assert {d["consignment"] for d in meta["delivered_before"]} == handed
    assert meta["vessels_gone"] == [LST]
    assert LST not in {v["vessel_id"] for v in result["voyages"]}
    planned = {c for v in result["voyages"] for s in v["stops"] for c in s["consignments"]}
    assert not planned & handed
    moved = {m["consignment"]: m for m in meta["diff"]["moved"]}
    lst = {
        c
        for v in doc["voyages"]
        if v["vessel_id"] == LST
        for s in v["stops"]
        if s["kind"] == "landing"
        for c in s["consignments"]
    }
    assert lst and lst <= set(moved) and all(moved[c]["from_vessel"] == LST for c in lst)
    # The vessel under way starts where it is, with what it carries.
    voyage = next(v for v in result["voyages"] if v["vessel_id"] == vid)
    assert voyage["stops"][0]["kind"] == "start" and voyage["stops"][0]["id"] == stops[1]["id"]
    # The new plan takes field events and status like any other.
    status = client.get(f"{r.headers['location']}/status", headers=keys["viewer"])
    assert status.status_code == 200 and status.json()["tps_total"] > 0


def test_return_plan_weather_and_sea_areas(service) -> None:
    client, keys = service
    areas = client.get("/sea-areas", headers=keys["viewer"]).json()
    assert {f["id"] for f in areas["features"]} >= {"masalembu", "kangean", "sapudi_raas"}
    back = _plan(
        client,
        keys,
        {"bundled": "pemilu2024", "direction": "return", "iterations": 200, "seed": 1},
    )
    # The outbound scenario's dates with direction=return: boxes from the nine PPK offices.
    result = back["result"]
    assert result["direction"] == "return"
    assert {
        s["operation"] for v in result["voyages"] for s in v["stops"] if s["kind"] == "landing"
    } == {"collect"}
    assert all(v["stops"][-1]["id"] == "kalianget" for v in result["voyages"])
    bad = client.post(
        "/plans", json={"bundled": "pemilu2024", "direction": "up"}, headers=keys["planner"]
    )
    assert bad.status_code == 422
    storm = {
        "area": "masalembu",
        "from": "2024-02-05T06:00:00+07:00",
        "until": "2024-02-07T06:00:00+07:00",
        "wave_m": 3.0,
    }
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = all_dispatched(jsonable(tomllib.load(fh)))
    wet = _plan(
        client, keys, {"scenario": {**raw, "forecast": [storm]}, "iterations": 300, "seed": 1}
    )
    feature = next(
        f for f in wet["result"]["weather"]["sea_areas"]["features"] if f["id"] == "masalembu"
    )
    assert feature["properties"]["forecast"][0]["wave_m"] == 3.0
    bad = client.post(
        "/plans",
        json={"scenario": {**raw, "forecast": [{**storm, "area": "atlantis"}]}},
        headers=keys["planner"],
    )
    assert bad.status_code == 422 and "/forecast/0/area" in bad.text
