"""Times and numbers as people read them: local time (WIB, UTC+7) and Indonesian or English
forms, through babel's locale data (``id`` and ``en``).

Machines keep RFC 3339 times and plain numbers; this module is only for what is printed or shown
(CLI tables, voyage papers)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")

WIB = timezone(timedelta(hours=7), "WIB")
"""Western Indonesian Time, the local time of Sumenep (no daylight saving)."""

_TIME = {"id": "HH.mm", "en": "HH:mm"}  # KBBI/PUEBI: a full stop between hours and minutes


def lang_of(value: str | None) -> Lang:
    """A supported language code (``id`` by default)."""
    return "en" if value == "en" else "id"


def long_time(when: datetime, lang: Lang = "id") -> str:
    """A day and time in full, in WIB: "Senin, 12 Februari 2024, 08.30 WIB" / "Monday, 12
    February 2024, 08:30 WIB"."""
    local = when.astimezone(WIB)
    day = format_date(local, "EEEE, d MMMM y", locale=lang)
    return f"{day}, {format_time(local, _TIME[lang], locale=lang)} WIB"


def stamp(when: datetime) -> str:
    """A sortable local time for tables and files: "2024-02-05 19:23 WIB"."""
    return when.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")


def named(name: str | None, code: str) -> str:
    """A name with its code beside it ("KRI Teluk Bintuni-520 (kri-teluk-bintuni-520)"); the
    code alone where no name is known or the name is the code."""
    return f"{name} ({code})" if name and name != code else code


def number(value: float, lang: Lang = "id", decimals: int = 0) -> str:
    """A number with the language's separators: "12.345,7" / "12,345.7"."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=lang)
