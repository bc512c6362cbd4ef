"""The command line's root (``cli``), its shared options and the helpers every command group uses:
failing with a clear message, resolving a class, district or vessel, consoles and progress bars."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, NoReturn

import typer

from app import clitext
from app.config import get_settings
from routing import inputs as data
from routing.errors import RoutingError
from routing.risk.robust import CHECK_RUNS

# Help texts are Markdown: a paragraph's lines are joined and wrapped to the terminal's width
# (rich markup would keep the docstrings' line breaks), lists and **bold** render.
MARKUP: Literal["markdown"] = "markdown"
cli = typer.Typer(
    help="Maritime routing for island ballot distribution (Sumenep).",
    no_args_is_help=True,
    rich_markup_mode=MARKUP,
)
data_cli = typer.Typer(
    help="Build and check the island dataset.", no_args_is_help=True, rich_markup_mode=MARKUP
)
cli.add_typer(data_cli, name="data")


class IslandFormat(StrEnum):
    geojson = "geojson"
    csv = "csv"


class Direction(StrEnum):
    outbound = "outbound"
    back = "return"


class TableFormat(StrEnum):
    json = "json"
    csv = "csv"


class Lang(StrEnum):
    id = "id"
    en = "en"


LANG_OPTION = typer.Option(
    Lang.id,
    "--lang",
    envvar="BALLOT_LANG",
    help="Language of what people read: **id** (Indonesian) or **en**",
)


class ClimateName(StrEnum):
    """The climate table, or a variant of it (``routing.inputs.climate.VARIANTS``)."""

    bundled = "bundled"
    rougher = "rougher"
    calmer = "calmer"


CLIMATE_OPTION = typer.Option(
    ClimateName.bundled,
    "--climate",
    metavar="NAME",
    show_choices=False,
    help="The risk simulation's climate: bundled (the table, assumed), rougher or calmer (its "
    "rough days and spells x1.5 or x2/3)",
)
CHECK_RUNS_OPTION = typer.Option(
    CHECK_RUNS,
    "--check-runs",
    min=100,
    max=100_000,
    help="--target-on-time: runs of the check, on other seas, of what is claimed (the plan "
    "chosen; each latest safe start)",
)
JSON_OPTION = typer.Option(False, "--json", help="JSON on stdout (for scripts), not a table")


def fail(exc: Exception) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


def fail_listing(message: str, what: str, known: list[tuple[str, str]]) -> NoReturn:
    """Fail saying what was wrong and listing the valid values (id and name), one a line."""
    lines = "".join(f"\n  {ident}: {name}" if name else f"\n  {ident}" for ident, name in known)
    fail(ValueError(f"{message}. {what}:{lines}"))


def folded(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def resolve_class(ident: str, option: str = "--vessel-class") -> str:
    """The id of the vessel class given (ids match without case: KAL28 is kal28), or an error
    listing every class."""
    from routing.errors import NotFound
    from routing.inputs.fleet import vessel_class

    settings = get_settings()
    try:
        return vessel_class(data.fleet(settings.data_dir), ident).id
    except NotFound as exc:
        known = [(c.id, c.name) for c in exc.candidates]
        fail_listing(f"{option}: no vessel class with id {ident!r}", "Vessel classes", known)
    except RoutingError as exc:
        fail(exc)


def resolve_district(arch: Any, text: str) -> str:
    """The code of the district given by code or name (without case, spaces, punctuation or a
    leading "Kecamatan"/"Kec."), or an error listing every district."""
    from routing.inputs.places import bare_name, normalise

    names = {v.district_code: v.district for v in arch.villages.values()}
    if text.strip() in names:
        return text.strip()
    wanted = {normalise(text), normalise(bare_name(text))} - {""}
    found = [code for code, name in names.items() if normalise(name) in wanted]
    if len(found) == 1:
        return found[0]
    known = sorted(names.items())
    fail_listing(f"--district: no district with code or name {text!r}", "Districts", known)


def resolve_vessel(ident: str, vessels: dict[str, str], option: str = "--vessel") -> str:
    """The id of the vessel given (without case), of ``vessels`` (id to name), or an error
    listing them."""
    if ident in vessels:
        return ident
    found = [v for v in vessels if folded(v) == folded(ident)]
    if len(found) == 1:
        return found[0]
    known = sorted(vessels.items())
    fail_listing(f"{option}: no vessel with id {ident!r}", "Vessels", known)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def progress_bar(
    total: float, label: str, *, by_iterations: bool, unit: str = "iteration"
) -> tuple[Any, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        transient=True,
        console=err_console(),
    )
    task = bar.add_task(label, total=total, info="")
    last = [0.0]

    def update(iteration: int, elapsed: float, best: float) -> bool:
        if elapsed - last[0] >= 0.2:
            last[0] = elapsed
            done = iteration if by_iterations else elapsed
            bar.update(task, completed=min(done, total), info=f"{unit} {iteration}")
        return False

    return bar, update


def err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, width=120)


def out_console() -> Any:
    """Results on stdout: as wide as the terminal, or 100 columns in a pipe or a file (rich
    fits tables in it and breaks long lines between words, never inside one)."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 100, highlight=False)


def wrote(paths: list[Path], lang: str) -> None:
    """Say on stderr, in the chosen language, which files were written (one folder: named
    once)."""
    text = clitext.words(lang)
    folders = {p.parent for p in paths}
    if len(folders) == 1 and len(paths) > 1:
        names = ", ".join(p.name for p in paths)
        typer.echo(text["wrote_in"].format(folder=folders.pop(), names=names), err=True)
    else:
        for p in paths:
            typer.echo(text["wrote"].format(path=p), err=True)


def solving_bar(iterations: int | None, seconds: float, lang: str) -> tuple[Any, Any]:
    """The progress bar of a solve (by iterations where given, else by the time budget)."""
    text = clitext.words(lang)
    total = float(iterations) if iterations else seconds
    return progress_bar(
        total, text["solving"], by_iterations=iterations is not None, unit=text["iteration"]
    )


def main() -> None:
    cli()
