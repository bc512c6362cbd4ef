"""Closures of the sea routes on record (``data/closures.toml``): each episode's sea areas,
length and the forecast wave height it is replayed as, with its sources; read for the stress
test of ``routing.stress``."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from routing.domain import WaveForecast
from routing.errors import DataError, Issue


@dataclass(frozen=True)
class Episode:
    """A closure on record."""

    id: str
    name: str  # Indonesian
    began: date
    days: int
    areas: tuple[str, ...]  # sea area ids
    wave_m: float
    wave_source: str
    source: str
    name_en: str = ""  # English (default: the Indonesian name)

    def forecast(self, start: datetime) -> tuple[WaveForecast, ...]:
        """The closure as a forecast from ``start`` for its length."""
        end = start + timedelta(days=self.days)
        return tuple(
            WaveForecast(a, start, end, self.wave_m, f"closure on record {self.id}")
            for a in self.areas
        )


def parse_closures(
    raw: Any, areas: Sequence[str], *, source: str = "closures"
) -> tuple[Episode, ...]:
    """The episodes of a closures table; every problem at once (naming the episode and field).

    Parameters
    ----------
    raw : dict
        The TOML as read (``episodes``: a list of tables).
    areas : sequence of str
        The sea area ids there are; ``areas = "all"`` means every one.
    """
    problems: list[Issue] = []
    episodes = raw.get("episodes") if isinstance(raw, dict) else None
    if not isinstance(episodes, list) or not episodes:
        raise DataError([Issue("missing_field", "/episodes", "no episodes")], source=source)
    out = []
    seen: set[str] = set()
    for n, e in enumerate(episodes):
        base = f"/episodes/{n}"
        if not isinstance(e, dict):
            problems.append(Issue("bad_value", base, "expected a table"))
            continue
        found = len(problems)
        ident = e.get("id")
        if not isinstance(ident, str) or not ident or ident in seen:
            problems.append(Issue("bad_value", f"{base}/id", "a unique id"))
        seen.add(str(ident))
        for name in ("name", "name_en", "wave_source", "source"):
            if not isinstance(e.get(name), str) or not e[name].strip():
                problems.append(Issue("missing_field", f"{base}/{name}", "needs a text"))
        if not isinstance(e.get("began"), date) or isinstance(e.get("began"), datetime):
            problems.append(Issue("bad_value", f"{base}/began", "a date (YYYY-MM-DD)"))
        days = e.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
            problems.append(Issue("bad_value", f"{base}/days", "a whole number of days, 1-60"))
        wave = e.get("wave_m")
        if isinstance(wave, bool) or not isinstance(wave, (int, float)) or not 0 < wave <= 20:
            problems.append(Issue("bad_value", f"{base}/wave_m", "metres, above 0 and at most 20"))
        chosen = e.get("areas")
        if chosen == "all":
            chosen = list(areas)
        unknown = [a for a in chosen if a not in areas] if isinstance(chosen, list) else None
        if not chosen or unknown is None or unknown:
            why = f'"all" or a list of the sea areas ({", ".join(areas)})'
            problems.append(Issue("bad_value", f"{base}/areas", why))
        if len(problems) == found:
            out.append(
                Episode(
                    id=str(ident),
                    name=e["name"],
                    began=e["began"],
                    days=int(e["days"]),
                    areas=tuple(str(a) for a in e["areas"])
                    if e["areas"] != "all"
                    else tuple(areas),
                    wave_m=float(e["wave_m"]),
                    wave_source=e["wave_source"],
                    source=e["source"],
                    name_en=e["name_en"],
                )
            )
    if problems:
        raise DataError(problems, source=source)
    return tuple(out)


def load_closures(path: Path, areas: Sequence[str]) -> tuple[Episode, ...]:
    """The closures on record of a file (``data/closures.toml``)."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError([Issue("unreadable_file", "", str(exc))], source=str(path)) from None
    return parse_closures(raw, areas, source=str(path))
