"""The dashboard's risk: per district the chance that the plan holds (from the latest completed
risk run), a button that starts a run and shows its progress, a district's histogram of
completion times against its deadline and the stops most often late, in both languages; Debian's
chromium, driven by Playwright, against the app on a real server. Fixed seeds throughout."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from testkit import localserver
from tests.app.test_live_status import SMALL
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

WAIT_MS = 120_000  # generous: a risk run on a busy machine
RISK_URL = re.compile(r"/risk/[0-9a-f-]+$")  # a risk run, as the page follows it


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("dashboard-risk")
    env = server_env(tmp, network_cache)
    keys = localserver.create_keys(env)
    with localserver.serving(env) as base:
        yield base, keys, localserver.completed_plan(base, keys, iterations=100, scenario=SMALL)


def percent(x: float, lang: str) -> str:
    """A chance as the page writes it: "87,5 %" in Indonesian, "87.5 %" in English."""
    text = f"{x * 100:.1f}".removesuffix(".0")
    return f"{text.replace('.', ',') if lang == 'id' else text} %"


def finished(base: str, key: str, risk_id: str, timeout: float = 120) -> dict:
    """A risk run once completed or failed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = httpx.get(f"{base}/risk/{risk_id}", headers={"X-API-Key": key}).json()
        if run["phase"] in ("completed", "failed"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"risk run {risk_id} did not finish: {run}")


def wait_for_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => { const n = document.querySelector(sel); "
        "return n !== null && n.innerText.trim() === text; }",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


def check_histogram(page: Any, district: dict) -> None:
    """One bar per bin of the report's histogram, its count on it, and every bar (the bins,
    earlier, later, not delivered) as high as its count in proportion."""
    h = district["histogram"]
    bars = page.locator("#risk-chart rect.hist-bar").evaluate_all(
        "ns => ns.map((n) => ({kind: n.dataset.kind, count: Number(n.dataset.count), "
        "from: n.dataset.from, to: n.dataset.to, height: Number(n.getAttribute('height'))}))"
    )
    bins = [b for b in bars if b["kind"] == "bin"]
    assert [b["count"] for b in bins] == h["counts"]
    assert [(int(b["from"]), int(b["to"])) for b in bins] == list(
        zip(h["edges_h"], h["edges_h"][1:], strict=False)
    )
    extra = {b["kind"]: b["count"] for b in bars if b["kind"] != "bin"}
    assert extra == {k: h[k] for k in ("before", "after", "not_delivered")}
    tallest = max(bars, key=lambda b: b["count"])
    k = tallest["height"] / tallest["count"]
    for b in bars:
        assert b["height"] == pytest.approx(b["count"] * k, abs=0.02), (b, k)


def test_the_board_shows_the_chance_on_time_and_a_histogram_in_either_language(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    viewer = {"X-API-Key": keys["viewer"]}
    r = httpx.post(
        f"{base}/plans/{plan['id']}/risk",
        json={"runs": 100, "seed": 0},
        headers={"X-API-Key": keys["planner"]},
    )
    assert r.status_code == 202, r.text
    risk_id = r.json()["id"]
    names = names_shown(base, viewer, plan)
    events = event_types(base, viewer)
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["viewer"])
        # Opened at once: the run may still be going (the page follows it) or done already.
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        run = finished(base, keys["viewer"], risk_id)
        assert run["phase"] == "completed", run
        report = run["result"]
        text = page.evaluate("TEXT")
        (d,) = report["districts"]  # Sapudi's villages: Gayam
        code = d["district_code"]
        row = f'#districts tr[data-district="{code}"]'
        wait_for_text(page, f"{row} button.risk-open", percent(d["on_time"], "id"))
        assert page.locator(f"{row} td.risk-h5").inner_text() == percent(d["by_h5"], "id")
        headers = page.locator("#districts th").all_inner_texts()
        assert headers[-2:] == [text["id"]["onTime"], text["id"]["byH5"]]
        cell = page.locator(f"{row} td.risk-on-time")
        expected_level = (
            "levelLow" if d["on_time"] < 0.5 else "levelMid" if d["on_time"] < 0.8 else None
        )
        level = cell.locator(".risk-level")
        if expected_level:  # a word beside the colour
            assert level.inner_text() == text["id"][expected_level]
        else:
            assert level.count() == 0
        state = page.locator("#risk-state").inner_text()
        assert "100 simulasi" in state and percent(report["every_district_on_time"], "id") in state

        # The district's histogram, below the table.
        page.click(f"{row} button.risk-open")
        page.wait_for_selector("#risk-panel:not([hidden])")
        assert page.locator(f"{row} button.risk-open").get_attribute("aria-expanded") == "true"
        check_histogram(page, d)
        aria = page.locator("#risk-chart").get_attribute("aria-label")
        assert aria.startswith(f"Histogram waktu selesai Kec. {d['district_name']} ({code})")
        n_none = d["histogram"]["not_delivered"]
        for part in (percent(d["on_time"], "id"), "dari 100 simulasi", f"{n_none} tidak terkirim"):
            assert part in aria, (part, aria)
        svg_text = page.locator("#risk-chart text").all_text_contents()
        for key in ("histDeadline", "histX", "histY", "histNone"):
            assert text["id"][key] in svg_text, (key, svg_text)
        # The stops most often late, by vessel and landing name.
        late = page.locator("#late-stops li").all_inner_texts()
        assert len(late) == len(report["late_stops"])
        for shown, s in zip(late, report["late_stops"], strict=True):
            for part in (s["vessel_name"], s["landing_name"], percent(s["late"], "id")):
                assert part in shown, (part, shown)
        seen = page.evaluate(READ_PAGE)
        assert not leaks(seen, text, events, names)
        page.locator("#risk-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "dashboard-risk.png"), full_page=True)

        # English: the column, its heading, the chart and the list follow the switch.
        page.click('#lang button[data-lang="en"]')
        headers = page.locator("#districts th").all_inner_texts()
        assert headers[-2:] == ["Chance on time", "By H-5"]
        wait_for_text(page, f"{row} button.risk-open", percent(d["on_time"], "en"))
        aria = page.locator("#risk-chart").get_attribute("aria-label")
        assert aria.startswith(f"Histogram of completion times, {d['district_name']} district")
        assert "over 100 runs" in aria and f"{n_none} not delivered" in aria, aria
        svg_text = page.locator("#risk-chart text").all_text_contents()
        assert "deadline" in svg_text and "Hours from the deadline" in svg_text, svg_text
        check_histogram(page, d)
        if report["late_stops"]:
            assert "late in" in page.locator("#late-stops li").first.inner_text()
        assert page.locator("#risk-start").inner_text() == "Compute risk"
        seen = page.evaluate(READ_PAGE)
        assert seen["lang"] == "en"
        assert not leaks(seen, text, events, names)

        # A viewer may press the button: the service refuses, and the page says why.
        with page.expect_response(lambda r: r.request.method == "POST") as refused:
            page.click("#risk-start")
        assert refused.value.status == 403
        wait_for_text(page, "#risk-state", "A planner key is needed to compute the risk.")
        page.click('#lang button[data-lang="id"]')
        wait_for_text(page, "#risk-state", text["id"]["riskForbidden"])
        # The board still shows the last completed run; the histogram closes.
        assert page.locator(f"{row} button.risk-open").inner_text() == percent(d["on_time"], "id")
        page.click("#risk-close")
        page.wait_for_selector("#risk-panel", state="hidden")
        browser.close()
    # The refused POST is the only thing the browser reports (as a failed resource).
    assert all("403" in e for e in errors), errors


def test_a_planner_computes_the_risk_with_the_button_and_sees_its_progress(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["planner"])
        # Every state line the page shows, as it shows it.
        page.add_init_script(
            """addEventListener("DOMContentLoaded", () => {
              window.riskStates = [];
              new MutationObserver(() => riskStates.push(
                document.getElementById("risk-state").textContent))
                .observe(document.getElementById("risk-state"),
                         {childList: true, characterData: true, subtree: true});
            });"""
        )
        # Until the test lets go, the run's progress reads 250 done whatever the service says:
        # the page's progress is then seen in both languages without timing anything.
        hold = {"on": True, "polls": 0}

        def progress(route: Any) -> None:
            if not hold["on"]:
                route.continue_()
                return
            hold["polls"] += 1
            body = route.fetch().json()
            body.pop("result", None)
            body.update(phase="running", progress={"runs_done": 250, "runs": 1000})
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("#districts tbody tr", timeout=30_000)
        page.route(RISK_URL, progress)
        with page.expect_response(lambda r: r.request.method == "POST") as started:
            page.click("#risk-start")
        assert started.value.status == 202
        assert started.value.request.post_data_json == {"runs": 1000, "seed": 0}
        risk_id = started.value.json()["id"]
        wait_for_text(page, "#risk-state", "1.000 simulasi: 250 selesai")
        assert page.locator("#risk-start").is_disabled()
        assert page.locator("#risk-progress").get_attribute("aria-labelledby") == "risk-state"
        page.click('#lang button[data-lang="en"]')
        wait_for_text(page, "#risk-state", "250 of 1,000 runs")
        hold["on"] = False

        run = finished(base, keys["viewer"], risk_id)
        assert run["phase"] == "completed", run
        (d,) = run["result"]["districts"]
        row = f'#districts tr[data-district="{d["district_code"]}"]'
        wait_for_text(page, f"{row} button.risk-open", percent(d["on_time"], "en"))
        assert page.locator(f"{row} td.risk-h5").inner_text() == percent(d["by_h5"], "en")
        assert "1,000 runs" in page.locator("#risk-state").inner_text()
        assert page.locator("#risk-start").is_enabled()
        states = page.evaluate("riskStates")
        assert "1.000 simulasi: 250 selesai" in states and "250 of 1,000 runs" in states, states
        assert hold["polls"] >= 1

        # A run that fails says why, in the page's language (the service's words for its own
        # errors); the board keeps the last completed run.
        def failed(route: Any) -> None:
            body = route.fetch().json()
            body.pop("result", None)
            body.update(
                phase="failed",
                errors=[{"code": "internal_error", "path": "", "message": "it failed"}],
            )
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

        page.unroute(RISK_URL)
        page.route(RISK_URL, failed)
        page.click("#risk-start")
        wait_for_text(page, "#risk-state", "The risk computation failed: the simulation failed")
        page.click('#lang button[data-lang="id"]')
        wait_for_text(page, "#risk-state", "Perhitungan risiko gagal: simulasi gagal")
        assert page.locator(f"{row} button.risk-open").inner_text() == percent(d["on_time"], "id")

        # A run cancelled through the API: the board stops following it and says so.
        page.unroute(RISK_URL)
        with page.expect_response(lambda r: r.request.method == "POST") as started:
            page.click("#risk-start")
        assert started.value.status == 202, started.value.text()
        cancelled = httpx.post(
            f"{base}/risk/{started.value.json()['id']}/cancel",
            headers={"X-API-Key": keys["planner"]},
        )
        assert cancelled.status_code in (200, 202), cancelled.text
        wait_for_text(page, "#risk-state", "Perhitungan risiko dibatalkan.")
        assert page.locator("#risk-start").is_enabled()
        browser.close()
    assert not errors, errors
