"""Depths at landing points: the least depth alongside, a tide note and a source per landing.

``data/landing_depths.csv`` (columns ``landing_id, least_depth_alongside_m, tide_note, source``)
says what is known of each landing's water. No pier depth of the Sumenep islands has been
published (domain-facts.md, open question 8), so the table holds the notes the sources give
(low-tide berthing failures, exposed piers, reefs on the approach) with an empty depth: unknown
stays unknown, and the outputs say so. Where a depth is given, a vessel comes alongside only
when it is at least the class's draft times the under-keel ratio
(``routing.inputs.hazards.KeelRule``), else it anchors off and unloads by tender; and the
unserved-village check names ``DRAFT_TOO_DEEP`` where the draft itself exceeds it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from routing.errors import DataError, Issue

COLUMNS = ("landing_id", "least_depth_alongside_m", "tide_note", "source")


@dataclass(frozen=True)
class LandingDepth:
    """What is known of the water at one landing; ``depth_m`` None: not known."""

    landing_id: str
    depth_m: float | None
    tide_note: str
    source: str


def parse_depths(
    rows: list[dict[str, str]], landing_ids: set[str] | None = None, *, source: str = "depths"
) -> dict[str, LandingDepth]:
    """Validate the table's rows; every problem is raised at once.

    Raises
    ------
    DataError
        Naming the row and column: an unknown or repeated landing, a depth that is not a
        finite number >= 0, a row without a source.
    """
    problems: list[Issue] = []
    out: dict[str, LandingDepth] = {}
    for n, row in enumerate(rows):
        base = f"/rows/{n}"
        lid = (row.get("landing_id") or "").strip()
        if not lid:
            problems.append(Issue("missing_field", f"{base}/landing_id", "needs a landing id"))
            continue
        if landing_ids is not None and lid not in landing_ids:
            problems.append(Issue("unknown_landing", f"{base}/landing_id", f"no landing {lid}"))
        if lid in out:
            problems.append(Issue("duplicate", f"{base}/landing_id", f"{lid} given twice"))
        raw = (row.get("least_depth_alongside_m") or "").strip()
        depth: float | None = None
        if raw:
            try:
                depth = float(raw)
            except ValueError:
                depth = math.nan
            if not math.isfinite(depth) or depth < 0:
                problems.append(
                    Issue(
                        "bad_value",
                        f"{base}/least_depth_alongside_m",
                        f"{raw!r} is not a depth in metres >= 0 (leave it empty when unknown)",
                    )
                )
                depth = None
        src = (row.get("source") or "").strip()
        if not src:
            problems.append(Issue("missing_field", f"{base}/source", "every row needs a source"))
        out[lid] = LandingDepth(lid, depth, (row.get("tide_note") or "").strip(), src)
    if problems:
        raise DataError(problems, source=source)
    return out


def load_depths(path: Path, landing_ids: set[str] | None = None) -> dict[str, LandingDepth]:
    """The depth table (empty when the file does not exist)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(
                [Issue("missing_field", "/columns", f"missing column(s) {', '.join(missing)}")],
                source=str(path),
            )
        return parse_depths(list(reader), landing_ids, source=str(path))
