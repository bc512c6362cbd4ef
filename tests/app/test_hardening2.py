"""Hardening, second round (issue 26): each case is a finding of an adversary's probes against
the service, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.auth import create_key
from app.errors import MAX_LISTED
from app.main import create_app
from testkit import localserver
from tests.browser.common import server_env

PROBLEM_JSON = "application/problem+json"


def test_a_body_of_many_unknown_keys_gets_the_first_problems_and_their_count(service) -> None:
    """90,000 unknown keys (about 1 MB) are answered with the first 50 problems and how many
    there were, not an answer seven times the body's size; the same for a field key posting to
    an unknown plan."""
    client, keys = service
    body = json.dumps({f"k{i}": 0 for i in range(90_000)}, separators=(",", ":"))
    for url, key in (("/plans", keys["planner"]), ("/plans/nope/events", keys["field"])):
        r = client.post(url, content=body, headers={**key, "Content-Type": "application/json"})
        assert r.status_code == 422, (url, r.text[:300])
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        problem = r.json()
        assert len(problem["errors"]) == MAX_LISTED, url
        assert problem["errors_total"] >= 90_000, url
        assert str(problem["errors_total"]) in problem["detail"]
        assert all(e["path"] and e["code"] for e in problem["errors"])
        assert len(r.content) < 20_000, (url, len(r.content))


def test_a_few_problems_are_all_listed_without_a_total(service) -> None:
    client, keys = service
    bad = {"bundled": "pemilu2024", "seed": "x", "wait": -1}
    r = client.post("/plans", json=bad, headers=keys["planner"])
    assert r.status_code == 422
    problem = r.json()
    assert {e["path"] for e in problem["errors"]} >= {"/seed", "/wait"}, problem
    assert "errors_total" not in problem


HAZARD = {
    "name": "Karang Ra'as approach",
    "kind": "reef",
    "least_depth_m": 1.5,
    "status": "verified",
    "source": "harbour master Raas, survey of 3 Jan 2025",
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[114.600, -7.150], [114.605, -7.150], [114.605, -7.145], [114.600, -7.150]]
        ],
    },
}


def _history(client, key: dict[str, str], hazard_id: str) -> list[dict]:
    r = client.get("/hazards/history", params={"hazard_id": hazard_id}, headers=key)
    assert r.status_code == 200, r.text
    return r.json()["changes"]


@pytest.mark.parametrize(
    ("hazard_id", "code"),
    [
        ("Karang Ra\u2019as", "string_pattern_mismatch"),  # as people type "Ra'as"
        ("\u202eabc", "string_pattern_mismatch"),  # a right-to-left override
        ("history", "reserved_id"),  # GET /hazards/history is the changes
    ],
)
def test_a_hazard_id_outside_the_rules_is_refused_and_nothing_is_stored(
    service, hazard_id: str, code: str
) -> None:
    client, keys = service
    r = client.put(f"/hazards/{quote(hazard_id, safe='')}", json=HAZARD, headers=keys["planner"])
    assert r.status_code == 422, r.text
    assert [(e["code"], e["path"]) for e in r.json()["errors"]] == [(code, "/path/hazard_id")]
    assert _history(client, keys["viewer"], hazard_id) == []
    listed = client.get("/hazards", headers=keys["viewer"]).json()["features"]
    assert hazard_id not in {f["properties"]["id"] for f in listed}


def test_a_new_hazard_answers_201_with_a_location_that_reads_it(service) -> None:
    client, keys = service
    r = client.put("/hazards/karang-raas.2025_01", json=HAZARD, headers=keys["planner"])
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/hazards/karang-raas.2025_01"
    got = client.get(r.headers["location"], headers=keys["viewer"])
    assert got.status_code == 200 and got.json()["properties"]["name"] == HAZARD["name"]


@pytest.mark.parametrize(
    ("method", "url", "param"),
    [
        ("GET", "/hazards/history?hazard_id=a%00b", "hazard_id"),
        ("DELETE", "/hazards/lm-6.820s-115.225e?reason=a%00b", "reason"),
        ("GET", "/plans?status=completed%0Ax", "status"),
        ("GET", "/villages?district=35.29%1B", "district"),
    ],
)
def test_control_characters_in_a_query_string_are_422_naming_the_parameter(
    service, method: str, url: str, param: str
) -> None:
    client, keys = service
    r = client.request(method, url, headers=keys["planner"])
    assert r.status_code == 422, r.text
    assert [e["path"] for e in r.json()["errors"]] == [f"/query/{param}"]
    assert _history(client, keys["viewer"], "lm-6.820s-115.225e") == []  # nothing withdrawn


def test_an_idempotency_key_is_the_posting_keys_own(sapudi_plan) -> None:
    """A second field key sending an Idempotency-Key the first key used never gets the first
    key's stored event: the same body is an event of its own (here refused, for the stop is
    already loaded), another event under that Idempotency-Key is stored for it; each key's retry
    replays its own event."""
    settings, keys, plan = sapudi_plan
    other = {"X-API-Key": create_key(settings.database, "field", name="second crew")}
    voyage = plan["result"]["voyages"][0]
    stop = voyage["stops"][0]
    url = f"/plans/{plan['id']}/events"
    loaded = {"vessel_id": voyage["vessel_id"], "stop": 0, "type": "loaded", "at": stop["work_end"]}
    departed = {**loaded, "type": "departed", "at": stop["departure"]}
    first_key, other_key = (
        {**keys["field"], "Idempotency-Key": "k-1"},
        {**other, "Idempotency-Key": "k-1"},
    )
    with TestClient(create_app(settings)) as client:
        first = client.post(url, json=loaded, headers=first_key)
        assert first.status_code == 201, first.text
        same = client.post(url, json=loaded, headers=other_key)
        assert same.status_code == 409, same.text
        assert same.json()["errors"][0]["code"] == "bad_transition"
        second = client.post(url, json=departed, headers=other_key)
        assert second.status_code == 201, second.text
        assert second.json()["recorded_by"] != first.json()["recorded_by"]
        again = client.post(url, json=departed, headers=other_key)
        assert again.status_code == 200 and again.json()["id"] == second.json()["id"]
        mine = client.post(url, json=loaded, headers=first_key)
        assert mine.status_code == 200 and mine.json()["id"] == first.json()["id"]
        stored = client.get(url, headers=keys["viewer"]).json()
    stored = stored["events"] if isinstance(stored, dict) else stored
    assert [e["type"] for e in stored] == ["loaded", "departed"]


def test_every_answer_says_nosniff_and_every_page_carries_a_policy(service) -> None:
    """HTML answers (the dashboard, the field page, the docs) carry a content security policy
    that allows scripts from the service only and no framing; every answer says nosniff."""
    client, keys = service
    for url in ("/dashboard", "/field", "/docs", "/redoc"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), url
        policy = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy or url in ("/docs", "/redoc"), (url, policy)
        script = next(
            p for p in policy.split(";") if p.strip().startswith(("script-src", "default-src"))
        )
        assert "*" not in script and "http" not in script, (url, policy)
        assert r.headers["x-content-type-options"] == "nosniff", url
    for r in (
        client.get("/healthz"),
        client.get("/plans"),
        client.get("/plans", headers=keys["viewer"]),
    ):
        assert r.headers["x-content-type-options"] == "nosniff", r.url


def _raw(base: str, request: bytes, *, wait_s: float = 30) -> bytes:
    """Send ``request`` as it is over a new connection; what comes back until the server
    closes it or ``wait_s`` passes without a byte."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait_s) as conn:
        conn.sendall(request)
        got = b""
        try:
            while chunk := conn.recv(65536):
                got += chunk
        except TimeoutError:
            pass
    return got


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_raw_http_a_short_body_times_out_and_double_framing_is_refused(
    tmp_path: Path, network_cache: Path, server: str
) -> None:
    """A body announced as 999 bytes of which 24 come is answered 408 (the wait between pieces
    set to 1 s here) and the connection closed; Content-Length with Transfer-Encoding is a 400,
    not read as chunked."""
    env = {**server_env(tmp_path, network_cache, "raw.db"), "BALLOT_BODY_TIMEOUT_S": "1"}
    keys = localserver.create_keys(env, ("planner",))
    with localserver.serving(env, server=server) as base:
        head = f"POST /plans HTTP/1.1\r\nHost: x\r\nX-API-Key: {keys['planner']}\r\n"
        short = _raw(
            base,
            (head + "Content-Type: application/json\r\nContent-Length: 999\r\n\r\n").encode()
            + b'{"bundled": "pemilu2024"',
        )
        assert short.startswith(b"HTTP/1.1 408"), short[:300]
        assert b"body_timeout" in short
        # Content-Length with Transfer-Encoding, and a second request after it on the same
        # connection: refused (uvicorn: 400), or read by Transfer-Encoding alone and the
        # connection closed (granian), as RFC 9112 6.3 allows; never a second request smuggled.
        both = _raw(
            base,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            b"GET /limits HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        answers = re.findall(rb"^HTTP/1\.1 (\d{3})", both, re.M)
        assert len(answers) == 1, both[:600]
        closed = re.search(rb"^connection: close\r$", both, re.M | re.I) is not None
        assert answers[0] == b"400" or closed, both[:600]
        assert b"max_body_bytes" not in both  # /limits was never answered
