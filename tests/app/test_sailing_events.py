"""A two-echelon plan followed live, on SQLite and PostgreSQL: a booked scheduled sailing's
departure, arrival and handover at its hub are events (``sailing_id`` and the index of a call);
the live status shows where the sailing is and how late it runs, and shifts by that much the
ETA of what goes on from its hub; the local boat's crew reads its voyage on the field page and
records its handover there. Events that name no sailing of the plan, both a vessel and a
sailing, or a step out of order are refused naming the field."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta

from routing.outputs.export import jsonable
from tests.app.conftest import wait_done
from tests.conftest import DATA

# Two Masalembu villages: the bundled feed books KM Sabuk Nusantara 92 (9 Feb 2024) for them to
# the Masalembu hub; Sukajeruk's kits go on by road, the district office's boat takes
# Masakambing's (another island) on.
VILLAGES = ["35.29.23.2001", "35.29.23.2003"]


def _masalembu_plan(client, keys) -> tuple[str, dict]:
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = jsonable(tomllib.load(fh))
    body = {"scenario": {**raw, "name": "masalembu", "villages": VILLAGES}, "iterations": 100}
    r = client.post("/plans", json={**body, "seed": 1}, headers=keys["planner"])
    assert r.status_code == 202, r.text
    done = wait_done(client, r.headers["location"], keys["viewer"])
    assert done["phase"] == "completed", done
    plan = client.get(r.headers["location"], headers=keys["viewer"]).json()
    return plan["id"], plan["result"]


def _post(client, keys, plan_id: str, **event):
    return client.post(f"/plans/{plan_id}/events", json=event, headers=keys["field"])


def _status(client, keys, plan_id: str) -> dict:
    r = client.get(f"/plans/{plan_id}/status", headers=keys["viewer"])
    assert r.status_code == 200, r.text
    return r.json()


def _at(text: str, hours: float = 0) -> str:
    return (datetime.fromisoformat(text) + timedelta(hours=hours)).isoformat()


def test_a_sailing_is_followed_live_and_its_delay_moves_what_goes_on_from_its_hub(
    service,
) -> None:
    client, keys = service
    plan_id, plan = _masalembu_plan(client, keys)
    [sailing] = plan["sailings"]
    sid = sailing["sailing_id"]
    kinds = [c["kind"] for c in sailing["calls"]]
    assert kinds[0] == "depot" and "hub" in kinds, kinds
    hub = kinds.index("hub")
    boats = [v for v in plan["voyages"] if v["hub"] == sailing["calls"][hub]["stop_id"]]
    assert boats, "the hub's local boats take the kits on"
    by_boat = sum(s["tps"] for v in boats for s in v["stops"] if s["kind"] == "landing")
    assert plan["onward"], "a village's kits go on by road"
    tps = sum(load["tps"] for load in sailing["loads"])
    before = _status(client, keys, plan_id)
    # The status counts every TPS the plan serves: those the local boat and the road take on.
    assert before["tps_total"] == plan["kpis"]["tps_delivered"] == tps > by_boat > 0
    [live] = before["sailings"]
    assert live["sailing_id"] == sid and live["current_call"] == 0
    assert [c["state"] for c in live["calls"]] == ["planned"] * len(kinds)
    [district] = before["districts"]
    eta = datetime.fromisoformat(district["eta"])

    # Loaded and departed five hours late: the sailing runs five hours late, and so does what
    # its hub sends on.
    depot = sailing["calls"][0]
    assert (
        _post(
            client, keys, plan_id, sailing_id=sid, stop=0, type="loaded", at=_at(sailing["cutoff"])
        ).status_code
        == 201
    )
    r = _post(
        client,
        keys,
        plan_id,
        sailing_id=sid,
        stop=0,
        type="departed",
        at=_at(depot["departure"], 5),
    )
    assert r.status_code == 201, r.text
    assert r.json()["sailing_id"] == sid and r.json()["vessel_id"] is None
    now = _status(client, keys, plan_id)
    [live] = now["sailings"]
    assert live["delay_h"] == 5.0 and live["current_call"] == 1, live
    assert live["calls"][0]["state"] == "departed"
    [district] = now["districts"]
    assert datetime.fromisoformat(district["eta"]) >= eta + timedelta(hours=5)
    assert district["tps_delivered"] == 0

    # Out of order, unknown, or both a vessel and a sailing: refused naming the field.
    r = _post(
        client,
        keys,
        plan_id,
        sailing_id=sid,
        stop=hub,
        type="handed_over",
        boxes=1,
        condition="good",
        receiver="PPK Masalembu",
        at=_at(depot["departure"], 6),
    )
    assert r.status_code == 409 and r.json()["errors"][0]["path"] == "/type", r.text
    r = _post(client, keys, plan_id, sailing_id="nope@2024-02-09", stop=0, type="loaded")
    assert r.status_code == 409 and r.json()["errors"][0]["path"] == "/sailing_id", r.text
    r = _post(client, keys, plan_id, sailing_id=sid, stop=len(kinds), type="arrived")
    assert r.status_code == 409 and r.json()["errors"][0]["path"] == "/stop", r.text
    r = _post(
        client,
        keys,
        plan_id,
        sailing_id=sid,
        vessel_id=boats[0]["vessel_id"],
        stop=0,
        type="arrived",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/sailing_id", r.text
    r = _post(client, keys, plan_id, stop=0, type="arrived")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/vessel_id", r.text

    # Arrived at the hub and handed to the district office.
    call = sailing["calls"][hub]
    boxes = sum(item["ballot_boxes"] for load in sailing["loads"] for item in load["manifest"])
    for step, extra in (
        ("arrived", {}),
        ("handed_over", {"boxes": boxes, "condition": "good", "receiver": "PPK Masalembu"}),
    ):
        r = _post(
            client,
            keys,
            plan_id,
            sailing_id=sid,
            stop=hub,
            type=step,
            at=_at(call["arrival"], 5.5),
            **extra,
        )
        assert r.status_code == 201, r.text
    now = _status(client, keys, plan_id)
    [live] = now["sailings"]
    assert live["calls"][hub]["state"] == "handed_over"
    # What goes on by road is the district office's from the hub: delivered; the boat's is not.
    assert now["districts"][0]["tps_delivered"] == tps - by_boat

    # The local boat's crew reads its voyage on the field page and records its handovers; the
    # district is delivered.
    # Its key is bound to the boat (no vessel of the fleet file: known by its voyage), and posts
    # for the boat only.
    boat = boats[0]
    r = client.post(
        "/keys",
        json={
            "role": "field",
            "vessel_id": boat["vessel_id"],
            "plan_id": plan_id,
            "name": boat["vessel_name"],
        },
        headers=keys["planner"],
    )
    assert r.status_code == 201, r.text
    crew = {"X-API-Key": r.json()["key"]}
    page = client.get("/field/voyage", headers=crew)
    assert page.status_code == 200, page.text
    assert page.json()["vessel_name"] == boat["vessel_name"]
    assert [s["id"] for s in page.json()["stops"]] == [s["id"] for s in boat["stops"]]
    r = client.post(
        f"/plans/{plan_id}/events",
        headers=crew,
        json={"sailing_id": sid, "stop": hub, "type": "departed"},
    )
    assert r.status_code == 403 and r.json()["errors"][0]["path"] == "/sailing_id", r.text
    r = client.get(
        "/field/voyage", params={"vessel_id": "port-mes-nobody-1"}, headers=keys["field"]
    )
    assert r.status_code == 404 and r.json()["errors"][0]["path"] == "/query/vessel_id", r.text
    when = datetime.fromisoformat(call["arrival"]) + timedelta(hours=6)
    for v in boats:
        for i, s in enumerate(v["stops"]):
            steps = ["loaded", "departed"] if s["kind"] == "depot" and i == 0 else []
            if s["kind"] == "landing":
                steps = ["arrived", "handed_over", "departed"]
            for step in steps:
                when += timedelta(minutes=10)
                extra = {"boxes": s["ballot_boxes"], "condition": "good", "receiver": "PPS"}
                r = _post(
                    client,
                    keys,
                    plan_id,
                    vessel_id=v["vessel_id"],
                    stop=i,
                    type=step,
                    at=when.isoformat(),
                    **(extra if step == "handed_over" else {}),
                )
                assert r.status_code == 201, r.text
    [district] = _status(client, keys, plan_id)["districts"]
    assert district["tps_delivered"] == district["tps_total"] == tps
    listed = client.get(f"/plans/{plan_id}/events", headers=keys["viewer"]).json()["events"]
    assert sum(e["sailing_id"] == sid for e in listed) == 4
