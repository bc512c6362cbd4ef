"""The dashboard of a two-echelon plan: the booked scheduled sailing as a fixed bar on the
timeline with a tick at each call, its live state and delay on the board from the events the
logistics desk records, the hub on the map with its district office's boats, and the closures on
record replayed (which start day's closure makes which district late), in both languages;
Debian's chromium, driven by Playwright, against the app on a real server."""

from __future__ import annotations

import re
import time
import tomllib
from datetime import datetime, timedelta

import httpx
import pytest

from routing.outputs.export import jsonable
from testkit import localserver
from tests.browser.common import (
    OUTPUT,
    POLL_MS,
    READ_PAGE,
    dashboard_page,
    event_types,
    launch,
    leaks,
    names_shown,
    server_env,
)
from tests.conftest import DATA

# Two Masalembu villages: the bundled feed books KM Sabuk Nusantara 92 (9 Feb 2024) to the
# Masalembu hub; from there Sukajeruk's kits go by road and the district office's boat takes
# Masakambing's (another island) on.
VILLAGES = ["35.29.23.2001", "35.29.23.2003"]
LATE_H = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("dashboard-echelons")
    env = server_env(tmp, network_cache)
    keys = localserver.create_keys(env)
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = jsonable(tomllib.load(fh))
    scenario = {**raw, "name": "masalembu", "villages": VILLAGES}
    with localserver.serving(env) as base:
        yield base, keys, localserver.completed_plan(base, keys, iterations=100, scenario=scenario)


def _replayed(base: str, keys: dict[str, str], plan_id: str) -> dict:
    r = httpx.post(
        f"{base}/plans/{plan_id}/risk",
        json={"closures": "history", "replan_iterations": 20},
        headers={"X-API-Key": keys["planner"]},
    )
    assert r.status_code == 202, r.text
    end = time.monotonic() + 300
    while time.monotonic() < end:
        run = httpx.get(f"{base}/risk/{r.json()['id']}", headers={"X-API-Key": keys["viewer"]})
        if run.json()["phase"] in ("completed", "failed"):
            assert run.json()["phase"] == "completed", run.text
            return run.json()
        time.sleep(0.3)
    raise AssertionError("the replay of the closures on record did not finish")


def test_sailings_hubs_and_closures_show_in_either_language(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    document = plan["result"]
    [sailing] = document["sailings"]
    sid = sailing["sailing_id"]
    # The kits go on board, and the ship leaves three hours late.
    departs = datetime.fromisoformat(sailing["calls"][0]["departure"])
    late = departs + timedelta(hours=LATE_H)
    for step, at in (("loaded", sailing["cutoff"]), ("departed", late)):
        r = httpx.post(
            f"{base}/plans/{plan['id']}/events",
            json={"sailing_id": sid, "stop": 0, "type": step, "at": str(at)},
            headers={"X-API-Key": keys["field"]},
        )
        assert r.status_code == 201, r.text
    report = _replayed(base, keys, plan["id"])["result"]
    viewer = {"X-API-Key": keys["viewer"]}
    names = [*names_shown(base, viewer, plan), sailing["route_name"]]
    names += [e[k] for e in report["episodes"] for k in ("name", "name_en")]
    events = event_types(base, viewer)
    boats = [v["vessel_name"] for v in document["voyages"] if v["hub"]]
    hub = next(c for c in sailing["calls"] if c["kind"] == "hub")
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["viewer"])
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        text = page.evaluate("TEXT")
        row = page.locator(f'#sailings tr[data-sailing="{sid}"]')
        row.wait_for(timeout=30_000)
        page.wait_for_function(
            "sid => document.querySelector(`#sailings tr[data-sailing='${sid}']`)"
            ".dataset.state === 'departed'",
            arg=sid,
            timeout=30_000,
        )
        cells = row.locator("td").all_inner_texts()
        assert sailing["route_name"] in cells[0] and sid in cells[0]
        assert hub["stop_name"] in cells[2]
        assert f"terlambat {LATE_H} jam" in cells[4], cells
        # The timeline: a fixed bar from the depot's departure to the hub, a tick at each call,
        # marked late; and its row named after the route.
        bar = page.locator(f'g.tl-sailing[data-sailing="{sid}"] rect.bar-scheduled')
        page.wait_for_function(
            "sid => document.querySelector(`g.tl-sailing[data-sailing='${sid}'] rect`)"
            ".classList.contains('late')",
            arg=sid,
            timeout=30_000,
        )
        title = bar.locator("title").text_content()
        assert sailing["route_name"] in title and f"terlambat {LATE_H} jam" in title, title
        ticks = page.locator(f'g.tl-sailing[data-sailing="{sid}"] line.call-tick').count()
        kinds = [c["kind"] for c in sailing["calls"]]
        last_hub = max(i for i, k in enumerate(kinds) if k == "hub")
        assert ticks == last_hub - kinds.index("depot") + 1
        names_col = page.locator("#timeline .tl-names text").all_text_contents()
        assert any(sailing["route_name"] in n for n in names_col), names_col
        # The hub on the map, with the district office's boats.
        diamond = page.locator(f'#hubs rect.hub[data-hub="{hub["stop_id"]}"]')
        assert diamond.count() == 1
        hub_title = diamond.locator("title").text_content()
        assert hub_title.startswith("Hub ") and all(b in hub_title for b in boats), hub_title
        # The closures on record: an episode a row, a start day a column, late where the report
        # says so.
        page.wait_for_selector("#closures-box:not([hidden])", timeout=30_000)
        assert page.locator("#closures tbody tr").count() == len(report["episodes"])
        for e in report["episodes"]:
            tr = page.locator(f'#closures tr[data-episode="{e["id"]}"]')
            shown = tr.locator("td").evaluate_all(
                "ns => ns.map((n) => ({day: n.dataset.day, late: n.dataset.late, "
                "cls: n.className}))"
            )
            assert [c["day"] for c in shown] == report["start_days"]
            for cell, s in zip(shown, e["starts"], strict=True):
                codes = " ".join(d["district_code"] for d in s["late"])
                assert cell["late"] == codes
                assert cell["cls"] == ("late" if s["late"] or s.get("error") else "on-time")
        assert page.locator("#closures-box h3").inner_text() == text["id"]["closuresTitle"]
        seen = page.evaluate(READ_PAGE)
        assert not leaks(seen, text, events, names)
        page.locator("#sailings").scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "dashboard-echelons.png"), full_page=True)

        page.click('#lang button[data-lang="en"]')
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        assert page.locator("#sailings-box h2").inner_text() == "Scheduled sailings"
        assert f"{LATE_H} h late" in row.locator("td").nth(4).inner_text()
        assert re.search(r"^Departed", row.locator("td").nth(4).inner_text())
        assert "Hub " in diamond.locator("title").text_content()
        assert page.locator("#closures-box h3").inner_text() == text["en"]["closuresTitle"]
        assert page.locator("#closures-start").inner_text() == "Replay closures on record"
        seen = page.evaluate(READ_PAGE)
        assert seen["lang"] == "en"
        assert not leaks(seen, text, events, names)
        browser.close()
    assert not errors, errors
