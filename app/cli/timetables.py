"""Timetables' commands: ``timetable check`` (a GTFS feed of the regular sailings, checked
against the dataset's landings, and its dated sailings)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from app.cli.base import JSON_OPTION, LANG_OPTION, MARKUP, Lang, cli, fail, out_console, print_json
from app.config import get_settings
from routing import inputs as data
from routing.errors import RoutingError
from routing.inputs.timetable import load_timetable
from routing.local import named, number, stamp

timetable_cli = typer.Typer(
    help="Timetables of the regular sailings (GTFS feeds): check one, list its sailings.",
    no_args_is_help=True,
    rich_markup_mode=MARKUP,
)
cli.add_typer(timetable_cli, name="timetable")

TEXT = {
    "id": {
        "title": "Pelayaran terjadwal {first} s.d. {last} ({version}): {n} pelayaran",
        "trip": "Trip",
        "route": "Rute",
        "departs": "Berangkat",
        "arrives": "Tiba",
        "capacity": "Muatan kg",
        "cutoff": "Batas muat",
        "ok": "feed {path} lolos pemeriksaan: {trips} trip, {stops} pelabuhan",
    },
    "en": {
        "title": "Scheduled sailings {first} to {last} ({version}): {n} sailings",
        "trip": "Trip",
        "route": "Route",
        "departs": "Departs",
        "arrives": "Arrives",
        "capacity": "Cargo kg",
        "cutoff": "Cut-off",
        "ok": "feed {path} passes: {trips} trips, {stops} ports",
    },
}


@timetable_cli.command("check")
def timetable_check(
    feed: Path = typer.Argument(..., help="The feed's folder (GTFS .txt files and cargo.txt)"),
    first: str = typer.Option(None, "--from", help="First service day to list (YYYY-MM-DD)"),
    last: str = typer.Option(None, "--to", help="Last service day to list (YYYY-MM-DD)"),
    lang: Lang = LANG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Check a timetable feed against the dataset (every stop a landing point or depot, times
    in order, a cargo row per trip with capacity, cut-off and freight, each with its status and
    source) and list its dated sailings; every problem is named by file, row and column."""
    settings = get_settings()
    days = []
    for option, text in (("--from", first), ("--to", last)):
        try:
            days.append(date.fromisoformat(text) if text else None)
        except ValueError:
            why = f"{text!r} is not a date YYYY-MM-DD"
            raise typer.BadParameter(why, param_hint=option) from None
    try:
        arch = data.archipelago(settings.data_dir)
        known = set(arch.depots) | set(arch.landing_points)
        found = load_timetable(feed, known_stops=known)
    except (RoutingError, OSError) as exc:
        fail(exc)
    sailings = found.sailings(days[0], days[1])
    if as_json:
        print_json(
            {
                "feed": str(feed),
                "version": found.version,
                "first_day": found.first_day.isoformat(),
                "last_day": found.last_day.isoformat(),
                "trips": len(found.trips),
                "sailings": [s.to_json() for s in sailings],
            }
        )
        return
    t = TEXT[lang.value]
    table = Table(
        title=t["title"].format(
            first=days[0] or found.first_day,
            last=days[1] or found.last_day,
            version=found.version,
            n=len(sailings),
        )
    )
    for column in ("trip", "route", "departs", "arrives", "capacity", "cutoff"):
        table.add_column(t[column], justify="right" if column == "capacity" else "left")
    for s in sailings:
        end = s.calls[-1]
        table.add_row(
            s.trip_id,
            s.route_name,
            f"{named(s.calls[0].stop_name, s.calls[0].stop_id)} {stamp(s.departure)}",
            f"{named(end.stop_name, end.stop_id)} {stamp(end.arrival)}",
            number(s.cargo.capacity_kg.value, lang.value),
            stamp(s.cutoff),
        )
    out_console().print(table)
    typer.echo(t["ok"].format(path=feed, trips=len(found.trips), stops=len(found.stops)), err=True)
