"""Voyage papers: what a vessel's crew carries, reads out and has signed at every village.

For each trip of a vessel (one loading at a depot up to the next; the sail home belongs to the
last trip) the papers give the header (vessel, trip n of N, where it loads, planned departure),
the loading list (every consignment of the trip: village, district, TPS, ballot boxes, weight,
volume, totals) and each stop in order: its place and island, planned arrival in WIB, the
handover window (the daylight hours the planner keeps handovers to, on the day of the handover;
an arrival at night says that the handover waits for the morning), berth or tender, what is
handed over there, and per village a handover record (*Berita Acara Serah Terima*) to fill in by
hand, with a QR code per consignment that the field page scans to record the handover.

What people read carries names; dates are written out in the language of the papers and times in
WIB (UTC+7). Indonesian first (``lang="id"``), English with ``lang="en"``; every word printed comes
from ``LABELS`` (those the pages and the command line print too from the text catalogue,
``routing.text``), the vessel class's name from the fleet catalogue's ``name_id``/``name_en``, so
neither language leaks into the other (names aside). A place has one name on the papers: a landing
is named by the villages it serves (their Kemendagri names, as the handover records name them; not
the port registry's "Keramaian (KRM)"), an island by its gazetteer name without "Pulau", or by the
village or district name it spells another way ("Pulau Karamian" of desa Kramian is "Kramian"). Ids
are printed only where someone may have to type them when a QR code does not scan (the plan, the
vessel, the consignments), in small print, never in parentheses after a name.

``voyage_papers`` turns a plan document into the papers' content (``VoyagePapers``), which
``papers_html`` renders as one HTML page with print CSS (jinja2; QR codes as inline SVG) and
``papers_pdf`` as an A4 PDF (fpdf2; QR codes as PNG images; the core Helvetica font, so the
text is kept to Latin-1 and stays extractable).

The QR payload (``HandoverCode``; ``handover_payload`` writes it, ``parse_handover`` reads it)
is a URI in a private ``ballot:`` scheme, its query in this order, values percent-encoded::

    ballot:handover?v=1&plan=PLAN&vessel=VESSEL_ID&stop=N&consignment=ID&boxes=B

``plan`` is the plan's id in the service (papers from the API), or the plan document's input
hash for papers written from a plan.json outside it; ``stop`` the index of the stop in the
voyage's stops (the ``stop`` of a field event); ``boxes`` the ballot boxes planned for the
consignment (what the ``handed_over`` event's ``boxes`` should say). With the event type
(``handed_over``) implied by ``handover``, that is what ``POST /plans/{plan}/events`` needs
besides what the receiver fills in (condition, receiver, time). The field log keeps one
``handed_over`` per stop (``routing.fieldlog``); a stop handing over several consignments (a
village in parts, or several villages at one landing) has a code for each of them.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from routing.errors import Candidate, DataError, Issue, NotFound
from routing.inputs import DataFiles, bundled_data_dir
from routing.inputs.fleet import load_class_names
from routing.inputs.schema import ScenarioModel
from routing.local import LANGS, WIB, Lang, long_time, number
from routing.plandoc import ManifestItem, PlanDocument, Stop, Voyage, district_of
from routing.text import word

TEMPLATES = Path(__file__).parent / "templates"
DAYLIGHT: tuple[time, time] = (
    ScenarioModel.model_fields["daylight"].default.start,
    ScenarioModel.model_fields["daylight"].default.end,
)
"""The scenario's default handover hours (06:00-18:00 WIB, assumed in the bundled scenarios),
for papers made from a plan document alone, which does not record its scenario's."""
SCHEME = "ballot:handover"
PAYLOAD_VERSION = "1"

# Everything the papers print besides names, codes, numbers and dates: Indonesian, English.
LABELS: dict[str, dict[Lang, str]] = {
    "title": {"id": "Surat Jalan Pelayaran", "en": "Voyage Papers"},
    "subtitle": {
        "id": "Distribusi logistik pemilu ke desa kepulauan Kabupaten Sumenep",
        "en": "Election logistics for the island villages of Sumenep Regency",
    },
    "vessel": {"id": word("vessel", "id"), "en": word("vessel", "en")},
    "vessel_class": {"id": "Jenis kapal", "en": "Vessel class"},
    "trip": {"id": "Perjalanan", "en": "Trip"},
    "trip_of": {"id": "{n} dari {total}", "en": "{n} of {total}"},
    "depot": {"id": "Pelabuhan muat", "en": "Loading port"},
    "start": {"id": "Posisi awal", "en": "Starting position"},
    "departure": {"id": "Rencana berangkat", "en": "Planned departure"},
    "plan": {"id": "Rencana distribusi", "en": "Distribution plan"},
    "loading_list": {"id": "Daftar muatan", "en": "Loading list"},
    "no": {"id": "No.", "en": "No."},
    "village": {"id": word("village", "id"), "en": word("village", "en")},
    "district": {"id": word("district", "id"), "en": word("district", "en")},
    "consignment": {"id": "Kiriman", "en": "Consignment"},
    "tps": {"id": "TPS", "en": "TPS"},
    "boxes": {"id": "Kotak suara", "en": "Ballot boxes"},
    "weight": {"id": "Berat (kg)", "en": "Weight (kg)"},
    "volume": {"id": "Volume (m3)", "en": "Volume (m3)"},
    "total": {"id": "Jumlah", "en": "Total"},
    "stops": {"id": "Persinggahan", "en": "Stops"},
    "stop": {"id": "Persinggahan {n}", "en": "Stop {n}"},
    "island": {"id": "Pulau", "en": "Island"},
    "arrival": {"id": "Rencana tiba", "en": "Planned arrival"},
    "window": {"id": "Serah terima", "en": "Handover"},
    "waits": {
        "id": "Tiba {arrival}; serah terima menunggu pukul {opens}",
        "en": "Arrives {arrival}; the handover waits until {opens}",
    },
    "waits_day": {
        "id": "Tiba {arrival}; serah terima menunggu {day} pukul {opens}",
        "en": "Arrives {arrival}; the handover waits until {opens} on {day}",
    },
    "and": {"id": "dan", "en": "and"},
    "access": {"id": "Sandar atau labuh", "en": "Berth or tender"},
    "access_berth": {"id": "Sandar di dermaga", "en": "Berth alongside the pier"},
    "access_tender": {
        "id": "Labuh jangkar, bongkar muat dengan sekoci",
        "en": "Anchor off, tender to the shore",
    },
    "access_depot": {"id": "Sandar di pelabuhan", "en": "Alongside in port"},
    "depth": {"id": "Kedalaman sandar", "en": "Depth alongside"},
    "depth_unknown": {"id": "tidak diketahui", "en": "not known"},
    "access_start": {"id": "Di laut", "en": "At sea"},
    "cargo": {"id": "Muatan", "en": "Cargo"},
    "cargo_line": {
        "id": "{tps} TPS, {boxes} kotak suara, {weight} kg, {volume} m3",
        "en": "{tps} TPS, {boxes} ballot boxes, {weight} kg, {volume} m3",
    },
    "port_call": {"id": "Tiba di {place}", "en": "Arrive at {place}"},
    "handover": {"id": "Berita Acara Serah Terima", "en": "Handover record"},
    "handover_line": {
        "id": "{village}, Kecamatan {district}: {tps} TPS",
        "en": "{village}, {district} district: {tps} TPS",
    },
    "qr_caption": {"id": "{tps} TPS, {boxes} kotak", "en": "{tps} TPS, {boxes} boxes"},
    "handed_by": {"id": "Yang menyerahkan", "en": "Handed over by"},
    "received_by": {"id": "Yang menerima", "en": "Received by"},
    "name": {"id": "Nama", "en": "Name"},
    "position": {"id": "Jabatan", "en": "Position"},
    "signature": {"id": "Tanda tangan", "en": "Signature"},
    "time": {"id": "Tanggal dan jam", "en": "Date and time"},
    "boxes_received": {"id": "Kotak suara diterima", "en": "Ballot boxes received"},
    "condition": {"id": "Kondisi: baik / rusak", "en": "Condition: good / damaged"},
    "scan": {
        "id": "Pindai kode QR untuk mencatat serah terima kiriman ini.",
        "en": "Scan the QR code to record the handover of this consignment.",
    },
    "codes": {
        "id": "Kode untuk pencatatan lapangan tanpa kode QR: rencana {plan}, kapal {vessel}",
        "en": "Codes for recording in the field without the QR code: plan {plan}, vessel {vessel}",
    },
    "times_note": {
        "id": "Semua waktu adalah waktu rencana, dalam WIB (UTC+7).",
        "en": "All times are planned times, in WIB (UTC+7).",
    },
    "page": {"id": "Halaman {page} dari {pages}", "en": "Page {page} of {pages}"},
    "switch": {"id": "English", "en": "Bahasa Indonesia"},
    "download_pdf": {"id": "Unduh PDF", "en": "Download PDF"},
    "print": {"id": "Cetak", "en": "Print"},
}


def labels(lang: Lang) -> dict[str, str]:
    """Every label of the papers in one language.

    Parameters
    ----------
    lang : {"id", "en"}
        Indonesian or English.

    Returns
    -------
    dict
        Label key to text (some with ``{placeholders}`` for ``str.format``).

    Raises
    ------
    ValueError
        For a language other than ``id`` or ``en``.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return {key: texts[lang] for key, texts in LABELS.items()}


# --- the QR payload -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverCode:
    """What a consignment's QR code says: enough for the field page to post its
    ``handed_over`` event (the plan, the vessel, the stop) and to check what is handed over
    (the consignment and its planned ballot boxes)."""

    plan: str
    vessel_id: str
    stop: int
    consignment: str
    boxes: int


_KEYS = ("v", "plan", "vessel", "stop", "consignment", "boxes")


def handover_payload(code: HandoverCode) -> str:
    """The text of a consignment's QR code.

    Parameters
    ----------
    code : HandoverCode

    Returns
    -------
    str
        ``ballot:handover?v=1&plan=...&vessel=...&stop=N&consignment=...&boxes=B``, values
        percent-encoded (``#`` of a split consignment as ``%23``).
    """
    values = (
        PAYLOAD_VERSION,
        code.plan,
        code.vessel_id,
        str(code.stop),
        code.consignment,
        str(code.boxes),
    )
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in zip(_KEYS, values, strict=True))
    return f"{SCHEME}?{query}"


def parse_handover(text: str) -> HandoverCode:
    """Read a consignment's QR code.

    Parameters
    ----------
    text : str
        What the QR code decodes to (``handover_payload``'s output).

    Returns
    -------
    HandoverCode

    Raises
    ------
    DataError
        When the text is not a handover code of this version, or a field is missing, repeated,
        empty or not a number where one is needed; each problem by its key (``/stop``).
    """
    head, _, query = text.strip().partition("?")
    if head != SCHEME:
        why = f"not a handover code: it should start with {SCHEME}?"
        raise DataError([Issue("bad_value", "", why)], source="handover code")
    pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False)
    seen: dict[str, str] = {}
    issues = []
    for key, value in pairs:
        if key in seen:
            issues.append(Issue("bad_value", f"/{key}", f"{key} is given twice"))
        seen[key] = value
    for key in _KEYS:
        if not seen.get(key):
            issues.append(Issue("missing_field", f"/{key}", f"the code has no {key}"))
    if seen.get("v") and seen["v"] != PAYLOAD_VERSION:
        issues.append(Issue("bad_value", "/v", f"version {seen['v']!r} is not known here"))
    for key in ("stop", "boxes"):
        if seen.get(key) and not seen[key].isdigit():
            issues.append(Issue("bad_value", f"/{key}", f"{key} must be a whole number"))
    if issues:
        raise DataError(issues, source="handover code")
    return HandoverCode(
        plan=seen["plan"],
        vessel_id=seen["vessel"],
        stop=int(seen["stop"]),
        consignment=seen["consignment"],
        boxes=int(seen["boxes"]),
    )


# --- the papers' content ------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """TPS, ballot boxes, weight and volume, as numbers and as the papers print them."""

    tps: int
    boxes: int
    weight_kg: float
    volume_m3: float
    tps_text: str
    boxes_text: str
    weight_text: str
    volume_text: str


@dataclass(frozen=True)
class Consignment:
    """One consignment: a row of the loading list and a QR code in its village's record."""

    id: str
    village: str  # its name (the code where none is known)
    village_code: str
    district: str
    load: Load
    caption: str  # under the QR code: "27 TPS, 135 kotak"
    payload: str  # the QR code's text
    stop: int


@dataclass(frozen=True)
class VillageHandover:
    """A village's handover record at a stop: its consignments, each with a QR code."""

    village: str
    village_code: str
    district: str
    load: Load
    heading: str  # "<village>, Kecamatan <district>: N TPS"
    consignments: tuple[Consignment, ...]


@dataclass(frozen=True)
class Call:
    """A stop of a trip after its departure: a landing (with its villages) or a port."""

    index: int  # in the voyage's stops, as field events number them
    kind: str
    title: str  # "Persinggahan 5: <place>" or "Tiba di <port>"
    place: str
    island: str | None
    arrival: str
    window: str | None  # at a landing: "Selasa, 6 Februari 2024, 06.00-18.00 WIB"
    waits: str | None  # outside it: "Tiba 01.24 WIB; serah terima menunggu pukul 06.00 WIB"
    access: str
    depth: str | None  # at a landing: the known depth alongside, or that it is not known
    load: Load | None
    cargo: str | None  # "27 TPS, 135 kotak suara, 1.512,2 kg, 14,58 m3"
    villages: tuple[VillageHandover, ...]


@dataclass(frozen=True)
class Trip:
    """One trip: where and when it leaves, what it carries, and its stops in order."""

    number: int
    of: str  # "1 dari 3"
    origin_label: str  # loading port, or starting position of a re-plan under way
    origin: str
    departure: str
    loading: tuple[Consignment, ...]
    total: Load
    calls: tuple[Call, ...]


@dataclass(frozen=True)
class VoyagePapers:
    """The papers of one vessel: its trips, in one language."""

    lang: Lang
    labels: Mapping[str, str]
    vessel: str  # its name (the id where none is known)
    vessel_id: str
    vessel_class: str  # its name in the papers' language
    plan: str  # the plan as the QR codes name it
    scenario: str
    trips: tuple[Trip, ...]
    codes: str  # small print: the plan and the vessel, to type where a QR code does not scan


def _load(items: Sequence[ManifestItem], lang: Lang) -> Load:
    tps = sum(i.tps for i in items)
    boxes = sum(i.ballot_boxes for i in items)
    kg = sum(i.weight_kg for i in items)
    m3 = sum(i.volume_m3 for i in items)
    return Load(
        tps=tps,
        boxes=boxes,
        weight_kg=kg,
        volume_m3=m3,
        tps_text=number(tps, lang),
        boxes_text=number(boxes, lang),
        weight_text=number(kg, lang, 1),
        volume_text=number(m3, lang, 2),
    )


def _trips(voyage: Voyage) -> list[list[tuple[int, Stop]]]:
    """The voyage's trips in order, each as its stops with their index, the first being where
    the trip sets out from: the depot call that loads it; for a re-planned voyage that starts
    at sea with cargo on board, where it was; returning, the depot call that unloads the trip
    before (it carries that trip's number). Stops before the loading (a re-planned voyage
    sailing home empty) are left out. A group with no landing (the sail home numbered as a trip
    of its own, in documents written before trips were numbered from 1) joins the trip before
    it; a voyage with no landing at all has no trips."""
    groups: dict[int, list[tuple[int, Stop]]] = {}
    for i, stop in enumerate(voyage.stops):
        groups.setdefault(stop.trip, []).append((i, stop))
    merged: list[list[tuple[int, Stop]]] = []
    for group in groups.values():
        if merged and not any(s.kind == "landing" for _, s in group):
            merged[-1].extend(group)
        else:
            merged.append(group)
    out: list[list[tuple[int, Stop]]] = []
    previous: tuple[int, Stop] | None = None
    for group in merged:
        landings = [n for n, (_, s) in enumerate(group) if s.kind == "landing"]
        if landings:
            first = landings[0]
            loads = [n for n, (_, s) in enumerate(group[:first]) if s.kind == "depot"]
            if loads:
                out.append(group[loads[-1] :])
            elif first > 0:
                out.append(group)
            else:  # it sets out from the last call of the trip before
                out.append(([previous] if previous else []) + group)
        previous = group[-1]
    return out


def _name(name: str | None, code: str) -> str:
    """A name as people read it; the code only where no name is known."""
    return name or code


def _skeleton(name: str) -> str:
    """A name's consonants, case and accents aside: spellings of one name agree ("Kramian",
    "Karamian", "Keramaian" are all "krmn"; "Giliginting", "Giligenting" "glgntng")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return "".join(c for c in plain if c.isalpha() and c not in "aeiou")


def _island(stop: Stop, spelled: Iterable[str]) -> str | None:
    """The stop's island by its gazetteer name without "Pulau" (the label says it), or by the
    village or district name it spells another way, so that the place has one name."""
    if not stop.island_code:
        return None
    name = re.sub(r"^(pulau\s+)?(desa\s+)?", "", stop.island_name or "", flags=re.IGNORECASE)
    if not name:
        return stop.island_name or stop.island_code
    return next((x for x in spelled if _skeleton(x) == _skeleton(name)), name)


def _village_names(stop: Stop) -> dict[str, tuple[str, str]]:
    """The villages of a stop: code to (name, district), in the order the stop lists them."""
    out: dict[str, tuple[str, str]] = {}
    for v in stop.villages:
        out[v.code] = (_name(v.name, v.code), v.district_name or v.district_code or "")
    for i in stop.manifest:
        district = i.district_name or i.district_code or district_of(i.village_code)
        out.setdefault(i.village_code, (_name(i.village_name, i.village_code), district))
    return out


def _place(stop: Stop, lang: Lang) -> str:
    """A landing by the villages it serves, a port or a position by its name."""
    names = list(dict.fromkeys(n for n, _ in _village_names(stop).values()))
    if stop.kind != "landing" or not names:
        return _name(stop.name, stop.id)
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {labels(lang)['and']} {names[-1]}"


def _day_and_clock(when: datetime, lang: Lang) -> tuple[str, str]:
    """("Selasa, 6 Februari 2024", "06.00 WIB"): ``long_time`` in its two parts."""
    day, clock = long_time(when, lang).rsplit(", ", 1)
    return day, clock


def _opens(when: datetime, daylight: tuple[time, time]) -> datetime:
    """The first moment at or after ``when`` inside the daylight window (WIB)."""
    local = when.astimezone(WIB)
    start, end = daylight
    if start <= local.time() < end:
        return local
    day = local.date() + timedelta(days=local.time() >= end)
    return datetime.combine(day, start, tzinfo=WIB)


def _window(stop: Stop, daylight: tuple[time, time], lang: Lang) -> tuple[str, str | None]:
    """A landing's handover window, each day of it ("Selasa, 6 Februari 2024, 06.00-18.00
    WIB"), and, for an arrival outside the daylight hours, that the handover waits for them."""
    t = labels(lang)
    begins = _opens(max(stop.work_start, stop.arrival), daylight)
    last = max(stop.work_end.astimezone(WIB), begins)
    if last.date() > begins.date() and last.time() <= daylight[0]:
        last -= timedelta(days=1)  # done at the close of the day before
    span = (last.date() - begins.date()).days
    days = [begins.date() + timedelta(days=n) for n in range(span + 1)]
    parts = []
    for day in days:
        name, opens = _day_and_clock(datetime.combine(day, daylight[0], tzinfo=WIB), lang)
        _, closes = _day_and_clock(datetime.combine(day, daylight[1], tzinfo=WIB), lang)
        parts.append(f"{name}, {opens.removesuffix(' WIB')}-{closes}")
    arrived = stop.arrival.astimezone(WIB)
    if _opens(arrived, daylight) == arrived:
        return "; ".join(parts), None
    opening = _opens(arrived, daylight)
    opening_day, opens = _day_and_clock(opening, lang)
    _, arrival = _day_and_clock(arrived, lang)
    if opening.date() == arrived.date():
        return "; ".join(parts), t["waits"].format(arrival=arrival, opens=opens)
    return "; ".join(parts), t["waits_day"].format(arrival=arrival, opens=opens, day=opening_day)


def _consignment(
    item: ManifestItem, index: int, *, plan: str, vessel_id: str, lang: Lang
) -> Consignment:
    code = HandoverCode(plan, vessel_id, index, item.consignment, item.ballot_boxes)
    load = _load([item], lang)
    return Consignment(
        id=item.consignment,
        village=_name(item.village_name, item.village_code),
        village_code=item.village_code,
        district=item.district_name or item.district_code or district_of(item.village_code),
        load=load,
        caption=labels(lang)["qr_caption"].format(tps=load.tps_text, boxes=load.boxes_text),
        payload=handover_payload(code),
        stop=index,
    )


def _villages(
    stop: Stop, index: int, *, plan: str, vessel_id: str, lang: Lang
) -> tuple[VillageHandover, ...]:
    t = labels(lang)
    by_village: dict[str, list[ManifestItem]] = {}
    for item in stop.manifest:
        by_village.setdefault(item.village_code, []).append(item)
    out = []
    for code, items in by_village.items():
        first = items[0]
        village = _name(first.village_name, code)
        district = first.district_name or first.district_code or district_of(code)
        load = _load(items, lang)
        out.append(
            VillageHandover(
                village=village,
                village_code=code,
                district=district,
                load=load,
                heading=t["handover_line"].format(
                    village=village, district=district, tps=load.tps_text
                ),
                consignments=tuple(
                    _consignment(i, index, plan=plan, vessel_id=vessel_id, lang=lang) for i in items
                ),
            )
        )
    return tuple(out)


def _call(
    stop: Stop,
    index: int,
    *,
    plan: str,
    vessel_id: str,
    daylight: tuple[time, time],
    lang: Lang,
) -> Call:
    t = labels(lang)
    place = _place(stop, lang)
    landing = stop.kind == "landing"
    load = _load(stop.manifest, lang) if landing else None
    window, waits = _window(stop, daylight, lang) if landing else (None, None)
    spelled = [x for pair in _village_names(stop).values() for x in pair if x]
    return Call(
        index=index,
        kind=stop.kind,
        title=(
            f"{t['stop'].format(n=index)}: {place}"
            if landing
            else t["port_call"].format(place=place)
        ),
        place=place,
        island=_island(stop, spelled),
        arrival=long_time(stop.arrival, lang),
        window=window,
        waits=waits,
        access=t[f"access_{stop.access}"],
        depth=(
            None
            if not landing
            else t["depth_unknown"]
            if stop.depth_alongside_m is None
            else f"{number(stop.depth_alongside_m, lang, 1)} m"
        ),
        load=load,
        cargo=t["cargo_line"].format(
            tps=load.tps_text,
            boxes=load.boxes_text,
            weight=load.weight_text,
            volume=load.volume_text,
        )
        if load
        else None,
        villages=_villages(stop, index, plan=plan, vessel_id=vessel_id, lang=lang)
        if landing
        else (),
    )


def _trip(
    group: list[tuple[int, Stop]],
    number: int,
    total: int,
    *,
    plan: str,
    vessel_id: str,
    daylight: tuple[time, time],
    lang: Lang,
) -> Trip:
    t = labels(lang)
    first = group[0][1]
    departs = first.kind in ("depot", "start")
    calls = tuple(
        _call(s, i, plan=plan, vessel_id=vessel_id, daylight=daylight, lang=lang)
        for i, s in (group[1:] if departs else group)
    )
    loading = tuple(c for call in calls for v in call.villages for c in v.consignments)
    items = [item for _, s in group if s.kind == "landing" for item in s.manifest]
    return Trip(
        number=number,
        of=t["trip_of"].format(n=number, total=total),
        origin_label=t["start"] if first.kind == "start" else t["depot"],
        origin=_place(first, lang),
        departure=long_time(first.departure if departs else first.arrival, lang),
        loading=loading,
        total=_load(items, lang),
        calls=calls,
    )


def _voyage(document: PlanDocument, vessel_id: str) -> Voyage:
    voyage = document.voyage(vessel_id)
    if voyage is None:
        used = [
            Candidate(v.vessel_name or v.vessel_id, "vessel", v.vessel_id) for v in document.voyages
        ]
        raise NotFound("vessel", vessel_id, used)
    return voyage


@cache
def bundled_class_names() -> Mapping[str, Mapping[Lang, str]]:
    """The vessel classes' names of the bundled catalogue (``data/fleet.toml``); none where
    the catalogue is not beside the code (an installed wheel without its data)."""
    fleet = DataFiles(bundled_data_dir()).fleet  # the bundled catalogue's names
    return load_class_names(fleet) if fleet.is_file() else {}


def _class_name(voyage: Voyage, names: Mapping[str, Mapping[Lang, str]] | None, lang: Lang) -> str:
    """The vessel class's name in the papers' language: from the catalogue given, else the
    bundled one, else (a class neither knows) the name the plan document carries."""
    for catalogue in (names, bundled_class_names()):
        if catalogue is not None and voyage.vessel_class in catalogue:
            return catalogue[voyage.vessel_class][lang]
    return _name(voyage.vessel_class_name, voyage.vessel_class)


def voyage_papers(
    document: PlanDocument,
    vessel_id: str,
    *,
    plan: str | None = None,
    lang: Lang = "id",
    class_names: Mapping[str, Mapping[Lang, str]] | None = None,
    daylight: tuple[time, time] = DAYLIGHT,
) -> VoyagePapers:
    """The content of a vessel's voyage papers, trip by trip.

    Parameters
    ----------
    document : PlanDocument
        The plan (a re-plan, or a capacity plan's ``plan``, alike).
    vessel_id : str
        A vessel with a voyage in the plan.
    plan : str, optional
        How the QR codes name the plan: its id in the service. Default: the document's
        ``input_hash``.
    lang : {"id", "en"}
        Indonesian (default) or English.
    class_names : mapping, optional
        Vessel class id to its name per language (``routing.inputs.fleet.load_class_names``).
        Default: the bundled catalogue's.
    daylight : (time, time)
        The handover hours of the plan's scenario (local clock times, WIB). Default: the
        scenario's default, 06:00-18:00 (``DAYLIGHT``).

    Returns
    -------
    VoyagePapers

    Raises
    ------
    NotFound
        When the plan has no voyage for the vessel (the candidates are the vessels it uses).
    ValueError
        For a language other than ``id`` or ``en``, or daylight that does not start before it
        ends.
    """
    t = labels(lang)
    if not daylight[0] < daylight[1]:
        raise ValueError(f"daylight must start before it ends, not {daylight[0]}-{daylight[1]}")
    voyage = _voyage(document, vessel_id)
    ref = plan or document.input_hash
    groups = _trips(voyage)
    return VoyagePapers(
        lang=lang,
        labels=t,
        vessel=_name(voyage.vessel_name, voyage.vessel_id),
        vessel_id=voyage.vessel_id,
        vessel_class=_class_name(voyage, class_names, lang),
        plan=ref,
        scenario=document.scenario,
        trips=tuple(
            _trip(g, n, len(groups), plan=ref, vessel_id=vessel_id, daylight=daylight, lang=lang)
            for n, g in enumerate(groups, start=1)
        ),
        codes=t["codes"].format(plan=ref, vessel=voyage.vessel_id),
    )


def filename(vessel_id: str, lang: Lang, ext: str) -> str:
    """The papers' file name: ``papers-<vessel id>-<lang>.<ext>``, the id kept to letters,
    digits, ``.``, ``_`` and ``-`` (anything else as ``_``).

    Parameters
    ----------
    vessel_id : str
    lang : {"id", "en"}
    ext : str
        ``pdf`` or ``html``.

    Returns
    -------
    str
    """
    return f"papers-{re.sub(r'[^A-Za-z0-9._-]', '_', vessel_id)}-{lang}.{ext}"


# --- HTML ---------------------------------------------------------------------------------------


def qr_svg(payload: str) -> Markup:
    """A QR code as inline SVG (sized by the page's CSS), error correction level M."""
    svg = segno.make(payload, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None
    )
    return Markup(svg)  # segno's own markup: a path, no text of the payload


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["qr_svg"] = qr_svg
    return env


def papers_html(
    papers: VoyagePapers, *, switch_href: str | None = None, pdf_href: str | None = None
) -> str:
    """The papers as one HTML page: print CSS (A4, a page per trip), QR codes inline, no
    third-party code.

    Parameters
    ----------
    papers : VoyagePapers
    switch_href : str, optional
        A link to the same papers in the other language (shown on screen, not printed).
    pdf_href : str, optional
        A link to the PDF of the papers (shown on screen, not printed).

    Returns
    -------
    str
    """
    template = _environment().get_template("papers.html.j2")
    return template.render(p=papers, t=papers.labels, switch_href=switch_href, pdf_href=pdf_href)


# --- PDF ----------------------------------------------------------------------------------------

_LATIN1 = str.maketrans(
    {
        "\u2192": "->",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def latin1(text: str) -> str:
    """Text the PDF's core font can print: typographic marks made plain, accents kept where
    Latin-1 has them, dropped where it has not, anything else as ``?``."""
    text = text.translate(_LATIN1)
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def qr_png(payload: str) -> bytes:
    """A QR code as PNG bytes (error correction level M, 4-module quiet zone)."""
    buf = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buf, kind="png", scale=8, border=4)
    return buf.getvalue()


MARGIN_MM = 12.0
SMALL_PT = 7.0  # ids, for typing where a QR code does not scan
QR_MM = 30.0
LINE_MM = 5.0


class _PapersPDF(FPDF):
    """A4 portrait with the vessel, trip and page number at the foot of every page."""

    def __init__(self, papers: VoyagePapers) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.papers = papers
        self.trip_of = ""
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(True, margin=MARGIN_MM + 6)
        self.alias_nb_pages("{nb}")

    def text_cell(self, text: str, *, h: float = LINE_MM, w: float = 0, **kw: Any) -> None:
        self.cell(w, h, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, **kw)

    def footer(self) -> None:
        t = self.papers.labels
        self.set_y(-MARGIN_MM - 3)
        self.set_font("helvetica", "", 7.5)
        page = t["page"].format(page=self.page_no(), pages="{nb}")
        left = f"{self.papers.vessel} - {t['trip']} {self.trip_of}"
        self.cell(0, 4, latin1(left), new_x=XPos.LMARGIN, new_y=YPos.TOP)
        self.cell(0, 4, latin1(page), align="R")


def _field(pdf: _PapersPDF, label: str, value: str) -> None:
    pdf.set_font("helvetica", "B", 9.5)
    pdf.cell(42, LINE_MM, latin1(label))
    pdf.set_font("helvetica", "", 9.5)
    pdf.multi_cell(0, LINE_MM, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header(pdf: _PapersPDF, papers: VoyagePapers, trip: Trip) -> None:
    t = papers.labels
    pdf.set_font("helvetica", "B", 15)
    pdf.text_cell(t["title"].upper(), h=7)
    pdf.set_font("helvetica", "", 9)
    pdf.text_cell(t["subtitle"])
    pdf.ln(2)
    _field(pdf, t["vessel"], papers.vessel)
    _field(pdf, t["vessel_class"], papers.vessel_class)
    _field(pdf, t["trip"], trip.of)
    _field(pdf, trip.origin_label, trip.origin)
    _field(pdf, t["departure"], trip.departure)
    _field(pdf, t["plan"], papers.scenario)
    pdf.set_font("helvetica", "I", 8)
    pdf.text_cell(t["times_note"])
    pdf.set_font("helvetica", "", SMALL_PT)
    pdf.multi_cell(0, 3.5, latin1(papers.codes), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


LOADING_COLUMNS = ("no", "village", "district", "consignment", "tps", "boxes", "weight", "volume")


def _figures(load: Load) -> tuple[str, str, str, str]:
    return load.tps_text, load.boxes_text, load.weight_text, load.volume_text


def _loading_list(pdf: _PapersPDF, papers: VoyagePapers, trip: Trip) -> None:
    t = papers.labels
    pdf.set_font("helvetica", "B", 11)
    pdf.text_cell(t["loading_list"], h=7)
    pdf.set_font("helvetica", "", 8.5)
    with pdf.table(
        col_widths=(8, 48, 24, 32, 12, 18, 22, 22),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=4.2,
        repeat_headings=1,
        first_row_as_headings=True,
    ) as table:
        table.row([latin1(t[key]) for key in LOADING_COLUMNS])
        small = FontFace(size_pt=SMALL_PT)
        for n, c in enumerate(trip.loading, start=1):
            row = table.row()
            for k, x in enumerate((str(n), c.village, c.district, c.id, *_figures(c.load))):
                row.cell(latin1(x), style=small if k == 3 else None)
        total = ("", t["total"], "", "", *_figures(trip.total))
        table.row([latin1(x) for x in total], style=FontFace(emphasis="BOLD"))
    pdf.ln(3)


def _call_height(call: Call) -> float:
    """The height of a stop's title and fields with its first handover record, which are kept
    together on a page."""
    fields = (
        2
        + (call.island is not None)
        + (call.cargo is not None)
        + (call.depth is not None)
        + (call.window is not None)
        + (call.waits is not None)
    )
    first = _handover_height(call.villages[0]) + 3 if call.villages else 0.0
    return 6.5 + fields * LINE_MM + 1.5 + first


def _call_block(pdf: _PapersPDF, papers: VoyagePapers, call: Call) -> None:
    t = papers.labels
    if pdf.will_page_break(_call_height(call)):
        pdf.add_page()
    pdf.set_font("helvetica", "B", 10.5)
    pdf.set_fill_color(225, 225, 225)
    pdf.text_cell(call.title, h=6.5, fill=True)
    if call.island:
        _field(pdf, t["island"], call.island)
    _field(pdf, t["arrival"], call.arrival)
    if call.window is not None:
        _field(pdf, t["window"], call.window)
    if call.waits is not None:
        pdf.set_font("helvetica", "B", 9.5)
        pdf.cell(42, LINE_MM, "")
        pdf.multi_cell(0, LINE_MM, latin1(call.waits), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _field(pdf, t["access"], call.access)
    if call.depth is not None:
        _field(pdf, t["depth"], call.depth)
    if call.cargo is not None:
        _field(pdf, t["cargo"], call.cargo)
    pdf.ln(1.5)
    for village in call.villages:
        _handover(pdf, papers, village)
    pdf.ln(2)


QR_CELL_MM = QR_MM + 9  # a code with its two caption lines
BESIDE = 4  # codes in the column beside the lines to sign; more go in rows of ACROSS below
ACROSS = 5
SIGNATURES_MM = 6 + 40 + 2 + 5  # the table's head and four rows, the line below it


def _code_places(n: int) -> list[tuple[float, float]]:
    """Where a record's QR codes go, in mm from the top left of the record's body: the first
    BESIDE down the left, the rest in rows of ACROSS under the lines to sign."""
    below = max(BESIDE * QR_CELL_MM, SIGNATURES_MM)
    return [
        (0.0, k * QR_CELL_MM)
        if k < BESIDE
        else ((k - BESIDE) % ACROSS * (QR_MM + 6), below + (k - BESIDE) // ACROSS * QR_CELL_MM)
        for k in range(n)
    ]


def _handover_height(village: VillageHandover) -> float:
    n = len(village.consignments)
    beside = max(min(n, BESIDE) * QR_CELL_MM, SIGNATURES_MM)
    below = -(-max(n - BESIDE, 0) // ACROSS) * QR_CELL_MM
    return 12 + beside + below + 2


def _handover(pdf: _PapersPDF, papers: VoyagePapers, village: VillageHandover) -> None:
    """A village's handover record, kept on one page: the QR codes on the left, one per
    consignment (past four, in rows below), and the lines to sign on the right."""
    t = papers.labels
    height = _handover_height(village)
    if pdf.will_page_break(height):
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.rect(x0, y0, width, height)
    pdf.set_xy(x0 + 2, y0 + 1.5)
    pdf.set_font("helvetica", "B", 9.5)
    pdf.cell(width - 4, 5, latin1(f"{t['handover']}: {village.heading}"))
    pdf.set_xy(x0 + 2, y0 + 6.5)
    pdf.set_font("helvetica", "I", 7.5)
    pdf.cell(width - 4, 4, latin1(t["scan"]))
    top = y0 + 12
    places = _code_places(len(village.consignments))
    for c, (dx, dy) in zip(village.consignments, places, strict=True):
        x, y = x0 + 2 + dx, top + dy
        pdf.image(io.BytesIO(qr_png(c.payload)), x=x + 1, y=y, w=QR_MM, h=QR_MM)
        pdf.set_font("helvetica", "", SMALL_PT)
        pdf.set_xy(x, y + QR_MM + 0.5)
        pdf.cell(QR_MM + 4, 3.5, latin1(c.id), align="C")
        pdf.set_font("helvetica", "", 7.5)
        pdf.set_xy(x, y + QR_MM + 4)
        pdf.cell(QR_MM + 4, 3.5, latin1(c.caption), align="C")
    _signatures(pdf, papers, x=x0 + QR_MM + 9, y=top, w=width - QR_MM - 11)
    pdf.set_xy(x0, y0 + height + 3)


def _signatures(pdf: _PapersPDF, papers: VoyagePapers, *, x: float, y: float, w: float) -> None:
    t = papers.labels
    label_w = 26.0
    col = (w - label_w) / 2
    pdf.set_xy(x, y)
    pdf.set_font("helvetica", "B", 8.5)
    pdf.cell(label_w, 6, "")
    pdf.cell(col, 6, latin1(t["handed_by"]), border=1, align="C")
    pdf.cell(col, 6, latin1(t["received_by"]), border=1, align="C")
    rows = (("name", 8.0), ("position", 8.0), ("signature", 16.0), ("time", 8.0))
    cy = y + 6
    for key, h in rows:
        pdf.set_xy(x, cy)
        pdf.set_font("helvetica", "", 8.5)
        pdf.cell(label_w, h, latin1(t[key]), border=1)
        pdf.cell(col, h, "", border=1)
        pdf.cell(col, h, "", border=1)
        cy += h
    pdf.set_xy(x, cy + 2)
    pdf.cell(w / 2, 5, latin1(f"{t['boxes_received']}: ________"))
    pdf.cell(w / 2, 5, latin1(t["condition"]))


def papers_pdf(papers: VoyagePapers) -> bytes:
    """The papers as an A4 PDF: a trip starts on a new page, a handover record is never split
    across pages, the text is real text (Helvetica, Latin-1) and the QR codes images.

    Parameters
    ----------
    papers : VoyagePapers

    Returns
    -------
    bytes
        The PDF file.
    """
    pdf = _PapersPDF(papers)
    t = papers.labels
    pdf.set_title(latin1(f"{t['title']} - {papers.vessel}"))
    pdf.set_subject(latin1(t["subtitle"]))
    pdf.set_creator("island-ballot-routing")
    pdf.set_lang(papers.lang)
    for trip in papers.trips:
        pdf.add_page()  # the previous page's foot is drawn here, with its own trip
        pdf.trip_of = trip.of
        _header(pdf, papers, trip)
        _loading_list(pdf, papers, trip)
        if trip.calls and pdf.will_page_break(7 + _call_height(trip.calls[0])):
            pdf.add_page()  # the heading with the first stop
        pdf.set_font("helvetica", "B", 11)
        pdf.text_cell(t["stops"], h=7)
        for call in trip.calls:
            _call_block(pdf, papers, call)
    return bytes(pdf.output())


def _papers_of(document: PlanDocument, context: Any) -> VoyagePapers:
    if context.vessel_id is None:
        raise ValueError("the papers are a vessel's: the context names no vessel")
    return voyage_papers(
        document,
        context.vessel_id,
        plan=context.plan_id,
        lang=context.lang,
        class_names=context.class_names,
        daylight=context.daylight or DAYLIGHT,
    )


def render_html(document: PlanDocument, context: Any) -> bytes:
    """``papers.html`` (``routing.outputs.formats``): the context's vessel's papers in its
    language; served by the API (``context.served``), with links to the same papers in the
    other language and to their PDF."""
    found = _papers_of(document, context)
    if not context.served:
        return papers_html(found).encode()
    other = "en" if context.lang == "id" else "id"
    here = quote(found.vessel_id, safe="")
    html = papers_html(
        found, switch_href=f"{here}?lang={other}", pdf_href=f"{here}.pdf?lang={context.lang}"
    )
    return html.encode()


def render_pdf(document: PlanDocument, context: Any) -> bytes:
    """``papers.pdf`` (``routing.outputs.formats``): the context's vessel's papers as A4 PDF."""
    return papers_pdf(_papers_of(document, context))
