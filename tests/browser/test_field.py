"""The field page on a phone (390x844) in Debian's chromium, driven by Playwright, against the
real server: a crew opens it from its key's QR code, records a voyage offline (a handover by
scanning the consignment's QR code from the PDF papers), reloads without signal, and the reports
reach the service once each, in order, with the times they happened."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from routing.errors import DataError
from routing.outputs.papers import HandoverCode, handover_payload, parse_handover
from testkit import localserver
from tests.browser.common import (
    DATE_WORDS,
    MONTHS_APART,
    OUTPUT,
    POLL_MS,
    READ_PAGE,
    launch,
    leaks,
    server_env,
)
from tests.conftest import dispatched_2024

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}
STEPS = ("arrived", "handed_over", "departed")


@pytest.fixture(scope="module")
def server(tmp_path_factory, network_cache):
    tmp = tmp_path_factory.mktemp("field")
    env = server_env(tmp, network_cache, "field.db")
    keys = localserver.create_keys(env, ("planner", "viewer"))
    with localserver.serving(env) as base:
        # every vessel dispatched: the villages are handed over by vessels the pages draw
        plan = localserver.completed_plan(base, keys, scenario=dispatched_2024())
        yield base, dict(env, BALLOT_PUBLIC_URL=base), keys, plan, tmp


def _landings(voyage: dict) -> list[int]:
    return [i for i, s in enumerate(voyage["stops"]) if s["kind"] == "landing"]


def _field_key(env: dict[str, str], vessel: str, qr_file: Path) -> tuple[str, str]:
    """A field key bound to ``vessel`` through the CLI with its QR code: (key, link)."""
    out = subprocess.run(
        [
            localserver.executable(),
            *("keys", "create", "--role", "field", "--vessel", vessel),
            *("--expires", "10d", "--qr", "--qr-file", str(qr_file)),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return out[0].strip(), out[1].strip()


def _read_qr(path: Path) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(path))
    assert len(found) == 1, found
    return str(found[0].text)


def _papers_qr(base: str, key: str, plan_id: str, vessel: str, stop: int, out: Path) -> str:
    """Render the vessel's PDF papers, find the QR code of ``stop`` and crop it (with a quiet
    zone) to ``out`` as a phone's photo of it would show it; the code's text."""
    import pypdfium2
    import zxingcpp

    r = httpx.get(
        f"{base}/plans/{plan_id}/papers/{vessel}.pdf", headers={"X-API-Key": key}, timeout=60
    )
    assert r.status_code == 200, r.text
    pdf = pypdfium2.PdfDocument(r.content)
    for page in pdf:
        image = page.render(scale=3).to_pil().convert("RGB")
        for code in zxingcpp.read_barcodes(image):
            text = str(code.text)
            if not text.startswith("ballot:handover?") or parse_handover(text).stop != stop:
                continue
            p = code.position
            xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
            ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
            pad = (max(xs) - min(xs)) // 4
            box = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
            image.crop(box).save(out)
            assert _read_qr(out) == text
            return text
    raise AssertionError(f"no QR code for stop {stop} in the papers")


def _handover_codes() -> list[str]:
    """Texts of QR codes, good and bad, that the page must read as routing.outputs.papers does."""
    good = handover_payload(
        HandoverCode(
            plan="plan 1/ä", vessel_id="kal-28-1", stop=3, consignment="35.29.24.2001#2", boxes=5
        )
    )
    return [
        good,
        f"  {good}\n",
        good.replace("v=1", "v=2"),
        good.replace("&boxes=5", ""),
        good.replace("&boxes=5", "&boxes="),
        good + "&stop=4",
        good.replace("stop=3", "stop=x"),
        good.replace("ballot:handover", "ballot:other"),
        good.replace("plan%201", "plan+1") + "&extra=1",
        "ballot:handover",
    ]


def _python_reading(text: str) -> dict | None:
    try:
        code = parse_handover(text)
    except DataError:
        return None
    return {
        "plan": code.plan,
        "vessel": code.vessel_id,
        "stop": code.stop,
        "consignment": code.consignment,
        "boxes": code.boxes,
    }


# What the browser itself logs for a request without signal (or one the test cut off).
OFFLINE = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED")


def _phone(browser: Any, link: str) -> tuple[Any, Any, list[str]]:
    """A phone-sized page opened on the field link, once the page is ready; its errors."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = _watch(page)
    page.goto(link)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    return context, page, errors


def _watch(page) -> list[str]:
    """The page's errors, but for requests that failed for want of a network."""
    errors: list[str] = []

    def console(m) -> None:
        if m.type == "error" and not any(x in m.text for x in OFFLINE):
            errors.append(m.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _shoot(page, name: str) -> None:
    """A screenshot of the whole page from its top (the header is sticky)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(OUTPUT / name), full_page=True)


def _queue(page) -> list[dict]:
    """The queue as the page shows it, oldest first."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#queue li.action')].reverse().map((n) => ({
             seq: Number(n.dataset.seq), state: n.dataset.state, type: n.dataset.type,
             stop: Number(n.dataset.stop), at: n.dataset.at, idem: n.dataset.idem,
             text: n.innerText}))"""
    )


def _queued(page, count: int) -> None:
    """Wait until the queue shows ``count`` reports (each is kept in IndexedDB first)."""
    page.wait_for_function(
        f"() => document.querySelectorAll('#queue li.action').length === {count}"
    )


def _tap(page, stop: int, step: str) -> None:
    """Tap a stop's step and wait until it is in the queue."""
    count = page.locator("#queue li.action").count()
    page.locator(f'#stop-{stop} button[data-step="{step}"]').click()
    if step in ("arrived", "departed", "loaded"):
        _queued(page, count + 1)


def _hand_over(page, name: str, position: str, boxes: int) -> None:
    """Fill in the open handover form (its boxes already filled in) and save it."""
    page.wait_for_selector("#form-dialog[open]")
    count = page.locator("#queue li.action").count()
    assert page.locator("#f-boxes").input_value() == str(boxes)
    page.fill("#f-receiver-name", name)
    page.fill("#f-receiver-position", position)
    page.locator('input[name="condition"][value="good"]').check()
    page.click("#form-save")
    page.wait_for_selector("#form-dialog:not([open])", state="attached")
    _queued(page, count + 1)


def _events(base: str, key: str, plan_id: str, vessel: str) -> list[dict]:
    r = httpx.get(f"{base}/plans/{plan_id}/events", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    return [e for e in r.json()["events"] if e["vessel_id"] == vessel]


def _names(voyage: dict, extra: tuple[str, ...]) -> list[str]:
    """What reads the same in both languages on the page: names, codes, TPS and WIB."""
    names = {voyage["vessel_name"], voyage["vessel_id"], voyage["scenario"], "TPS", "WIB", *extra}
    for s in voyage["stops"]:
        names |= {s["name"] or "", s["id"], s["island_name"] or ""}
        for v in s["villages"]:
            names |= {v["name"] or "", v["code"], v["district_name"] or ""}
        names |= {m["consignment"] for m in s["manifest"]}
    return sorted((n for n in names if n), key=len, reverse=True)


def test_field_page_records_a_voyage_offline_and_sends_it_once(server) -> None:
    from playwright.sync_api import sync_playwright

    base, env, keys, plan, tmp = server
    viewer = keys["viewer"]
    voyage = next(v for v in plan["result"]["voyages"] if len(_landings(v)) >= 2)
    vessel = voyage["vessel_id"]
    first, second = _landings(voyage)[:2]

    # The planner's QR code for the phone: the link with the key in its fragment.
    key, link = _field_key(env, vessel, tmp / "key.png")
    assert link == f"{base}/field#key={key}"
    assert _read_qr(tmp / "key.png") == link
    # The papers' QR codes: the first stop's is photographed, the second's typed.
    photo = tmp / "handover.png"
    scanned = _papers_qr(base, viewer, plan["id"], vessel, first, photo)
    typed = _papers_qr(base, viewer, plan["id"], vessel, second, tmp / "typed.png")
    stops = voyage["stops"]
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        context, page, errors = _phone(browser, link)
        page.wait_for_selector("body[data-offline-ready=true]", timeout=30_000)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        # The key is kept on the phone and gone from the address bar.
        assert page.url == f"{base}/field"
        assert page.evaluate("localStorage.getItem('ballotFieldKey')") == key
        assert page.locator("#vessel").inner_text() == voyage["vessel_name"]
        card = page.locator(f"#stop-{first}")
        for text in (
            stops[first]["name"],
            stops[first]["island_name"],
            *(m["village_name"] for m in stops[first]["manifest"]),
        ):
            assert text in card.inner_text(), text
        assert card.locator(".time").first.inner_text().endswith(" WIB")
        # The page reads a code as routing.outputs.papers does (percent-encoding, repeats,
        # versions).
        for code in _handover_codes():
            js = page.evaluate(
                "(t) => { const r = parseHandover(t); return r.error ? null : "
                "{plan: r.code.plan, vessel: r.code.vessel, stop: r.code.stop, "
                "consignment: r.code.consignment, boxes: r.code.boxes}; }",
                code,
            )
            assert js == _python_reading(code), code
        voyage_answer = httpx.get(f"{base}/field/voyage", headers={"X-API-Key": key}).json()
        _shoot(page, "field-online.png")

        # Without signal: arrive, hand over by scanning the papers' QR code, depart; then the
        # second stop with its code typed in.
        context.set_offline(True)
        page.wait_for_selector("body.is-offline")
        _tap(page, first, "arrived")
        page.click("#scan")
        page.set_input_files("#photo", str(photo))
        _hand_over(page, "Siti Aminah", "Ketua PPS", parse_handover(scanned).boxes)
        if not page.evaluate("'BarcodeDetector' in window"):  # Debian's chromium has none
            # read by the vendored decoder, which the service worker served without signal
            assert page.evaluate("typeof window.jsQR") == "function"
        _tap(page, first, "departed")
        _tap(page, second, "arrived")
        page.click("#scan")
        page.fill("#code", typed)
        page.click("#code-form button[type=submit]")
        _hand_over(page, "Moh. Rofiq", "Sekretaris PPS", parse_handover(typed).boxes)
        _tap(page, second, "departed")
        queued = _queue(page)
        assert [(a["stop"], a["type"]) for a in queued] == [
            (s, step) for s in (first, second) for step in STEPS
        ]
        assert all(a["state"] == "pending" for a in queued)
        assert len({a["idem"] for a in queued}) == len(queued)
        # The page goes on from the queued reports: both stops done, the next one current.
        assert page.locator(f"#stop-{first}").count() == 0
        assert stops[first]["name"] in page.locator("#done-list").text_content()
        last = page.locator(f"#last-list #stop-{second}")
        assert last.locator(".done li.done-pending").count() == len(STEPS)
        assert last.locator("button").count() == 0
        _shoot(page, "field-offline.png")
        assert _events(base, viewer, plan["id"], vessel) == []

        # Reloaded without signal: the service worker opens the page, the queue is intact.
        page.reload()
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        assert page.locator("#vessel").inner_text() == voyage["vessel_name"]
        assert _queue(page) == queued
        _shoot(page, "field-offline-reload.png")

        # The signal returns, and the first answer is lost on the way back: the retry (same
        # Idempotency-Key) records nothing twice.
        lost: list[str] = []

        def lose_first_answer(route) -> None:
            if route.request.method == "POST" and not lost:
                route.fetch()
                lost.append(route.request.headers["idempotency-key"])
                route.abort()
            else:
                route.fallback()

        context.route("**/plans/*/events", lose_first_answer)
        context.set_offline(False)
        page.wait_for_function("() => document.querySelectorAll('#queue li').length > 0")
        page.wait_for_function(
            "() => !document.querySelector('#queue li[data-state=pending]')"
            " || (document.querySelector('#send-now').click(), false)",
            timeout=30_000,
            polling=1000,
        )
        assert lost == [queued[0]["idem"]]
        sent = _queue(page)
        assert [a["state"] for a in sent] == ["sent"] * len(queued)

        # Each event once, in order, with the time it happened; the form's name and position.
        events = _events(base, viewer, plan["id"], vessel)
        assert [(e["stop"], e["type"]) for e in events] == [(a["stop"], a["type"]) for a in queued]
        assert [e["idempotency_key"] for e in events] == [a["idem"] for a in queued]
        assert len({e["id"] for e in events}) == len(events)
        for e, a in zip(events, queued, strict=True):
            assert datetime.fromisoformat(e["at"]) == datetime.fromisoformat(a["at"])
            assert datetime.fromisoformat(e["recorded_at"]) >= datetime.fromisoformat(a["at"])
        handed = [e for e in events if e["type"] == "handed_over"]
        assert [(e["receiver"], e["receiver_position"]) for e in handed] == [
            ("Siti Aminah", "Ketua PPS"),
            ("Moh. Rofiq", "Sekretaris PPS"),
        ]
        # A handover code is one consignment's: its boxes (a stop may hand over several).
        assert [e["boxes"] for e in handed] == [
            parse_handover(scanned).boxes,
            parse_handover(typed).boxes,
        ]

        # Indonesian first, a complete English switch.
        text = page.evaluate("TEXT")
        event_types = [
            {"labels": e["label"], "type": e["type"]} for e in voyage_answer["event_types"]
        ]
        names = _names(
            voyage_answer,
            ("Siti Aminah (Ketua PPS)", "Moh. Rofiq (Sekretaris PPS)", plan["id"][:8]),
        )
        for lang in ("id", "en"):
            page.click(f'.lang button[data-lang="{lang}"]')
            seen = page.evaluate(READ_PAGE)
            assert seen["lang"] == lang
            assert not leaks(seen, text, event_types, names), (
                lang,
                leaks(seen, text, event_types, names),
            )
            assert text[lang]["queue"] in seen["body"]
        _shoot(page, "field-en.png")

        # The dashboard shows both villages delivered.
        board = browser.new_page(viewport={"width": 1500, "height": 1100})
        board_errors = _watch(board)
        board.add_init_script(f"localStorage.setItem('ballotKey', {json.dumps(viewer)})")
        board.goto(f"{base}/dashboard?plan={plan['id']}&poll_ms={POLL_MS}")
        board.wait_for_selector("body[data-ready=true]", timeout=30_000)
        for stop in (first, second):
            board.wait_for_function(
                f"() => (document.querySelector('circle[data-key=\"{vessel}/{stop}\"]') || "
                "{getAttribute: () => ''}).getAttribute('class').includes('delivered')",
                timeout=30_000,
            )
        status = httpx.get(f"{base}/plans/{plan['id']}/status", headers={"X-API-Key": viewer})
        villages = {v["code"]: v for d in status.json()["districts"] for v in d["villages"]}
        for stop in (first, second):
            for m in stops[stop]["manifest"]:
                assert villages[m["village_code"]]["tps_delivered"] >= m["tps"], m
        browser.close()
    assert not errors, errors
    assert not board_errors, board_errors


def test_the_field_page_dates_follow_the_language_in_every_month(server) -> None:
    """In each month whose short name differs between the languages, the time the phone's copy
    of the voyage is from is written in the language chosen and redrawn when it changes. (Only
    read here: events the page sends carry its clock, which the server checks against its own.)"""
    from playwright.sync_api import sync_playwright

    _, env, _, plan, tmp = server
    vessel = plan["result"]["voyages"][0]["vessel_id"]
    _, link = _field_key(env, vessel, tmp / "months.png")
    with sync_playwright() as pw:
        browser = launch(pw)
        for month, at in MONTHS_APART.items():
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            context.clock.install(time=at)
            page = context.new_page()
            errors = _watch(page)
            page.goto(link)
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            for lang, name in zip(("id", "en"), month.split("/"), strict=True):
                page.click(f'.lang button[data-lang="{lang}"]')
                net = page.locator("#net").inner_text()
                assert re.search(rf"\b{name}\b", net), (month, lang, net)
                other = DATE_WORDS["en" if lang == "id" else "id"]
                body = page.evaluate("document.body.innerText")
                assert not [w for w in other if re.search(rf"\b{w}\b", body)], (month, lang)
            assert not errors, (month, errors)
            context.close()
        browser.close()


def test_a_refused_report_shows_its_reason_and_does_not_hold_up_the_rest(server) -> None:
    """Another phone of the crew reports a later stop while this one is offline: this phone's
    arrival at the earlier stop is refused (409, its reason shown), its next report goes in."""
    from playwright.sync_api import sync_playwright

    base, env, keys, plan, tmp = server
    voyages = [v for v in plan["result"]["voyages"] if len(_landings(v)) >= 2]
    voyage = voyages[1]  # the first is the other test's
    vessel = voyage["vessel_id"]
    early, later = _landings(voyage)[:2]
    key, link = _field_key(env, vessel, tmp / "key-b.png")
    with sync_playwright() as pw:
        browser = launch(pw)
        context, page, errors = _phone(browser, link)
        page.wait_for_selector(f"#stop-{later}")
        context.set_offline(True)
        page.wait_for_selector("body.is-offline")
        other = httpx.post(
            f"{base}/plans/{plan['id']}/events",
            json={"vessel_id": vessel, "stop": later, "type": "arrived"},
            headers={"X-API-Key": key},
        )
        assert other.status_code == 201, other.text
        _tap(page, early, "arrived")
        _tap(page, later, "delayed")
        page.wait_for_selector("#form-dialog[open]")
        page.fill("#f-reason", "gelombang tinggi")
        page.click("#form-save")
        _queued(page, 2)
        context.set_offline(False)
        page.wait_for_function(
            "() => document.querySelectorAll('#queue li[data-state=pending]').length === 0",
            timeout=30_000,
        )
        queued = _queue(page)
        assert [(a["type"], a["state"]) for a in queued] == [
            ("arrived", "refused"),
            ("delayed", "sent"),
        ]
        reason = page.evaluate("TEXT.id.refuse_stop_passed")
        assert reason in queued[0]["text"]
        events = _events(base, keys["viewer"], plan["id"], vessel)
        assert [(e["stop"], e["type"]) for e in events] == [(later, "arrived"), (later, "delayed")]
        # The page follows the server: the later stop is where the vessel is.
        page.wait_for_selector(f'#stop-{later}.current button[data-step="handed_over"]')
        _shoot(page, "field-refused.png")
        browser.close()
    assert not [e for e in errors if "status of 409" not in e], errors  # the refusal itself


def _camera_file(png: Path, out: Path) -> Path:
    """A Y4M video of the picture in ``png`` on white (640x480), for chromium's fake camera."""
    from PIL import Image

    w, h = 640, 480
    frame = Image.new("RGB", (w, h), "white")
    picture = Image.open(png).convert("RGB")
    picture.thumbnail((h - 40, h - 40))
    frame.paste(picture, ((w - picture.width) // 2, (h - picture.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (w // 2, h // 2)
    data = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with out.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            fh.write(b"FRAME\n" + data)
    return out


def test_the_camera_reads_a_handover_code(server) -> None:
    """The camera (chromium's fake one, showing a QR code from the papers) opens the handover
    of the code's stop; not yet arrived there, the page asks for the arrival first."""
    from playwright.sync_api import sync_playwright

    base, env, keys, plan, tmp = server
    others = [v["vessel_id"] for v in plan["result"]["voyages"] if len(_landings(v)) >= 2][:2]
    voyage = next(
        v
        for v in plan["result"]["voyages"]
        if len(_landings(v)) >= 3 and v["vessel_id"] not in others  # the other tests' vessels
    )
    vessel, stop = voyage["vessel_id"], _landings(voyage)[2]
    _papers_qr(base, keys["viewer"], plan["id"], vessel, stop, tmp / "camera.png")
    video = _camera_file(tmp / "camera.png", tmp / "camera.y4m")
    _, link = _field_key(env, vessel, tmp / "key-c.png")
    with sync_playwright() as pw:
        browser = launch(
            pw,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        )
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        context.grant_permissions(["camera"], origin=base)
        page = context.new_page()
        errors = _watch(page)
        page.goto(link)
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.click("#scan")
        page.click("#camera-start")
        page.wait_for_selector("#scan-box", state="hidden", timeout=30_000)
        notice = page.locator("#notice").inner_text()
        assert voyage["stops"][stop]["name"] in notice, notice
        assert page.locator(f'#stop-{stop} button[data-step="arrived"]').is_visible()
        assert page.evaluate("document.querySelector('#video').srcObject") is None  # camera off
        # Once arrived, the handover opens with the code's boxes.
        _tap(page, stop, "arrived")
        page.wait_for_selector("#form-dialog[open]")
        boxes = voyage["stops"][stop]["manifest"]
        assert int(page.locator("#f-boxes").input_value()) in {m["ballot_boxes"] for m in boxes}
        browser.close()
    assert not errors, errors
