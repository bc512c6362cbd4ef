"""The service's access log (``app.accesslog``) and the poll answered ahead of the middleware
(``app.live.fastpath.answer_now``), through the app as served (``app.main.Service``).

A line per request names the key by its id (never the key), redacts a key sent in the query
string, and gives status, bytes and time; status polls answered 200 or 304 are counted and
summarised per plan and status (``summary``, the default), or written one by one (``full``), or
nothing is written (``off``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.auth import create_key
from app.config import Settings
from app.keys import service as key_store
from app.live import fastpath
from app.main import create_app
from tests.app.test_live_status import SMALL, _landing, delay
from tests.conftest import DATA

LOGGER = "ballot_routing.access"


@pytest.fixture
def served(
    tmp_path: Path, network_cache: Path
) -> Iterator[tuple[TestClient, dict[str, str], dict[str, Any]]]:
    """The app with a finished small plan; the keys by role (the keys themselves)."""
    database = f"sqlite:///{tmp_path}/access.db"
    settings = Settings(data_dir=DATA, cache_dir=network_cache, database_url=database)
    with TestClient(create_app(settings)) as client:
        keys = {role: create_key(database, role) for role in ("planner", "field", "viewer")}
        r = client.post(
            "/plans",
            json={"scenario": SMALL, "iterations": 100, "wait": 30},
            headers={"X-API-Key": keys["planner"]},
        )
        plan = r.json()
        assert plan["phase"] == "completed", plan
        yield client, keys, plan


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_a_line_per_request_with_the_key_id_and_status_polls_summarised(
    served, caplog: pytest.LogCaptureFixture
) -> None:
    client, keys, plan = served
    database = client.app.state.settings.database
    viewer = keys["viewer"]
    viewer_id = key_store.lookup(database, viewer).id
    planner_id = key_store.lookup(database, keys["planner"]).id
    status_url = f"/plans/{plan['id']}/status"
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert client.get("/plans", headers={"X-API-Key": viewer}).status_code == 200
        first = client.get(status_url, headers={"X-API-Key": viewer})  # by the route: a 200
        tag = first.headers["ETag"]
        for _ in range(3):  # answered ahead of the middleware: 304s
            r = client.get(status_url, headers={"X-API-Key": viewer, "If-None-Match": tag})
            assert r.status_code == 304
        assert client.get(status_url).status_code == 401  # refused: a line of its own
        assert client.get("/plans", params={"api_key": viewer}).status_code == 401
        vessel, stop = _landing(plan)
        r = client.post(
            f"/plans/{plan['id']}/events",
            json=delay(vessel, stop, 1),
            headers={"X-API-Key": keys["field"]},
        )
        assert r.status_code == 201, r.text
        lines = _lines(caplog)
        client.app.state.access_log.summarise()
        summary = _lines(caplog)[len(lines) :]
    text = "\n".join(lines + summary)
    assert viewer not in text and viewer[4:] not in text  # the key itself is never written
    listing = [line for line in lines if '"GET /plans HTTP/1.1" 200' in line]
    assert len(listing) == 1 and f"key={viewer_id} " in listing[0], lines
    assert re.search(r'"GET /plans HTTP/1\.1" 200 \d+ B \d+\.\d ms$', listing[0]), listing
    assert any("key=- " in line and f'"GET {status_url} HTTP/1.1" 401' in line for line in lines)
    assert any('"GET /plans?api_key=[redacted] HTTP/1.1" 401' in line for line in lines), lines
    posted = [line for line in lines if f'"POST /plans/{plan["id"]}/events HTTP/1.1"' in line]
    assert len(posted) == 1 and " 201 " in posted[0] and "key=" in posted[0], lines
    assert not any(f'{status_url} HTTP/1.1" 304' in line for line in lines)  # counted only
    assert not any(f'{status_url} HTTP/1.1" 200' in line for line in lines)
    assert any(f'"GET {status_url}" 304 x 3 from 1 key(s)' in line for line in summary), summary
    assert any(f'"GET {status_url}" 200 x 1 from 1 key(s)' in line for line in summary), summary
    # The planner's own request (the plan posted before the capture) is not in this capture.
    assert not any(f"key={planner_id} " in line for line in lines)
    client.app.state.access_log.summarise()  # nothing counted since: nothing written
    assert _lines(caplog)[len(lines) + len(summary) :] == []


@pytest.mark.parametrize(("mode", "written"), [("full", 3), ("off", 0)])
def test_full_writes_each_poll_and_off_writes_nothing(
    served, caplog: pytest.LogCaptureFixture, mode: str, written: int
) -> None:
    client, keys, plan = served
    client.app.state.access_log.mode = mode
    status_url = f"/plans/{plan['id']}/status"
    viewer = {"X-API-Key": keys["viewer"]}
    tag = client.get(status_url, headers=viewer).headers["ETag"]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(3):
            r = client.get(status_url, headers={**viewer, "If-None-Match": tag})
            assert r.status_code == 304
        client.app.state.access_log.summarise()
    polls = [line for line in _lines(caplog) if f'"GET {status_url} HTTP/1.1" 304' in line]
    assert len(polls) == written
    assert not any(" x " in line for line in _lines(caplog))  # no summary: nothing counted


def _scope(path: str, headers: dict[str, str], method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }


def test_only_a_fresh_status_and_a_key_known_now_are_answered_ahead(served) -> None:
    """``answer_now`` answers a poll of a status kept fresh by a caller whose key was looked
    up within the second; everything else goes on to the middleware and the route (which
    ``test_live_status`` shows answer the same bytes and the same refusals)."""
    client, keys, plan = served
    app = client.app
    url = f"/plans/{plan['id']}/status"
    viewer = {"X-API-Key": keys["viewer"]}
    tag = client.get(url, headers=viewer).headers["ETag"]  # computed and kept; key looked up
    answer = fastpath.answer_now(app, _scope(url, {**viewer, "If-None-Match": tag}))
    assert answer is not None and answer.status_code == 304
    assert dict(answer.raw_headers)[b"etag"] == tag.encode()
    full = fastpath.answer_now(app, _scope(url, {**viewer, "Accept-Encoding": "gzip"}))
    assert full is not None and full.status_code == 200
    assert dict(full.raw_headers)[b"content-encoding"] == b"gzip"
    # The same answer object for every poller of this status: made once.
    assert fastpath.answer_now(app, _scope(url, {**viewer, "If-None-Match": tag})) is answer

    r = client.post(
        "/keys",
        json={"role": "field", "vessel_id": _landing(plan)[0]},
        headers={"X-API-Key": keys["planner"]},
    )
    bound = {"X-API-Key": r.json()["key"]}
    client.get("/event-types", headers=bound)  # the bound key is looked up, so known now
    for scope in (
        _scope(url, {**viewer, "If-None-Match": tag}, method="POST"),
        _scope(url + "/stream", viewer),
        _scope("/plans/nope/status", viewer),  # a plan this worker keeps no status of
        _scope(url, {"X-API-Key": "ibr_not-a-key-anyone-has"}),  # a key to look up
        _scope(url, {}),  # no key (anonymous reads are off)
        _scope(url, bound),  # bound to a vessel: the route's 403
        _scope(url, {**viewer, "If-None-Match": '"' + "x" * 2001 + '"'}),  # the route's 422
    ):
        assert fastpath.answer_now(app, scope) is None, scope
    twice = _scope(url, viewer)
    twice["headers"] += [(b"if-none-match", tag.encode())] * 2
    assert fastpath.answer_now(app, twice) is None

    # A change makes the status stale: the next poll waits for it behind the middleware.
    vessel, stop = _landing(plan)
    r = client.post(
        f"/plans/{plan['id']}/events",
        json=delay(vessel, stop, 2),
        headers={"X-API-Key": keys["field"]},
    )
    assert r.status_code == 201
    assert fastpath.answer_now(app, _scope(url, {**viewer, "If-None-Match": tag})) is None
    new = client.get(url, headers={**viewer, "If-None-Match": tag})
    assert new.status_code == 200 and new.headers["ETag"] != tag
    again = fastpath.answer_now(app, _scope(url, {**viewer, "If-None-Match": new.headers["ETag"]}))
    assert again is not None and again.status_code == 304


LINE = re.compile(r'\S+ key=\S+ "[!#-~]+ [!#-~]+ HTTP/[0-9.]+" \d{3} \d+ B \d+\.\d ms')


def test_a_request_is_one_line_whatever_its_path_holds(
    database: str, network_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A path with a line break, a forged log line, quotes, a NUL and a character outside ASCII
    is written escaped, in the one line of its request: no client can write a line of its own."""
    forged = '[2026-01-01 00:00:00,000] 127.0.0.1:1 key=forged "GET /keys HTTP/1.1" 200 1 B 1.0 ms'
    path = "/x" + quote("\n" + forged, safe="") + "%00%0D%1B" + quote("Ra\u2019as")
    settings = Settings(data_dir=DATA, cache_dir=network_cache, database_url=database)
    with (
        TestClient(create_app(settings)) as client,
        caplog.at_level(logging.INFO, logger=LOGGER),
    ):
        assert client.get(path).status_code == 401
        assert client.get("/healthz?q=forged%20line%22").status_code == 200
    lines = _lines(caplog)
    assert len(lines) == 2, lines
    for line in lines:
        assert LINE.fullmatch(line), line
        assert not re.search(r"[\x00-\x1f\x7f]", line), line
    assert "key=forged" in lines[0] and "\\x0A[2026-01-01\\x2000:00:00,000]" in lines[0], lines[0]
    assert "\\x22GET\\x20/keys\\x20HTTP/1.1\\x22" in lines[0] and "\\x00\\x0D\\x1B" in lines[0]
    assert "Ra\\u2019as" in lines[0]
    assert "/healthz?q=forged%20line%22 " in lines[1], lines[1]  # kept percent-encoded
