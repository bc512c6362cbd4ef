"""Voyage papers of a real 2024 plan: the PDF's text has the villages in stop order with their
TPS, every QR code on the rendered pages decodes to a consignment of the vessel (each once), a
trip starts a page, and the HTML is wholly Indonesian or wholly English (names and codes
aside)."""

from __future__ import annotations

import copy
import io
import re
import tomllib
from collections import Counter
from datetime import time, timedelta
from html.parser import HTMLParser

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from routing import pipeline
from routing.errors import DataError, NotFound
from routing.inputs.fleet import load_class_names, parse_class_names, parse_fleet
from routing.inputs.scenario import load_scenario
from routing.local import WIB, long_time
from routing.outputs.papers import (
    LABELS,
    HandoverCode,
    VoyagePapers,
    handover_payload,
    latin1,
    papers_html,
    papers_pdf,
    parse_handover,
    voyage_papers,
)
from routing.plandoc import PlanDocument, Stop, Voyage
from tests.conftest import DATA, ROOT

OUTPUT = ROOT / "test-output"
RENDER_SCALE = 3  # 216 dpi: a 30 mm QR code of version 8 gets about 4 px per module


@pytest.fixture(scope="module")
def document(inputs) -> PlanDocument:
    """The bundled 2024 scenario, every vessel dispatched, planned under a small iteration
    budget."""
    scenario = load_scenario(DATA / "scenarios" / "pemilu2024.toml").all_dispatched()
    problem = pipeline.problem_for(inputs, scenario)
    run = pipeline.plan(inputs, problem, seed=1, iterations=150)
    return PlanDocument.from_json(run.document)


def _most_at_one_stop(v: Voyage) -> int:
    return max(len(s.manifest) for s in v.stops if s.kind == "landing")


@pytest.fixture(scope="module")
def voyage(document: PlanDocument) -> Voyage:
    """The voyage with the most trips (and, among those, the most stops)."""
    return max(document.voyages, key=lambda v: (v.trips, len(v.stops)))


@pytest.fixture(scope="module")
def crowded(document: PlanDocument) -> Voyage:
    """The voyage with the most consignments handed over at one stop (a village split in
    parts, or a landing serving several villages)."""
    return max(document.voyages, key=lambda v: (_most_at_one_stop(v), -len(v.stops)))


@pytest.fixture(scope="module")
def pdf(document: PlanDocument, voyage: Voyage) -> bytes:
    return papers_pdf(voyage_papers(document, voyage.vessel_id, plan="plan-1"))


def _loadings(voyage: Voyage) -> int:
    return sum(1 for s in voyage.stops if s.kind == "depot" and s.consignments)


def _village_visits(voyage: Voyage) -> list[tuple[int, str, str, int]]:
    """(stop index, village name, village code, TPS there) in the order the vessel calls."""
    out = []
    for i, stop in enumerate(voyage.stops):
        if stop.kind != "landing":
            continue
        tps: Counter[str] = Counter()
        names = {}
        for item in stop.manifest:
            tps[item.village_code] += item.tps
            names[item.village_code] = item.village_name
        out.extend((i, names[code], code, n) for code, n in tps.items())
    return out


def test_the_pdf_lists_the_villages_in_stop_order_with_their_tps(pdf, voyage) -> None:
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    lines = [line.strip() for page in pages for line in page.splitlines()]
    heading = LABELS["handover"]["id"] + ": "
    found = []
    for line in lines:
        m = re.fullmatch(re.escape(heading) + r"(.+), Kecamatan (.+): (\d+) TPS", line)
        if m:
            found.append((m[1], int(m[3])))
    visits = _village_visits(voyage)
    assert all(name for _, name, _, _ in visits), "the plan document names every village"
    assert found == [(name, tps) for _, name, _, tps in visits]
    # The stops, numbered as field events number them, in the order of the voyage.
    stops = [int(m[1]) for line in lines if (m := re.match(r"Persinggahan (\d+): ", line))]
    assert stops == [i for i, s in enumerate(voyage.stops) if s.kind == "landing"]
    # A trip starts a page, under the title, with its number.
    trips = _loadings(voyage)
    starts = [p for p in pages if p.startswith("SURAT JALAN PELAYARAN")]
    assert len(starts) == trips >= 2
    for n, page in enumerate(starts, start=1):
        assert f"Perjalanan {n} dari {trips}" in page
    assert voyage.vessel_name and voyage.vessel_name in pages[0]


@pytest.mark.parametrize("which", ["voyage", "crowded"])
def test_every_qr_code_decodes_to_a_consignment_of_the_vessel_once(
    which, request, document, pdf
) -> None:
    voyage = request.getfixturevalue(which)
    if which == "crowded":
        assert _most_at_one_stop(voyage) >= 2, "the plan has a stop with several consignments"
        pdf = papers_pdf(voyage_papers(document, voyage.vessel_id, plan="plan-1"))
    document = pypdfium2.PdfDocument(pdf)
    decoded = []
    for n in range(len(document)):
        image = document[n].render(scale=RENDER_SCALE).to_pil()
        if n == 0 and which == "voyage":
            OUTPUT.mkdir(exist_ok=True)
            image.save(OUTPUT / "papers-first-page.png")
        decoded.extend(r.text for r in zxingcpp.read_barcodes(image))
    codes = [parse_handover(text) for text in decoded]
    carried = [c for s in voyage.stops if s.kind == "landing" for c in s.consignments]
    assert sorted(c.consignment for c in codes) == sorted(carried)  # each exactly once
    for code in codes:
        stop = voyage.stops[code.stop]
        item = next(i for i in stop.manifest if i.consignment == code.consignment)
        assert stop.kind == "landing" and code.consignment in stop.consignments
        assert (code.plan, code.vessel_id, code.boxes) == (
            "plan-1",
            voyage.vessel_id,
            item.ballot_boxes,
        )


class _Text(HTMLParser):
    """The text a reader sees: no markup, no style sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible(html: str, papers: VoyagePapers, voyage: Voyage) -> str:
    """The page's visible text with every name and code of the voyage taken out."""
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    names = {papers.vessel, papers.vessel_class, papers.scenario, papers.plan}
    for stop in voyage.stops:
        names |= {stop.name or "", stop.island_name or "", stop.id}
        for item in stop.manifest:
            names |= {item.village_name or "", item.district_name or "", item.consignment}
    for name in sorted(names - {""}, key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def _words(label: str) -> list[str]:
    """A label's fixed words (placeholders left out)."""
    return [w for w in re.split(r"\{\w+\}|[\s:,/()]+", label) if len(w) > 1]


def test_the_html_is_indonesian_or_english_throughout(document, voyage) -> None:
    ids = [c for s in voyage.stops if s.kind == "landing" for c in s.consignments]
    pages = {}
    for lang in ("id", "en"):
        papers = voyage_papers(document, voyage.vessel_id, plan="plan-1", lang=lang)
        html = papers_html(papers, switch_href="?lang=x", pdf_href="x.pdf")
        assert f'<html lang="{lang}">' in html
        assert html.count("<svg") == len(ids)  # a QR code per consignment, inline
        assert "<script src" not in html and "http://" not in html and "https://" not in html
        payloads = re.findall(r'data-payload="([^"]+)"', html)
        assert sorted(parse_handover(p.replace("&amp;", "&")).consignment for p in payloads) == (
            sorted(ids)
        )
        pages[lang] = _visible(html, papers, voyage)
    for key, texts in LABELS.items():
        if texts["id"] == texts["en"]:
            continue
        for lang, other in (("id", "en"), ("en", "id")):
            for word in set(_words(texts[other])) - set(_words(texts[lang])):
                if word.lower() in {w.lower() for t in LABELS.values() for w in _words(t[lang])}:
                    continue  # the same word is a label of this language too
                assert not re.search(rf"\b{re.escape(word)}\b", pages[lang]), (lang, key, word)
    assert "Berita Acara Serah Terima" in pages["id"] and "Handover record" in pages["en"]
    assert "Februari" in pages["id"] and "February" not in pages["id"]
    assert "February" in pages["en"] and "Februari" not in pages["en"]


def test_arrivals_are_written_out_in_wib() -> None:
    from datetime import UTC, datetime

    when = datetime(2024, 2, 12, 1, 30, tzinfo=UTC)
    assert long_time(when, "id") == "Senin, 12 Februari 2024, 08.30 WIB"
    assert long_time(when, "en") == "Monday, 12 February 2024, 08:30 WIB"


def test_the_qr_payload_reads_back_and_a_bad_one_is_refused() -> None:
    code = HandoverCode("7f0c-plan", "kal-28-1", 3, "35.29.25.2007#2", 95)
    text = handover_payload(code)
    assert text == (
        "ballot:handover?v=1&plan=7f0c-plan&vessel=kal-28-1&stop=3"
        "&consignment=35.29.25.2007%232&boxes=95"
    )
    assert parse_handover(text) == code
    with pytest.raises(DataError, match="not a handover code"):
        parse_handover("https://example.org/?stop=1")
    with pytest.raises(DataError) as err:
        parse_handover("ballot:handover?v=1&plan=p&vessel=v&stop=x&boxes=2&boxes=3")
    paths = {p.path for p in err.value.problems}
    assert paths == {"/stop", "/consignment", "/boxes"}
    with pytest.raises(DataError, match="version"):
        parse_handover(text.replace("v=1", "v=9"))


def test_an_unknown_vessel_names_the_vessels_of_the_plan(document) -> None:
    with pytest.raises(NotFound) as err:
        voyage_papers(document, "no-such-vessel")
    assert {c.id for c in err.value.candidates} == {v.vessel_id for v in document.voyages}
    with pytest.raises(ValueError, match="lang"):
        voyage_papers(document, document.voyages[0].vessel_id, lang="fr")  # type: ignore[arg-type]


def test_a_document_stored_before_names_and_trips_from_one_still_prints(document, voyage) -> None:
    """Names absent (null) and trips numbered from 0 with the sail home as a trip of its own:
    the papers fall back to the codes and have as many trips as the plan has loadings."""
    raw = copy.deepcopy(document.to_json())
    for v in raw["voyages"]:
        v["vessel_name"] = v["vessel_class_name"] = None
        for s in v["stops"]:
            s["name"] = s["island_name"] = None
            s["trip"] -= 1
            for item in s["manifest"]:
                item["village_name"] = item["district_name"] = None
        v["stops"][-1]["trip"] += 1  # home, counted as a trip
    old = PlanDocument.from_json(raw)
    papers = voyage_papers(old, voyage.vessel_id)
    assert len(papers.trips) == _loadings(voyage)
    assert papers.vessel == voyage.vessel_id
    first = papers.trips[0].calls[0].villages[0]
    assert first.village == first.village_code
    text = PdfReader(io.BytesIO(papers_pdf(papers))).pages[0].extract_text()
    assert first.village_code in text


def test_text_outside_latin1_is_made_printable() -> None:
    assert latin1("Kalianget \u2192 Sapeken \u2013 \u201cRa\u2019as\u201d Gili Genting") == (
        'Kalianget -> Sapeken - "Ra\'as" Gili Genting'
    )
    assert latin1("Sumenep caf\u00e9 \u015c \u4e2d") == "Sumenep café S ?"


def test_a_village_in_many_parts_has_a_code_for_each_in_one_record(document, voyage) -> None:
    """Seven consignments for one village at one stop: four codes beside the lines to sign,
    the rest in a row below, all in one record on one page, each decoding to its part."""
    raw = copy.deepcopy(document.to_json())
    stops = next(v for v in raw["voyages"] if v["vessel_id"] == voyage.vessel_id)["stops"]
    index, stop = next((i, s) for i, s in enumerate(stops) if s["kind"] == "landing")
    item = stop["manifest"][0]
    stop["manifest"] = [dict(item, consignment=f"{item['village_code']}#{k}") for k in range(1, 8)]
    stop["consignments"] = [m["consignment"] for m in stop["manifest"]]
    papers = voyage_papers(PlanDocument.from_json(raw), voyage.vessel_id, plan="p")
    pdf = pypdfium2.PdfDocument(papers_pdf(papers))
    pages = [zxingcpp.read_barcodes(pdf[n].render(scale=RENDER_SCALE).to_pil()) for n in range(2)]
    codes = [[parse_handover(r.text) for r in found] for found in pages]
    parts = [sorted(c.consignment for c in page if c.stop == index) for page in codes]
    assert sorted(stop["consignments"]) in parts  # all seven on one page, with their stop


def _trip_shape(papers: VoyagePapers, voyage: Voyage) -> None:
    """Each trip sets out from a depot (or, re-planned, from where the vessel was), and every
    landing of the voyage is a call of exactly one trip."""
    assert len(papers.trips) == voyage.trips
    landings = [i for i, s in enumerate(voyage.stops) if s.kind == "landing"]
    called = [c.index for trip in papers.trips for c in trip.calls if c.kind == "landing"]
    assert called == landings
    for trip in papers.trips:
        assert trip.calls and trip.origin


def test_returning_each_trip_sets_out_from_the_depot_that_unloads_the_one_before(inputs) -> None:
    problem = pipeline.problem_for(
        inputs, load_scenario(DATA / "scenarios" / "pemilu2024-return.toml")
    )
    document = PlanDocument.from_json(
        pipeline.plan(inputs, problem, seed=1, iterations=100).document
    )
    depots = {s.name for v in document.voyages for s in v.stops if s.kind == "depot"}
    for v in document.voyages:
        papers = voyage_papers(document, v.vessel_id, plan="plan-r")
        _trip_shape(papers, v)
        for trip in papers.trips:
            assert any(name in trip.origin for name in depots), trip.origin


def test_a_replanned_voyage_sets_out_from_where_it_was_or_from_its_loading(document) -> None:
    # A re-plan's voyages start with a "start" stop where the vessel was: with cargo on board
    # (landings before the first depot call) it sets out from there; empty, it sails home and
    # the trip sets out from the loading there.
    for v in document.voyages:
        start = v.stops[0].model_copy(update={"kind": "start", "access": "start"})
        empty = v.model_copy(update={"stops": (start, *v.stops)})
        papers = voyage_papers(
            document.model_copy(update={"voyages": (empty,)}), v.vessel_id, plan="p"
        )
        _trip_shape(papers, empty)
        assert papers.trips[0].origin_label == LABELS["depot"]["id"]
        onboard = v.model_copy(update={"stops": (start, *v.stops[1:])})
        papers = voyage_papers(
            document.model_copy(update={"voyages": (onboard,)}), v.vessel_id, plan="p"
        )
        _trip_shape(papers, onboard)
        assert papers.trips[0].origin_label == LABELS["start"]["id"]


# --- one language, one name per place, ids in small print, the handover window -----------------

DAYLIGHT_H = (6, 18)  # the bundled scenario's handover hours (data/scenarios/pemilu2024.toml)
SMALL_PT = 7.0


def _at_night(stop: Stop) -> bool:
    return not DAYLIGHT_H[0] <= stop.arrival.astimezone(WIB).hour < DAYLIGHT_H[1]


@pytest.fixture(scope="module")
def night(document: PlanDocument) -> Voyage:
    """The voyage with the most landings reached outside the daylight hours."""
    return max(
        document.voyages,
        key=lambda v: sum(_at_night(s) for s in v.stops if s.kind == "landing"),
    )


@pytest.fixture(scope="module")
def both(document: PlanDocument, night: Voyage) -> dict[str, tuple[VoyagePapers, PdfReader]]:
    """The night voyage's papers in each language, with their PDF read back."""
    out = {}
    for lang in ("id", "en"):
        papers = voyage_papers(document, night.vessel_id, plan="plan-1", lang=lang)
        out[lang] = (papers, PdfReader(io.BytesIO(papers_pdf(papers))))
    return out


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _vocabulary(text: str) -> set[str]:
    """The words of a text, casefolded: a label's placeholders, numbers, codes ("AT-117M",
    "35.29.23.2004") and one-letter units left out."""
    found = (w.strip("'-") for w in re.findall(r"[\w'-]+", re.sub(r"\{\w+\}", " ", text)))
    return {w.casefold() for w in found if len(w) > 1 and not re.search(r"[\d_]", w)}


def _shared() -> set[str]:
    """The words both languages share: those of a label, or of a vessel class's name, that its
    Indonesian and English texts both have ("TPS", "Volume", "kg", "Sabuk Nusantara", "GT")."""
    pairs = [(t["id"], t["en"]) for t in LABELS.values()]
    pairs += [(n["id"], n["en"]) for n in load_class_names(DATA / "fleet.toml").values()]
    return {w for a, b in pairs for w in _vocabulary(a) & _vocabulary(b)}


def _ids(document: PlanDocument, voyage: Voyage) -> set[str]:
    ids = {voyage.vessel_id, voyage.vessel_class, "plan-1", document.input_hash}
    for stop in voyage.stops:
        ids |= {stop.id, stop.island_code or "", *stop.village_codes, *stop.consignments}
        ids |= {i.district_code or "" for i in stop.manifest}
    return ids - {""}


def _without_names(text: str, papers: VoyagePapers, document: PlanDocument) -> str:
    """The text with the names in it taken out: the vessel, the scenario, the places (villages,
    districts, islands, ports) and the ids; what is left is the papers' own words."""
    names = {papers.vessel, papers.scenario} | _ids(document, _voyage_of(document, papers))
    for trip in papers.trips:
        names.add(trip.origin)
        for call in trip.calls:
            names |= {call.island or ""} | ({call.place} if call.kind != "landing" else set())
            for v in call.villages:
                names |= {v.village, v.district}
    for name in sorted(names - {""}, key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def _voyage_of(document: PlanDocument, papers: VoyagePapers) -> Voyage:
    found = document.voyage(papers.vessel_id)
    assert found is not None
    return found


@pytest.mark.parametrize(("lang", "other"), [("id", "en"), ("en", "id")])
def test_the_papers_use_no_word_of_the_other_language(lang, other, document, both) -> None:
    """Every word the other language's papers print (their labels, dates, vessel class), less
    the words both languages share and the names, is absent from these papers' PDF text."""
    mine = _vocabulary(_without_names(_text(both[lang][1]), both[lang][0], document))
    theirs = _vocabulary(_without_names(_text(both[other][1]), both[other][0], document))
    foreign = theirs - _shared()
    assert len(foreign) > 40  # the vocabulary is real: labels, day and month names, the class
    assert not sorted(mine & foreign), lang
    assert (
        both[lang][0].vessel_class
        == load_class_names(DATA / "fleet.toml")[_voyage_of(document, both[lang][0]).vessel_class][
            lang
        ]
    )


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_id_follows_a_name_and_ids_are_in_small_print(lang, document, night, both) -> None:
    reader = both[lang][1]
    text = _text(reader)
    ids = _ids(document, night)
    assert not [i for i in ids if f"({i})" in text]
    assert not re.search(r"\((?:lp|port)-[^)]*\)|\(\d{2}\.\d{2}[\d.#]*\)", text)
    assert not re.search(r"\([a-z0-9]+(?:[-_][a-z0-9]+)+\)", text)  # no slug in parentheses
    sizes: dict[str, set[float]] = {}

    def visit(part: str, cm: object, tm: object, font: object, size: float) -> None:
        for token in re.findall(r"\S+", part):
            if token.strip(",:") in ids:
                sizes.setdefault(token.strip(",:"), set()).add(size)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    # What someone types where a QR code does not scan: the plan, the vessel, the consignments.
    assert {"plan-1", night.vessel_id} <= set(sizes)
    assert all(c in sizes for s in night.stops for c in s.consignments)
    assert {size for found in sizes.values() for size in found} == {SMALL_PT}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_stop_prints_its_handover_window_and_a_night_arrival_waits(lang, night, both) -> None:
    """Each landing gives the day of its handover with the daylight hours the planner keeps
    handovers to; one reached at night says when the handover may start."""
    reader = both[lang][1]
    lines = [line.strip() for line in _text(reader).splitlines()]
    stop = {"id": "Persinggahan", "en": "Stop"}[lang]
    window = {"id": "Serah terima", "en": "Handover"}[lang]
    hours = {"id": "06.00-18.00 WIB", "en": "06:00-18:00 WIB"}[lang]
    starts = [n for n, line in enumerate(lines) if re.match(rf"{stop} \d+: ", line)]
    blocks = {
        int(re.match(rf"{stop} (\d+): ", lines[a])[1]): lines[a : b if b else None]  # type: ignore[index]
        for a, b in zip(starts, [*starts[1:], 0], strict=True)
    }
    landings = {i: s for i, s in enumerate(night.stops) if s.kind == "landing"}
    assert sorted(blocks) == sorted(landings)
    waits = 0
    for i, s in landings.items():
        day, _ = long_time(s.work_start, lang).rsplit(", ", 1)
        assert f"{window} {day}, {hours}" in [x.split("; ")[0] for x in blocks[i]], (i, blocks[i])
        arrived = long_time(s.arrival, lang).rsplit(", ", 1)[1]
        said = {
            "id": f"Tiba {arrived}; serah terima menunggu ",
            "en": f"Arrives {arrived}; the handover waits until 06:00 WIB",
        }[lang]
        told = [x for x in blocks[i] if x.startswith(said)]
        assert len(told) == _at_night(s), (i, blocks[i])
        if told and lang == "id":
            assert told[0].endswith("pukul 06.00 WIB")
        waits += len(told)
    assert waits >= 2  # the plan reaches landings at night


def test_a_place_has_one_name_on_the_papers(document) -> None:
    """Kramian's port (the registry's "Keramaian (KRM)") on Pulau Karamian: the stop, its
    island and its village all read "Kramian"; a shared landing names both villages."""
    papers = {}
    for v in document.voyages:
        for i, s in enumerate(v.stops):
            if s.kind == "landing" and "35.29.23.2004" in s.village_codes:
                papers = {
                    lang: voyage_papers(document, v.vessel_id, lang=lang) for lang in ("id", "en")
                }
                found = next(c for t in papers["id"].trips for c in t.calls if c.index == i)
                assert s.name != "Kramian" and s.island_name == "Pulau Karamian"  # the data
                assert (found.place, found.island) == ("Kramian", "Kramian")
                assert found.title == f"Persinggahan {i}: Kramian"
                assert found.villages[0].heading.startswith("Kramian, Kecamatan Masalembu")
    assert papers, "the plan calls at Kramian"
    text = _text(PdfReader(io.BytesIO(papers_pdf(papers["id"]))))
    assert "Keramaian" not in text and "Karamian" not in text and "Pulau Pulau" not in text
    assert "Kramian" in text


def test_the_handover_window_follows_the_scenario_and_spans_the_days_of_the_work(
    document, night
) -> None:
    late = voyage_papers(document, night.vessel_id, daylight=(time(7, 0), time(16, 30)))
    windows = [c.window for t in late.trips for c in t.calls if c.kind == "landing"]
    assert windows and all(w and w.endswith(", 07.00-16.30 WIB") for w in windows)
    # Unloading that runs past dusk goes on the next morning: both days are the window.
    index, stop = next((i, s) for i, s in enumerate(night.stops) if s.kind == "landing")
    begins = stop.work_start.astimezone(WIB).replace(hour=15)
    update = {"arrival": begins, "work_start": begins, "work_end": begins + timedelta(hours=16)}
    stops = list(night.stops)
    stops[index] = stop.model_copy(update=update)
    voyage = night.model_copy(update={"stops": tuple(stops)})
    long = voyage_papers(
        document.model_copy(update={"voyages": (voyage,)}), night.vessel_id, lang="en"
    )
    call = next(c for t in long.trips for c in t.calls if c.index == index)
    first = long_time(begins, "en").rsplit(", ", 1)[0]
    second = long_time(begins + timedelta(days=1), "en").rsplit(", ", 1)[0]
    assert call.window == f"{first}, 06:00-18:00 WIB; {second}, 06:00-18:00 WIB"
    assert call.waits is None
    with pytest.raises(ValueError, match="daylight"):
        voyage_papers(document, night.vessel_id, daylight=(time(18), time(6)))


def test_the_fleet_catalogue_names_each_class_in_both_languages() -> None:
    raw = tomllib.loads((DATA / "fleet.toml").read_text(encoding="utf-8"))
    names = parse_class_names(raw)
    classes = parse_fleet(raw)
    assert set(names) == set(classes)
    for ident, vc in classes.items():
        assert vc.name == names[ident]["en"]  # the one name callers read is the English one
        assert names[ident]["id"] != names[ident]["en"]
    assert names["lst_teluk_bintuni"]["id"].startswith("Kapal pendarat tank TNI AL")
    broken = copy.deepcopy(raw)
    del broken["classes"]["pc40"]["name_id"]
    broken["classes"]["kal28"]["name_en"] = " "
    broken["classes"]["motor_boat"]["name"] = "Some other name"
    with pytest.raises(DataError) as err:
        parse_fleet(broken)
    assert {(p.code, p.path) for p in err.value.problems} == {
        ("missing_field", "/classes/pc40/name_id"),
        ("bad_value", "/classes/kal28/name_en"),
        ("bad_value", "/classes/motor_boat/name"),
    }
    # A catalogue written before, with one name: read as the English name.
    old = copy.deepcopy(raw)
    old["classes"]["pc40"]["name"] = old["classes"]["pc40"].pop("name_en")
    assert parse_fleet(old)["pc40"].name == raw["classes"]["pc40"]["name_en"]
