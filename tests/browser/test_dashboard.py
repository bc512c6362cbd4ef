"""The dashboard in a real browser: Debian's chromium, driven by Playwright, against the app."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from testkit import localserver
from tests.browser.common import (
    DATE_WORDS,
    MONTHS_APART,
    OUTPUT,
    POLL_MS,
    READ_PAGE,
    dashboard_page,
    event_types,
    fold,
    hand_over,
    launch,
    leaks,
    names_shown,
    server_env,
    set_clock,
)
from tests.conftest import DATA, all_dispatched, assert_valid_plan, dispatched_2024


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("dashboard")
    env = server_env(tmp, network_cache)
    keys = localserver.create_keys(env)
    with localserver.serving(env) as base:
        # every vessel dispatched: the villages are handed over by vessels the pages draw
        plan = localserver.completed_plan(base, keys, scenario=dispatched_2024())
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
        browser = launch(pw, "--disable-quic", "--disable-component-update", "--disable-sync")
        page, errors = dashboard_page(browser, keys["viewer"])
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
        # The crew's key, bound to its vessel and named after its holder.
        issued = httpx.post(
            f"{base}/keys",
            json={"role": "field", "name": "Budi Santoso", "vessel_id": voyage["vessel_id"]},
            headers={"X-API-Key": keys["planner"]},
        )
        assert issued.status_code == 201, issued.text
        assert hand_over(base, issued.json()["key"], plan["id"], voyage, i) == key
        t0 = time.monotonic()
        page.wait_for_function(
            f"() => document.querySelector('circle[data-key=\"{key}\"]')"
            ".getAttribute('class').includes('delivered')",
            timeout=2 * POLL_MS + 1000,
        )
        waited = time.monotonic() - t0
        assert row.inner_text() != before_count
        assert waited <= 2 * POLL_MS / 1000 + 1
        # Who received the kits, who recorded it, when it happened and reached the service.
        handover = page.locator(f'#handovers tr[data-key="{key}"]')
        handover.wait_for(timeout=5_000)
        cells = handover.locator("td").all_inner_texts()
        assert stop["name"] in cells[0] and cells[1:3] == ["PPS", "Budi Santoso"], cells
        assert cells[3].endswith("WIB") and cells[4].endswith("WIB"), cells
        circle.dispatch_event("mouseenter")
        tip = page.locator("#tip").inner_text()
        for label in ("receiver", "recordedBy", "happened", "reached"):
            assert page.evaluate(f"TEXT.id.{label}") in tip, (label, tip)
        assert "Budi Santoso" in tip and "PPS" in tip
        page.click('#lang button[data-lang="en"]')
        assert page.locator("#districts th").first.inner_text() == "District"
        page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)
        browser.close()
    assert not errors, errors


def test_dashboard_shows_closed_sea_areas_and_weather_holds(server) -> None:
    import tomllib

    from playwright.sync_api import sync_playwright

    from routing.outputs.export import jsonable

    base, keys, _ = server
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = all_dispatched(jsonable(tomllib.load(fh)))
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
        browser = launch(pw)
        page = set_clock(browser.new_page(viewport={"width": 1500, "height": 1100}))
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


# --- a planner reads the dashboard without help -------------------------------------------------

# The larger islands (and island districts) a planner looks for first: named at the default zoom.
LARGER_ISLANDS = ("Kangean", "Sapudi", "Ra'as", "Masalembu", "Sapeken")


def _settle(page) -> None:
    """Wait for the map's labels and scale to follow the last pan or zoom (one animation frame)."""
    page.evaluate(
        "() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))"
    )


def _map_labels(page) -> list[dict]:
    """The map's labels on show, with where they are on the screen."""
    return page.evaluate(
        """() => [...document.querySelectorAll("#labels text")]
          .filter((n) => getComputedStyle(n).display !== "none")
          .map((n) => { const r = n.getBoundingClientRect();
                        return {text: n.textContent, x: r.x, y: r.y, w: r.width, h: r.height}; })"""
    )


def _on_map(page, label: dict) -> bool:
    box = page.locator("#map").bounding_box()
    return (
        box["x"] <= label["x"]
        and label["x"] + label["w"] <= box["x"] + box["width"]
        and box["y"] <= label["y"]
        and label["y"] + label["h"] <= box["y"] + box["height"]
    )


def test_dashboard_reads_in_either_language_with_names_legend_and_scale(server) -> None:
    """Indonesian first, a complete English switch, names beside codes, a legend of the vessels'
    colours, the larger islands named at the default zoom, pan and zoom with a scale bar, and
    capacity plans and re-plans marked as such in the picker."""
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    viewer, planner = {"X-API-Key": keys["viewer"]}, {"X-API-Key": keys["planner"]}
    small = {"scenario": dispatched_2024(), "iterations": 100, "seed": 1, "wait": 30}
    capacity = httpx.post(f"{base}/capacity-plans", json=small, headers=planner, timeout=90).json()
    replan = httpx.post(
        f"{base}/plans/{plan['id']}/replan",
        json={"iterations": 100, "seed": 1, "wait": 30},
        headers=planner,
        timeout=90,
    ).json()
    assert capacity["kind"] == "capacity" and replan["kind"] == "replan", (capacity, replan)
    names = names_shown(base, viewer, plan)
    events = event_types(base, viewer)
    doc = plan["result"]
    voyage = doc["voyages"][0]
    geo = httpx.get(f"{base}/plans/{plan['id']}/geojson", headers=viewer).json()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["viewer"])
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("#voyages tbody tr", timeout=30_000)
        _settle(page)
        text = page.evaluate("TEXT")

        # The larger islands are named on the map at the default zoom, inside its frame.
        labels = _map_labels(page)
        for island in LARGER_ISLANDS:
            hits = [lb for lb in labels if fold(island) in fold(lb["text"])]
            assert hits and all(_on_map(page, lb) for lb in hits), (island, labels)

        # Vessels by name: the legend (a swatch in the leg's colour), the board and the timeline.
        legend = page.locator("#vessel-legend .vessel-item")
        assert legend.count() == len(doc["voyages"])
        for i, v in enumerate(doc["voyages"]):
            item = legend.nth(i)
            assert v["vessel_name"] in item.inner_text()
            colour = item.locator(".line-swatch").evaluate(
                "n => getComputedStyle(n).backgroundColor"
            )
            leg = page.locator(f'path.leg[data-vessel="{v["vessel_id"]}"]').first
            assert leg.evaluate("n => getComputedStyle(n).stroke") == colour
            assert (
                v["vessel_name"]
                in page.locator(f'#voyages tr[data-vessel="{v["vessel_id"]}"]').inner_text()
            )
            assert v["vessel_name"] in page.locator("#timeline").text_content()
        # The board reads the live status's names: where each vessel is, each district.
        status = httpx.get(f"{base}/plans/{plan['id']}/status", headers=viewer).json()
        for v in status["voyages"]:
            row = page.locator(f'#voyages tr[data-vessel="{v["vessel_id"]}"]').inner_text()
            where = v["current_place_name"] or text["id"]["state_finished"]
            assert v["vessel_name"] in row and where in row and v["vessel_id"] not in row, row
        for d in status["districts"]:
            row = page.locator(f'#districts tr[data-district="{d["district_code"]}"]').inner_text()
            assert d["district_name"] in row and d["district_code"] in row, row

        # Tooltips carry names beside codes: a leg, an island, a landing's manifest.
        leg = next(f["properties"] for f in geo["features"] if f["properties"]["kind"] == "leg")
        title = page.locator(
            f'path.leg[data-vessel="{leg["vessel_id"]}"][data-leg="{leg["leg"]}"] title'
        )
        tip = title.text_content()
        assert all(
            leg[k] in tip for k in ("vessel_name", "vessel_id", "from_name", "to_name", "to")
        )
        kangean = page.locator("path.island title", has_text="Kangean").first.text_content()
        assert re.search(r"Pulau Kangean \(35\.29\.\d+\)", kangean), kangean
        i = next(k for k, s in enumerate(voyage["stops"]) if s["kind"] == "landing")
        stop = voyage["stops"][i]
        # Stops close together overlap on the map: this one's own tooltip, whichever is on top.
        circle = page.locator(f'circle[data-key="{voyage["vessel_id"]}/{i}"]')
        circle.dispatch_event("mouseenter")
        shown = page.locator("#tip").inner_text()
        m = stop["manifest"][0]
        for x in (voyage["vessel_name"], stop["name"], m["village_name"], m["village_code"]):
            assert x in shown, (x, shown)
        assert (
            m["district_name"] in shown
            and text["id"]["boxes"].replace("{n}", str(m["ballot_boxes"])) in shown
        )

        # Dates do not wrap; the picker marks capacity plans and re-plans.
        for cell in page.locator("#districts td.time").all()[:3]:
            assert cell.evaluate("n => getComputedStyle(n).whiteSpace") == "nowrap"
            assert cell.inner_text().endswith("WIB") and "\n" not in cell.inner_text()
        option = page.locator(f'#plans option[value="{capacity["id"]}"]')
        assert option.get_attribute("data-kind") == "capacity"
        assert text["id"]["kind_capacity"] in option.text_content()
        option = page.locator(f'#plans option[value="{replan["id"]}"]')
        assert option.get_attribute("data-kind") == "replan"
        assert text["id"]["replanOf"].replace("{id}", plan["id"][:8]) in option.text_content()
        # Every control has a label people see.
        for control in ("key", "plans", "scenarios", "seconds"):
            assert page.locator(f'label[for="{control}"]').inner_text().strip()
        assert page.locator("#lang-label").inner_text().strip()

        # Indonesian first: nothing of English, state words included; then English alone.
        for lang in ("id", "en"):
            if lang == "en":
                page.click('#lang button[data-lang="en"]')
                circle.dispatch_event("mouseenter")
                _settle(page)
            seen = page.evaluate(READ_PAGE)
            assert seen["lang"] == lang
            found = leaks(seen, text, events, names)
            assert not found, (lang, found)
            own = text[lang]
            for key in (
                "district",
                "vessels",
                "landings",
                "timeline",
                "state_planned",
                "nmi",
                "phase_completed",
            ):
                assert own[key] in seen["body"] + "\n".join(seen["options"]), (lang, key)
            assert own["boxes"].replace("{n}", str(m["ballot_boxes"])) in seen["body"]
            page.screenshot(path=str(OUTPUT / f"dashboard-{lang}.png"), full_page=True)

        # The capacity plan, once picked, says what it is beside the picker.
        page.select_option("#plans", capacity["id"])
        page.wait_for_selector("#plan-kind:not([hidden])")
        assert page.locator("#plan-kind").inner_text() == text["en"]["kind_capacity"]

        # Pan and zoom: buttons, wheel and drag move the viewBox; the scale bar follows the zoom
        # and smaller islands get their names as one zooms in.
        def view() -> list[float]:
            return [float(x) for x in page.locator("#map").get_attribute("viewBox").split()]

        home, scale, n_labels = (
            view(),
            page.locator("#scale-km-label").inner_text(),
            len(_map_labels(page)),
        )
        for _ in range(3):
            page.click("#zoom-in")
        _settle(page)
        zoomed = view()
        assert zoomed[2] == pytest.approx(home[2] / 1.5**3, rel=1e-3)
        assert page.locator("#scale-km-label").inner_text() != scale
        assert len(_map_labels(page)) > n_labels
        box = page.locator("#map").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(
            box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40, steps=5
        )
        page.mouse.up()
        dragged = view()
        assert dragged[0] < zoomed[0] and dragged[1] < zoomed[1] and dragged[2] == zoomed[2]
        page.mouse.wheel(0, 400)
        _settle(page)
        assert view()[2] > dragged[2]
        page.click("#zoom-reset")
        _settle(page)
        assert view() == pytest.approx(home)
        for button, key in (
            ("zoom-in", "zoomIn"),
            ("zoom-out", "zoomOut"),
            ("zoom-reset", "zoomReset"),
        ):
            assert page.locator(f"#{button}").get_attribute("aria-label") == text["en"][key]
        browser.close()
    assert not errors, errors


def test_every_date_on_the_dashboard_follows_the_language_in_every_month(server) -> None:
    """In each month whose short name differs between the languages (Mei/May, Agu/Aug, Okt/Oct,
    Des/Dec), the dates the board shows (when the server was last heard from, the stops' times)
    are written in the language chosen, and redrawn when it changes."""
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    viewer = {"X-API-Key": keys["viewer"]}
    names, events = names_shown(base, viewer, plan), event_types(base, viewer)
    with sync_playwright() as pw:
        browser = launch(pw)
        for month, at in MONTHS_APART.items():
            page, errors = dashboard_page(browser, keys["viewer"], at=at)
            page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            page.wait_for_selector("#voyages tbody tr", timeout=30_000)
            text = page.evaluate("TEXT")
            for lang, name in zip(("id", "en"), month.split("/"), strict=True):
                if lang == "en":
                    page.click('#lang button[data-lang="en"]')
                heard = page.locator("#heard").inner_text()
                assert re.search(rf"\b{name}\b", heard), (month, lang, heard)
                seen = page.evaluate(READ_PAGE)
                found = leaks(seen, text, events, names)
                other = DATE_WORDS["en" if lang == "id" else "id"]
                assert not [w for w in found if w in other], (month, lang, found)
            assert not errors, (month, errors)
            page.close()
        browser.close()


def test_dashboard_without_a_key_asks_for_one_and_sends_nothing_that_fails(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, _ = server
    with sync_playwright() as pw:
        browser = launch(pw)
        page = set_clock(browser.new_page(viewport={"width": 1500, "height": 1100}))
        errors: list[str] = []
        failed: list[str] = []
        asked: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )
        page.on("requestfailed", lambda r: failed.append(f"{r.failure} {r.url}"))
        page.on("request", lambda r: asked.append(r.url))
        page.goto(f"{base}/dashboard?poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_timeout(2 * POLL_MS)  # a poll would have gone out by now
        prompt = page.locator("#key-prompt")
        assert prompt.is_visible()
        assert prompt.inner_text() == page.evaluate("TEXT.id.keyNeeded")
        assert page.evaluate("document.activeElement.id") == "key"
        paths = {httpx.URL(u).path for u in asked if u.startswith("http")}
        assert all(p == "/dashboard" or p.startswith("/static/") for p in paths), paths
        page.screenshot(path=str(OUTPUT / "dashboard-no-key.png"), full_page=True)

        # The key typed in: the page opens with it and reads the plans.
        page.fill("#key", keys["viewer"])
        page.press("#key", "Enter")
        page.wait_for_selector("path.island", timeout=30_000)
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        assert not prompt.is_visible()
        browser.close()
    assert not failed, failed
    assert not errors, errors
