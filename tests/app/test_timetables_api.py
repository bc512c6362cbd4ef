"""Timetable feeds through the API, on SQLite and PostgreSQL: a planner uploads a GTFS zip, it is
checked in full and kept, listed, and read back with its dated sailings; a broken feed is a 422
naming each problem's file, line and column; what is not a feed's zip is refused naming the
body; a viewer may read but not upload."""

from __future__ import annotations

import io
import tomllib
import zipfile

from routing.outputs.export import jsonable
from tests.app.conftest import wait_done
from tests.conftest import DATA

FEED = DATA / "timetables" / "sumenep-2024"
ZIP = {"Content-Type": "application/zip"}


def _zip(files: dict[str, str] | None = None, folder: str = "") -> bytes:
    found = {p.name: p.read_text(encoding="utf-8") for p in FEED.glob("*.txt")}
    found.update(files or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in found.items():
            z.writestr(folder + name, text)
        z.writestr(folder + "README.md", "not part of the feed")
    return out.getvalue()


def test_a_feed_is_uploaded_listed_and_read_with_its_sailings(service) -> None:
    client, keys = service
    r = client.post(
        "/timetables?name=Sumenep%202024",
        content=_zip(folder="sumenep-2024/"),
        headers={**keys["planner"], **ZIP},
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["Location"] == f"/timetables/{made['id']}"
    assert made["name"] == "Sumenep 2024" and made["version"] == "sailings-on-record-2024"
    assert made["trips"] == 8 and made["sailings"] > 20
    assert {s["id"] for s in made["stops"]} >= {"kalianget", "port-kng", "port-mes"}
    listed = client.get("/timetables", headers=keys["viewer"]).json()["timetables"]
    assert [t["id"] for t in listed] == [made["id"]]
    got = client.get(
        f"/timetables/{made['id']}?from=2024-02-09&to=2024-02-09", headers=keys["viewer"]
    ).json()
    trips = {s["trip_id"]: s for s in got["sailings"]}
    sn92 = trips["sn92-20240209"]
    assert sn92["calls"][0]["departure"] == "2024-02-09T18:00:00+07:00"
    assert sn92["calls"][0]["stop_name"] == "Pelabuhan Kalianget"
    assert sn92["capacity_kg"] == 100_000 and sn92["cutoff"] == "2024-02-09T12:00:00+07:00"
    assert all(s["service_date"] == "2024-02-09" for s in got["sailings"])
    assert client.get("/timetables/nope", headers=keys["viewer"]).status_code == 404


def test_a_broken_feed_is_refused_naming_file_line_and_column(service) -> None:
    client, keys = service
    stops = (FEED / "stops.txt").read_text(encoding="utf-8").replace("port-kng,", "jangkar,", 1)
    r = client.post(
        "/timetables", content=_zip({"stops.txt": stops}), headers={**keys["planner"], **ZIP}
    )
    assert r.status_code == 422, r.text
    paths = {e["path"] for e in r.json()["errors"]}
    assert "/stops.txt/3/stop_id" in paths
    check = client.post(
        "/timetables:validate",
        content=_zip({"stops.txt": stops}),
        headers={**keys["planner"], **ZIP},
    ).json()
    assert check["valid"] is False and "/stops.txt/3/stop_id" in {
        e["path"] for e in check["errors"]
    }
    ok = client.post("/timetables:validate", content=_zip(), headers={**keys["planner"], **ZIP})
    assert ok.json()["valid"] is True and ok.json()["trips"] == 8
    assert client.get("/timetables", headers=keys["viewer"]).json()["timetables"] == []


def test_what_is_not_a_feeds_zip_is_refused_naming_the_body(service) -> None:
    client, keys = service
    climbing = io.BytesIO()
    with zipfile.ZipFile(climbing, "w") as z:
        z.writestr("../stops.txt", "stop_id\n")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("README.md", "no feed")
    for body in (b"", b"not a zip at all", climbing.getvalue(), empty.getvalue()):
        r = client.post("/timetables", content=body, headers={**keys["planner"], **ZIP})
        assert r.status_code == 422, (body[:20], r.text)
        assert r.json()["errors"][0]["path"] == "/body", r.text
    r = client.post("/timetables", content=_zip(), headers={**keys["viewer"], **ZIP})
    assert r.status_code == 403


def test_a_plan_books_the_sailings_of_an_uploaded_feed_or_a_bundled_one(service) -> None:
    """A scenario names a stored feed by its id, or a bundled feed by name; the uploaded feed
    without the pioneer sailings sends Masalembu's kits on a dispatched vessel; a path on the
    server is no timetable."""
    client, keys = service
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = jsonable(tomllib.load(fh))
    masalembu = {**raw, "name": "masalembu", "villages": ["35.29.23.2001", "35.29.23.2002"]}
    no_pioneer = {
        name: "\n".join(
            line
            for line in (FEED / name).read_text(encoding="utf-8").splitlines()
            if not line.startswith(("sn-20240203", "sn92-20240209", "pioneer-", "r16,"))
        )
        + "\n"
        for name in ("trips.txt", "stop_times.txt", "cargo.txt", "calendar_dates.txt")
    }
    up = client.post("/timetables", content=_zip(no_pioneer), headers={**keys["planner"], **ZIP})
    assert up.status_code == 201, up.text
    plans = {}
    for feed in ("sumenep-2024", up.json()["id"]):
        body = {"scenario": {**masalembu, "timetable": feed}, "iterations": 100, "seed": 1}
        r = client.post("/plans", json=body, headers=keys["planner"])
        assert r.status_code == 202, r.text
        done = wait_done(client, r.headers["location"], keys["viewer"])
        assert done["phase"] == "completed", done
        plans[feed] = client.get(r.headers["location"], headers=keys["viewer"]).json()["result"]
    bundled, uploaded = plans["sumenep-2024"], plans[up.json()["id"]]
    assert [s["trip_id"] for s in bundled["sailings"]] == ["sn92-20240209"]
    assert not any(v["hub"] is None for v in bundled["voyages"])
    assert uploaded["sailings"] == [] and {o["code"] for o in uploaded["off_sailings"]} == {
        "no_sailing"
    }
    assert any(v["hub"] is None and v["trips"] for v in uploaded["voyages"])
    for bad in ("/etc", "../timetables/sumenep-2024", "nope"):
        r = client.post(
            "/plans",
            json={"scenario": {**masalembu, "timetable": bad}, "iterations": 10},
            headers=keys["planner"],
        )
        assert r.status_code == 422, r.text
        paths = {e["path"] for e in r.json()["errors"]}
        assert paths & {"/scenario/timetable", "/timetable"}, r.text
