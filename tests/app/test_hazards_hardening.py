"""Hazards hardened (issue 26, findings 3, 6 and 7), on SQLite and PostgreSQL: a change to a
hazard names the state it was made from (ETag / If-Match), so two planners correcting one
hazard cannot lose a change and fifty writers of one new id make one hazard; a geometry the
schema does not allow is refused naming its place; the hazards in force are current rows, so a
change reads no more however long the history."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from app import db
from app.config import Settings
from app.hazards import service as hazard_service
from tests.conftest import DATA

PROBLEM_JSON = "application/problem+json"
RING = [[114.600, -7.150], [114.605, -7.150], [114.605, -7.145], [114.600, -7.150]]
HAZARD: dict[str, Any] = {
    "name": "Karang uji",
    "kind": "reef",
    "least_depth_m": 1.5,
    "status": "verified",
    "source": "harbour master Raas, survey of 3 Jan 2025",
    "geometry": {"type": "Polygon", "coordinates": [RING]},
}
FILE_HAZARD = "lm-6.820s-115.225e"  # a land-mask candidate of data/hazards.geojson


def _problem(r: httpx.Response, status: int, path: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert path in [e["path"] for e in body["errors"]], body
    return body


def test_of_two_planners_the_stale_one_is_refused_and_no_change_is_lost(service) -> None:
    client, keys = service
    planner, viewer = keys["planner"], keys["viewer"]
    assert client.put("/hazards/rmw", json=HAZARD, headers=planner).status_code == 201
    a = client.get("/hazards/rmw", headers=viewer)
    b = client.get("/hazards/rmw", headers=viewer)
    tag = a.headers["ETag"]
    assert tag.startswith('"') and tag == b.headers["ETag"]
    assert a.json() == b.json()

    a_put = client.put(
        "/hazards/rmw", json={**HAZARD, "least_depth_m": 0.5}, headers={**planner, "If-Match": tag}
    )
    assert a_put.status_code == 200, a_put.text
    assert a_put.json()["properties"]["least_depth_m"] == 0.5
    assert a_put.headers["ETag"] != tag

    stale = {**b.json()["properties"], "geometry": b.json()["geometry"], "note": "B's note"}
    stale = {k: v for k, v in stale.items() if k not in ("id", "last_change")}
    late = client.put("/hazards/rmw", json=stale, headers={**planner, "If-Match": tag})
    assert _problem(late, 412, "/header/If-Match")["errors"][0]["code"] == "precondition_failed"
    blind = client.put("/hazards/rmw", json=stale, headers=planner)
    assert _problem(blind, 428, "/header/If-Match")["errors"][0]["code"] == (
        "precondition_required"
    )
    weak = client.put("/hazards/rmw", json=stale, headers={**planner, "If-Match": f"W/{tag}"})
    _problem(weak, 412, "/header/If-Match")
    again = client.put("/hazards/rmw", json=HAZARD, headers={**planner, "If-None-Match": "*"})
    _problem(again, 412, "/header/If-None-Match")

    now = client.get("/hazards/rmw", headers=viewer)
    assert now.json()["properties"]["least_depth_m"] == 0.5  # A's change holds
    assert "note" not in now.json()["properties"]
    assert now.headers["ETag"] == a_put.headers["ETag"]
    # B reads again and makes its change on A's.
    merged = {**HAZARD, "least_depth_m": 0.5, "note": "B's note"}
    b_put = client.put(
        "/hazards/rmw", json=merged, headers={**planner, "If-Match": now.headers["ETag"]}
    )
    assert b_put.status_code == 200, b_put.text
    got = client.get("/hazards/rmw", headers=viewer).json()["properties"]
    assert (got["least_depth_m"], got["note"]) == (0.5, "B's note")
    history = client.get("/hazards/history?hazard_id=rmw", headers=viewer).json()["changes"]
    assert [c["feature"]["properties"].get("least_depth_m") for c in history] == [1.5, 0.5, 0.5]


def test_a_withdrawal_and_a_change_of_a_file_hazard_take_if_match(service) -> None:
    client, keys = service
    planner, viewer = keys["planner"], keys["viewer"]
    r = client.get(f"/hazards/{FILE_HAZARD}", headers=viewer)
    assert r.status_code == 200 and r.json()["properties"]["last_change"] is None
    tag = r.headers["ETag"]
    body = {k: v for k, v in r.json()["properties"].items() if k not in ("id", "last_change")}
    body = {**body, "geometry": r.json()["geometry"], "status": "verified"}
    _problem(
        client.put(f"/hazards/{FILE_HAZARD}", json=body, headers=planner), 428, "/header/If-Match"
    )
    ok = client.put(f"/hazards/{FILE_HAZARD}", json=body, headers={**planner, "If-Match": tag})
    assert ok.status_code == 200 and ok.json()["properties"]["status"] == "verified"

    url = f"/hazards/{FILE_HAZARD}?reason=not there"
    _problem(client.delete(url, headers=planner), 428, "/header/If-Match")
    _problem(client.delete(url, headers={**planner, "If-Match": tag}), 412, "/header/If-Match")
    gone = client.delete(url, headers={**planner, "If-Match": ok.headers["ETag"]})
    assert gone.status_code == 200 and gone.json()["action"] == "withdraw"
    assert client.get(f"/hazards/{FILE_HAZARD}", headers=viewer).status_code == 404
    # Withdrawn, it may be set again as new (201), but not on the old tag.
    _problem(
        client.put(f"/hazards/{FILE_HAZARD}", json=body, headers={**planner, "If-Match": tag}),
        412,
        "/header/If-Match",
    )
    assert client.put(f"/hazards/{FILE_HAZARD}", json=body, headers=planner).status_code == 201
    assert (
        client.delete("/hazards/nothing", headers={**planner, "If-Match": tag}).status_code == 404
    )


def test_vessel_settings_take_an_etag_and_if_match(service) -> None:
    client, keys = service
    planner, viewer = keys["planner"], keys["viewer"]
    r = client.get("/vessels/kal-28-1", headers=viewer)
    assert r.status_code == 200 and r.json()["active"] is True
    tag0 = r.headers["ETag"]
    first = client.put("/vessels/kal-28-1", json={"active": False}, headers=planner)
    assert first.status_code == 200 and first.json()["active"] is False
    assert first.headers["ETag"] == client.get("/vessels/kal-28-1", headers=viewer).headers["ETag"]
    blind = client.put("/vessels/kal-28-1", json={"active": True}, headers=planner)
    _problem(blind, 428, "/header/If-Match")
    stale = client.put(
        "/vessels/kal-28-1", json={"active": True}, headers={**planner, "If-Match": tag0}
    )
    _problem(stale, 412, "/header/If-Match")
    assert client.get("/vessels/kal-28-1", headers=viewer).json()["active"] is False
    ok = client.put(
        "/vessels/kal-28-1",
        json={"active": True},
        headers={**planner, "If-Match": first.headers["ETag"]},
    )
    assert ok.status_code == 200 and ok.json()["active"] is True
    assert ok.headers["ETag"] not in (tag0, first.headers["ETag"])
    assert client.get("/vessels/nope-1", headers=viewer).status_code == 404


class _InFlight:
    """An ASGI wrapper that counts the requests being served at once (the most seen)."""

    def __init__(self, app: Any) -> None:
        self.app, self.now, self.most = app, 0, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def _race(client, database: str, requests: list[dict[str, Any]]) -> tuple[list, int, int]:
    """The requests sent at once to the real app (its routes served in threads): the answers,
    the most requests served at once and how many threads ran the hazards' SQL."""
    app = _InFlight(client.app)
    threads: set[int] = set()
    engine = db.engine_for(database)

    def seen(conn, cursor, statement, *_: Any) -> None:
        if "hazards_current" in statement:
            threads.add(threading.get_ident())

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as ac:
            return await asyncio.gather(*(ac.request(**r) for r in requests))

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        answers = asyncio.run(go())
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    return answers, app.most, len(threads)


@pytest.mark.parametrize("precondition", [{"If-None-Match": "*"}, {}])
def test_fifty_writers_of_one_new_id_make_one_hazard_and_each_gets_its_own_answer(
    service, database: str, precondition: dict[str, str]
) -> None:
    client, keys = service
    bodies = [{**HAZARD, "source": f"writer {n}", "least_depth_m": n / 10} for n in range(50)]
    answers, most, threads = _race(
        client,
        database,
        [
            {
                "method": "PUT",
                "url": "/hazards/race",
                "json": body,
                "headers": {**keys["planner"], **precondition},
            }
            for body in bodies
        ],
    )
    assert most > 1 and threads > 1, (most, threads)  # they were served at once
    statuses = [r.status_code for r in answers]
    assert statuses.count(201) == 1, statuses
    assert 200 not in statuses and all(s in (201, 412, 428) for s in statuses), statuses
    (n,) = [n for n, r in enumerate(answers) if r.status_code == 201]
    won = answers[n].json()
    assert won["properties"]["source"] == f"writer {n}"
    assert won["properties"]["least_depth_m"] == n / 10
    for r in answers:
        if r.status_code != 201:
            assert r.headers["content-type"] == PROBLEM_JSON and "properties" not in r.json()
            assert r.json()["errors"][0]["path"] in ("/header/If-Match", "/header/If-None-Match")
    got = client.get("/hazards/race", headers=keys["viewer"])
    assert got.json()["properties"]["source"] == f"writer {n}"
    assert got.headers["ETag"] == answers[n].headers["ETag"]
    history = client.get("/hazards/history?hazard_id=race", headers=keys["viewer"]).json()
    assert len(history["changes"]) == 1


def test_fifty_changes_on_one_tag_make_one_change(service, database: str) -> None:
    client, keys = service
    created = client.put("/hazards/race2", json=HAZARD, headers=keys["planner"])
    tag = created.headers["ETag"]
    answers, most, _ = _race(
        client,
        database,
        [
            {
                "method": "PUT",
                "url": "/hazards/race2",
                "json": {**HAZARD, "source": f"writer {n}"},
                "headers": {**keys["planner"], "If-Match": tag},
            }
            for n in range(50)
        ],
    )
    assert most > 1
    statuses = [r.status_code for r in answers]
    assert statuses.count(200) == 1 and statuses.count(412) == 49, statuses
    (n,) = [n for n, r in enumerate(answers) if r.status_code == 200]
    assert answers[n].json()["properties"]["source"] == f"writer {n}"
    got = client.get("/hazards/race2", headers=keys["viewer"]).json()
    assert got["properties"]["source"] == f"writer {n}"


SQUARE = [[114.0, -7.0], [114.01, -7.0], [114.01, -6.99], [114.0, -6.99], [114.0, -7.0]]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            {"geometry": {"type": "Feature", "properties": {}, "geometry": HAZARD["geometry"]}},
            "/geometry/type",
        ),
        ({"geometry": {"coordinates": [SQUARE]}}, "/geometry/type"),
        (
            {"geometry": {"type": "Polygon", "coordinates": [SQUARE[:-1]]}},
            "/geometry/coordinates/0",
        ),
        (
            {"geometry": {"type": "Polygon", "coordinates": [[["114.0", "-7.0"], *SQUARE[1:]]]}},
            "/geometry/coordinates/0/0/0",
        ),
        (
            {"geometry": {"type": "Polygon", "coordinates": [[[114.0, -7.0, 0.0], *SQUARE[1:]]]}},
            "/geometry/coordinates/0/0",
        ),
        (
            {
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[[[114.0, -7.0, 5], *SQUARE[1:]]]],
                }
            },
            "/geometry/coordinates/0/0/0",
        ),
        (
            {"geometry": {"type": "Polygon", "coordinates": [SQUARE[:2] + SQUARE[:1]]}},
            "/geometry/coordinates/0",
        ),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[114, -7], [114.1, -6.9], [114.1, -7], [114, -6.9], [114, -7]]
                    ],
                }
            },
            "/geometry",
        ),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[179, -8], [-179, -8], [-179, -6], [179, -6], [179, -8]]],
                }
            },
            "/geometry/coordinates/0",
        ),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]],
                }
            },
            "/geometry/coordinates/0",
        ),
        (  # lon/lat swapped: a latitude of 114 degrees
            {"geometry": {"type": "Polygon", "coordinates": [[[y, x] for x, y in SQUARE]]}},
            "/geometry/coordinates/0/0/1",
        ),
        (  # two degrees east of the easternmost islands
            {"geometry": {"type": "Polygon", "coordinates": [[[x + 4, y] for x, y in SQUARE]]}},
            "/geometry",
        ),
        (  # within -180..180 but nowhere near the islands (the Banda Sea)
            {"geometry": {"type": "Polygon", "coordinates": [[[x + 12, y] for x, y in SQUARE]]}},
            "/geometry",
        ),
        ({"least_depth_m": "1.5"}, "/least_depth_m"),
        ({"least_depth_m": True}, "/least_depth_m"),
        ({"no_go": "yes"}, "/no_go"),
        ({"no_go": 1}, "/no_go"),
    ],
)
def test_a_geometry_or_value_the_schema_refuses_is_a_422_naming_it(
    service, change: dict, path: str
) -> None:
    client, keys = service
    r = client.put("/hazards/bad", json={**HAZARD, **change}, headers=keys["planner"])
    body = _problem(r, 422, path)
    assert all(e["message"] and e["code"] for e in body["errors"])
    assert client.get("/hazards/bad", headers=keys["viewer"]).status_code == 404
    assert client.get("/hazards", headers=keys["viewer"]).json()["revision"] == 0


def test_the_geometry_is_described_in_the_api_document(service) -> None:
    client, _ = service
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    geometry = schemas["HazardIn"]["properties"]["geometry"]
    assert geometry["discriminator"]["propertyName"] == "type"
    polygon = schemas["HazardPolygon"]
    assert polygon["properties"]["type"]["const"] == "Polygon"
    ring = polygon["properties"]["coordinates"]["items"]
    assert ring["minItems"] == 4
    assert ring["items"]["minItems"] == ring["items"]["maxItems"] == 2
    put = doc["paths"]["/hazards/{hazard_id}"]["put"]
    assert {p["name"] for p in put["parameters"]} >= {"If-Match", "If-None-Match"}
    assert {"412", "428"} <= set(put["responses"])


def _hazard_sql(client, database: str, request: dict[str, Any]) -> tuple[httpx.Response, list[str]]:
    """A request's answer and the SQL it ran on the hazards' tables."""
    statements: list[str] = []

    def seen(conn, cursor, statement, *_: Any) -> None:
        if "hazard" in statement.lower():
            statements.append(" ".join(statement.split()))

    engine = db.engine_for(database)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        r = client.request(**request)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    return r, statements


def test_a_change_reads_the_same_however_long_the_history(service, database: str) -> None:
    client, keys = service
    planner, viewer = keys["planner"], keys["viewer"]

    def change(n: int) -> tuple[httpx.Response, list[str]]:
        tag = client.get("/hazards/long", headers=viewer).headers.get("ETag")
        pre = {"If-Match": tag} if tag else {}
        body = {**HAZARD, "note": f"change {n}", "least_depth_m": 1.0 + n / 100}
        return _hazard_sql(
            client,
            database,
            {"method": "PUT", "url": "/hazards/long", "json": body, "headers": {**planner, **pre}},
        )

    assert change(0)[0].status_code == 201
    second, early = change(1)
    assert second.status_code == 200
    before = client.get("/hazards/history", headers=viewer).json()["changes"]
    for n in range(2, 40):
        r, _ = change(n)
        assert r.status_code == 200, r.text
        other = {**HAZARD, "source": f"other {n}"}
        assert client.put(f"/hazards/other-{n}", json=other, headers=planner).status_code == 201
    last, late = change(40)
    assert last.status_code == 200
    assert len(late) == len(early), (early, late)  # as many statements after 78 changes as at 1
    assert not [s for s in late if s.startswith("SELECT") and "hazard_changes" in s], late

    # GET /hazards reads the current rows, never the history; the version and revision follow.
    listed, reads = _hazard_sql(
        client, database, {"method": "GET", "url": "/hazards", "headers": viewer}
    )
    assert not [s for s in reads if "hazard_changes" in s], reads
    body = listed.json()
    after = client.get("/hazards/history", headers=viewer).json()["changes"]
    assert body["revision"] == after[-1]["revision"] and len(after) == 79
    assert after[: len(before)] == before  # the history is appended to, never rewritten
    shown = {f["properties"]["id"]: f for f in body["features"]}
    assert shown["long"]["properties"]["note"] == "change 40"
    assert {f"other-{n}" for n in range(2, 40)} <= set(shown)
    settings = Settings(data_dir=DATA, database_url=database)
    assert body["version"] == hazard_service.in_force(settings).version


def test_an_existing_database_migrates_its_history_into_current_rows(database: str) -> None:
    """A database at the revision before the current rows, with changes made: migrated, the
    hazards in force are what replaying its history gives."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    engine = db.engine_for(database)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    feature = {
        "type": "Feature",
        "properties": {**{k: v for k, v in HAZARD.items() if k != "geometry"}, "id": "old"},
        "geometry": HAZARD["geometry"],
    }
    changed = {**feature, "properties": {**feature["properties"], "least_depth_m": 0.8}}
    rows = [
        ("old", "set", feature),
        ("gone", "set", {**feature, "properties": {**feature["properties"], "id": "gone"}}),
        ("old", "set", changed),
        ("gone", "withdraw", None),
        (FILE_HAZARD, "withdraw", None),
    ]
    h = sa.table(
        "hazard_changes",
        *(sa.column(c) for c in ("hazard_id", "action", "feature", "reason", "recorded_at")),
    )
    with engine.begin() as conn:
        for hid, action, f in rows:
            conn.execute(
                h.insert().values(
                    hazard_id=hid,
                    action=action,
                    feature=json.dumps(f) if f else None,
                    reason="",
                    recorded_at=1.0,
                )
            )
    db.migrate(database)
    settings = Settings(data_dir=DATA, database_url=database)
    now = hazard_service.in_force(settings)
    ids = {z.id for z in now.hazards}
    assert "old" in ids and "gone" not in ids and FILE_HAZARD not in ids
    assert next(z for z in now.hazards if z.id == "old").least_depth_m == 0.8
    assert now.revision == 5
    assert now.changed["old"]["revision"] == 3
