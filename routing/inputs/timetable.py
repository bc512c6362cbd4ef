"""Timetabled sailings as a GTFS feed (``data/timetables/<feed>/``), read with gtfs-kit.

The feed is standard GTFS (``agency``, ``stops``, ``routes``, ``trips``, ``stop_times``,
``calendar`` and/or ``calendar_dates``, ``feed_info``); ferries are ``route_type`` 4. Its
``stop_id`` values are the dataset's ids: the depot (``kalianget``) and the landing points
(``port-kng``, ...). Two additions, both kept apart from what GTFS readers need:

- ``trips.txt`` carries ``recorded`` (the year of the source the sailing pattern is taken from),
  ``status`` (verified, derived or assumed) and ``source`` for each trip, as the catalogue's
  values do;
- ``cargo.txt`` (this project's extension, one row per trip): ``capacity_kg``, ``capacity_m3``,
  ``cutoff_h`` (the hours before departure by which cargo must be on the quay) and
  ``freight_idr_per_kg``, each with ``<name>_status`` and ``<name>_source``.

``load_timetable`` checks every file, row and column first and raises one ``DataError`` naming
them all (``/stop_times.txt/5/arrival_time``: the file, its line, the column), then reads the
feed with gtfs-kit; ``Timetable.sailings(first, last)`` lists the dated sailings in a window,
each call's times as aware datetimes in the feed's time zone.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing.domain import Cargo, Sailing, SailingCall
from routing.domain import SourcedValue as Sourced
from routing.errors import DataError, Issue
from routing.local import WIB

STATUSES = ("verified", "derived", "assumed")
MAX_DAYS = 400
"""The longest span of days a feed may cover (its sailings are listed day by day)."""
FERRY = "4"
"""GTFS ``route_type`` of a ferry."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_id", "agency_name", "agency_url", "agency_timezone"),
    "stops.txt": ("stop_id", "stop_name", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "agency_id", "route_short_name", "route_long_name", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id", "recorded", "status", "source"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "feed_info.txt": (
        "feed_publisher_name",
        "feed_publisher_url",
        "feed_lang",
        "feed_start_date",
        "feed_end_date",
    ),
    "cargo.txt": ("trip_id", "capacity_kg", "capacity_m3", "cutoff_h", "freight_idr_per_kg"),
}
CALENDARS = {
    "calendar.txt": (
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    ),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
}
CARGO_VALUES = ("capacity_kg", "capacity_m3", "cutoff_h", "freight_idr_per_kg")
POSITIVE = ("capacity_kg", "capacity_m3")
TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
DAY = re.compile(r"^\d{8}$")

Rows = list[tuple[int, dict[str, str]]]  # (line in the file, the row)


@dataclass(frozen=True)
class Call:
    """A trip's call at a stop: seconds after the service day's midnight (past 24 h the next
    day, as GTFS writes them)."""

    stop_id: str
    arrival_s: int
    departure_s: int


@dataclass(frozen=True)
class Trip:
    trip_id: str
    route_id: str
    route_name: str
    agency: str
    service_id: str
    recorded: str
    status: str
    source: str
    calls: tuple[Call, ...]
    cargo: Cargo


@dataclass(frozen=True)
class Timetable:
    """A checked feed: its trips, stops and the dates each trip runs on."""

    path: Path
    version: str
    timezone: ZoneInfo
    first_day: date
    last_day: date
    stops: dict[str, str]  # stop id -> name
    trips: dict[str, Trip]
    runs_on: dict[str, tuple[date, ...]]  # trip id -> service dates, in order

    def sailings(self, first: date | None = None, last: date | None = None) -> list[Sailing]:
        """The dated sailings whose service day lies in ``first``..``last`` (default: the
        feed's dates), by departure."""
        lo, hi = first or self.first_day, last or self.last_day
        out = []
        for trip in self.trips.values():
            for day in self.runs_on[trip.trip_id]:
                if lo <= day <= hi:
                    out.append(self._sailing(trip, day))
        return sorted(out, key=lambda s: (s.departure, s.trip_id))

    def _sailing(self, trip: Trip, day: date) -> Sailing:
        # GTFS times count from noon minus 12 h of the service day, which is midnight except
        # on days the clock changes (none in Asia/Jakarta).
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.timezone)
        # Shown and planned in WIB, whatever zone the feed keeps its clock in.
        calls = tuple(
            SailingCall(
                c.stop_id,
                self.stops[c.stop_id],
                (midnight + timedelta(seconds=c.arrival_s)).astimezone(WIB),
                (midnight + timedelta(seconds=c.departure_s)).astimezone(WIB),
            )
            for c in trip.calls
        )
        return Sailing(trip.trip_id, trip.route_id, trip.route_name, day, calls, trip.cargo)


# --- checks -----------------------------------------------------------------------------------


def _read(folder: Path, name: str, problems: list[Issue]) -> Rows | None:
    path = folder / name
    if not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            rows = [
                (n + 2, {k: (v or "").strip() for k, v in row.items() if k})
                for n, row in enumerate(reader)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(Issue("unreadable_file", f"/{name}", str(exc)))
        return []
    wanted = {**REQUIRED, **CALENDARS}.get(name, ())
    missing = [c for c in wanted if c not in header]
    if missing:
        problems.append(
            Issue("missing_field", f"/{name}", f"{name} has no column {', '.join(missing)}")
        )
        return []
    return rows


def _at(name: str, line: int, column: str) -> str:
    return f"/{name}/{line}/{column}"


def _seconds(text: str) -> int | None:
    m = TIME.match(text)
    return None if m is None else int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _day(text: str) -> date | None:
    if not DAY.match(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _check_stops(
    rows: Rows, known: Collection[str] | None, problems: list[Issue]
) -> dict[str, str]:
    stops: dict[str, str] = {}
    for line, row in rows:
        sid = row["stop_id"]
        if not sid:
            problems.append(Issue("missing_field", _at("stops.txt", line, "stop_id"), "empty"))
        elif sid in stops:
            problems.append(Issue("duplicate", _at("stops.txt", line, "stop_id"), f"{sid} twice"))
        elif known is not None and sid not in known:
            why = f"row {line}: {sid!r} is no landing point or depot of the dataset"
            problems.append(Issue("unknown_stop", _at("stops.txt", line, "stop_id"), why))
        else:
            stops[sid] = row["stop_name"] or sid
        for col, bound in (("stop_lat", 90), ("stop_lon", 180)):
            value = _number(row[col])
            if value is None or abs(value) > bound:
                why = f"row {line}: a number within +-{bound}"
                problems.append(Issue("bad_value", _at("stops.txt", line, col), why))
    return stops


def _check_cargo(rows: Rows, trip_ids: Iterable[str], problems: list[Issue]) -> dict[str, Cargo]:
    out: dict[str, Cargo] = {}
    seen: set[str] = set()
    for line, row in rows:
        tid = row["trip_id"]
        if tid in seen:
            problems.append(Issue("duplicate", _at("cargo.txt", line, "trip_id"), f"{tid} twice"))
            continue
        if tid not in trip_ids:
            why = f"row {line}: no trip {tid!r} in trips.txt"
            problems.append(Issue("unknown_trip", _at("cargo.txt", line, "trip_id"), why))
        seen.add(tid)
        values = {}
        for col in CARGO_VALUES:
            value = _number(row.get(col, ""))
            low_ok = value is not None and (value > 0 if col in POSITIVE else value >= 0)
            if not low_ok:
                bound = "> 0" if col in POSITIVE else ">= 0"
                why = f"row {line}: trip {tid} needs {col} as a number {bound}"
                problems.append(Issue("bad_value", _at("cargo.txt", line, col), why))
            status = row.get(f"{col}_status", "")
            source = row.get(f"{col}_source", "")
            if status not in STATUSES:
                why = f"row {line}: one of {STATUSES}"
                problems.append(Issue("bad_value", _at("cargo.txt", line, f"{col}_status"), why))
            if not source:
                why = f"row {line}: every value needs a source"
                problems.append(
                    Issue("missing_field", _at("cargo.txt", line, f"{col}_source"), why)
                )
            values[col] = Sourced(value or 0.0, status, source)
        out[tid] = Cargo(**values)
    for tid in trip_ids:
        if tid not in seen:
            why = f"trip {tid} has no cargo row (capacity, cut-off, freight)"
            problems.append(Issue("missing_cargo", "/cargo.txt", why))
    return out


def _check_stop_times(
    rows: Rows, trip_ids: Collection[str], stops: Collection[str], problems: list[Issue]
) -> dict[str, tuple[Call, ...]]:
    by_trip: dict[str, list[tuple[int, int, Call]]] = {}
    for line, row in rows:
        tid, sid = row["trip_id"], row["stop_id"]
        if tid not in trip_ids:
            why = f"row {line}: no trip {tid!r} in trips.txt"
            problems.append(Issue("unknown_trip", _at("stop_times.txt", line, "trip_id"), why))
            continue
        if sid not in stops:
            why = f"row {line}: no stop {sid!r} in stops.txt"
            problems.append(Issue("unknown_stop", _at("stop_times.txt", line, "stop_id"), why))
        times = {}
        for col in ("arrival_time", "departure_time"):
            times[col] = _seconds(row[col])
            if times[col] is None:
                why = f"row {line}: a time HH:MM:SS (past 24:00:00 for the next day)"
                problems.append(Issue("bad_value", _at("stop_times.txt", line, col), why))
        try:
            seq = int(row["stop_sequence"])
        except ValueError:
            why = f"row {line}: a whole number"
            problems.append(Issue("bad_value", _at("stop_times.txt", line, "stop_sequence"), why))
            continue
        arrive, depart = times["arrival_time"], times["departure_time"]
        if arrive is None or depart is None:
            continue
        if depart < arrive:
            times_given = f"{row['departure_time']} before it arrives {row['arrival_time']}"
            why = f"row {line}: departs {times_given}"
            problems.append(
                Issue("time_backwards", _at("stop_times.txt", line, "departure_time"), why)
            )
        by_trip.setdefault(tid, []).append((seq, line, Call(sid, arrive, depart)))
    out: dict[str, tuple[Call, ...]] = {}
    for tid, calls in by_trip.items():
        calls.sort(key=lambda c: c[0])
        for (seq_a, _, a), (seq_b, line, b) in pairwise(calls):
            if seq_a == seq_b:
                why = f"row {line}: stop_sequence {seq_b} twice in trip {tid}"
                problems.append(
                    Issue("duplicate", _at("stop_times.txt", line, "stop_sequence"), why)
                )
            elif b.arrival_s < a.departure_s:
                why = f"row {line}: trip {tid} arrives here before it leaves the stop before"
                problems.append(
                    Issue("time_backwards", _at("stop_times.txt", line, "arrival_time"), why)
                )
        out[tid] = tuple(c for _, _, c in calls)
    for tid in trip_ids:
        if len(out.get(tid, ())) < 2:
            why = f"trip {tid} needs at least two calls in stop_times.txt"
            problems.append(Issue("missing_field", "/stop_times.txt", why))
    return out


def _check_trips(
    rows: Rows, routes: dict[str, tuple[str, str]], services: Collection[str], problems: list[Issue]
) -> dict[str, dict[str, str]]:
    trips: dict[str, dict[str, str]] = {}
    for line, row in rows:
        tid = row["trip_id"]
        if not tid or tid in trips:
            why = f"row {line}: " + ("empty" if not tid else f"{tid} twice")
            problems.append(
                Issue(
                    "duplicate" if tid else "missing_field", _at("trips.txt", line, "trip_id"), why
                )
            )
            continue
        if row["route_id"] not in routes:
            why = f"row {line}: no route {row['route_id']!r} in routes.txt"
            problems.append(Issue("unknown_route", _at("trips.txt", line, "route_id"), why))
        if row["service_id"] not in services:
            service = row["service_id"]
            why = f"row {line}: no service {service!r} in calendar.txt or calendar_dates.txt"
            problems.append(Issue("unknown_service", _at("trips.txt", line, "service_id"), why))
        if row["status"] not in STATUSES:
            problems.append(
                Issue(
                    "bad_value", _at("trips.txt", line, "status"), f"row {line}: one of {STATUSES}"
                )
            )
        if not row["source"]:
            problems.append(
                Issue(
                    "missing_field",
                    _at("trips.txt", line, "source"),
                    f"row {line}: every sailing needs a source",
                )
            )
        if not re.fullmatch(r"\d{4}", row["recorded"]):
            problems.append(
                Issue(
                    "bad_value",
                    _at("trips.txt", line, "recorded"),
                    f"row {line}: the year of the source (YYYY)",
                )
            )
        trips[tid] = row
    return trips


def _check_calendar(cal: Rows | None, dates: Rows | None, problems: list[Issue]) -> set[str]:
    services: set[str] = set()
    for line, row in cal or ():
        services.add(row["service_id"])
        start, end = _day(row["start_date"]), _day(row["end_date"])
        if start is not None and end is not None and end < start:
            where = _at("calendar.txt", line, "end_date")
            problems.append(Issue("bad_value", where, f"row {line}: ends before it starts"))
        for col in ("start_date", "end_date"):
            if _day(row[col]) is None:
                problems.append(
                    Issue(
                        "bad_value", _at("calendar.txt", line, col), f"row {line}: a date YYYYMMDD"
                    )
                )
        for col in CALENDARS["calendar.txt"][1:8]:
            if row[col] not in ("0", "1"):
                problems.append(
                    Issue("bad_value", _at("calendar.txt", line, col), f"row {line}: 0 or 1")
                )
    for line, row in dates or ():
        services.add(row["service_id"])
        if _day(row["date"]) is None:
            problems.append(
                Issue(
                    "bad_value",
                    _at("calendar_dates.txt", line, "date"),
                    f"row {line}: a date YYYYMMDD",
                )
            )
        if row["exception_type"] not in ("1", "2"):
            problems.append(
                Issue(
                    "bad_value",
                    _at("calendar_dates.txt", line, "exception_type"),
                    f"row {line}: 1 (added) or 2 (removed)",
                )
            )
    return services


def _tables(folder: Path, problems: list[Issue]) -> dict[str, Rows | None]:
    """Every file of the feed read (``None``: not there), the missing ones named."""
    if not folder.is_dir():
        raise DataError(
            [Issue("missing_file", "", f"{folder} is not a folder")], source=str(folder)
        )
    tables = {name: _read(folder, name, problems) for name in (*REQUIRED, *CALENDARS)}
    for name in REQUIRED:
        if tables[name] is None:
            problems.append(Issue("missing_file", f"/{name}", f"the feed has no {name}"))
    if tables["calendar.txt"] is None and tables["calendar_dates.txt"] is None:
        why = "the feed has no calendar.txt or calendar_dates.txt"
        problems.append(Issue("missing_file", "/calendar.txt", why))
    return tables


def _check_zone(rows: Rows, problems: list[Issue]) -> ZoneInfo | None:
    """The feed's one time zone (every agency's ``agency_timezone``)."""
    zones = {row["agency_timezone"] for _, row in rows}
    if len(zones) != 1:
        why = "every agency needs the same agency_timezone"
        problems.append(Issue("bad_value", "/agency.txt", why))
        return None
    try:
        return ZoneInfo(zones.pop())
    except (ZoneInfoNotFoundError, ValueError):
        where = _at("agency.txt", 2, "agency_timezone")
        problems.append(Issue("bad_value", where, "an IANA time zone (Asia/Jakarta)"))
        return None


def _check_routes(
    rows: Rows, agencies: Mapping[str, str], problems: list[Issue]
) -> dict[str, tuple[str, str]]:
    """Each route's name and agency's name; a route that is no ferry or of no agency named."""
    routes: dict[str, tuple[str, str]] = {}
    for line, row in rows:
        if row["route_id"] in routes or not row["route_id"]:
            where = _at("routes.txt", line, "route_id")
            problems.append(Issue("duplicate", where, f"row {line}: a route id given once"))
        if row["route_type"] != FERRY:
            where = _at("routes.txt", line, "route_type")
            problems.append(Issue("bad_value", where, f"row {line}: 4 (ferry)"))
        if row["agency_id"] not in agencies:
            where = _at("routes.txt", line, "agency_id")
            why = f"row {line}: no agency {row['agency_id']!r}"
            problems.append(Issue("unknown_agency", where, why))
        name = row["route_long_name"] or row["route_short_name"]
        routes[row["route_id"]] = (name, agencies.get(row["agency_id"], ""))
    return routes


def _check_dates(rows: Rows, problems: list[Issue]) -> tuple[date | None, date | None, str]:
    """The feed's first and last day and its version (``feed_info.txt``)."""
    info = rows[0][1] if rows else {}
    first, last = _day(info.get("feed_start_date", "")), _day(info.get("feed_end_date", ""))
    if first is None or last is None or last < first:
        where = _at("feed_info.txt", 2, "feed_start_date")
        why = "feed_start_date and feed_end_date (YYYYMMDD), the start first"
        problems.append(Issue("bad_value", where, why))
    elif (last - first).days >= MAX_DAYS:
        where = _at("feed_info.txt", 2, "feed_end_date")
        span = (last - first).days + 1
        why = f"a feed covers at most {MAX_DAYS} days (an election's weeks), not {span}"
        problems.append(Issue("bad_value", where, why))
        last = None
    return first, last, info.get("feed_version", "")


def load_timetable(folder: Path, *, known_stops: Collection[str] | None = None) -> Timetable:
    """Read and check a GTFS feed (a folder of ``.txt`` files); every problem at once.

    Parameters
    ----------
    folder : Path
    known_stops : collection of str, optional
        The ids a stop may have (the dataset's depots and landing points); default: any.

    Raises
    ------
    DataError
        Naming each problem's file, line and column: a missing file or column, a stop that is
        no landing, a time that goes backwards, a trip without cargo capacity, an unknown
        route, service, trip or stop, a bad date, number or status.
    """
    problems: list[Issue] = []
    tables = _tables(folder, problems)
    if problems:
        raise DataError(problems, source=str(folder))
    t = {k: v or [] for k, v in tables.items()}
    zone = _check_zone(t["agency.txt"], problems)
    agencies = {row["agency_id"]: row["agency_name"] for _, row in t["agency.txt"]}
    stops = _check_stops(t["stops.txt"], known_stops, problems)
    routes = _check_routes(t["routes.txt"], agencies, problems)
    services = _check_calendar(tables["calendar.txt"], tables["calendar_dates.txt"], problems)
    trips = _check_trips(t["trips.txt"], routes, services, problems)
    calls = _check_stop_times(t["stop_times.txt"], trips, stops, problems)
    cargo = _check_cargo(t["cargo.txt"], trips, problems)
    first, last, version = _check_dates(t["feed_info.txt"], problems)
    if problems or zone is None or first is None or last is None:
        raise DataError(problems, source=str(folder))
    built = {
        tid: Trip(
            trip_id=tid,
            route_id=row["route_id"],
            route_name=routes[row["route_id"]][0],
            agency=routes[row["route_id"]][1],
            service_id=row["service_id"],
            recorded=row["recorded"],
            status=row["status"],
            source=row["source"],
            calls=calls[tid],
            cargo=cargo[tid],
        )
        for tid, row in trips.items()
    }
    runs_on = _service_dates(folder, trips, first, last)
    return Timetable(folder, version, zone, first, last, stops, built, runs_on)


def _service_dates(
    folder: Path, trips: dict[str, dict[str, str]], first: date, last: date
) -> dict[str, tuple[date, ...]]:
    """The dates each trip runs on within the feed's dates, as gtfs-kit reads the calendars."""
    import gtfs_kit

    try:
        feed = gtfs_kit.read_feed(folder, dist_units="km")
    except Exception as exc:  # pandas and gtfs-kit raise many kinds; the checks above passed
        why = f"gtfs-kit cannot read the feed: {exc}"
        raise DataError([Issue("unreadable_feed", "", why)], source=str(folder)) from None
    out: dict[str, list[date]] = {tid: [] for tid in trips}
    day = first
    while day <= last:
        active = feed.get_trips(day.strftime("%Y%m%d"))
        for tid in active["trip_id"]:
            if tid in out:
                out[tid].append(day)
        day += timedelta(days=1)
    return {tid: tuple(days) for tid, days in out.items()}
