"""The dashboard's capacity under risk (a capacity plan asked with a target chance on time): the
chart of the chance that every district is on time against the start day, a line per fleet,
the target and the latest safe start; and each district's latest safe start; in both languages.
Debian's chromium, driven by Playwright, against the app on a real server."""

from __future__ import annotations

import time
import tomllib

import httpx
import pytest

from routing.outputs.export import jsonable
from testkit import localserver
from tests.browser.common import (
    OUTPUT,
    PHONE,
    POLL_MS,
    READ_PAGE,
    dashboard_page,
    event_types,
    fits_a_phone,
    launch,
    leaks,
    names_shown,
    server_env,
)
from tests.conftest import DATA

VILLAGES = ["35.29.23.2001", "35.29.25.2001"]  # Masalembu (a sailing) and Sapeken (dispatched)


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("dashboard-capacity")
    env = server_env(tmp, network_cache)
    keys = localserver.create_keys(env)
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = jsonable(tomllib.load(fh))
    body = {
        "scenario": {**raw, "name": "small", "villages": VILLAGES},
        "iterations": 60,
        "seed": 1,
        "target_on_time": 0.9,
        "risk_runs": 50,
        "days_before": [11, 8],
    }
    with localserver.serving(env) as base:
        r = httpx.post(f"{base}/capacity-plans", json=body, headers={"X-API-Key": keys["planner"]})
        assert r.status_code == 202, r.text
        url = f"{base}{r.headers['location']}"
        end = time.monotonic() + 600
        while time.monotonic() < end:
            plan = httpx.get(url, headers={"X-API-Key": keys["viewer"]}, timeout=60).json()
            if plan["phase"] not in ("queued", "building_matrix", "solving"):
                break
            time.sleep(0.5)
        assert plan["phase"] == "completed", plan
        yield base, keys, plan


def test_the_capacity_chart_and_latest_safe_starts_show_in_either_language(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    under = plan["result"]["under_risk"]
    viewer = {"X-API-Key": keys["viewer"]}
    names = names_shown(base, viewer, {**plan, "result": plan["result"]["plan"]})
    # The fleets' vessels, by name and code (codes read the same in both languages).
    names += [v[k] or "" for f in under["fleets"] for v in f["vessels"] for k in v]
    events = event_types(base, viewer)
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["viewer"])
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("#capacity-box:not([hidden])", timeout=30_000)
        text = page.evaluate("TEXT")
        # A point per fleet and start day that was planned, at its chance.
        points = page.locator("#capacity-chart circle.cap-point").evaluate_all(
            "ns => ns.map((n) => [n.dataset.fleet, Number(n.dataset.days), "
            "Number(n.dataset.chance)])"
        )
        expected = [
            [c["fleet"], c["days_before"], c["every_district_on_time"]]
            for f in under["fleets"]
            for c in under["table"]
            if c["fleet"] == f["id"] and c.get("every_district_on_time") is not None
        ]
        assert points == expected
        assert page.locator("#capacity-chart polyline.cap-line").count() == len(under["fleets"])
        assert page.locator("#capacity-chart line.cap-target").count() == 1
        safe = page.locator("#capacity-chart line.cap-safe")
        if under["latest_safe_days_before"] is None:
            assert safe.count() == 0
        else:
            assert safe.get_attribute("data-days") == str(under["latest_safe_days_before"])
        ticks = page.locator("#capacity-chart text.cap-tick").all_text_contents()
        assert [f"H-{k}" for k in under["days_before"]] == [x for x in ticks if x.startswith("H-")]
        rows = page.locator("#capacity-districts tbody tr")
        assert rows.count() == len(under["districts"])
        for d in under["districts"]:
            cells = page.locator(f'#capacity-districts tr[data-district="{d["district_code"]}"] td')
            shown = cells.nth(1).inner_text()
            k = d["latest_safe_days_before"]
            assert shown.startswith(f"H-{k} (") if k else shown == text["id"]["capNone"], shown
        assert page.locator("#capacity-box h2").inner_text() == text["id"]["capTitle"]
        state_line = page.locator("#capacity-state").inner_text()
        assert "simulasi per titik" in state_line
        # The safe days are checked on other runs, and the chance shown is the check's.
        assert f"diperiksa pada {under['check_runs']:,}".replace(",", ".") in state_line
        for d in under["districts"]:
            if d["latest_safe_days_before"] is not None:
                cells = page.locator(
                    f'#capacity-districts tr[data-district="{d["district_code"]}"] td'
                )
                shown = f"{d['on_time_then'] * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
                assert cells.nth(2).inner_text() == f"{shown} %"
        seen = page.evaluate(READ_PAGE)
        assert not leaks(seen, text, events, names)
        page.locator("#capacity-box").scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "dashboard-capacity.png"), full_page=True)

        page.click('#lang button[data-lang="en"]')
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        assert page.locator("#capacity-box h2").inner_text() == text["en"]["capTitle"]
        state_line = page.locator("#capacity-state").inner_text()
        assert "runs per point" in state_line
        assert f"checked on {under['check_runs']:,} other runs" in state_line
        legend = page.locator("#capacity-legend").inner_text()
        assert "least fleet (calm sea)" in legend and "(chosen)" in legend, legend
        seen = page.evaluate(READ_PAGE)
        assert seen["lang"] == "en"
        assert not leaks(seen, text, events, names)
        browser.close()
    assert not errors, errors


def test_the_capacity_box_fits_a_phone_in_either_language(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["viewer"], viewport=PHONE)
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("#capacity-box:not([hidden])", timeout=30_000)
        for lang in ("id", "en"):
            if lang == "en":
                page.click('#lang button[data-lang="en"]')
                page.wait_for_function("() => document.documentElement.lang === 'en'")
            page.locator("#capacity-box").scroll_into_view_if_needed()
            fits_a_phone(page, "#capacity-box")
            fits_a_phone(page, "#capacity-chart")
            # The chart is drawn for the width it has: its ticks keep a readable size.
            tick = page.locator("#capacity-chart text.cap-tick").first.bounding_box()
            assert tick is not None and tick["height"] >= 9, tick
            fits_a_phone(page, "#capacity-districts")
            page.screenshot(path=str(OUTPUT / f"dashboard-capacity-390-{lang}.png"), full_page=True)
        browser.close()
    assert not errors, errors
