"""MkDocs hook: the parts of the site written from the code itself, at build time.

- ``cli.md``: the command-line reference, from the ``ballot-routing`` Typer app through Typer's
  own Markdown writer (what ``typer app.cli utils docs`` prints), so the page says what
  ``--help`` says and cannot fall behind it.
- ``operations/settings.md``: every setting of ``app.config.Settings`` must be named on the page;
  one that is not is a warning, so ``mkdocs build --strict`` fails until the page says it.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points
from typing import Any

import typer
import typer.main
from typer.cli import MARKUP_MODE_KEY, get_docs_for_click

log = logging.getLogger("mkdocs.hooks.generated")

PROGRAM = "ballot-routing"
CLI_PAGE = "cli.md"
CLI_MARKER = "<!-- ballot-routing: the generated reference -->"
SETTINGS_PAGE = "operations/settings.md"


def _typer_app() -> typer.Typer:
    """The Typer app behind the ``ballot-routing`` console script: the module its entry point
    names, and in it the ``cli`` app (or the one Typer app it holds)."""
    (script,) = entry_points(group="console_scripts", name=PROGRAM)
    module = importlib.import_module(script.module)
    found = getattr(module, "cli", None)
    if isinstance(found, typer.Typer):
        return found
    apps = [v for v in vars(module).values() if isinstance(v, typer.Typer)]
    if len(apps) != 1:
        raise RuntimeError(f"{script.module}: expected one Typer app, found {len(apps)}")
    return apps[0]


def cli_reference() -> str:
    """The Markdown reference of every command, its arguments and options."""
    app = _typer_app()
    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name=PROGRAM, obj={MARKUP_MODE_KEY: app.rich_markup_mode})
    text = get_docs_for_click(obj=command, ctx=ctx, name=PROGRAM, indent=1, title=f"`{PROGRAM}`")
    return text.strip() + "\n"


def setting_names() -> list[str]:
    """The environment variable of every service setting (its first alias, else BALLOT_NAME)."""
    from app.config import Settings

    prefix = Settings.model_config.get("env_prefix", "")
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names.append(str(choices[0]) if choices else f"{prefix}{name}".upper())
    return names


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    source = page.file.src_uri
    if source == CLI_PAGE:
        if CLI_MARKER not in markdown:
            log.warning("%s: the marker %s is missing", CLI_PAGE, CLI_MARKER)
            return markdown
        return markdown.replace(CLI_MARKER, cli_reference())
    if source == SETTINGS_PAGE:
        for name in setting_names():
            if f"`{name}`" not in markdown:
                log.warning("%s: the setting %s (app/config.py) is not described", source, name)
    return markdown
