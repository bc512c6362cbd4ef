"""The dashboard on a phone and on a laptop (issue 25): nothing wider than the screen, every
column of the district table in sight on a 1366 px screen, tables and the timeline that scroll
inside their own boxes on a phone with their first column (the vessels' names) staying, the legend
inside its box, map labels that leave the islands they name in sight, and "+" that zooms towards
the islands."""

from __future__ import annotations

import httpx
import pytest

from testkit import localserver
from tests.browser.common import OUTPUT, POLL_MS, dashboard_page, launch, server_env
from tests.conftest import assert_valid_plan

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
# Half a pixel either way: boxes are measured in fractions of a pixel.
EPS = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("dashboard-layout")
    env = server_env(tmp, network_cache)
    keys = localserver.create_keys(env)
    with localserver.serving(env) as base:
        plan = localserver.completed_plan(base, keys)
        assert_valid_plan(plan["result"])
        yield base, keys, plan


def _open(browser, base: str, key: str, plan_id: str, viewport: dict):
    page, errors = dashboard_page(browser, key, viewport=viewport)
    page.goto(f"{base}/dashboard?plan={plan_id}&poll_ms={POLL_MS}")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.wait_for_selector("#districts tbody tr", timeout=30_000)
    page.wait_for_selector("#voyages tbody tr", timeout=30_000)
    _settle(page)
    return page, errors


def _settle(page) -> None:
    """Wait for the map's labels to follow the last change (two animation frames)."""
    page.evaluate(
        "() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))"
    )


def _rect(page, selector: str) -> dict:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }""",
        selector,
    )


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["left"] >= outer["left"] - EPS
        and inner["right"] <= outer["right"] + EPS
        and inner["top"] >= outer["top"] - EPS
        and inner["bottom"] <= outer["bottom"] + EPS
    )


# Every cell of a table's first column and its header, with the box of the table's scroller.
FIRST_COLUMN = """(id) => {
  const table = document.getElementById(id);
  const box = table.closest(".table-scroll");
  const r = (n) => { const b = n.getBoundingClientRect();
                     return {left: b.left, top: b.top, right: b.right, bottom: b.bottom}; };
  return {
    box: r(box),
    overflowX: getComputedStyle(box).overflowX,
    scrollWidth: box.scrollWidth,
    clientWidth: box.clientWidth,
    cells: [...table.rows].map((row) => r(row.cells[0])),
    lastHeader: r(table.tHead.rows[0].cells[table.tHead.rows[0].cells.length - 1]),
  };
}"""


def _check_tables_on_a_phone(page, viewport: dict) -> None:
    """Each table shown keeps its first column in sight and scrolls sideways inside its own box (the
    district table, 7 columns wide, does scroll), that column staying when scrolled to the end."""
    width = page.evaluate("document.documentElement.clientWidth")
    screen = {"left": 0, "top": -1e9, "right": width, "bottom": 1e9}
    for table in ("districts", "voyages", "handovers"):
        if not page.locator(f"#{table}").is_visible():
            continue
        seen = page.evaluate(FIRST_COLUMN, table)
        assert seen["overflowX"] in ("auto", "scroll"), (table, seen["overflowX"])
        assert _inside(seen["box"], screen), (table, seen["box"], width)
        for cell in seen["cells"]:
            assert _inside(cell, seen["box"]), (table, cell, seen["box"])
        if table == "districts":
            assert seen["scrollWidth"] > seen["clientWidth"], seen
            # Its last column out of sight, to scroll to.
            assert seen["lastHeader"]["right"] > seen["box"]["right"], seen
        # Scrolled to its end: the first column is still there (sticky), the last header in sight.
        page.evaluate(
            "(id) => { const b = document.getElementById(id).closest('.table-scroll');"
            " b.scrollLeft = b.scrollWidth; }",
            table,
        )
        scrolled = page.evaluate(FIRST_COLUMN, table)
        for cell in scrolled["cells"]:
            assert _inside(cell, scrolled["box"]), (table, "scrolled", cell, scrolled["box"])
            assert cell["left"] <= scrolled["box"]["left"] + 2, (table, "scrolled", cell)
        assert _inside(scrolled["lastHeader"], scrolled["box"]), (table, scrolled)
        page.evaluate(
            "(id) => { document.getElementById(id).closest('.table-scroll').scrollLeft = 0; }",
            table,
        )


def _check_districts_on_a_laptop(page) -> None:
    """Every column header of the district table lies inside the screen, the table's box and the
    board, and is the element found at its own middle (nothing clips or covers it)."""
    width = page.evaluate("document.documentElement.clientWidth")
    height = page.evaluate("document.documentElement.clientHeight")
    screen = {"left": 0, "top": 0, "right": width, "bottom": height}
    box, board = _rect(page, "#districts-box"), _rect(page, ".board")
    headers = page.evaluate(
        """() => [...document.querySelectorAll("#districts thead th")].map((th) => {
             const b = th.getBoundingClientRect();
             const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
             return {text: th.innerText, left: b.left, top: b.top, right: b.right, bottom: b.bottom,
                     hit: Boolean(hit && th.contains(hit))}; })"""
    )
    assert len(headers) == 7
    for th in headers:
        assert _inside(th, screen), (th, screen)
        assert _inside(th, box) and _inside(th, board), (th, box, board)
        assert th["hit"], th
    scroller = page.evaluate(
        "() => { const b = document.getElementById('districts-box');"
        " return [b.scrollWidth, b.clientWidth]; }"
    )
    assert scroller[0] <= scroller[1], scroller  # nothing to scroll to: every column shows
    last = page.evaluate(
        """() => [...document.querySelectorAll("#districts tbody tr")].map((tr) => {
             const b = tr.cells[tr.cells.length - 1].getBoundingClientRect();
             return {left: b.left, top: b.top, right: b.right, bottom: b.bottom}; })"""
    )
    for cell in last:
        assert cell["right"] <= min(box["right"], width) + EPS, (cell, box)


def _check_legend(page) -> None:
    legend = _rect(page, ".map-wrap .legend")
    items = page.evaluate(
        """() => [...document.querySelectorAll(
                ".map-wrap .legend .legend-row > *, .map-wrap .legend .legend-item > *")]
             .filter((n) => n.getClientRects().length)
             .map((n) => { const b = n.getBoundingClientRect();
                           return {text: n.textContent, left: b.left, top: b.top, right: b.right,
                                   bottom: b.bottom}; })"""
    )
    assert len(items) > 10, items
    for item in items:
        assert _inside(item, legend), (item, legend)


def _check_timeline(page, phone: bool) -> None:
    """The timeline reads at its own size (its text is not shrunk below 10 px), scrolls inside its
    box where it is wider, and keeps the vessels' names in sight when scrolled to its end."""
    box = _rect(page, "#timeline-box")
    width = page.evaluate("document.documentElement.clientWidth")
    assert box["left"] >= -EPS and box["right"] <= width + EPS, box
    names = page.evaluate(
        """() => [...document.querySelectorAll("#timeline .tl-names text")].map((n) => {
             const b = n.getBoundingClientRect();
             return {text: n.textContent, left: b.left, top: b.top, right: b.right,
                     bottom: b.bottom, size: parseFloat(getComputedStyle(n).fontSize)
                           * document.getElementById("timeline").getScreenCTM().a}; })"""
    )
    assert names, "no vessel names in the timeline"
    for name in names:
        assert name["size"] >= 10, name
        assert _inside(name, box), (name, box)
    if phone:
        scroll = page.evaluate(
            "() => { const b = document.getElementById('timeline-box');"
            " return [b.scrollWidth, b.clientWidth]; }"
        )
        assert scroll[0] > scroll[1], scroll  # days wide enough to read: it scrolls
        page.evaluate(
            "() => { const b = document.getElementById('timeline-box');"
            " b.scrollLeft = b.scrollWidth; }"
        )
        page.evaluate("() => new Promise((ok) => requestAnimationFrame(ok))")
        for name in page.evaluate(
            """() => [...document.querySelectorAll("#timeline .tl-names text")].map((n) => {
                 const b = n.getBoundingClientRect();
                 return {left: b.left, top: b.top, right: b.right, bottom: b.bottom}; })"""
        ):
            assert _inside(name, box), ("scrolled", name, box)
        page.evaluate("() => { document.getElementById('timeline-box').scrollLeft = 0; }")


# The labels on show: their box, their halo's width on screen and, for islands, their island's box.
MAP_LABELS = """() => {
  const map = document.getElementById("map");
  const k = map.getScreenCTM().a;  // screen pixels per map unit
  const r = (n) => { const b = n.getBoundingClientRect();
                     return {left: b.left, top: b.top, right: b.right, bottom: b.bottom}; };
  return [...document.querySelectorAll("#labels text")]
    .filter((n) => getComputedStyle(n).display !== "none")
    .map((n) => {
      const s = getComputedStyle(n);
      const island = n.dataset.island
        ? document.querySelector(`path.island[data-code="${n.dataset.island}"]`) : null;
      return {text: n.textContent, box: r(n), halo: parseFloat(s.strokeWidth) * k,
              effect: s.vectorEffect, mainland: n.classList.contains("mainland"),
              island: island ? r(island) : null};
    });
}"""


def _area(a: dict) -> float:
    return max(0.0, a["right"] - a["left"]) * max(0.0, a["bottom"] - a["top"])


def _overlap(a: dict, b: dict) -> float:
    w = min(a["right"], b["right"]) - max(a["left"], b["left"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(0.0, w) * max(0.0, h)


def _check_map_labels(page) -> None:
    """Thin halos (3 px at most on screen, whatever the zoom); no island's name lies over more than
    a third of its island (beside a small island, not on it); no two labels overlap."""
    labels = page.evaluate(MAP_LABELS)
    assert labels
    for lb in labels:
        assert lb["effect"] != "non-scaling-stroke" and lb["halo"] <= 3, lb
        if lb["island"] and not lb["mainland"]:
            share = _overlap(lb["box"], lb["island"]) / max(1.0, _area(lb["island"]))
            assert share <= 1 / 3, (lb, share)
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert _overlap(a["box"], b["box"]) <= 1, (a, b)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390x844", "1366x768"])
def test_dashboard_fits_the_screen_in_either_language(server, viewport) -> None:
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    phone = viewport["width"] < 600
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = _open(browser, base, keys["viewer"], plan["id"], viewport)
        for lang in ("id", "en"):
            if lang == "en":
                page.click("#lang button[data-lang=en]")
                _settle(page)
            assert page.evaluate("document.documentElement.lang") == lang
            sizes = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert sizes[0] <= sizes[1], (lang, sizes)  # nothing wider than the screen
            if phone:
                _check_tables_on_a_phone(page, viewport)
                # The panels stack: the board below the map, as wide as it.
                map_box, board = _rect(page, ".map-wrap"), _rect(page, ".board")
                assert board["top"] >= map_box["bottom"], (map_box, board)
                # The header wraps inside the screen.
                assert _rect(page, "header")["right"] <= sizes[1] + EPS
                for control in ("#key", "#plans", "#scenarios", "#seconds", "#start", "#lang"):
                    assert _rect(page, control)["right"] <= sizes[1] + EPS, control
            else:
                _check_districts_on_a_laptop(page)
            _check_legend(page)
            _check_timeline(page, phone)
            _check_map_labels(page)
            page.screenshot(
                path=str(OUTPUT / f"dashboard-{viewport['width']}-{lang}.png"), full_page=True
            )
        browser.close()
    assert not errors, errors


# The island paths a zoom towards the islands keeps in view after one click of "+".
NEAR_ISLANDS = ("Pulau Kangean", "Pulau Sapudi")

IN_VIEW = """(codes) => {
  const map = document.getElementById("map").getBoundingClientRect();
  const meets = (b) =>
    b.right > map.left && b.left < map.right && b.bottom > map.top && b.top < map.bottom;
  const islands = {};
  for (const code of codes) {
    const path = document.querySelector(`path.island[data-code="${code}"]`);
    islands[code] = meets(path.getBoundingClientRect());
  }
  // The landings whose mark lies on the map, clear of the scale drawn over its corner.
  const scale = document.getElementById("scale").getBoundingClientRect();
  const landings = [...document.querySelectorAll("#stops circle")].filter((c) => {
    const b = c.getBoundingClientRect(), x = b.left + b.width / 2, y = b.top + b.height / 2;
    const under = x > scale.left && x < scale.right && y > scale.top && y < scale.bottom;
    return x > map.left && x < map.right && y > map.top && y < map.bottom && !under;
  }).length;
  return {islands, landings};
}"""


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390x844", "1366x768"])
def test_zoom_in_keeps_the_islands_in_view(server, viewport) -> None:
    """The "+" button zooms towards the islands (1.5 times a click): after one click Kangean,
    Sapudi and the Madura mainland are all still on the map, after three Kangean and a good share
    of the landings; "-" and the home button bring the whole map back."""
    from playwright.sync_api import sync_playwright

    base, keys, plan = server
    islands = httpx.get(f"{base}/islands", headers={"X-API-Key": keys["viewer"]}).json()
    codes = {f["properties"]["name"]: f["properties"]["code"] for f in islands["features"]}
    mainland = next(
        f["properties"]["code"]
        for f in islands["features"]
        if f["properties"].get("is_madura_mainland")
    )
    wanted = [codes[n] for n in NEAR_ISLANDS] + [mainland]
    n_landings = sum(
        1 for v in plan["result"]["voyages"] for s in v["stops"] if s["kind"] == "landing"
    )
    with sync_playwright() as pw:
        browser = launch(pw)
        page, errors = _open(browser, base, keys["viewer"], plan["id"], viewport)

        def view() -> list[float]:
            return [float(x) for x in page.locator("#map").get_attribute("viewBox").split()]

        home = view()
        seen = page.evaluate(IN_VIEW, wanted)
        assert all(seen["islands"].values()), seen
        assert seen["landings"] == n_landings, (seen, n_landings)  # the whole map: every landing
        widths = [home[2]]
        for click in range(1, 4):
            page.click("#zoom-in")
            _settle(page)
            now = view()
            widths.append(now[2])
            assert now[2] == pytest.approx(home[2] / 1.5**click, rel=1e-3)
            seen = page.evaluate(IN_VIEW, wanted)
            if click == 1:
                assert all(seen["islands"].values()), (click, seen, now)
            assert seen["islands"][codes["Pulau Kangean"]], (click, seen, now)
            # The view holds land and landings, not the open sea between Madura and Masalembu.
            assert seen["landings"] >= n_landings / 4, (click, seen, n_landings, now)
            _check_map_labels(page)
        page.click("#zoom-out")
        _settle(page)
        assert view()[2] == pytest.approx(widths[2], rel=1e-3)
        page.click("#zoom-reset")
        _settle(page)
        assert view() == pytest.approx(home)
        browser.close()
    assert not errors, errors
