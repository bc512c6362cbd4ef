"""The climate table (``data/climate.toml``): waves per season and sea area, breakdowns and the
spreads of speeds and loading times that the risk simulation (``routing.risk``) samples from.
Every problem of a table is raised at once, naming its key."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from routing.errors import DataError, Issue

LEVELS = ("above_1_25_m", "above_2_5_m", "above_4_m")


@dataclass(frozen=True)
class SeasonArea:
    """One season's waves in one kind of area: shares of days above each BMKG class, and the
    mean length of a rough spell in days."""

    above_1_25_m: float
    above_2_5_m: float
    above_4_m: float
    spell_days: float


@dataclass(frozen=True)
class Climate:
    """``data/climate.toml``: waves per season and exposure, breakdowns and spreads."""

    exposure: dict[str, str]  # sea area -> "open" or "sheltered"
    season_of_month: dict[int, str]
    seasons: dict[str, dict[str, SeasonArea]]  # season -> exposure -> waves
    wave_m: tuple[float, float, float]  # simulated heights: moderate, high, very high
    mtbf_h: dict[str, float]  # vessel class -> mean hours between breakdowns (inf: none)
    speed_spread: float
    loading_spread: float
    source: str

    def season(self, day: date, exposure: str) -> SeasonArea:
        return self.seasons[self.season_of_month[day.month]][exposure]


def parse_climate(
    raw: Mapping[str, Any], area_ids: Iterable[str], class_ids: Iterable[str], *, source: str
) -> Climate:
    """Validate a climate table; every problem is raised at once, naming its key.

    Raises
    ------
    DataError
        A sea area or class without an entry, a share outside 0..1 or not decreasing with the
        wave class, a spell shorter than a day, a month without a known season.
    """
    problems: list[Issue] = []

    def number(value: Any, path: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(Issue("bad_value", path, "must be a number"))
            return low
        if not (low <= value <= high):
            problems.append(Issue("bad_value", path, f"must be between {low:g} and {high:g}"))
            return low
        return float(value)

    areas = raw.get("areas") or {}
    exposure: dict[str, str] = {}
    for aid in area_ids:
        kind = areas.get(aid)
        if kind not in ("open", "sheltered"):
            problems.append(Issue("bad_value", f"/areas/{aid}", "open or sheltered"))
        else:
            exposure[aid] = kind
    seasons: dict[str, dict[str, SeasonArea]] = {}
    for name, kinds in (raw.get("seasons") or {}).items():
        for kind in ("open", "sheltered"):
            base = f"/seasons/{name}/{kind}"
            table = (kinds or {}).get(kind)
            if not isinstance(table, dict):
                problems.append(Issue("missing_field", base, "no table"))
                continue
            shares = [number(table.get(k), f"{base}/{k}", 0, 1) for k in LEVELS]
            if not shares[0] >= shares[1] >= shares[2]:
                problems.append(
                    Issue("bad_value", base, "shares must not grow with the wave class")
                )
            spell = number(table.get("spell_days"), f"{base}/spell_days", 1, 365)
            seasons.setdefault(name, {})[kind] = SeasonArea(shares[0], shares[1], shares[2], spell)
    months: dict[int, str] = {}
    for m in range(1, 13):
        name = (raw.get("months") or {}).get(str(m))
        if name not in seasons:
            problems.append(Issue("bad_value", f"/months/{m}", "not a season of /seasons"))
        else:
            months[m] = name
    waves = raw.get("waves") or {}
    heights = tuple(
        number(waves.get(k), f"/waves/{k}", 0, 30) for k in ("moderate_m", "high_m", "very_high_m")
    )
    breakdowns = raw.get("breakdowns") or {}
    mtbf: dict[str, float] = {}
    for cid in class_ids:
        value = breakdowns.get(cid)
        if value is None:
            problems.append(Issue("missing_field", f"/breakdowns/{cid}", "no breakdown rate"))
            continue
        mtbf[cid] = number(value, f"/breakdowns/{cid}", 1, math.inf)
    spreads = raw.get("spreads") or {}
    speed = number(spreads.get("speed"), "/spreads/speed", 0, 0.5)
    loading = number(spreads.get("loading"), "/spreads/loading", 0, 0.9)
    if problems:
        raise DataError(problems, source=source)
    return Climate(
        exposure,
        months,
        seasons,
        (heights[0], heights[1], heights[2]),
        mtbf,
        speed,
        loading,
        f"{raw.get('status', '')}: {raw.get('source', '')}",
    )


def load_climate(path: Path, area_ids: Iterable[str], class_ids: Iterable[str]) -> Climate:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError([Issue("unreadable_file", "/", str(exc))], source=str(path)) from exc
    return parse_climate(raw, area_ids, class_ids, source=str(path))


# The climate table is assumed (data/climate.toml says why): every robust answer is given also
# under a rougher and a calmer one, the shares of rough days (each BMKG class) and the mean
# length of a rough spell scaled by these factors (assumed: half as rough again, or two thirds).
VARIANTS: dict[str, tuple[float, float]] = {
    "bundled": (1.0, 1.0),
    "rougher": (1.5, 1.5),
    "calmer": (2 / 3, 2 / 3),
}


def variant(climate: Climate, name: str) -> Climate:
    """``climate`` as one of ``VARIANTS``: its shares of rough days times the first factor (at
    most 1), its spells' mean length times the second (at least a day); ``source`` says so.

    Raises
    ------
    DataError
        An unknown variant (``/climate``).
    """
    if name not in VARIANTS:
        known = ", ".join(VARIANTS)
        raise DataError([Issue("bad_value", "/climate", f"{name!r} is no climate ({known})")])
    rough, spell = VARIANTS[name]
    if (rough, spell) == (1.0, 1.0):
        return climate

    def scaled(s: SeasonArea) -> SeasonArea:
        return SeasonArea(
            above_1_25_m=min(1.0, s.above_1_25_m * rough),
            above_2_5_m=min(1.0, s.above_2_5_m * rough),
            above_4_m=min(1.0, s.above_4_m * rough),
            spell_days=max(1.0, s.spell_days * spell),
        )

    seasons = {k: {e: scaled(s) for e, s in v.items()} for k, v in climate.seasons.items()}
    source = f"{climate.source}, {name}: rough days x{rough:.2f}, spells x{spell:.2f}"
    return Climate(
        exposure=climate.exposure,
        season_of_month=climate.season_of_month,
        seasons=seasons,
        wave_m=climate.wave_m,
        mtbf_h=climate.mtbf_h,
        speed_spread=climate.speed_spread,
        loading_spread=climate.loading_spread,
        source=source,
    )
