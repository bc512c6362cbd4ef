"""The regular sailings as a GTFS feed (``data/timetables/``): the bundled feed holds the
sailings on record and passes; a broken feed is refused naming each problem's file, row and
column; sailings come out dated, in WIB, with their cargo terms."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from routing import inputs as data
from routing.errors import DataError
from routing.inputs.timetable import load_timetable
from tests.conftest import DATA

FEED = DATA / "timetables" / "sumenep-2024"
ARCH = data.archipelago(DATA)
KNOWN = set(ARCH.depots) | set(ARCH.landing_points)
WIB = timedelta(hours=7)


def test_the_bundled_feed_passes_and_holds_the_sailings_on_record() -> None:
    feed = load_timetable(FEED, known_stops=KNOWN)
    assert set(feed.stops) <= KNOWN and "kalianget" in feed.stops
    assert all(
        t.status in ("verified", "derived", "assumed") and t.source for t in feed.trips.values()
    )
    sailings = feed.sailings(date(2024, 2, 1), date(2024, 2, 14))
    # KMP Dharma Bahari Sumekar II: Kalianget to Kangean on Tue, Fri and Sun at 19:00 WIB.
    dbs = [s for s in sailings if s.trip_id == "dbs2-out"]
    assert {s.departure.strftime("%a %H:%M") for s in dbs} == {
        "Tue 19:00",
        "Fri 19:00",
        "Sun 19:00",
    }
    assert all(s.departure.utcoffset() == WIB for s in dbs)
    assert all(s.calls[-1].stop_id == "port-kng" for s in dbs)
    assert all(s.calls[-1].arrival - s.departure == timedelta(hours=8) for s in dbs)
    # KM Sabuk Nusantara 92 to Masalembu on 9 Feb 2024 (H-5): the date on record, its 100 t.
    sn92 = next(s for s in sailings if s.trip_id == "sn92-20240209")
    assert sn92.departure == datetime(2024, 2, 9, 18, tzinfo=sn92.departure.tzinfo)
    assert [c.stop_id for c in sn92.calls] == ["kalianget", "port-mes", "port-krm"]
    assert sn92.cargo.capacity_kg.value == 100_000 and "[S60]" in sn92.cargo.capacity_kg.source
    assert sn92.cutoff == sn92.departure - timedelta(hours=sn92.cargo.cutoff_h.value)
    assert sailings == sorted(sailings, key=lambda s: (s.departure, s.trip_id))


def _copy(tmp_path: Path) -> Path:
    feed = tmp_path / "feed"
    shutil.copytree(FEED, feed)
    return feed


def _edit(feed: Path, name: str, change) -> None:
    path = feed / name
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    header = list(rows[0])
    rows = change(rows) or rows
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _problems(feed: Path) -> dict[str, str]:
    with pytest.raises(DataError) as caught:
        load_timetable(feed, known_stops=KNOWN)
    return {p.path: p.message for p in caught.value.problems}


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    feed = _copy(tmp_path)
    (feed / "stop_times.txt").unlink()
    assert "/stop_times.txt" in _problems(feed)


def test_a_stop_that_is_no_landing_is_named_by_row_and_column(tmp_path: Path) -> None:
    feed = _copy(tmp_path)
    _edit(feed, "stops.txt", lambda rows: [*rows, {**rows[0], "stop_id": "jangkar"}])
    found = _problems(feed)
    line = len(list(csv.DictReader((FEED / "stops.txt").open()))) + 2
    assert (
        f"/stops.txt/{line}/stop_id" in found and "jangkar" in found[f"/stops.txt/{line}/stop_id"]
    )


def test_a_time_that_goes_backwards_is_named_by_row_and_column(tmp_path: Path) -> None:
    feed = _copy(tmp_path)

    def backwards(rows):
        for row in rows:
            if row["trip_id"] == "dk-out" and row["stop_sequence"] == "3":
                row["arrival_time"] = row["departure_time"] = "10:00:00"  # before Sapudi's 11:30

    _edit(feed, "stop_times.txt", backwards)
    rows = list(csv.DictReader((FEED / "stop_times.txt").open()))
    line = 2 + next(
        n for n, r in enumerate(rows) if r["trip_id"] == "dk-out" and r["stop_sequence"] == "3"
    )
    assert f"/stop_times.txt/{line}/arrival_time" in _problems(feed)


def test_a_trip_without_cargo_capacity_is_named(tmp_path: Path) -> None:
    feed = _copy(tmp_path)

    def no_capacity(rows):
        rows[0]["capacity_kg"] = ""
        return [r for r in rows if r["trip_id"] != "dk-back"]

    _edit(feed, "cargo.txt", no_capacity)
    found = _problems(feed)
    assert "/cargo.txt/2/capacity_kg" in found
    assert any("dk-back" in m for p, m in found.items() if p == "/cargo.txt")


def test_bad_dates_statuses_and_references_are_all_named_at_once(tmp_path: Path) -> None:
    feed = _copy(tmp_path)
    _edit(feed, "calendar.txt", lambda rows: rows[0].update(start_date="2024-01-15"))
    _edit(feed, "trips.txt", lambda rows: rows[1].update(status="rumoured", route_id="nope"))
    found = _problems(feed)
    assert {"/calendar.txt/2/start_date", "/trips.txt/3/status", "/trips.txt/3/route_id"} <= set(
        found
    )


def test_the_command_line_checks_a_feed(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "app.cli", "timetable", "check", str(FEED), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert '"trip_id": "sn92-20240209"' in ok.stdout
    feed = _copy(tmp_path)
    _edit(feed, "stops.txt", lambda rows: rows[0].update(stop_id="jangkar"))
    bad = subprocess.run(
        [sys.executable, "-m", "app.cli", "timetable", "check", str(feed)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "/stops.txt/2/stop_id" in bad.stderr, bad.stderr


def test_a_feed_too_long_or_with_calendars_backwards_or_stray_cargo_is_named(
    tmp_path: Path,
) -> None:
    feed = _copy(tmp_path)
    _edit(feed, "feed_info.txt", lambda rows: rows[0].update(feed_end_date="99991231"))
    _edit(feed, "calendar.txt", lambda rows: rows[0].update(end_date="20240101"))
    _edit(feed, "cargo.txt", lambda rows: [*rows, {**rows[0], "trip_id": "ghost"}])
    _edit(feed, "routes.txt", lambda rows: [*rows, rows[0]])
    found = _problems(feed)
    lines = len(list(csv.DictReader((FEED / "cargo.txt").open()))) + 2
    routes = len(list(csv.DictReader((FEED / "routes.txt").open()))) + 2
    assert {
        "/feed_info.txt/2/feed_end_date",
        "/calendar.txt/2/end_date",
        f"/cargo.txt/{lines}/trip_id",
        f"/routes.txt/{routes}/route_id",
    } <= set(found), found
