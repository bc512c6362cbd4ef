"""What each polling station (TPS) and village must receive: weight, volume, boxes.

The kit comes from an item table (``data/kit.toml``): quantity per TPS or per ballot set,
unit weight and volume, each with its source. Ballot sets per TPS are the TPS's voters plus a
reserve percentage, rounded up per TPS.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.domain import Demand
from routing.errors import DataError, Issue

BASES = ("per_tps", "per_ballot")
STATUSES = ("verified", "derived", "assumed")


@dataclass(frozen=True)
class KitItem:
    id: str
    name: str
    basis: str
    quantity: int
    unit_weight_kg: float
    unit_volume_m3: float
    status: str
    source: str


@dataclass(frozen=True)
class Kit:
    items: tuple[KitItem, ...]
    ballot_reserve_percent: int
    max_voters_per_tps: int

    @property
    def ballot_types(self) -> int:
        """How many ballot papers one voter receives (one per ``per_ballot`` item)."""
        return sum(i.quantity for i in self.items if i.basis == "per_ballot")

    @property
    def ballot_boxes_per_tps(self) -> int:
        return sum(i.quantity for i in self.items if i.id == "ballot_box")


def _unit_weight(raw: dict[str, Any], path: str, problems: list[Issue]) -> float:
    if "unit_weight_kg" in raw:
        return float(raw["unit_weight_kg"])
    sheet, gsm = raw.get("sheet_cm"), raw.get("paper_gsm")
    if not (isinstance(sheet, list) and len(sheet) == 2 and gsm):
        problems.append(
            Issue(
                "missing_weight",
                f"{path}/unit_weight_kg",
                "give unit_weight_kg, or sheet_cm and paper_gsm",
            )
        )
        return 0.0
    return float(sheet[0]) / 100 * float(sheet[1]) / 100 * float(gsm) / 1000


def parse_kit(raw: dict[str, Any], *, source: str = "kit") -> Kit:
    """Validate a kit table (as read from TOML) and return it; every problem raised at once."""
    problems: list[Issue] = []
    items = []
    seen: set[str] = set()
    for n, it in enumerate(raw.get("items", [])):
        path = f"/items/{n}"
        ident = str(it.get("id", ""))
        if not ident:
            problems.append(Issue("missing_field", f"{path}/id", "item has no id"))
        elif ident in seen:
            problems.append(Issue("duplicate_id", f"{path}/id", f"item id {ident!r} appears twice"))
        seen.add(ident)
        if it.get("basis") not in BASES:
            problems.append(Issue("bad_value", f"{path}/basis", f"basis must be one of {BASES}"))
        if it.get("status") not in STATUSES:
            problems.append(
                Issue("bad_value", f"{path}/status", f"status must be one of {STATUSES}")
            )
        if not it.get("source"):
            problems.append(Issue("missing_field", f"{path}/source", "every item needs a source"))
        weight = _unit_weight(it, path, problems)
        volume = float(it.get("unit_volume_m3", -1))
        qty = it.get("quantity")
        for field, value in (
            ("quantity", qty),
            ("unit_volume_m3", volume),
            ("unit_weight_kg", weight),
        ):
            if not isinstance(value, (int, float)) or value < 0:
                problems.append(Issue("negative_value", f"{path}/{field}", f"{field} must be >= 0"))
        items.append(
            KitItem(
                ident,
                str(it.get("name", ident)),
                str(it.get("basis")),
                int(qty or 0),
                weight,
                volume,
                str(it.get("status")),
                str(it.get("source", "")),
            )
        )
    if not items:
        problems.append(Issue("missing_field", "/items", "the kit lists no items"))
    reserve = raw.get("ballot_reserve_percent")
    max_voters = raw.get("max_voters_per_tps")
    if not isinstance(reserve, int) or reserve < 0:
        problems.append(Issue("bad_value", "/ballot_reserve_percent", "must be an integer >= 0"))
    if not isinstance(max_voters, int) or max_voters <= 0:
        problems.append(Issue("bad_value", "/max_voters_per_tps", "must be an integer > 0"))
    if problems:
        raise DataError(problems, source=source)
    return Kit(tuple(items), int(reserve), int(max_voters))  # type: ignore[arg-type]


def load_kit(path: Path) -> Kit:
    """Read and validate the kit table from a TOML file."""
    with path.open("rb") as fh:
        return parse_kit(tomllib.load(fh), source=str(path))


def ballot_sets(voters: int, *, reserve_percent: int) -> int:
    """Ballot sets for one TPS: voters plus the reserve, rounded up (integer arithmetic)."""
    return -(-voters * (100 + reserve_percent) // 100)


def split_voters(voters: int, tps: int) -> list[int]:
    """Spread a village's voters over its TPS as evenly as whole voters allow."""
    q, r = divmod(voters, tps)
    return [q + 1] * r + [q] * (tps - r)


def demand_for(tps: int, voters: int, kit: Kit, *, label: str = "demand") -> Demand:
    """Weight, volume and box count for ``tps`` polling stations with ``voters`` voters in all.

    Parameters
    ----------
    tps
        Number of polling stations (>= 0).
    voters
        Registered voters over those stations (>= 0, at most ``kit.max_voters_per_tps`` each).
    kit
        The item table.
    label
        Names the input in error messages.

    Raises
    ------
    DataError
        When a count is negative, or there are voters but no TPS, or too many voters per TPS.
    """
    problems = []
    if tps < 0:
        problems.append(Issue("negative_value", f"{label}/tps", f"TPS count {tps} is negative"))
    if voters < 0:
        problems.append(Issue("negative_value", f"{label}/voters", f"voters {voters} is negative"))
    if tps == 0 and voters > 0:
        problems.append(Issue("bad_value", f"{label}/tps", "voters but no TPS"))
    if tps > 0 and voters > kit.max_voters_per_tps * tps:
        problems.append(
            Issue(
                "bad_value",
                f"{label}/voters",
                f"{voters} voters exceed {kit.max_voters_per_tps} per TPS over {tps} TPS",
            )
        )
    if problems:
        raise DataError(problems, source=label)
    sets = sum(
        ballot_sets(v, reserve_percent=kit.ballot_reserve_percent)
        for v in (split_voters(voters, tps) if tps else [])
    )
    weight = volume = 0.0
    for item in kit.items:
        count = item.quantity * (tps if item.basis == "per_tps" else sets)
        weight += count * item.unit_weight_kg
        volume += count * item.unit_volume_m3
    return Demand(
        tps=tps,
        voters=voters,
        ballots=sets * kit.ballot_types,
        ballot_boxes=tps * kit.ballot_boxes_per_tps,
        weight_kg=round(weight, 3),
        volume_m3=round(volume, 4),
    )
