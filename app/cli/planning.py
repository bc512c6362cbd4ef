"""Planning's commands: ``plan``, ``risk``, ``replan``, ``batch``, ``capacity``, ``papers`` and
``export``,
with the plan summary tables they print."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from app import clitext, views
from app.cli.base import (
    CHECK_RUNS_OPTION,
    CLIMATE_OPTION,
    JSON_OPTION,
    LANG_OPTION,
    ClimateName,
    Direction,
    Lang,
    TableFormat,
    cli,
    err_console,
    fail,
    fail_listing,
    out_console,
    print_json,
    progress_bar,
    resolve_vessel,
    solving_bar,
    wrote,
)
from app.config import get_settings
from routing.domain import Budget
from routing.errors import DataError, Issue, RoutingError
from routing.inputs.scenario import load_scenario
from routing.outputs import formats
from routing.plandoc import PlanDocument
from routing.risk.robust import CHECK_RUNS
from routing.text import reason_labels, word

SUMMARY_TEXT: dict[str, dict[str, str]] = {
    "id": {
        "vessel": word("vessel", "id"),
        "class": "Kelas",
        "trips": "Trip",
        "landings": "Pendaratan",
        "tps": "TPS",
        "kg": "kg",
        "distance": "Mil laut",
        "hours": "Jam",
        "completed": "selesai",
        "infeasible": "tidak semua desa terlayani",
        "totals": "TPS diterima {tps_delivered} dari {tps_total}; {trips} trip\n"
        "Jam kapal {ship_hours}; jarak {distance} mil laut\n"
        "Rentang waktu {makespan} jam; margin terkecil ke batas waktu {margin} jam",
        "unserved": "tidak terlayani",
        "hold": "tertahan cuaca",
        "at": "di",
        "until": "sampai",
        "waves": "gelombang {wave} m di {area}",
        "replan": "rencana ulang per {as_of}: {delivered} sudah diterima, {moved} pindah kapal, "
        "{retimed} bergeser waktu, {unchanged} tetap, {unserved} kini tidak terlayani",
        "moved": "pindah",
        "h": "jam",
        "sailing": "kapal reguler {route} berangkat {departure}: {tps} TPS, {kg} dari {cap} kg, "
        "{m3} dari {cap_m3} m3 ke {hubs}",
        "sailings": "{tps} dari {total} TPS naik kapal reguler; ongkos angkut Rp {freight}",
        **reason_labels("id"),
    },
    "en": {
        "vessel": word("vessel", "en"),
        "class": "Class",
        "trips": "Trips",
        "landings": "Landings",
        "tps": "TPS",
        "kg": "kg",
        "distance": "nm",
        "hours": "Hours",
        "completed": "completed",
        "infeasible": "not every village served",
        "totals": "TPS delivered {tps_delivered} of {tps_total}; {trips} trips\n"
        "Ship-hours {ship_hours}; distance {distance} nm\n"
        "Makespan {makespan} h; least margin to a deadline {margin} h",
        "unserved": "not served",
        "hold": "weather hold",
        "at": "at",
        "until": "until",
        "waves": "waves {wave} m in {area}",
        "replan": "re-plan as of {as_of}: {delivered} delivered before, {moved} moved, "
        "{retimed} retimed, {unchanged} unchanged, {unserved} now unserved",
        "moved": "moved",
        "h": "h",
        "sailing": "scheduled sailing {route} departs {departure}: {tps} TPS, {kg} of {cap} kg, "
        "{m3} of {cap_m3} m3 to {hubs}",
        "sailings": "{tps} of {total} TPS ride scheduled sailings; freight IDR {freight}",
        **reason_labels("en"),
    },
}


def _why(hold: dict[str, Any], lang: str) -> str:
    """Why a vessel is held, in the table's language (the stored reason of an older plan)."""
    from routing.local import lang_of, number

    if hold.get("wave_m") is None or not hold.get("area_id"):
        return str(hold["reason"])
    lg = lang_of(lang)
    area = hold.get("area_name") or hold["area_id"]
    return SUMMARY_TEXT[lg]["waves"].format(wave=number(hold["wave_m"], lg, 1), area=area)


def summary_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per voyage: vessel (id and name), class, trips, landings, TPS, kg, distance and hours."""
    rows = []
    for v in document["voyages"]:
        landings = [s for s in v["stops"] if s["kind"] == "landing"]
        hours = (
            datetime.fromisoformat(v["stops"][-1]["departure"])
            - datetime.fromisoformat(v["stops"][0]["work_start"])
        ).total_seconds() / 3600
        rows.append(
            {
                "vessel_id": v["vessel_id"],
                "vessel_name": v.get("vessel_name"),
                "vessel_class": v["vessel_class"],
                "vessel_class_name": v.get("vessel_class_name"),
                "trips": v["trips"],
                "landings": len(landings),
                "tps": sum(s["tps"] for s in landings),
                "load_kg": round(sum(s["load_kg"] for s in landings), 1),
                "distance_nm": round(sum(leg["distance_nm"] for leg in v["legs"]), 1),
                "hours": round(hours, 2),
            }
        )
    return rows


def _summary(document: dict[str, Any], lang: str = "id", *, as_json: bool = False) -> None:
    """The plan's summary on stdout: a table in the chosen language, or JSON for scripts."""
    from rich import box
    from rich.table import Table

    from routing.local import lang_of, long_time, named, number

    k = document["kpis"]
    rows = summary_rows(document)
    if as_json:
        print_json(
            {
                "scenario": document["scenario"],
                "status": document["status"],
                "kpis": k,
                "voyages": rows,
                "unassigned": document["unassigned"],
                "weather_holds": document.get("weather", {}).get("holds", []),
                "sailings": document.get("sailings", []),
                "replan": document.get("replan", {}).get("diff"),
            }
        )
        return
    lg = lang_of(lang)
    text = SUMMARY_TEXT[lg]
    console = out_console()
    status = text.get(document["status"], document["status"])
    table = Table(
        title=f"{document['scenario']}: {status}",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        title_justify="left",
    )
    for col in ("vessel", "trips", "landings", "tps", "kg", "distance", "hours"):
        table.add_column(text[col], justify="left" if col == "vessel" else "right", no_wrap=True)
    for r in rows:
        table.add_row(
            named(r["vessel_name"], r["vessel_id"]),
            str(r["trips"]),
            str(r["landings"]),
            number(r["tps"], lg),
            number(r["load_kg"], lg),
            number(r["distance_nm"], lg, 1),
            number(r["hours"], lg, 1),
        )
    console.print(table)
    margin = k["min_margin_h"]
    console.print(
        text["totals"].format(
            tps_delivered=number(k["tps_delivered"], lg),
            tps_total=number(k["tps_total"], lg),
            ship_hours=number(k["ship_hours"], lg, 1),
            distance=number(k["distance_nm"], lg, 1),
            trips=k["trips"],
            makespan=number(k["makespan_h"], lg, 1),
            margin="-" if margin is None else number(margin, lg, 1),
        )
    )
    for b in document.get("sailings", []):
        console.print(
            text["sailing"].format(
                route=f"{b['route_name']} ({b['trip_id']})",
                departure=long_time(datetime.fromisoformat(b["calls"][0]["departure"]), lg),
                tps=sum(h["tps"] for h in b["loads"]),
                kg=number(b["weight_kg"], lg),
                cap=number(b["capacity_kg"], lg),
                m3=number(b["volume_m3"], lg, 1),
                cap_m3=number(b["capacity_m3"], lg, 1),
                hubs=", ".join(named(h.get("stop_name"), h["stop_id"]) for h in b["loads"]),
            )
        )
    if document.get("sailings"):
        console.print(
            text["sailings"].format(
                tps=number(k.get("tps_by_sailing", 0), lg),
                total=number(k["tps_total"], lg),
                freight=number(k.get("freight_idr", 0), lg),
            )
        )
    for u in document["unassigned"]:
        codes = "; ".join(f"{text.get(r['code'], r['code'])} [{r['code']}]" for r in u["reasons"])
        where = named(u.get("village_name"), u["village_code"])
        if u.get("district_name"):
            where += f", {u['district_name']}"
        console.print(f"[red]{text['unserved']}[/red] {where}: {u['tps']} TPS: {codes}")
    for h in document.get("weather", {}).get("holds", []):
        hours = f"{number(h['hours'], lg, 1)} {text['h']}"
        console.print(
            f"[yellow]{text['hold']}[/yellow] {named(h.get('vessel_name'), h['vessel_id'])} "
            f"{text['at']} {named(h.get('at_name'), h['at'])}: {hours}\n"
            f"  {text['until']} {long_time(datetime.fromisoformat(h['until']), lg)}: {_why(h, lg)}"
        )
    diff = document.get("replan", {}).get("diff")
    if diff:
        console.print(
            text["replan"].format(
                as_of=long_time(datetime.fromisoformat(diff["as_of"]), lg),
                delivered=diff["delivered_before"],
                moved=len(diff["moved"]),
                retimed=len(diff["retimed"]),
                unchanged=diff["unchanged"],
                unserved=len(diff["now_unserved"]),
            )
        )
        for m in diff["moved"]:
            village = named(m.get("village_name"), m["village_code"])
            console.print(
                f"  {text['moved']} {m['consignment']} ({village}): "
                f"{named(m.get('from_vessel_name'), m['from_vessel'])} -> "
                f"{named(m.get('to_vessel_name'), m['to_vessel'])}"
            )


def _scenario_file(scenario: Path | None, bundled: str | None) -> Path:
    """The scenario file given, or the bundled scenario named (exactly one of the two)."""
    if (scenario is None) == (bundled is None):
        fail(ValueError("give exactly one of --scenario FILE and --bundled NAME"))
    if scenario is not None:
        return scenario
    folder = get_settings().files.scenarios
    known = sorted(p.stem for p in folder.glob("*.toml"))
    if bundled not in known:
        fail_listing(
            f"--bundled: no bundled scenario {bundled!r}",
            "bundled scenarios",
            [(name, "") for name in known],
        )
    return folder / f"{bundled}.toml"


FORMAT_OPTION = typer.Option(
    None,
    "--format",
    help="A file to write, by name (repeat for several): "
    + ", ".join(f.name for f in formats.FORMATS.values())
    + "; default: "
    + ", ".join(f.name for f in formats.FORMATS.values() if f.default),
)


def _format_names(names: list[str] | None, *, gpkg: bool = False) -> list[str] | None:
    """The formats asked for, each checked against the registry before any work (a usage error
    naming ``--format`` and the formats there are); ``--gpkg`` adds plan.gpkg to them (or to
    the defaults)."""
    for name in names or ():
        if name not in formats.FORMATS:
            known = ", ".join(formats.FORMATS)
            raise typer.BadParameter(
                f"no format {name!r}; the formats are: {known}", param_hint="--format"
            )
    if not gpkg:
        return names or None
    base = names or [f.name for f in formats.FORMATS.values() if f.default]
    return [*base, "plan.gpkg"]


def _read_document(plan_file: Path, source: str) -> PlanDocument:
    """A plan.json (of a plan or a re-plan; a capacity plan's result too) as its document."""
    try:
        raw = json.loads(plan_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError([Issue("unreadable_file", "", str(exc))], source=source) from exc
    if isinstance(raw, dict) and "plan" in raw and "voyages" not in raw:
        raw = raw["plan"]  # a capacity plan's result: the plan is inside it
    return PlanDocument.from_json(raw)


@cli.command()
def plan(
    scenario: Path = typer.Option(None, "--scenario", help="Scenario file (TOML)"),
    bundled: str = typer.Option(
        None, "--bundled", help="A scenario the service carries, by name (e.g. pemilu2024)"
    ),
    out: Path = typer.Option(
        ..., "--out", help="Folder for plan.json, plan.geojson, manifests.csv, timeline.csv"
    ),
    seconds: float = typer.Option(
        Budget.DEFAULT_S, "--seconds", help="Wall-time budget (matrices and solving)"
    ),
    iterations: int = typer.Option(
        None, "--iterations", help="Iteration budget instead (deterministic)"
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed"),
    direction: Direction = typer.Option(
        None,
        "--direction",
        help="outbound: kits to the villages; return: boxes from the island district offices "
        "to the depot (default: the scenario's)",
    ),
    gpkg: bool = typer.Option(
        False, "--gpkg", help="Also write plan.gpkg (GeoPackage for QGIS: islands, villages, ...)"
    ),
    format: list[str] = FORMAT_OPTION,
    timetable: Path = typer.Option(
        None,
        "--timetable",
        help="A GTFS feed's folder of scheduled sailings, instead of the scenario's timetable",
    ),
    target_on_time: float = typer.Option(
        None,
        "--target-on-time",
        min=0.01,
        max=1.0,
        help="The cheapest plan found whose chance of delivery by the deadline (risk "
        "simulation) is at least this in every district: earlier planned deadlines, dispatched "
        "vessels instead of sailings, more vessels, an earlier start; or say per district what "
        "was reached and what would reach it; writes risk.json",
    ),
    risk_runs: int = typer.Option(
        300, "--risk-runs", min=10, max=100_000, help="Runs of each risk simulation"
    ),
    check_runs: int = CHECK_RUNS_OPTION,
    climate: ClimateName = CLIMATE_OPTION,
    lang: Lang = LANG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Plan a scenario: which vessel carries what to which landing, and when. The summary goes
    to stdout (a table, or JSON with --json); progress and the files written to stderr."""
    from app import planning
    from routing import pipeline

    settings = get_settings()
    scenario = _scenario_file(scenario, bundled)
    try:
        names = _format_names(format, gpkg=gpkg)
        chosen = load_scenario(scenario)
        if direction is not None:
            chosen = dataclasses.replace(chosen, direction=direction.value)
        if timetable is not None:
            chosen = dataclasses.replace(chosen, timetable=str(timetable.resolve()))
        given = planning.inputs(settings)
        problem = pipeline.problem_for(given, chosen)
        report: dict[str, Any] | None = None
        if target_on_time is not None:
            run, report, reasons = planning.plan_to_target(
                settings,
                chosen,
                target_on_time,
                seed=seed,
                seconds=seconds,
                iterations=iterations,
                runs=risk_runs,
                check_runs=check_runs,
                climate=climate.value,
                progress=lambda line: typer.echo(clitext.target_round(line, lang), err=True),
            )
            report["target_on_time"] = target_on_time
            report["below_target"] = reasons
        else:
            bar, update = solving_bar(iterations, seconds, lang)
            with bar:
                run = pipeline.plan(
                    given,
                    problem,
                    seed=seed,
                    seconds=seconds,
                    iterations=iterations,
                    progress=update,
                )
        written = planning.write_plan(
            settings, run, out, names=names, lang=lang.value, daylight=chosen.daylight
        )
        if report is not None:
            (out / "risk.json").write_text(
                json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            written.append(out / "risk.json")
    except RoutingError as exc:
        fail(exc)
    _summary(run.document, lang, as_json=as_json)
    if report is not None and not as_json:
        _target_lines(report, lang, run.plan.problem.names)
    wrote(written, lang)


RISK_TEXT: dict[str, dict[str, str]] = {
    "id": {
        "title": "Peluang rencana bertahan ({runs} simulasi, seed {seed})",
        "district": "Kecamatan",
        "on_time": "Tepat waktu",
        "by_h5": "Sampai H-5",
        "p50": "Selesai p50",
        "p95": "Selesai p95",
        "never": "tidak terkirim",
        "late_stops": "Persinggahan yang paling sering terlambat:",
        "all": "Semua kecamatan tepat waktu: {chance}",
        "climate": "Iklim: {status} (data/climate.toml)",
        "status_assumed": "asumsi",
        "status_verified": "bersumber",
    },
    "en": {
        "title": "Chance the plan holds ({runs} runs, seed {seed})",
        "district": "District",
        "on_time": "On time",
        "by_h5": "By H-5",
        "p50": "Done p50",
        "p95": "Done p95",
        "never": "not delivered",
        "late_stops": "Stops most often late:",
        "all": "Every district on time: {chance}",
        "climate": "Climate: {status} (data/climate.toml)",
        "status_assumed": "assumed",
        "status_verified": "sourced",
    },
}


@cli.command()
def risk(
    plan_file: Path = typer.Option(..., "--plan", help="The plan.json to simulate"),
    scenario: Path = typer.Option(
        None, "--scenario", help="Its scenario (default: the plan's, in data/scenarios)"
    ),
    runs: int = typer.Option(1000, "--runs", min=1, max=100_000, help="Monte Carlo runs"),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed (below 2^31)"),
    no_breakdowns: bool = typer.Option(
        False, "--no-breakdowns", help="No vessel breakdowns (sampled by default)"
    ),
    replan_breakdowns: bool = typer.Option(
        False, "--replan-breakdowns", help="Plan the rest again after a breakdown (slower)"
    ),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Processes to run on"),
    closures: str = typer.Option(
        None,
        "--closures",
        help="history: replay each closure on record (data/closures.toml; or a TOML file of "
        "episodes) from each day of the plan's window through the re-planner, instead of the "
        "Monte Carlo",
    ),
    replan_iterations: int = typer.Option(
        100, "--replan-iterations", min=1, max=100_000, help="Iterations of each re-plan"
    ),
    out: Path = typer.Option(None, "--out", help="Also write the report (JSON) here"),
    climate: ClimateName = CLIMATE_OPTION,
    lang: Lang = LANG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """How likely a plan is to hold: per district the chance of delivery by its deadline and by
    H-5 under sampled weather (data/climate.toml), speeds, loading times and breakdowns; with
    --closures history, which day's closure on record breaks it, and for which district."""
    from concurrent.futures import ProcessPoolExecutor

    from app import planning

    settings = get_settings()
    if seed >= 2**31:
        fail(ValueError(f"--seed: {seed} is not below 2^31 ({2**31})"))
    try:
        document = json.loads(plan_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(ValueError(f"--plan: cannot read {plan_file}: {exc}"))
    if scenario is None:
        name = str(document.get("scenario", "")) if isinstance(document, dict) else ""
        scenario = settings.data_dir / "scenarios" / f"{name}.toml"
        if not name or not scenario.exists():
            fail(ValueError(f"--scenario: no scenario file {scenario}; give --scenario"))
        typer.echo(clitext.words(lang)["scenario"].format(path=scenario), err=True)
    if closures is not None:
        _closures(settings, document, scenario, closures, replan_iterations, out, lang, as_json)
        return
    dask: Any = None
    executor: Any = None
    try:
        chosen = load_scenario(scenario)
        if settings.dask_scheduler:
            from distributed import Client

            dask = Client(settings.dask_scheduler, set_as_default=False, timeout=30)
            executor = dask.get_executor(pure=False)
        elif workers > 1:
            executor = ProcessPoolExecutor(max_workers=workers)
        said = clitext.words(lang)
        bar, update = progress_bar(
            float(runs), said["simulating"], by_iterations=True, unit=said["run"]
        )
        with bar:
            result = planning.risk(
                settings,
                document,
                chosen,
                runs=runs,
                seed=seed,
                breakdowns=not no_breakdowns,
                replan_breakdowns=replan_breakdowns,
                executor=executor,
                climate=climate.value,
                progress=lambda done, total: update(done, float(done), 0.0),
            )
    except RoutingError as exc:
        fail(exc)
    except ValueError as exc:  # not a plan document (pydantic's ValidationError is one)
        fail(ValueError(f"--plan: {plan_file} is not a plan document: {exc}"))
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
        if dask is not None:
            dask.close()
    if out is not None:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        wrote([out], lang)
    if as_json:
        print_json(result)
        return
    _print_risk(result, runs, seed, lang)


CLOSURE_TEXT = {
    "id": {
        "title": "Penutupan pelayaran yang tercatat, dimulai tiap hari ({n} kali rencana ulang)",
        "day": "Mulai",
        "ok": "semua tepat waktu",
        "unserved": "tak terlayani",
        "days": "hari",
    },
    "en": {
        "title": "Closures on record, starting on each day ({n} re-plans)",
        "day": "Starts",
        "ok": "all on time",
        "unserved": "unserved",
        "days": "d",
    },
}


def _closures(
    settings: Any,
    document: dict[str, Any],
    scenario: Path,
    which: str,
    iterations: int,
    out: Path | None,
    lang: Lang,
    as_json: bool,
) -> None:
    """``risk --closures``: the closures on record replayed over the plan, as a table of start
    days against episodes naming the districts each one makes late."""
    from app import planning

    episodes = None if which == "history" else Path(which)
    if episodes is not None and not episodes.is_file():
        fail(ValueError(f"--closures: history, or a TOML file of episodes; no file {which}"))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    said = clitext.words(lang)
    bar = Progress(
        said["simulating"],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=err_console(),
    )
    task = bar.add_task(said["simulating"], total=None)
    try:
        chosen = load_scenario(scenario)
        with bar:
            result = planning.closures(
                settings,
                document,
                chosen,
                episodes=episodes,
                iterations=iterations,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except RoutingError as exc:
        fail(exc)
    except ValueError as exc:  # not a plan document
        fail(ValueError(f"--plan: not a plan document: {exc}"))
    if out is not None:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        wrote([out], lang)
    if as_json:
        print_json(result)
        return
    t = CLOSURE_TEXT[lang.value]
    cells = sum(len(e["starts"]) for e in result["episodes"])
    table = Table(title=t["title"].format(n=cells), show_lines=True)
    table.add_column(t["day"])
    for e in result["episodes"]:
        areas = ", ".join(e["areas"])
        name = e["name_en"] if lang.value == "en" else e["name"]
        table.add_column(f"{name}\n{e['days']} {t['days']}, {e['wave_m']} m, {areas}")
    for n, day in enumerate(result["start_days"]):
        row = [day]
        for e in result["episodes"]:
            start = e["starts"][n]
            late = [
                (x["district_name"] or x["district_code"])
                + (f" ({t['unserved']} {x['unserved']})" if x["unserved"] else "")
                for x in start["late"]
            ]
            row.append(", ".join(late) if late else t["ok"])
        table.add_row(*row)
    out_console().print(table)


def _print_risk(result: dict[str, Any], runs: int, seed: int, lang: str) -> None:
    """The risk report as people read it: per district the chances and completion times, the
    chance of every district on time, the stops most often late, the climate's status."""
    from rich import box
    from rich.table import Table

    from routing.local import lang_of, named, number, stamp

    lg = lang_of(lang)
    text = RISK_TEXT[lg]
    table = Table(
        title=text["title"].format(runs=number(runs, lg), seed=seed),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        title_justify="left",
    )
    for col in ("district", "on_time", "by_h5", "p50", "p95"):
        table.add_column(text[col], justify="left" if col == "district" else "right")
    pct = lambda x: "-" if x is None else f"{number(100 * x, lg, 1)} %"  # noqa: E731
    when = lambda x: text["never"] if x is None else stamp(datetime.fromisoformat(x))  # noqa: E731
    for d in result["districts"]:
        table.add_row(
            named(d["district_name"], d["district_code"]),
            pct(d["on_time"]),
            pct(d["by_h5"]),
            when(d["completion"]["p50"]),
            when(d["completion"]["p95"]),
        )
    console = out_console()
    console.print(table)
    console.print(text["all"].format(chance=pct(result["every_district_on_time"])))
    if result["late_stops"]:
        console.print(text["late_stops"])
        for s in result["late_stops"][:5]:
            vessel = named(s["vessel_name"], s["vessel_id"])
            landing = named(s["landing_name"], s["landing_id"])
            console.print(f"  {vessel} - {landing}: {pct(s['late'])}")
    status = result["climate_source"].split(":", 1)[0].strip()
    console.print(text["climate"].format(status=text.get(f"status_{status}", status)))


REACH_SHOWN = 3  # ways to reach the target named per district (risk.json has every one)
TARGET_TEXT = {
    "id": {
        "met": "Semua kecamatan tepat waktu dalam >= {target} simulasi.",
        "below": "Tidak mencapai {target} simulasi tepat waktu (pada pemeriksaan, dengan "
        "margin satu galat baku: {bar}):",
        "chosen": "Rencana dipilih: {what}; biaya Rp {cost}; {n} rencana dicoba.",
        "more": " (dan {n} lainnya, di risk.json)",
        "checked": "Peluang diperiksa pada {runs} simulasi lain (seed {seed}) yang tidak "
        "dipakai pencarian.",
        "on_time": "tepat waktu dalam {chance} simulasi",
        "best": "terbaik {chance} ({what})",
        "reach": "mencapai target {what}, dengan mengorbankan kecamatan lain",
        "or": "; atau ",
        "none": "tidak ada tuas dalam jangkauan yang mencapai {target}",
        "none_margin": "tidak ada yang melampaui {target} dengan margin satu galat baku",
        "never": "tidak terlayani sama sekali dalam {chance} simulasi",
    },
    "en": {
        "met": "Every district on time in >= {target} of runs.",
        "below": "Not at {target} of runs on time (by the check, with a margin of a standard "
        "error: {bar}):",
        "chosen": "Plan chosen: {what}; cost IDR {cost}; {n} plans tried.",
        "more": " (and {n} more, in risk.json)",
        "checked": "Chances checked on {runs} other runs (seed {seed}) the search never used.",
        "on_time": "on time in {chance} of runs",
        "best": "best {chance} ({what})",
        "reach": "reaches the target {what}, at the cost of other districts",
        "or": "; or ",
        "none": "no lever in reach gets it to {target}",
        "none_margin": "none gets it a standard error above {target}",
        "never": "not served at all in {chance} of runs",
    },
}


def _lever_words(c: dict[str, Any], lang: str, names: Any) -> str:
    """What a candidate of the robust search did, in the chosen language (the words the
    dashboard shows too, ``routing.text``): a lever's detail keeps what earlier levers pulled
    (an earlier start keeps the round of deadlines before it)."""
    from routing.local import stamp
    from routing.text import lever as word

    d = c["detail"]
    parts = []
    if "round" in d:
        parts.append(word("robust_buffers", lang).format(round=d["round"]))
    elif d.get("planned_for") and c["lever"] == "combined":
        parts.append(word("robust_combined", lang))
    if d.get("districts"):
        found = ", ".join(names.district(x) or x for x in d["districts"])
        parts.append(word("robust_dispatch", lang).format(districts=found))
    if d.get("added"):
        found = ", ".join(names.vessel(x) or x for x in d["added"])
        parts.append(word("robust_vessels", lang).format(vessels=found))
    if d.get("earlier_days"):
        day = stamp(datetime.fromisoformat(d["planning_start"]))
        parts.append(word("robust_start", lang).format(k=d["earlier_days"], day=day))
    return "; ".join(parts) or word("robust_as_is", lang)


def _target_lines(report: dict[str, Any], lang: str, names: Any) -> None:
    from routing.local import lang_of, named, number

    lg = lang_of(lang)
    text = TARGET_TEXT[lg]

    def pct(x: float) -> str:
        return clitext.percent(x, lg)

    console = out_console()
    search = report["robust"]
    tried = search["candidates"]
    chosen = tried[search["chosen"]]
    console.print(
        text["chosen"].format(
            what=_lever_words(chosen, lg, names),
            cost=number(chosen["cost_idr"], lg, 0),
            n=len(tried),
        )
    )
    console.print(text["checked"].format(runs=number(report["runs"], lg, 0), seed=report["seed"]))
    target = pct(report["target_on_time"])
    if not report["below_target"]:
        console.print(text["met"].format(target=target))
        return
    bar = search.get("check_bar") or report["target_on_time"]
    console.print(text["below"].format(target=target, bar=pct(bar)))
    for r in report["below_target"]:
        best = _lever_words(tried[r["best_candidate"]], lg, names)
        parts = [
            text["on_time"].format(chance=pct(r["on_time"])),
            text["best"].format(chance=pct(r["best_on_time"]), what=best),
        ]
        if r["would_reach"]:
            shown = r["would_reach"][:REACH_SHOWN]
            ways = text["or"].join(_lever_words(tried[w["candidate"]], lg, names) for w in shown)
            if len(r["would_reach"]) > len(shown):
                ways += text["more"].format(n=len(r["would_reach"]) - len(shown))
            parts.append(text["reach"].format(what=ways))
        else:
            near = r["best_on_time"] >= report["target_on_time"]  # within the runs' noise
            parts.append(text["none_margin" if near else "none"].format(target=target))
        if r["never_delivered"]:
            parts.append(text["never"].format(chance=pct(r["never_delivered"])))
        console.print(f"  {named(r['district_name'], r['district_code'])}: " + "; ".join(parts))


@cli.command()
def replan(
    plan_file: Path = typer.Option(..., "--plan", help="The plan.json being carried out"),
    scenario: Path = typer.Option(..., "--scenario", help="The scenario it was made from"),
    events: Path = typer.Option(
        None, "--events", help="Field events (JSON list of {vessel_id, stop, type, at})"
    ),
    change: Path = typer.Option(
        None, "--change", help="The change (TOML or JSON: out_of_service, closed_landings, ...)"
    ),
    as_of: str = typer.Option(
        None, "--as-of", help="State time (RFC 3339); default: the newest event"
    ),
    out: Path = typer.Option(..., "--out", help="Folder for the new plan's files"),
    seconds: float = typer.Option(Budget.DEFAULT_S, "--seconds", help="Wall-time budget"),
    iterations: int = typer.Option(None, "--iterations", help="Iteration budget instead"),
    seed: int = typer.Option(0, "--seed", help="Random seed"),
    lang: Lang = LANG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-plan the rest of a plan from its field events and a change; prints what moved."""
    import tomllib

    from app import planning
    from routing import pipeline
    from routing.errors import Issue
    from routing.inputs.scenario import parse_scenario
    from routing.outputs.export import jsonable
    from routing.plandoc import PlanDocument
    from routing.replan import apply_change

    settings = get_settings()
    try:
        try:
            document = json.loads(plan_file.read_text(encoding="utf-8"))
            field = json.loads(events.read_text(encoding="utf-8")) if events else []
            raw_change: dict[str, Any] = {}
            if change is not None:
                text = change.read_text(encoding="utf-8")
                raw_change = (
                    json.loads(text) if change.suffix == ".json" else jsonable(tomllib.loads(text))
                )
            with scenario.open("rb") as fh:
                raw = jsonable(tomllib.load(fh))
        except (OSError, ValueError) as exc:
            raise DataError([Issue("unreadable_file", "/", str(exc))], source="replan") from exc
        if not isinstance(field, list) or not all(
            isinstance(e, dict) and {"vessel_id", "stop", "type", "at"} <= set(e) for e in field
        ):
            raise DataError(
                [Issue("bad_value", "/events", "a list of {vessel_id, stop, type, at}")],
                source=str(events),
            )
        raw, out_of_service = apply_change(raw, raw_change)
        try:
            when = datetime.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise DataError(
                [Issue("bad_time", "/as_of", f"{as_of!r} is not an RFC 3339 time")],
                source="replan",
            ) from exc
        if when is not None and when.tzinfo is None:
            raise DataError(
                [Issue("bad_time", "/as_of", "give a UTC offset (+07:00)")], source="replan"
            )
        given = planning.inputs(settings)
        problem = pipeline.problem_for(given, parse_scenario(raw, source=str(scenario)))
        bar, update = solving_bar(iterations, seconds, lang)
        with bar:
            run = pipeline.replan(
                given,
                problem,
                PlanDocument.from_json(document),
                field,
                as_of=when,
                out_of_service=out_of_service,
                seed=seed,
                seconds=seconds,
                iterations=iterations,
                progress=update,
            )
        written = planning.write_plan(settings, run, out)
    except RoutingError as exc:
        fail(exc)
    _summary(run.document, lang, as_json=as_json)
    wrote(written, lang)


@cli.command()
def batch(
    scenarios: list[Path] = typer.Argument(..., help="Scenario files"),
    out: Path = typer.Option(
        ..., "--out", help="Folder: one subfolder per scenario and comparison.csv"
    ),
    workers: int = typer.Option(2, "--workers", help="Parallel worker processes"),
    seconds: float = typer.Option(
        Budget.DEFAULT_S, "--seconds", help="Wall-time budget per scenario"
    ),
    iterations: int = typer.Option(
        None, "--iterations", help="Iteration budget instead (deterministic)"
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed"),
) -> None:
    """Plan several scenarios in parallel processes (or on the Dask cluster that DASK_SCHEDULER
    names) and write a comparison table."""
    from concurrent.futures import Executor, ProcessPoolExecutor

    from app import planning
    from routing import pipeline

    settings = get_settings()
    names = [p.stem for p in scenarios]
    if len(set(names)) != len(names):
        fail(ValueError("two scenario files share a name; their output folders would collide"))
    try:
        # A new batch starts clean: the runs of an earlier batch into this folder do not count.
        (out / "runs.log").unlink(missing_ok=True)
        for path in scenarios:
            (out / path.stem / "summary.json").unlink(missing_ok=True)
        # Build the sea networks once here, so the workers load them from the cache.
        for path in scenarios:
            given = planning.inputs(settings)
            pipeline.networks(given, pipeline.problem_for(given, load_scenario(path)))
        rows = []
        dask: Any = None
        pool: Executor
        if settings.dask_scheduler:
            from distributed import Client

            dask = Client(settings.dask_scheduler, set_as_default=False, timeout=30)
            pool = dask.get_executor(pure=False)
        else:
            pool = ProcessPoolExecutor(max_workers=max(1, workers))
        with pool:
            futures = [
                pool.submit(
                    planning.plan_scenario_file,
                    path,
                    out / path.stem,
                    seed=seed,
                    seconds=seconds,
                    iterations=iterations,
                    data_dir=settings.data_dir,
                    cache_dir=settings.matrix_cache_dir,
                )
                for path in scenarios
            ]
            rows = [f.result() for f in futures]
        if dask is not None:
            dask.close()
    except RoutingError as exc:
        fail(exc)
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.csv").write_text(views.to_csv(rows, list(rows[0])), encoding="utf-8")
    sys.stdout.write(views.to_csv(rows, list(rows[0])))


@cli.command()
def capacity(
    scenario: Path = typer.Option(..., "--scenario", help="Scenario file (TOML)"),
    fixed_cost_idr: int = typer.Option(
        50_000_000, "--fixed-cost-idr", help="Cost of using one more vessel (assumed: mobilisation)"
    ),
    extra_per_class: int = typer.Option(
        0, "--extra-per-class", help="Hypothetical extra vessels per class"
    ),
    seconds: float = typer.Option(Budget.DEFAULT_S, "--seconds", help="Wall-time budget"),
    iterations: int = typer.Option(
        None, "--iterations", help="Iteration budget instead (deterministic)"
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed"),
    format: TableFormat | None = typer.Option(
        None, "--format", help="json (as --json) or csv (one row per trip) instead of tables"
    ),
    target_on_time: float = typer.Option(
        None,
        "--target-on-time",
        min=0.01,
        max=1.0,
        help="Capacity under risk instead: the least fleet and the latest safe start per "
        "district for this chance on time, from a table of start days (H-14 to H-3) against "
        "fleets (the calm-sea least fleet, the scenario's, the whole fleet file)",
    ),
    days: str = typer.Option(
        "14-3", "--days", help="--target-on-time: the start days, H-FROM to H-TO (e.g. 14-3)"
    ),
    risk_runs: int = typer.Option(
        300, "--risk-runs", min=10, max=100_000, help="--target-on-time: runs per start and fleet"
    ),
    check_runs: int = CHECK_RUNS_OPTION,
    climate: ClimateName = CLIMATE_OPTION,
    chart: Path = typer.Option(
        None, "--chart", help="--target-on-time: write the chart here (.svg or .png)"
    ),
    lang: Lang = LANG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """How many vessels of which classes meet every deadline at least cost; how full they are.
    With --target-on-time: the least fleet and the latest safe start per district for that
    chance of being on time (risk simulation), and a chart.

    Tables on stdout (or JSON with --json, the trips as CSV with --format csv); progress to
    stderr."""
    from app import planning
    from routing import pipeline
    from routing.capacity import capacity_report

    settings = get_settings()
    if target_on_time is not None:
        _capacity_under_risk(
            settings, scenario, target_on_time, days, risk_runs, climate, chart,
            seed=seed, seconds=seconds, iterations=iterations, lang=lang, as_json=as_json,
            check_runs=check_runs,
        )  # fmt: skip
        return
    try:
        given = planning.inputs(settings)
        chosen = load_scenario(scenario)
        problem = pipeline.problem_for(given, chosen, extra_per_class=extra_per_class)
        bar, update = solving_bar(iterations, seconds, lang)
        with bar:
            run = pipeline.plan(
                given,
                problem,
                seed=seed,
                seconds=seconds,
                iterations=iterations,
                fixed_cost_per_vessel=fixed_cost_idr,
                progress=update,
            )
    except RoutingError as exc:
        fail(exc)
    report = capacity_report(run.plan)
    if format is TableFormat.csv:
        sys.stdout.write(
            views.to_csv(report["trips"], list(report["trips"][0]) if report["trips"] else [])
        )
    elif as_json or format is TableFormat.json:
        print_json(report)
    else:
        names = run.plan.problem.names
        classes = {c: names.vessel_class(c) for c in report["vessels_available"]}
        _capacity_tables(report, chosen.name, classes, fixed_cost_idr, lang)


CAPACITY_RISK_TEXT = {
    "id": {
        "title": "Peluang semua kecamatan tepat waktu ({runs} simulasi per sel, target {target})",
        "start": "Mulai",
        "least": "Armada terkecil",
        "scenario": "Armada skenario",
        "fleet": "Seluruh armada",
        "fleet_chosen": "Armada: {name} ({vessels})",
        "latest": "Mulai paling lambat yang aman untuk semua kecamatan: {when}",
        "none": "tidak ada hari mulai dalam tabel yang aman",
        "district": "Kecamatan",
        "safe": "Mulai paling lambat yang aman",
        "chance": "Peluang saat itu (diperiksa)",
        "error": "gagal",
        "cell": "{p} · Rp {cost} jt",
    },
    "en": {
        "title": "Chance every district is on time ({runs} runs per cell, target {target})",
        "start": "Start",
        "least": "Least fleet",
        "scenario": "Scenario's fleet",
        "fleet": "Whole fleet",
        "fleet_chosen": "Fleet: {name} ({vessels})",
        "latest": "Latest safe start for every district: {when}",
        "none": "no start day of the table is safe",
        "district": "District",
        "safe": "Latest safe start",
        "chance": "Chance then (checked)",
        "error": "failed",
        "cell": "{p} · IDR {cost} M",
    },
}


def _days(text: str) -> list[int]:
    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise ValueError(f"--days: {text!r} is not FROM-TO (e.g. 14-3)") from None
    if not 1 <= b <= a <= 60:
        raise ValueError(f"--days: {text!r}: FROM and TO between 1 and 60, FROM >= TO")
    return list(range(a, b - 1, -1))


def _capacity_under_risk(
    settings: Any,
    scenario: Path,
    target: float,
    days: str,
    runs: int,
    climate: ClimateName,
    chart: Path | None,
    *,
    seed: int,
    seconds: float | None,
    iterations: int | None,
    lang: Lang,
    as_json: bool,
    check_runs: int = CHECK_RUNS,
) -> None:
    from rich import box
    from rich.table import Table

    from app import planning
    from routing.local import lang_of, named, number, stamp
    from routing.outputs.charts import write_capacity_chart

    try:
        chosen = load_scenario(scenario)
        report, _ = planning.capacity_under_risk(
            settings,
            chosen,
            target,
            seed=seed,
            seconds=seconds,
            iterations=iterations,
            runs=runs,
            check_runs=check_runs,
            climate=climate.value,
            days_before=_days(days),
            progress=lambda line: typer.echo(clitext.target_round(line, lang), err=True),
        )
        written = [write_capacity_chart(report, chart, lang_of(lang.value))] if chart else []
    except (RoutingError, ValueError) as exc:
        fail(exc)
    if as_json:
        print_json(report)
        wrote(written, lang)
        return
    lg = lang_of(lang.value)
    text = CAPACITY_RISK_TEXT[lg]
    pct = lambda x: "-" if x is None else f"{number(100 * x, lg, 1)} %"  # noqa: E731
    table = Table(
        title=text["title"].format(runs=number(runs, lg), target=pct(target)),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        title_justify="left",
    )
    table.add_column(text["start"])
    for f in report["fleets"]:
        table.add_column(text.get(f["id"], f["id"]), justify="right")
    cells = {(c["fleet"], c["days_before"]): c for c in report["table"]}
    for k in report["days_before"]:
        row = [f"H-{k}"]
        for f in report["fleets"]:
            c = cells.get((f["id"], k), {})
            if "error" in c:
                row.append(text["error"])
            else:
                cost = number(c["cost_idr"] / 1e6, lg, 0)
                row.append(text["cell"].format(p=pct(c["every_district_on_time"]), cost=cost))
        table.add_row(*row)
    console = out_console()
    console.print(table)
    fleet = next(f for f in report["fleets"] if f["id"] == report["fleet"])
    vessels = ", ".join(named(v["vessel_name"], v["vessel_id"]) for v in fleet["vessels"])
    console.print(
        text["fleet_chosen"].format(name=text.get(fleet["id"], fleet["id"]), vessels=vessels)
    )
    when = report["latest_safe_start"]
    console.print(
        text["latest"].format(
            when=f"H-{report['latest_safe_days_before']} ({stamp(datetime.fromisoformat(when))})"
            if when
            else text["none"]
        )
    )
    districts = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col in ("district", "safe", "chance"):
        districts.add_column(text[col], justify="left" if col == "district" else "right")
    for d in report["districts"]:
        safe = d["latest_safe_start"]
        districts.add_row(
            named(d["district_name"], d["district_code"]),
            f"H-{d['latest_safe_days_before']} ({stamp(datetime.fromisoformat(safe))})"
            if safe
            else text["none"],
            pct(d["on_time_then"]),
        )
    console.print(districts)
    wrote(written, lang)


def _capacity_tables(
    report: dict[str, Any],
    scenario: str,
    class_names: dict[str, str | None],
    fixed_cost_idr: int,
    lang: str,
) -> None:
    """The capacity report as tables in the chosen language: vessels needed per class, how full
    each vessel used is, and the slack of each district's deadline."""
    from rich import box
    from rich.table import Table

    from routing.local import lang_of, named, number, stamp

    lg = lang_of(lang)
    text = clitext.words(lg)
    status = SUMMARY_TEXT[lg].get(report["status"], report["status"])
    console = out_console()

    def table(title: str) -> Table:
        return Table(
            title=title,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            title_justify="left",
        )

    console.print(f"{scenario}: {status}")
    needed = table(text["needed"].format(cost=number(fixed_cost_idr, lg)))
    needed.add_column(text["class"])
    needed.add_column(text["needed_col"], justify="right")
    needed.add_column(text["available"], justify="right")
    for cid, available in report["vessels_available"].items():
        used = report["vessels_needed"].get(cid, 0)
        needed.add_row(named(class_names.get(cid), cid), str(used), str(available))
    console.print(needed)
    pct = lambda x: number(100 * x, lg, 1)  # noqa: E731
    full = table(text["fullness"])
    full.add_column(text["vessel"])
    full.add_column(text["class"])
    for col in ("trips", "load_kg", "kg_pct", "m3_pct"):
        full.add_column(text[col], justify="right", no_wrap=True)
    for v in report["vessels"]:
        full.add_row(
            named(v["vessel_name"], v["vessel_id"]),
            v["vessel_class"],
            str(v["trips"]),
            number(v["load_kg"], lg),
            pct(v["peak_kg_utilisation"]),
            pct(v["peak_m3_utilisation"]),
        )
    console.print(full)
    slack = table(text["deadlines"])
    slack.add_column(text["district"])
    for col in ("deadline", "delivered_by", "slack_h"):
        slack.add_column(text[col], justify="right", no_wrap=True)
    for d in report["deadlines"]:
        done = d["delivered_by"]
        slack.add_row(
            named(d["district_name"], d["district_code"]),
            stamp(datetime.fromisoformat(d["deadline"])),
            text["never"] if done is None else stamp(datetime.fromisoformat(done)),
            "-" if d["slack_h"] is None else number(d["slack_h"], lg, 1),
        )
    console.print(slack)
    distance = number(report["distance_nm"], lg, 1)
    console.print(
        text["totals"].format(ship_hours=number(report["ship_hours"], lg, 1), distance=distance)
    )
    if report["unassigned"]:
        console.print(f"[red]{text['unserved'].format(villages=', '.join(report['unassigned']))}")


class PapersFormat(StrEnum):
    pdf = "pdf"
    html = "html"
    both = "both"


@cli.command()
def papers(
    plan_file: Path = typer.Option(
        ..., "--plan", help="plan.json (of a plan or a re-plan; a capacity plan's result too)"
    ),
    out: Path = typer.Option(..., "--out", help="Folder for `papers-<vessel>-<lang>.pdf/.html`"),
    vessel: list[str] = typer.Option(
        None, "--vessel", help="Only this vessel (repeat for several; default: every one used)"
    ),
    lang: Lang = LANG_OPTION,
    format: PapersFormat = typer.Option(PapersFormat.pdf, "--format", help="pdf, html or both"),
    plan_id: str = typer.Option(
        None,
        "--plan-id",
        help="The plan's id in the service, for the QR codes (default: the plan's input hash)",
    ),
) -> None:
    """Write each vessel's voyage papers (per trip: loading list, stops, handover records with a
    QR code per consignment); print the files written on stdout."""
    from app import planning

    try:
        document = _read_document(plan_file, "papers")
        used = {v.vessel_id: v for v in document.voyages}
        names = {v: found.vessel_name or "" for v, found in used.items()}
        wanted = [resolve_vessel(v, names) for v in vessel] if vessel else list(used)
        kinds = ("pdf", "html") if format is PapersFormat.both else (format.value,)
        said = clitext.words(lang)["papers_of"]
        for v in wanted:
            found = used[v]
            typer.echo(said.format(vessel=found.vessel_name or v, trips=found.trips), err=True)
            for path in planning.write_files(
                get_settings(),
                document,
                out,
                names=[f"papers.{kind}" for kind in kinds],
                lang=lang.value,
                vessels=[v],
                plan_id=plan_id,
            ):
                sys.stdout.write(f"{path}\n")
    except (RoutingError, OSError) as exc:
        fail(exc)


@cli.command()
def export(
    plan_file: Path = typer.Option(
        ..., "--plan", help="plan.json (of a plan or a re-plan; a capacity plan's result too)"
    ),
    out: Path = typer.Option(..., "--out", help="Folder to write the files in"),
    format: list[str] = FORMAT_OPTION,
    vessel: list[str] = typer.Option(
        None, "--vessel", help="Papers: only this vessel (repeat for several; default: every one)"
    ),
    lang: Lang = LANG_OPTION,
    plan_id: str = typer.Option(
        None,
        "--plan-id",
        help="The plan's id in the service, for the papers' QR codes (default: its input hash)",
    ),
) -> None:
    """Write a plan's files from its plan.json in any format of the registry (a GeoPackage of
    an older plan, its papers, its tables again); print the files written on stdout."""
    from app import planning

    try:
        names = _format_names(format)
        document = _read_document(plan_file, "export")
        used = {v.vessel_id: v.vessel_name or "" for v in document.voyages}
        vessels = [resolve_vessel(v, used) for v in vessel] if vessel else []
        for path in planning.write_files(
            get_settings(),
            document,
            out,
            names=names,
            lang=lang.value,
            vessels=vessels,
            plan_id=plan_id,
        ):
            sys.stdout.write(f"{path}\n")
    except (RoutingError, OSError) as exc:
        fail(exc)
