"""What the browser tests share: Debian's chromium launched for Playwright, where screenshots
go, and the check that a page in one language shows no word of the other."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import DATA, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
POLL_MS = 1500

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
# Weekdays and months the browser writes in one language only (the dates follow the switch too).
DATE_WORDS = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min", "Mei", "Agu", "Okt", "Des"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "May", "Aug", "Oct", "Dec"),
}
WORD = re.compile(r"[^\W\d_]{4,}")
# Everything people read on the page: the text shown, the map's labels that are not hidden, every
# tooltip, the accessible names, the picker's options and the window title.
READ_PAGE = """() => {
  const shown = (n) => {
    for (let e = n; e && e.nodeType === 1; e = e.parentNode) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden") return false;
    }
    return true;
  };
  const all = (sel) => [...document.querySelectorAll(sel)];
  return {
    body: document.body.innerText,
    svg: all("svg text").filter(shown).map((n) => n.textContent),
    titles: all("svg title").map((n) => n.textContent),
    attrs: all("[aria-label], [title]")
      .flatMap((n) => [n.getAttribute("aria-label"), n.getAttribute("title")]),
    options: all("option").map((n) => n.textContent),
    doc: document.title,
    lang: document.documentElement.lang,
  };
}"""


def launch(pw: Any, *args: str) -> Any:
    """Debian's chromium through Playwright (extra command-line ``args`` after the usual)."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=[*BROWSER_ARGS, *args])


def fold(text: str) -> str:
    return text.casefold().replace("'", "").replace("\u2019", "")


def _other_language(text: dict, events: list[dict], lang: str) -> tuple[set[str], set[str]]:
    """What only the other language says: its phrases (whole labels, and the parts of templates
    around their "{name}" places) and its words of 4 letters or more that this language never
    uses. Labels the two languages share ("Status", "TPS", "km") are not the other language's."""
    other = "en" if lang == "id" else "id"
    own = [*text[lang].values(), *(e["labels"][lang] for e in events)]
    theirs = [*text[other].values(), *(e["labels"][other] for e in events)]

    def parts(value: str) -> list[str]:
        return [p.strip(" ,.:;·()[]…") for p in re.split(r"\{\w+\}", value)]

    # A label, or a part of a template, that this language uses as well is not the other's.
    own_folded = {fold(v) for v in own} | {fold(p) for v in own for p in parts(v)}
    phrases = set(DATE_WORDS[other])
    for value in theirs:
        for part in parts(value):
            if len(part) >= 3 and fold(part) not in own_folded:
                phrases.add(part)
    own_words = {fold(w) for v in own for w in WORD.findall(v)}
    words = {fold(w) for v in theirs for w in WORD.findall(v)} - own_words
    return phrases, words


def leaks(seen: dict, text: dict, events: list[dict], names: list[str]) -> list[str]:
    """Phrases and words of the other language in what people read, once the names of places,
    vessels and scenarios (which read the same in both languages) are taken out."""
    lang = seen["lang"]
    parts = [seen["body"], seen["doc"], *seen["svg"], *seen["titles"], *seen["options"]]
    parts += [a for a in seen["attrs"] if a]
    read = "\n".join(parts)
    for name in sorted(names, key=len, reverse=True):  # "Perahu motor Kalianget 1" first
        read = read.replace(name, " ")
    phrases, words = _other_language(text, events, lang)
    found = [p for p in phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", read, re.I)]
    found += sorted({w for w in WORD.findall(read) if fold(w) in words})
    return found


# The moment the pages' clocks start at, whatever the machine's date: a December day, whose short
# month name differs between the languages ("Des" / "Dec"), so a date left in one language shows.
PAGE_TIME = dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
# A day in each month whose short name differs between Indonesian and English.
MONTHS_APART = {
    "Mei/May": dt.datetime(2026, 5, 14, 9, 30, tzinfo=dt.UTC),
    "Agu/Aug": dt.datetime(2026, 8, 17, 9, 30, tzinfo=dt.UTC),
    "Okt/Oct": dt.datetime(2026, 10, 28, 9, 30, tzinfo=dt.UTC),
    "Des/Dec": dt.datetime(2026, 12, 31, 9, 30, tzinfo=dt.UTC),
}


def set_clock(page: Any, at: dt.datetime = PAGE_TIME) -> Any:
    """Start ``page``'s clock (its ``Date`` and timers, Playwright's clock) at ``at``; it runs on
    from there. Returns the page."""
    page.clock.install(time=at)
    return page


def dashboard_page(
    browser: Any, key: str, *, at: dt.datetime = PAGE_TIME, viewport: dict | None = None
) -> tuple[Any, list[str]]:
    """A new page (desktop-sized unless ``viewport`` says) whose clock starts at ``at``, that
    opens the dashboard with ``key`` already typed, and the list its console and page errors go
    to."""
    page = set_clock(browser.new_page(viewport=viewport or {"width": 1500, "height": 1100}), at)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(f"localStorage.setItem('ballotKey', {json.dumps(key)})")
    return page, errors


def hand_over(base: str, field_key: str, plan_id: str, voyage: dict, i: int) -> str:
    """A landing's arrival and handover (at its planned arrival), posted as the crew would with
    ``field_key``; returns the stop's key on the map ("vessel/stop")."""
    stop = voyage["stops"][i]
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
            f"{base}/plans/{plan_id}/events",
            json={"vessel_id": voyage["vessel_id"], "stop": i, "at": stop["arrival"], **body},
            headers={"X-API-Key": field_key},
        )
        assert r.status_code == 201, r.text
    return f"{voyage['vessel_id']}/{i}"


def names_shown(base: str, headers: dict[str, str], plan: dict) -> list[str]:
    """Every name the dashboard may show: islands, villages, districts, depots, vessels, landings,
    sea areas and scenarios; the longest first, so that a name inside another goes with it."""

    def get(path: str):
        return httpx.get(f"{base}{path}", headers=headers, timeout=30).json()

    names: set[str] = {"Madura"}
    for f in get("/islands")["features"]:
        p = f["properties"]
        if not p.get("is_madura_mainland"):  # its name in the data is written in English
            names |= {p["name"], re.sub(r"^(Pulau|Island of)\s+", "", p["name"])}
        names |= set(p.get("districts") or [])
    for v in get("/villages")["villages"]:
        names |= {v["name"], v["district"]}
    names |= {f["properties"]["name"] for f in get("/depots")["features"]}
    names |= {f["properties"]["name"] for f in get("/sea-areas")["features"]}
    names |= set(get("/scenarios")["bundled"])
    for listed in get("/plans?limit=100")["plans"]:
        names.add(listed.get("scenario") or "")
    doc = plan["result"]
    for v in doc["voyages"]:
        names |= {v["vessel_name"] or "", v["vessel_id"]}
        names |= {s["name"] or "" for s in v["stops"]} | {
            s["island_name"] or "" for s in v["stops"]
        }
    return sorted((n for n in names if n), key=len, reverse=True)


def event_types(base: str, headers: dict[str, str]) -> list[dict]:
    """The field log's event types, with their labels in both languages."""
    return httpx.get(f"{base}/event-types", headers=headers).json()


def server_env(tmp: Path, network_cache: Path, database: str = "dash.db") -> dict[str, str]:
    """The environment of a test's own server: a SQLite file of its own in ``tmp``, the
    session's sea networks, the project's data."""
    return dict(
        os.environ,
        BALLOT_DATABASE_URL=f"sqlite:///{tmp}/{database}",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )


PHONE = {"width": 390, "height": 844}
FITS = """(sel) => { const n = document.querySelector(sel);
  const r = (n.closest(".table-scroll") || n).getBoundingClientRect();
  const d = document.documentElement;
  return {page: [d.scrollWidth, d.clientWidth], left: r.left, right: r.right, width: r.width}; }"""


def fits_a_phone(page: Any, selector: str) -> None:
    """Nothing on the page is wider than a phone's screen, and ``selector``'s box lies within
    it with some width: a chart scaled down, a table scrolling inside its own box (the
    ``.table-scroll`` around it), nothing cut off."""
    seen = page.evaluate(FITS, selector)
    assert seen["page"][0] <= seen["page"][1], seen
    assert seen["left"] >= -0.5 and seen["right"] <= seen["page"][1] + 0.5, seen
    assert seen["width"] > seen["page"][1] / 2, seen
