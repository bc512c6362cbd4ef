"""The dashboard in a real browser: Debian's chromium, driven by Playwright, against the app."""

from __future__ import annotations

import json
import os
import shutil
import time

import httpx
import pytest

from app import localserver
from tests.conftest import DATA, ROOT, assert_valid_plan

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
POLL_MS = 1500


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("dashboard")
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=f"sqlite:///{tmp}/dash.db",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )
    keys = localserver.create_keys(env)
    with localserver.serving(env) as base:
        plan = localserver.completed_plan(base, keys)
        assert_valid_plan(plan["result"])
        yield base, keys, plan


def test_dashboard_draws_the_plan_and_follows_events(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    islands = httpx.get(f"{base}/islands", headers={"X-API-Key": keys["viewer"]}).json()["features"]
    geo = httpx.get(
        f"{base}/plans/{plan['id']}/geojson", headers={"X-API-Key": keys["viewer"]}
    ).json()
    n_legs = sum(1 for f in geo["features"] if f["properties"]["kind"] == "leg")
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.add_init_script(f"localStorage.setItem('ballotKey', {json.dumps(keys['viewer'])})")
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("#districts tbody tr", timeout=30_000)
        assert page.locator("path.island").count() == len(islands)
        assert page.locator("path.leg").count() == n_legs

        voyage = plan["result"]["voyages"][0]
        i = next(k for k, s in enumerate(voyage["stops"]) if s["kind"] == "landing")
        stop = voyage["stops"][i]
        key = f"{voyage['vessel_id']}/{i}"
        district = stop["manifest"][0]["village_code"][:8]
        circle = page.locator(f'circle[data-key="{key}"]')
        row = page.locator(f'#districts tr[data-district="{district}"] td.tps')
        before_class, before_count = circle.get_attribute("class"), row.inner_text()
        assert "delivered" not in before_class
        field = {"X-API-Key": keys["field"]}
        for body in (
            {"type": "arrived"},
            {
                "type": "handed_over",
                "boxes": stop["ballot_boxes"],
                "condition": "good",
                "receiver": "PPS",
            },
        ):
            r = httpx.post(
                f"{base}/plans/{plan['id']}/events",
                json={"vessel_id": voyage["vessel_id"], "stop": i, "at": stop["arrival"], **body},
                headers=field,
            )
            assert r.status_code == 201, r.text
        t0 = time.monotonic()
        page.wait_for_function(
            f"document.querySelector('circle[data-key=\"{key}\"]').getAttribute('class').includes('delivered')",
            timeout=2 * POLL_MS + 1000,
        )
        waited = time.monotonic() - t0
        assert row.inner_text() != before_count
        assert waited <= 2 * POLL_MS / 1000 + 1
        page.click("#lang")
        assert page.locator("#districts th").first.inner_text() == "District"
        page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)
        browser.close()
    assert not errors, errors


def test_dashboard_shows_closed_sea_areas_and_weather_holds(server) -> None:
    import tomllib

    from playwright.sync_api import sync_playwright

    from routing.export import jsonable

    base, keys, _ = server
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = jsonable(tomllib.load(fh))
    # 3 m waves in the strait off Kalianget for the first 12 hours: only the landing ship sails.
    raw["forecast"] = [
        {
            "area": "madura_strait_east",
            "from": raw["planning_start"],
            "until": "2024-02-05T18:00:00+07:00",
            "wave_m": 3.0,
        }
    ]
    r = httpx.post(
        f"{base}/plans",
        json={"scenario": raw, "iterations": 300, "seed": 1, "wait": 30},
        headers={"X-API-Key": keys["planner"]},
        timeout=90,
    )
    assert r.status_code == 200, r.text
    plan = r.json()
    holds = plan["result"]["weather"]["holds"]
    assert holds and all("Selat Madura" in h["reason"] for h in holds)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.add_init_script(f"localStorage.setItem('ballotKey', {json.dumps(keys['viewer'])})")
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("rect.bar-weather_hold", timeout=30_000)
        area = page.locator('path.area-closed[data-area="madura_strait_east"]')
        assert area.count() == 1
        assert "3 m" in area.locator("title").text_content()
        assert page.locator("rect.bar-weather_hold").count() == len(holds)
        page.screenshot(path=str(OUTPUT / "dashboard-weather.png"), full_page=True)
        browser.close()
    assert not errors, errors
