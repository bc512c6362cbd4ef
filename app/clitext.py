"""What the command line says to people beside its tables, in Indonesian and English: progress,
the files written, the capacity table and warnings (one entry per phrase, the same keys in both
languages). The plan, risk and target tables keep their words in ``app.cli.planning``; the words the
pages and the papers print too come from the text catalogue (``routing.text``)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from routing.local import lang_of, number
from routing.text import word

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "solving": "Menyusun rencana",
        "simulating": "Simulasi",
        "iteration": "iterasi",
        "run": "simulasi",
        "wrote": "ditulis: {path}",
        "wrote_in": "ditulis di {folder}/: {names}",
        "wrote_graph": "ditulis: {path} ({format}): {nodes} simpul, {edges} sisi; kelas "
        "{vessel_class}, jarak aman {clearance} m",
        "wrote_hazards": "ditulis: {path}: {count} bahaya baru, belum diperiksa",
        "scenario": "skenario: {path}",
        "papers_of": "dokumen pelayaran {vessel}: {trips} trip",
        "target_round": "rencana {round} ({lever}): {count} kecamatan di bawah {target} "
        "tepat waktu",
        "target_check": "rencana {round} diperiksa pada {runs} simulasi lain: {count} kecamatan "
        "di bawah {target} tepat waktu",
        "lever_plan": "skenario",
        "lever_buffers": "batas waktu lebih awal",
        "lever_dispatch": "kapal dikirim",
        "lever_vessels": "kapal tambahan",
        "lever_start": "mulai lebih awal",
        "lever_combined": "gabungan",
        "lever_capacity": "hari mulai dan armada",
        "coast_found": "{count} tempat yang daratnya terlihat pada masker darat GLOBE lebih dari "
        "{distance} m dari daratan OSM (lintang, bujur; WGS 84):",
        "coast_header": "{id:<22} {lat:>9} {lon:>10} {km2:>6} {osm:>10}  di berkas",
        "coast_osm": "m ke OSM",
        # capacity
        "needed": "Kapal yang dibutuhkan per kelas (biaya tetap per kapal dipakai: Rp {cost})",
        "class": "Kelas",
        "needed_col": "Dibutuhkan",
        "available": "Tersedia",
        "fullness": "Keterisian kapal (trip yang paling penuh)",
        "vessel": word("vessel", "id"),
        "trips": "Trip",
        "load_kg": "Muatan kg",
        "kg_pct": "Berat %",
        "m3_pct": "Volume %",
        "deadlines": "Batas waktu per kecamatan",
        "district": word("district", "id"),
        "deadline": "Batas waktu",
        "delivered_by": "Terkirim",
        "slack_h": "Sisa jam",
        "never": "tidak terkirim",
        "totals": "Jam kapal {ship_hours}; jarak {distance} mil laut",
        "unserved": "tidak terlayani: {villages}",
        "key_expires": "id {id}, kedaluwarsa {when}",
        # keys create --qr
        "loopback": "alamat mesin ini sendiri (loopback)",
        "wildcard": "alamat 'semua antarmuka' untuk mendengar, bukan alamat tujuan",
        "qr_unreachable": "peringatan: tautan di kode QR memakai {url}, {what}: ponsel yang "
        "memindainya tidak sampai ke layanan. Setel BALLOT_PUBLIC_URL ke alamat layanan yang "
        "dijangkau ponsel, mis. BALLOT_PUBLIC_URL=https://<alamat-server> ballot-routing keys "
        "create ..., lalu buat kunci lagi (kunci ini bisa dicabut: ballot-routing keys revoke).",
        "qr_insecure": "peringatan: {url} bukan HTTPS dan bukan mesin ini: ponsel menyimpan "
        "halaman lapangan dan laporannya selama luring hanya pada alamat HTTPS (peramban hanya "
        "mengizinkan service worker di sana); setel BALLOT_PUBLIC_URL ke alamat itu",
    },
    "en": {
        "solving": "Solving",
        "simulating": "Simulating",
        "iteration": "iteration",
        "run": "run",
        "wrote": "wrote {path}",
        "wrote_in": "wrote {folder}/: {names}",
        "wrote_graph": "wrote {path} ({format}): {nodes} nodes, {edges} edges; class "
        "{vessel_class}, clearance {clearance} m",
        "wrote_hazards": "wrote {path}: {count} new unverified hazard(s)",
        "scenario": "scenario: {path}",
        "papers_of": "papers of {vessel}: {trips} trip(s)",
        "target_round": "plan {round} ({lever}): {count} district(s) below {target} on time",
        "target_check": "plan {round} checked on {runs} other runs: {count} district(s) below "
        "{target} on time",
        "lever_plan": "scenario",
        "lever_buffers": "earlier deadlines",
        "lever_dispatch": "dispatched",
        "lever_vessels": "more vessels",
        "lever_start": "earlier start",
        "lever_combined": "combined",
        "lever_capacity": "start day and fleet",
        "coast_found": "{count} place(s) where the GLOBE land mask sees land more than "
        "{distance} m from OSM land (lat, lon; WGS 84):",
        "coast_header": "{id:<22} {lat:>9} {lon:>10} {km2:>6} {osm:>10}  on file",
        "coast_osm": "OSM land m",
        "needed": "Vessels needed per class (fixed cost per vessel used: IDR {cost})",
        "class": "Class",
        "needed_col": "Needed",
        "available": "Available",
        "fullness": "How full the vessels are (their fullest trip)",
        "vessel": word("vessel", "en"),
        "trips": "Trips",
        "load_kg": "Load kg",
        "kg_pct": "Weight %",
        "m3_pct": "Volume %",
        "deadlines": "Deadlines per district",
        "district": word("district", "en"),
        "deadline": "Deadline",
        "delivered_by": "Delivered by",
        "slack_h": "Slack h",
        "never": "not delivered",
        "totals": "Ship-hours {ship_hours}; distance {distance} nm",
        "unserved": "not served: {villages}",
        "key_expires": "id {id}, expires {when}",
        "loopback": "this machine's own (loopback) address",
        "wildcard": "a listen-on-every-interface address, not one to connect to",
        "qr_unreachable": "warning: the QR code's link uses {url}, {what}: a phone that scans "
        "it reaches nothing. Set BALLOT_PUBLIC_URL to the address phones reach the service at, "
        "e.g. BALLOT_PUBLIC_URL=https://<server-address> ballot-routing keys create ..., and "
        "create the key again (this one can be revoked: ballot-routing keys revoke).",
        "qr_insecure": "warning: {url} is neither HTTPS nor this machine: a phone keeps the "
        "field page and its reports offline only on an HTTPS address (browsers allow service "
        "workers nowhere else); set BALLOT_PUBLIC_URL to it",
    },
}


def words(lang: str | None) -> dict[str, str]:
    """The phrases of a language (Indonesian unless ``en``)."""
    return TEXT[lang_of(lang)]


_TARGET_ROUND = re.compile(
    r"^plan (\d+) \((\w+)\): (\d+) district\(s\) below (\d+(?:\.\d+)?)% on time$"
)
_TARGET_CHECK = re.compile(
    r"^plan (\d+) checked on (\d+) other runs: (\d+) district\(s\) below (\d+(?:\.\d+)?)% on time$"
)


def target_round(line: str, lang: str | None) -> str:
    """A progress line of ``plan --target-on-time`` (``app.planning`` writes it in English) in
    the chosen language; a line of another form as it is."""
    text = words(lang)
    checked = _TARGET_CHECK.match(line)
    if checked is not None:
        n, runs, count, target = checked.groups()
        return text["target_check"].format(
            round=n,
            runs=number(int(runs), lang_of(lang)),
            count=count,
            target=percent(float(target) / 100, lang),
        )
    found = _TARGET_ROUND.match(line)
    if found is None:
        return line
    n, lever, count, target = found.groups()
    return text["target_round"].format(
        round=n,
        lever=text.get(f"lever_{lever}", lever),
        count=count,
        target=percent(float(target) / 100, lang),
    )


def percent(share: float, lang: str | None) -> str:
    """A chance as a percentage to a tenth of a point (near a target it matters), a whole one
    without its decimal, in the chosen language: "95 %", "96,3 %"."""
    value = round(100 * share, 1)
    return f"{number(value, lang_of(lang), 0 if value.is_integer() else 1)} %"


def unreachable_host(url: str) -> str | None:
    """Whether a phone cannot reach ``url`` by its host: ``"loopback"`` (127.x, ::1,
    localhost), ``"wildcard"`` (0.0.0.0, ::), else ``None``."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_unspecified:
        return "wildcard"
    if address.is_loopback:
        return "loopback"
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return "wildcard" if mapped.is_unspecified else "loopback" if mapped.is_loopback else None
    return None
