"""The dashboard's robust plan (a plan asked with a target chance on time): each district's
chance against the target, what the search reached and what would reach the target for one
below it, and every candidate tried on the same seas with the chosen one marked; in both
languages. Debian's chromium, driven by Playwright, against the app on a real server."""

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
    tmp = tmp_path_factory.mktemp("dashboard-robust")
    env = server_env(tmp, network_cache)
    keys = localserver.create_keys(env)
    with (DATA / "scenarios" / "pemilu2024.toml").open("rb") as fh:
        raw = jsonable(tomllib.load(fh))
    body = {
        "scenario": {**raw, "name": "small", "villages": VILLAGES},
        "iterations": 60,
        "seed": 1,
        "target_on_time": 0.99,  # out of reach: districts below it are explained
        "risk_runs": 50,
    }
    with localserver.serving(env) as base:
        r = httpx.post(f"{base}/plans", json=body, headers={"X-API-Key": keys["planner"]})
        assert r.status_code == 202, r.text
        url = f"{base}{r.headers['location']}"
        end = time.monotonic() + 600
        while time.monotonic() < end:
            plan = httpx.get(url, headers={"X-API-Key": keys["viewer"]}, timeout=60).json()
            if plan["phase"] not in ("queued", "building_matrix", "solving"):
                break
            time.sleep(0.5)
        assert plan["phase"] in ("completed", "infeasible"), plan
        yield base, keys, plan


def _pct(x: float, lang: str) -> str:
    """A share as the page writes it: one decimal at most, comma or point for the language."""
    s = f"{x * 100:.1f}".rstrip("0").rstrip(".")
    return (s.replace(".", ",") if lang == "id" else s) + " %"


def test_the_robust_plan_shows_each_districts_chance_and_the_candidates(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    robust = plan["result"]["robust"]
    viewer = {"X-API-Key": keys["viewer"]}
    names = names_shown(base, viewer, plan)
    names += [x for kv in robust["vessel_names"].items() for x in kv]
    # The search went past the plan as it stands, and left districts to explain.
    assert len(robust["candidates"]) > 1 and robust["below_target"], robust
    events = event_types(base, viewer)
    below = {b["district_code"]: b for b in robust["below_target"]}
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["viewer"])
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("#robust-box:not([hidden])", timeout=30_000)
        text = page.evaluate("TEXT")
        for lang in ("id", "en"):
            if lang == "en":
                page.click('#lang button[data-lang="en"]')
                page.wait_for_function("() => document.documentElement.lang === 'en'")
            words = text[lang]
            assert page.locator("#robust-box h2").inner_text() == words["robustTitle"]
            state_line = page.locator("#robust-state").inner_text()
            assert _pct(robust["target_on_time"], lang) in state_line, state_line
            assert words[f"climate_{robust['climate']}"] in state_line, state_line
            # The chances are the check's, on other runs than the search's, and it says both.
            for runs in (robust["runs"], robust["check_runs"]):
                assert f"{runs:,}".replace(",", "." if lang == "id" else ",") in state_line
            # A row per district, at its chance; one below the target says the best reached.
            rows = page.locator("#robust-districts tbody tr")
            assert rows.count() == len(robust["districts"])
            for d in robust["districts"]:
                row = page.locator(f'#robust-districts tr[data-district="{d["district_code"]}"]')
                cells = row.locator("td")
                assert cells.nth(1).inner_text() == _pct(d["on_time"], lang)
                assert cells.nth(2).inner_text() == _pct(d["searched"], lang)
                what = cells.nth(4).inner_text()
                b = below.get(d["district_code"])
                if b is None:
                    assert what == words["robustMet"]
                    assert row.get_attribute("class") == "robust-met"
                else:
                    assert row.get_attribute("class") == "robust-below"
                    assert _pct(b["best_on_time"], lang) in what, what
                    # It names the candidates that reach the target, or says none does.
                    for x in b["would_reach"]:
                        assert f"{words['robustCandidate'].split(' ')[0]} {x['candidate']}" in what
                    if not b["would_reach"]:
                        near = b["best_on_time"] >= robust["target_on_time"]
                        none = words["robustNoMargin" if near else "robustNoReach"]
                        assert none.split("{")[0] in what, what
            # Every candidate, what its lever changed in the language, the chosen one marked.
            tried = page.locator("#robust-candidates tbody tr")
            assert tried.count() == len(robust["candidates"])
            for i, c in enumerate(robust["candidates"]):
                cells = tried.nth(i).locator("td")
                how = cells.nth(1).inner_text()
                assert cells.nth(1).get_attribute("data-lever") == c["lever"]
                if c["lever"] == "plan":
                    assert how == words["robust_as_is"]
                if "round" in c["detail"]:
                    buffers = words["robust_buffers"].replace("{round}", str(c["detail"]["round"]))
                    assert buffers in how, how
                if c["detail"].get("earlier_days"):
                    shift = words["robust_start"].split("{k}")[1].split("(")[0].strip()
                    assert f"{c['detail']['earlier_days']} {shift}" in how, how
                assert cells.nth(6).inner_text() == words["yes" if c["meets_target"] else "no"]
                checked = cells.nth(7).inner_text()
                if c.get("check") is None:
                    assert checked == "—"
                else:
                    assert _pct(c["check"]["least_on_time"], lang) in checked, checked
                    assert words["yes" if c["check"]["meets_target"] else "no"] in checked
            chosen = page.locator("#robust-candidates tr.robust-chosen")
            assert chosen.get_attribute("data-candidate") == str(robust["chosen"])
            assert f"({words['capChosen']})" in chosen.locator("td").first.inner_text()
            seen = page.evaluate(READ_PAGE)
            assert seen["lang"] == lang
            assert not leaks(seen, text, events, names)
            if lang == "id":
                page.locator("#robust-box").scroll_into_view_if_needed()
                page.screenshot(path=str(OUTPUT / "dashboard-robust.png"), full_page=True)
        browser.close()
    assert not errors, errors


def test_the_robust_box_fits_a_phone_in_either_language(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = dashboard_page(browser, keys["viewer"], viewport=PHONE)
        page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.wait_for_selector("#robust-box:not([hidden])", timeout=30_000)
        for lang in ("id", "en"):
            if lang == "en":
                page.click('#lang button[data-lang="en"]')
                page.wait_for_function("() => document.documentElement.lang === 'en'")
            page.locator("#robust-box").scroll_into_view_if_needed()
            fits_a_phone(page, "#robust-box")
            fits_a_phone(page, "#robust-districts")
            fits_a_phone(page, "#robust-candidates")
            page.screenshot(path=str(OUTPUT / f"dashboard-robust-390-{lang}.png"), full_page=True)
        browser.close()
    assert not errors, errors
