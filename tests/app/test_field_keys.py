"""Field keys bound to a vessel (and a plan): what they may post and read, the field page's
voyage (GET /field/voyage), who recorded each event, and the key's QR code (API and command
line). SQLite and PostgreSQL for the API; the command line on SQLite."""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw

from app import auth
from app.keys import service as key_service
from testkit import localserver
from tests.app.conftest import wait_done
from tests.conftest import DATA

CONTRACT = {
    "plan_id",
    "plan_kind",
    "scenario",
    "vessel_id",
    "vessel_name",
    "vessel_class",
    "stops",
    "event_types",
    "events",
    "events_url",
}
STOP = {
    "index",
    "kind",
    "id",
    "name",
    "island_name",
    "trip",
    "arrival",
    "departure",
    "access",
    "tps",
    "ballot_boxes",
    "villages",
    "manifest",
    "steps",
}


def _svg_qr_text(svg: str) -> str:
    """What a QR code drawn as segno's SVG says: its path (runs of dark modules, ``h``, between
    moves, ``M`` and ``m``) painted into an image and read back with zxing-cpp."""
    scale = 8
    size = int(re.search(r'width="(\d+)"', svg).group(1)) // 4  # drawn at 4 units a module
    path = re.search(r'<path class="qrline"[^>]*? d="([^"]+)"', svg).group(1)
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            top = int(y) * scale
            draw.rectangle([x * scale, top, (x + float(a)) * scale - 1, top + scale - 1], fill=0)
            x += float(a)
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, found
    return str(found[0].text)


def _plan(client, keys, **budget) -> dict:
    body = {"bundled": "pemilu2024", "iterations": 300, "seed": 1, **budget}
    r = client.post("/plans", json=body, headers=keys["planner"])
    assert r.status_code == 202, r.text
    done = wait_done(client, r.headers["Location"], keys["viewer"])
    assert done["phase"] == "completed", done
    return done


def _issue(client, keys, **body) -> dict:
    r = client.post("/keys", json={"role": "field", **body}, headers=keys["planner"])
    assert r.status_code == 201, r.text
    return r.json()


def test_binding_a_key_names_the_field_at_fault(service) -> None:
    client, keys = service
    planner = keys["planner"]
    cases = [
        ({"role": "viewer", "vessel_id": "kal-28-1"}, "/vessel_id", "not_a_field_key"),
        ({"role": "field", "vessel_id": "nowhere"}, "/vessel_id", "unknown_vessel"),
        ({"role": "field", "vessel_id": "kal-28-1", "plan_id": "nope"}, "/plan_id", "unknown_plan"),
        ({"role": "field", "plan_id": "nope"}, "/plan_id", "plan_without_vessel"),
    ]
    for body, path, code in cases:
        r = client.post("/keys", json=body, headers=planner)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [(path, code)], r.text
    assert "'nowhere'" in client.post("/keys", json=cases[1][0], headers=planner).text
    # An unbound field key stays allowed, and has no link.
    plain = _issue(client, keys)
    assert plain["vessel_id"] is None and "field_url" not in plain and "qr_svg" not in plain
    bound = _issue(client, keys, name="KAL 28 crew", vessel_id="kal-28-1", expires_in_s=864000)
    assert bound["vessel_id"] == "kal-28-1" and bound["plan_id"] is None
    assert bound["field_url"] == f"http://127.0.0.1:8000/field#key={bound['key']}"
    assert (
        bound["qr_svg"].startswith("<svg") and _svg_qr_text(bound["qr_svg"]) == bound["field_url"]
    )
    listed = {k["id"]: k for k in client.get("/keys", headers=planner).json()["keys"]}
    assert (
        listed[bound["id"]]["vessel_id"] == "kal-28-1" and listed[plain["id"]]["vessel_id"] is None
    )
    # No plan yet: the bound key's voyage is a 404 (problem+json), not an error.
    r = client.get("/field/voyage", headers={"X-API-Key": bound["key"]})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "unknown_voyage", r.text


def test_a_bound_key_posts_and_reads_for_its_vessel_only(service, database: str) -> None:
    client, keys = service
    plan = _plan(client, keys)
    plan_id, doc = plan["id"], plan["result"]
    assert len(doc["voyages"]) >= 2
    # A newer capacity plan (a what-if with hypothetical vessels) is never the crew's voyage.
    r = client.post(
        "/capacity-plans",
        json={"bundled": "pemilu2024", "iterations": 100, "seed": 1},
        headers=keys["planner"],
    )
    assert r.status_code == 202, r.text
    capacity = wait_done(client, r.headers["Location"], keys["viewer"])["result"]["plan"]
    in_both = {v["vessel_id"] for v in capacity["voyages"]}
    a = next(v for v in doc["voyages"] if v["vessel_id"] in in_both)
    b = next(v for v in doc["voyages"] if v["vessel_id"] != a["vessel_id"])
    issued = _issue(client, keys, name="Awak KRI", vessel_id=a["vessel_id"], expires_in_s=864000)
    mine = {"X-API-Key": issued["key"]}

    # It reads only what the field page needs.
    for path in (
        "/plans",
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/status",
        f"/plans/{plan_id}/events",
        "/villages",
        "/vessels",
        "/scenarios",
        "/keys",
    ):
        r = client.get(path, headers=mine)
        assert r.status_code == 403, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/event-types", headers=mine).status_code == 200
    r = client.get("/field/voyage", headers=mine)
    assert r.status_code == 200, r.text
    voyage = r.json()
    assert set(voyage) == CONTRACT
    assert (voyage["plan_id"], voyage["plan_kind"], voyage["vessel_id"]) == (
        plan_id,
        "plan",
        a["vessel_id"],
    )
    assert voyage["vessel_name"] == a["vessel_name"] and voyage["scenario"] == plan["scenario"]
    assert voyage["events"] == [] and voyage["events_url"] == f"/plans/{plan_id}/events"
    assert [s["index"] for s in voyage["stops"]] == list(range(len(a["stops"])))
    for stop, planned in zip(voyage["stops"], a["stops"], strict=True):
        assert set(stop) == STOP
        assert (stop["id"], stop["arrival"], stop["tps"]) == (
            planned["id"],
            planned["arrival"],
            planned["tps"],
        )
        assert stop["name"], stop
    landings = [s for s in voyage["stops"] if s["kind"] == "landing"]
    assert landings
    for s in landings:
        assert s["steps"] == ["arrived", "handed_over", "departed"]
        assert s["island_name"] and s["villages"] and s["manifest"]
        assert all(v["name"] and v["district_name"] for v in s["villages"])
        assert all(m["village_name"] for m in s["manifest"])
        assert sum(m["ballot_boxes"] for m in s["manifest"]) == s["ballot_boxes"]
    assert voyage["stops"][0]["steps"] == ["loaded", "departed"]
    assert voyage["stops"][-1]["steps"] == ["arrived"]
    types = {t["type"]: t for t in voyage["event_types"]}
    assert types["handed_over"]["label"] == {"id": "Serah terima", "en": "Handed over"}
    assert types["handed_over"]["required"] == ["boxes", "condition", "receiver"]
    assert types["delayed"]["note"] and not types["arrived"]["note"]
    r = client.get("/field/voyage", params={"vessel_id": b["vessel_id"]}, headers=mine)
    assert r.status_code == 403 and r.json()["errors"][0]["path"] == "/query/vessel_id"

    # It posts for its own vessel only.
    events = f"/plans/{plan_id}/events"
    r = client.post(
        events, json={"vessel_id": b["vessel_id"], "stop": 0, "type": "loaded"}, headers=mine
    )
    assert r.status_code == 403, r.text
    problem = r.json()
    assert problem["errors"][0]["path"] == "/vessel_id" and problem["errors"][0]["code"] == (
        "other_vessel"
    )
    assert a["vessel_id"] in problem["detail"] and b["vessel_id"] in problem["detail"]
    i = next(k for k, s in enumerate(a["stops"]) if s["kind"] == "landing")
    stop = a["stops"][i]
    posted = []
    for body in (
        {"stop": 0, "type": "loaded", "at": a["stops"][0]["work_end"]},
        {"stop": 0, "type": "departed", "at": a["stops"][0]["departure"]},
        {"stop": i, "type": "arrived", "at": stop["arrival"]},
        {
            "stop": i,
            "type": "handed_over",
            "at": stop["work_end"],
            "boxes": stop["ballot_boxes"],
            "condition": "good",
            "receiver": "Ketua PPS Desa",
        },
    ):
        r = client.post(events, json={"vessel_id": a["vessel_id"], **body}, headers=mine)
        assert r.status_code == 201, r.text
        assert r.json()["recorded_by"] == issued["id"]
        assert r.json()["recorded_by_name"] == "Awak KRI"
        posted.append(r.json())
    # Another key (unbound) records under its own id; one without a name has no name.
    r = client.post(
        events,
        json={
            "vessel_id": b["vessel_id"],
            "stop": 0,
            "type": "loaded",
            "at": b["stops"][0]["work_end"],
        },
        headers=keys["field"],
    )
    assert r.status_code == 201 and r.json()["recorded_by_name"] is None, r.text
    listed = client.get(events, headers=keys["viewer"]).json()["events"]
    handover = next(e for e in listed if e["type"] == "handed_over")
    assert handover["recorded_by_name"] == "Awak KRI" and handover["receiver"] == "Ketua PPS Desa"
    assert handover["at"] and handover["recorded_at"] and handover["recorded_by"] == issued["id"]
    voyage = client.get("/field/voyage", headers=mine).json()
    assert voyage["events"] == [e for e in listed if e["vessel_id"] == a["vessel_id"]] == posted

    # An unbound field key keeps its rights, and names the vessel for the field page.
    assert client.get("/plans", headers=keys["field"]).status_code == 200
    r = client.get("/field/voyage", headers=keys["field"])
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/query/vessel_id"
    r = client.get("/field/voyage", params={"vessel_id": a["vessel_id"]}, headers=keys["field"])
    assert r.status_code == 200 and r.json()["vessel_id"] == a["vessel_id"]
    r = client.get(
        "/field/voyage",
        params={"vessel_id": b["vessel_id"], "plan_id": plan_id},
        headers=keys["planner"],
    )
    assert r.status_code == 200 and r.json()["vessel_id"] == b["vessel_id"]
    assert client.get("/field/voyage", headers=keys["viewer"]).status_code == 403
    used = {v["vessel_id"] for v in doc["voyages"]}
    fleet = [v["id"] for v in client.get("/vessels", headers=keys["viewer"]).json()]
    unused = next((v for v in fleet if v not in used), None)
    if unused is not None:  # a vessel of the fleet the plan does not use
        r = client.get("/field/voyage", params={"vessel_id": unused}, headers=keys["planner"])
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "unknown_voyage"
    r = client.get("/field/voyage", params={"vessel_id": "nowhere"}, headers=keys["planner"])
    assert r.status_code == 404 and r.json()["errors"][0]["path"] == "/query/vessel_id"

    # Expired or revoked: 401, as any key.
    key, _ = key_service.issue_key(
        database,
        "field",
        vessel_id=a["vessel_id"],
        vessels=[a["vessel_id"]],
        lifetime=timedelta(seconds=-1),  # expired a second ago
    )
    r = client.post(
        events,
        json={"vessel_id": a["vessel_id"], "stop": i, "type": "departed"},
        headers={"X-API-Key": key},
    )
    assert r.status_code == 401 and "expired" in r.json()["detail"], r.text
    assert client.get("/field/voyage", headers={"X-API-Key": key}).status_code == 401
    assert client.delete(f"/keys/{issued['id']}", headers=keys["planner"]).status_code == 200
    time.sleep(auth.KNOWN_FOR_S + 0.05)  # the longest a worker may keep a key's record
    r = client.get("/field/voyage", headers=mine)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_a_plan_bound_key_follows_its_plan_into_re_plans(service) -> None:
    client, keys = service
    parent = _plan(client, keys, iterations=200)
    vessel = parent["result"]["voyages"][0]["vessel_id"]
    r = client.post(
        f"/plans/{parent['id']}/replan",
        json={"iterations": 100, "seed": 1},
        headers=keys["planner"],
    )
    assert r.status_code == 202, r.text
    child = wait_done(client, r.headers["Location"], keys["viewer"])
    assert child["kind"] == "replan" and child["parent_id"] == parent["id"], child
    on_parent = _issue(client, keys, vessel_id=vessel, plan_id=parent["id"])
    on_child = _issue(client, keys, vessel_id=vessel, plan_id=child["id"])
    assert on_parent["plan_id"] == parent["id"]

    # Bound to the re-plan: the plan it came from is another plan.
    body = {"vessel_id": vessel, "stop": 0, "type": "delayed", "reason": "cuaca"}
    r = client.post(
        f"/plans/{parent['id']}/events", json=body, headers={"X-API-Key": on_child["key"]}
    )
    assert r.status_code == 403 and r.json()["errors"][0]["path"] == "/path/plan_id", r.text
    r = client.get(
        "/field/voyage", params={"plan_id": parent["id"]}, headers={"X-API-Key": on_child["key"]}
    )
    assert r.status_code == 403 and r.json()["errors"][0]["path"] == "/query/plan_id"
    # Bound to the plan: its re-plan is its plan too, and the newest one is what it reads.
    r = client.post(
        f"/plans/{child['id']}/events", json=body, headers={"X-API-Key": on_parent["key"]}
    )
    assert r.status_code != 403, r.text
    in_child = any(v["vessel_id"] == vessel for v in child["result"]["voyages"])
    r = client.get("/field/voyage", headers={"X-API-Key": on_parent["key"]})
    assert r.status_code == 200, r.text
    assert r.json()["plan_id"] == (child["id"] if in_child else parent["id"])
    if in_child:
        assert r.json()["plan_kind"] == "replan"
    r = client.get(
        "/field/voyage", params={"plan_id": parent["id"]}, headers={"X-API-Key": on_parent["key"]}
    )
    assert r.status_code == 200 and r.json()["plan_id"] == parent["id"]
    r = client.post("/plans/another/events", json=body, headers={"X-API-Key": on_parent["key"]})
    assert r.status_code == 403 and r.json()["errors"][0]["path"] == "/path/plan_id"


# --- the command line ---------------------------------------------------------------------------


def _env(tmp_path: Path, network_cache: Path) -> dict[str, str]:
    return dict(
        os.environ,
        BALLOT_DATABASE_URL=f"sqlite:///{tmp_path}/keys.db",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
        BALLOT_PUBLIC_URL="http://192.168.1.20:8000/",
    )


def _cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [localserver.executable(), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
    )


def test_keys_create_for_a_vessel_prints_the_key_its_link_and_a_qr_code(
    tmp_path: Path, network_cache: Path
) -> None:
    env = _env(tmp_path, network_cache)
    vessel = "kri-teluk-bintuni-520"
    png, svg = tmp_path / "q.png", tmp_path / "q.svg"
    done = _cli(
        env, "keys", "create", "--role", "field", "--vessel", vessel, "--name", "KRI crew",
        "--expires", "10d", "--qr", "--qr-file", str(png),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    key, link = lines[0], lines[1]
    assert key.startswith("ibr_")
    assert link == f"http://192.168.1.20:8000/field#key={key}"
    drawn = lines[2:]  # the QR code in the terminal: half blocks, one text row per two modules
    assert len(drawn) > 10 and all(len(row) == len(drawn[0]) for row in drawn)
    assert set("".join(drawn)) <= {" ", "\u2580", "\u2584", "\u2588"}
    found = zxingcpp.read_barcodes(Image.open(png))
    assert [r.text for r in found] == [link]
    assert "kedaluwarsa" in done.stderr  # Indonesian unless --lang en says otherwise

    # The image as SVG; the key's binding in the list.
    done = _cli(env, "keys", "create", "--role", "field", "--vessel", vessel, "--qr-file", str(svg))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].endswith(f"#key={done.stdout.splitlines()[0]}")
    assert "<svg" in svg.read_text()
    listed = _cli(env, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0] == "id,role,name,vessel_id,plan_id,created_wib,expires_wib,state"
    assert any(f",field,KRI crew,{vessel},," in r and r.endswith(",active") for r in rows[1:])

    # What cannot be bound fails naming the option, and stores nothing.
    for args, words in (
        (("--role", "field", "--vessel", "unknown"), ("--vessel", "'unknown'", vessel)),
        (("--role", "viewer", "--vessel", vessel), ("--vessel", "field")),
        (("--role", "field", "--vessel", vessel, "--plan", "nope"), ("--plan", "'nope'")),
        (("--role", "field", "--qr"), ("--qr", "--vessel")),
        (("--role", "field", "--vessel", vessel, "--qr-file", "q.gif"), ("--qr-file",)),
    ):
        done = _cli(env, "keys", "create", *args)
        assert done.returncode == 2 and not done.stdout, (args, done.stdout, done.stderr)
        assert all(w in done.stderr for w in words), (args, done.stderr)
    assert len(_cli(env, "keys", "list").stdout.splitlines()) == len(rows)
