"""The dashboard follows a plan's status by its stream (SSE, read with fetch since EventSource
cannot send the X-API-Key header) and by polling /status when the stream fails; Debian's
chromium, driven by Playwright, against the app on a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from testkit import localserver
from tests.browser.common import OUTPUT, POLL_MS, dashboard_page, hand_over, launch, server_env

RETRY_MS = 2000  # the dashboard tries a failed stream again after this long


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("dashboard-stream")
    env = server_env(tmp, network_cache)
    keys = localserver.create_keys(env)
    with localserver.serving(env) as base:
        yield base, keys, localserver.completed_plan(base, keys)


def _landings(plan: dict, n: int) -> list[tuple[dict, int]]:
    """``n`` landings, each of its own vessel where the plan has enough vessels (so that the
    tests do not depend on one another's events), else later landings of the first vessel."""
    voyages = plan["result"]["voyages"]
    first = [
        (v, next(i for i, s in enumerate(v["stops"]) if s["kind"] == "landing")) for v in voyages
    ]
    if len(first) >= n:
        return first[:n]
    v = voyages[0]
    return [(v, i) for i, s in enumerate(v["stops"]) if s["kind"] == "landing"][:n]


def _delivered(page: Any, key: str, timeout: float) -> None:
    page.wait_for_function(
        f"() => document.querySelector('circle[data-key=\"{key}\"]').getAttribute('class')"
        ".includes('delivered')",
        timeout=timeout,
    )


def _open(pw: Any, keys: dict[str, str], asked: list[str]) -> tuple[Any, Any]:
    """Chromium with the viewer's key stored, noting the path of every request the page makes."""
    browser = launch(pw)
    page, _ = dashboard_page(browser, keys["viewer"])
    page.on("request", lambda r: asked.append(httpx.URL(r.url).path))
    return browser, page


def _goto(page: Any, base: str, plan: dict) -> None:
    page.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}&stream_retry_ms={RETRY_MS}")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.wait_for_selector("#districts tbody tr", timeout=30_000)


def test_dashboard_follows_the_stream_without_polling(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    (voyage, i), _ = _landings(plan, 2)
    status = f"/plans/{plan['id']}/status"
    asked: list[str] = []
    with sync_playwright() as pw:
        browser, page = _open(pw, keys, asked)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        _goto(page, base, plan)
        path = page.locator("#path")
        page.wait_for_selector('#path[data-path="stream"]', timeout=10_000)
        text = page.evaluate("TEXT")
        assert path.inner_text() == text["id"]["live"]
        assert f"{status}/stream" in asked

        asked.clear()
        key = hand_over(base, keys["field"], plan["id"], voyage, i)
        _delivered(page, key, timeout=5_000)
        page.wait_for_selector(f'#handovers tr[data-key="{key}"]', timeout=5_000)
        page.wait_for_timeout(2 * POLL_MS)  # a poll would have gone out by now
        assert status not in asked, asked  # the change came by the stream alone
        assert f"/plans/{plan['id']}/events" in asked  # read again because the status moved
        assert path.get_attribute("data-path") == "stream"

        page.click('#lang button[data-lang="en"]')
        assert path.inner_text() == text["en"]["live"]
        assert path.get_attribute("title") == text["en"]["liveNote"]
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "dashboard-stream.png"))
        browser.close()
    assert not errors, errors


def test_dashboard_polls_when_the_stream_fails_and_returns_to_it(server) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    _, (voyage, i) = _landings(plan, 2)
    status = f"/plans/{plan['id']}/status"
    stream = f"{status}/stream"
    asked: list[str] = []
    with sync_playwright() as pw:
        browser, page = _open(pw, keys, asked)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # A network error on the stream (a proxy that drops it, say).
        page.route("**/status/stream*", lambda route: route.abort())
        _goto(page, base, plan)
        path = page.locator("#path")
        page.wait_for_selector('#path[data-path="poll"]', timeout=10_000)
        text = page.evaluate("TEXT")
        seconds = page.evaluate(f"num({POLL_MS / 1000})")
        assert path.inner_text() == text["id"]["polling"].replace("{s}", seconds)

        asked.clear()
        key = hand_over(base, keys["field"], plan["id"], voyage, i)
        _delivered(page, key, timeout=2 * POLL_MS + 1000)
        assert status in asked, asked  # by polling
        assert path.get_attribute("data-path") == "poll"

        # The stream refused (503): still polling, and the stream is tried again now and then.
        page.unroute("**/status/stream*")
        page.route(
            "**/status/stream*",
            lambda route: route.fulfill(
                status=503, content_type="application/problem+json", body="{}"
            ),
        )
        asked.clear()
        page.wait_for_timeout(RETRY_MS + POLL_MS)
        assert stream in asked and status in asked, asked
        assert path.get_attribute("data-path") == "poll"
        page.click('#lang button[data-lang="en"]')
        seconds = page.evaluate(f"num({POLL_MS / 1000})")
        assert path.inner_text() == text["en"]["polling"].replace("{s}", seconds)

        # The stream is back: the dashboard takes it up again and stops polling.
        page.unroute("**/status/stream*")
        page.wait_for_selector('#path[data-path="stream"]', timeout=RETRY_MS + 5_000)
        assert path.inner_text() == text["en"]["live"]
        page.wait_for_timeout(500)  # a poll already on its way may still land
        asked.clear()
        page.wait_for_timeout(2 * POLL_MS)
        assert status not in asked, asked
        browser.close()
    assert not errors, errors


def test_a_revoked_key_ends_the_stream_and_the_board_asks_for_a_key(server) -> None:
    """Issue 26, finding 1: the board's key is revoked while it follows the stream; the stream
    ends, the poll that takes over is refused, and the board says the key was refused and asks
    for one."""
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    planner = {"X-API-Key": keys["planner"]}
    made = httpx.post(
        f"{base}/keys", json={"role": "viewer", "name": "wall board"}, headers=planner
    )
    assert made.status_code == 201, made.text
    with sync_playwright() as pw:
        browser = launch(pw)
        page, _ = dashboard_page(browser, made.json()["key"])
        _goto(page, base, plan)
        page.wait_for_selector('#path[data-path="stream"]', timeout=10_000)
        assert page.locator("#key-prompt").is_hidden()
        gone = httpx.delete(f"{base}/keys/{made.json()['id']}", headers=planner)
        assert gone.status_code == 200, gone.text
        page.wait_for_selector("#key-prompt", state="visible", timeout=30_000)
        text = page.evaluate("TEXT")
        assert page.locator("#key-prompt").inner_text() == text["id"]["keyRefused"]
        assert page.evaluate("document.activeElement.id") == "key"
        browser.close()
