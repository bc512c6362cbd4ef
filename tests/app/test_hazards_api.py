"""Hazards through the API (``/hazards``), on SQLite and PostgreSQL: a planner adds a reef on a
voyage's first leg and the next plan goes around it and records the new hazard version; the
change is kept with who and when; withdrawn, the path comes back; bad input is a 422 naming
the field, a viewer's change a 403."""

from __future__ import annotations

import itertools

import shapely
from shapely.geometry import LineString, shape

from tests.app.conftest import wait_done
from tests.app.test_live_status import PROBLEM_JSON, SMALL


def _plan(client, keys) -> dict:
    r = client.post(
        "/plans", json={"scenario": SMALL, "iterations": 100, "wait": 30}, headers=keys["planner"]
    )
    assert r.status_code in (200, 202), r.text
    plan = r.json()
    if plan["phase"] != "completed":  # a sea network to build first: longer than the wait
        plan = wait_done(client, f"/plans/{plan['id']}", keys["planner"], timeout=300)
    assert plan["phase"] == "completed", plan
    return plan


def _first_leg(plan: dict) -> tuple[dict, LineString]:
    leg = plan["result"]["voyages"][0]["legs"][0]
    return leg, LineString(leg["geometry"]["coordinates"])


def test_a_hazard_added_through_the_api_changes_the_next_plans_path(service) -> None:
    client, keys = service
    before = client.get("/hazards", headers=keys["viewer"])
    assert before.status_code == 200 and before.json()["revision"] == 0
    version0 = before.json()["version"]
    first = _plan(client, keys)
    assert first["result"]["versions"]["hazards"] == version0
    leg, line = _first_leg(first)
    # A reef 600 m across on the middle of the first leg's longest segment, away from both
    # ends: every class keeps out of it (no_go).
    coords = list(line.coords)
    a, b = max(itertools.pairwise(coords), key=lambda s: LineString(s).length)
    middle = LineString([a, b]).interpolate(0.5, normalized=True)
    reef = middle.buffer(0.003, quad_segs=4)
    body = {
        "name": "Karang uji",
        "kind": "reef",
        "no_go": True,
        "status": "verified",
        "source": "test: a harbour master's report",
        "geometry": shapely.geometry.mapping(reef),
        "reason": "reported by a crew",
    }
    r = client.put("/hazards/test-reef", json=body, headers=keys["planner"])
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/hazards/test-reef"
    change = r.json()["properties"]["last_change"]
    assert change["action"] == "set" and change["reason"] == "reported by a crew"
    assert change["recorded_by"] and change["recorded_at"]
    listed = client.get("/hazards", headers=keys["viewer"]).json()
    assert listed["revision"] == 1 and listed["version"] != version0
    assert "test-reef" in {f["properties"]["id"] for f in listed["features"]}

    second = _plan(client, keys)
    assert second["result"]["versions"]["hazards"] == listed["version"]
    leg2, line2 = _first_leg(second)
    assert (leg2["from"], leg2["to"]) == (leg["from"], leg["to"])
    assert not line2.intersects(shape(body["geometry"]))
    assert leg2["distance_nm"] > leg["distance_nm"]

    # Corrected (200, not 201) on the ETag it was read with, then withdrawn: the path comes
    # back.
    tag = client.get("/hazards/test-reef", headers=keys["viewer"]).headers["ETag"]
    assert tag == r.headers["ETag"]
    again = client.put(
        "/hazards/test-reef",
        json={**body, "name": "Karang Uji"},
        headers={**keys["planner"], "If-Match": tag},
    )
    assert again.status_code == 200 and again.json()["properties"]["name"] == "Karang Uji"
    gone = client.delete(
        "/hazards/test-reef?reason=not there",
        headers={**keys["planner"], "If-Match": again.headers["ETag"]},
    )
    assert gone.status_code == 200 and gone.json()["action"] == "withdraw"
    assert client.get("/hazards/test-reef", headers=keys["viewer"]).status_code == 404
    third = _plan(client, keys)
    assert third["result"]["versions"]["hazards"] == version0
    assert _first_leg(third)[0]["distance_nm"] == leg["distance_nm"]
    history = client.get("/hazards/history?hazard_id=test-reef", headers=keys["viewer"]).json()
    assert [c["action"] for c in history["changes"]] == ["set", "set", "withdraw"]
    assert history["changes"][-1]["reason"] == "not there"
    assert [c["revision"] for c in history["changes"]] == [1, 2, 3]


def test_bad_hazards_are_422s_naming_the_field_and_only_planners_change_them(service) -> None:
    client, keys = service
    square = {
        "type": "Polygon",
        "coordinates": [[[114.0, -7.0], [114.01, -7.0], [114.01, -6.99], [114.0, -7.0]]],
    }
    good = {"kind": "shoal", "least_depth_m": 1.5, "status": "verified", "source": "chart"}
    cases = [
        ({**good, "geometry": square, "least_depth_m": -2}, "/least_depth_m"),
        ({**good, "geometry": square, "status": "maybe"}, "/status"),
        ({**good, "geometry": square, "source": ""}, "/source"),
        ({**good, "geometry": {"type": "Point", "coordinates": [114.0, -7.0]}}, "/geometry/type"),
        ({**good, "geometry": square, "least_depth_m": None}, "/least_depth_m"),
        ({**good}, "/geometry"),
        (
            {
                **good,
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[114.0, -7.0], [400.0, -7.0], [114.0, -6.9], [114.0, -7.0]]],
                },
            },
            "/geometry/coordinates/0/1/0",
        ),
    ]
    for body, path in cases:
        r = client.put("/hazards/h1", json=body, headers=keys["planner"])
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON, body
        assert path in {e["path"] for e in r.json()["errors"]}, (path, r.json())
    ok = {**good, "geometry": square}
    assert client.put("/hazards/h1", json=ok, headers=keys["viewer"]).status_code == 403
    assert client.put("/hazards/h1", json=ok).status_code == 401
    assert client.delete("/hazards/nothing", headers=keys["planner"]).status_code == 404
    assert client.get("/hazards/nothing", headers=keys["viewer"]).status_code == 404
    assert client.get("/hazards", headers=keys["viewer"]).json()["revision"] == 0


def test_a_scenario_that_counts_unverified_hazards_goes_around_them(service) -> None:
    """The land-mask candidates south of Sapudi lie near the way from Kalianget to Gayam: with
    ``unverified_hazards`` no leg crosses any candidate, and the plan says they counted."""
    client, keys = service
    counted = {**SMALL, "unverified_hazards": True}
    r = client.post(
        "/plans", json={"scenario": counted, "iterations": 100, "wait": 30}, headers=keys["planner"]
    )
    assert r.status_code in (200, 202), r.text
    plan = r.json()
    if plan["phase"] != "completed":
        plan = wait_done(client, f"/plans/{plan['id']}", keys["planner"], timeout=300)
    assert plan["phase"] == "completed", plan
    listed = client.get("/hazards", headers=keys["viewer"]).json()
    assert plan["result"]["versions"]["hazards"] == listed["version"] + "+unverified"
    candidates = [
        shape(f["geometry"])
        for f in listed["features"]
        if f["properties"]["status"] == "unverified"
    ]
    assert candidates
    legs = [
        LineString(leg["geometry"]["coordinates"]) for leg in plan["result"]["voyages"][0]["legs"]
    ]
    assert legs and not any(leg.intersects(c) for leg in legs for c in candidates)
    # Without it, the same plan may cross them: the file's candidates are not trusted silently.
    plain = _plan(client, keys)
    assert plain["result"]["versions"]["hazards"] == listed["version"]


def test_a_reported_hazard_is_set_with_its_position_date_and_radius(service) -> None:
    """``status: reported``: a grounding or wreck at a reported position, kept clear by a
    stated radius; without its position, date or radius it is refused, named."""
    from routing.inputs.hazards import reported_circle

    client, keys = service
    body = {
        "name": "Kandas uji",
        "kind": "grounding",
        "no_go": True,
        "status": "reported",
        "source": "test: a news report",
        "reported_on": "2025-01-03",
        "position": [114.62, -7.16],
        "radius_m": 400.0,
        "radius_source": "assumed: the report gives a point",
        "geometry": shapely.geometry.mapping(reported_circle(114.62, -7.16, 400.0)),
    }
    r = client.put("/hazards/test-grounding", json=body, headers=keys["planner"])
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["position"] == [114.62, -7.16] and props["radius_m"] == 400.0
    assert props["reported_on"] == "2025-01-03"
    for drop in ("position", "radius_m", "reported_on", "radius_source"):
        partial = {k: v for k, v in body.items() if k != drop}
        r = client.put("/hazards/test-partial", json=partial, headers=keys["planner"])
        assert r.status_code == 422, (drop, r.text)
        assert any(drop in e["path"] for e in r.json()["errors"]), (drop, r.text)
    wrong = {**body, "reported_on": "2025-13-40"}
    r = client.put("/hazards/test-partial", json=wrong, headers=keys["planner"])
    assert r.status_code == 422 and "reported_on" in r.text
