"""The text catalogue (``catalogue.json`` beside this module): the words the dashboard, the
field page, the command line and the voyage papers share, in Indonesian and English, each
written once. ``reasons`` holds every stable reason code of ``routing.explain`` with its label
in both languages and the message a plan carries; ``words`` the labels the command line, the
papers and the pages print alike; ``levers`` what a candidate of the robust search did, as the
command line and the dashboard word it; ``pages`` the texts both pages show. The service serves the
file to the pages as ``/static/text/catalogue.json``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from routing.local import lang_of

CATALOGUE = Path(__file__).with_name("catalogue.json")


@cache
def catalogue() -> dict[str, Any]:
    """The catalogue as read from its file."""
    data: dict[str, Any] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return data


def reason_codes() -> tuple[str, ...]:
    """Every reason code, in the catalogue's order."""
    return tuple(catalogue()["reasons"])


def reason_label(code: str, lang: str | None) -> str:
    """A reason code's label in a language (Indonesian unless ``en``); an unknown code as it
    is."""
    entry = catalogue()["reasons"].get(code)
    return code if entry is None else str(entry[lang_of(lang)])


def reason_labels(lang: str | None) -> dict[str, str]:
    """Every reason code's label in a language."""
    lg = lang_of(lang)
    return {code: str(entry[lg]) for code, entry in catalogue()["reasons"].items()}


def reason_messages() -> dict[str, str]:
    """Every reason code's message, as a plan carries it (English)."""
    return {code: str(entry["message"]) for code, entry in catalogue()["reasons"].items()}


def word(key: str, lang: str | None) -> str:
    """A shared label (``words``) in a language."""
    return str(catalogue()["words"][key][lang_of(lang)])


def lever(key: str, lang: str | None) -> str:
    """What a robust search's lever did (``levers``), in a language; ``{name}`` marks a value."""
    return str(catalogue()["levers"][key][lang_of(lang)])


def words(lang: str | None) -> dict[str, str]:
    """Every shared label (``words``) in a language."""
    lg = lang_of(lang)
    return {key: str(entry[lg]) for key, entry in catalogue()["words"].items()}
