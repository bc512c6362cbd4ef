"""Read and validate the vessel-class catalogue (``data/fleet.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.domain import VESSEL_CLASS_NUMBERS, Sourced, VesselClass
from routing.errors import DataError, Issue, NotFound
from routing.local import LANGS, Lang

STATUSES = ("verified", "derived", "assumed")
POSITIVE = ("speed_kn", "capacity_kg", "capacity_m3", "draft_m", "length_m", "max_wave_m")


def _sourced(raw: Any, path: str, problems: list[Issue]) -> tuple[Any, Sourced]:
    if not isinstance(raw, dict) or "value" not in raw:
        problems.append(Issue("missing_field", path, "expected a table {value, status, source}"))
        return None, Sourced("", "")
    status, source = raw.get("status"), raw.get("source")
    if status not in STATUSES:
        problems.append(Issue("bad_value", f"{path}/status", f"status must be one of {STATUSES}"))
    if not source:
        problems.append(Issue("missing_field", f"{path}/source", "every value needs a source"))
    return raw["value"], Sourced(str(status), str(source))


@dataclass(frozen=True)
class ClearanceRule:
    """Clearance from draft: ``base_m + per_m_of_draft * (draft_m - reference_draft_m)``."""

    base_m: float
    reference_draft_m: float
    per_m_of_draft: float
    source: str

    def clearance_m(self, draft_m: float) -> float:
        return max(
            self.base_m, self.base_m + self.per_m_of_draft * (draft_m - self.reference_draft_m)
        )


def _clearance_rule(raw: Any, problems: list[Issue]) -> ClearanceRule | None:
    if not isinstance(raw, dict):
        return None
    values = []
    for name in ("base_m", "reference_draft_m", "per_m_of_draft"):
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append(Issue("bad_value", f"/clearance/{name}", "must be a number >= 0"))
            value = 0
        values.append(float(value))
    base_m, reference_draft_m, per_m_of_draft = values
    source = f"{raw.get('status', '')}: {raw.get('source', '')}"
    return ClearanceRule(base_m, reference_draft_m, per_m_of_draft, source)


RULE_KINDS = ("regulation", "published table", "practice")
SPOKEN_OF = ("forecast", "met")


@dataclass(frozen=True)
class SailingRule:
    """A rule on record that sets a wave limit (``[sailing_rules.<id>]`` of the catalogue)."""

    id: str
    kind: str  # regulation, published table or practice
    speaks_of: str  # the waves forecast (significant height) or the waves a vessel meets
    wave_m: float
    applies_to: str
    source: str

    def forecast_limit_m(self, largest_wave_factor: float) -> float:
        """The rule's limit as a forecast: a rule on the waves met, over the factor from the
        significant height to the largest waves."""
        return self.wave_m / largest_wave_factor if self.speaks_of == "met" else self.wave_m


@dataclass(frozen=True)
class SailingRules:
    largest_wave_factor: float
    rules: dict[str, SailingRule]


def _sailing_rules(raw: Any, problems: list[Issue]) -> SailingRules:
    """The ``[sailing_rules]`` table: ``largest_wave_factor`` and one table per rule."""
    if raw is None:
        return SailingRules(2.0, {})
    if not isinstance(raw, dict):
        problems.append(Issue("bad_value", "/sailing_rules", "expected a table"))
        return SailingRules(2.0, {})
    factor, _ = _sourced(
        raw.get("largest_wave_factor"), "/sailing_rules/largest_wave_factor", problems
    )
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor >= 1:
        problems.append(
            Issue("bad_value", "/sailing_rules/largest_wave_factor/value", "a number >= 1")
        )
        factor = 2.0
    rules = {}
    for ident, body in raw.items():
        if ident == "largest_wave_factor":
            continue
        base = f"/sailing_rules/{ident}"
        body = body if isinstance(body, dict) else {}
        found = len(problems)
        for name, allowed in (("kind", RULE_KINDS), ("speaks_of", SPOKEN_OF)):
            if body.get(name) not in allowed:
                problems.append(Issue("bad_value", f"{base}/{name}", f"one of {allowed}"))
        wave = body.get("wave_m")
        if isinstance(wave, bool) or not isinstance(wave, (int, float)) or not wave > 0:
            problems.append(Issue("bad_value", f"{base}/wave_m", "a number of metres > 0"))
        for name in ("applies_to", "source"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                problems.append(Issue("missing_field", f"{base}/{name}", "needs a text"))
        if len(problems) == found:
            rules[ident] = SailingRule(
                ident,
                body["kind"],
                body["speaks_of"],
                float(wave),  # type: ignore[arg-type]
                body["applies_to"],
                body["source"],
            )
    return SailingRules(float(factor), rules)


def _wave_rule(base: str, raw: Any, value: Any, rules: SailingRules, problems: list[Issue]) -> None:
    """A class's wave limit against the rule it names: the rule's limit as a forecast; no rule
    named, the limit must say it is assumed."""
    if not isinstance(raw, dict):
        return
    path = f"{base}/max_wave_m"
    ident = raw.get("rule")
    if ident is None:
        if raw.get("status") != "assumed":
            why = "name the rule it comes from (a table of [sailing_rules]) or mark it assumed"
            problems.append(Issue("missing_field", f"{path}/rule", why))
        return
    rule = rules.rules.get(ident) if isinstance(ident, str) else None
    if rule is None:
        known = ", ".join(rules.rules) or "none"
        problems.append(
            Issue("bad_value", f"{path}/rule", f"no rule {ident!r}; the rules: {known}")
        )
        return
    limit = rule.forecast_limit_m(rules.largest_wave_factor)
    if isinstance(value, (int, float)) and abs(value - limit) > 1e-9:
        why = f"the rule {ident} gives {limit:g} m as a forecast, not {value:g}"
        problems.append(Issue("bad_value", f"{path}/value", why))


def _vessel_class(
    ident: str,
    raw: dict[str, Any],
    rule: ClearanceRule | None,
    problems: list[Issue],
    rules: SailingRules | None = None,
) -> VesselClass | None:
    base = f"/classes/{ident}"
    values: dict[str, Any] = {}
    sources: dict[str, Sourced] = {}
    for name in (*VESSEL_CLASS_NUMBERS, "berths_small_pier"):
        if name == "clearance_m" and "clearance_m" not in raw and rule is not None:
            continue  # derived from the draft below
        value, src = _sourced(raw.get(name), f"{base}/{name}", problems)
        sources[name] = src
        if name == "berths_small_pier":
            if not isinstance(value, bool):
                problems.append(Issue("bad_value", f"{base}/{name}/value", "must be true or false"))
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(Issue("bad_value", f"{base}/{name}/value", "must be a number"))
            value = None
        elif value < 0 or (name in POSITIVE and value == 0):
            problems.append(Issue("bad_value", f"{base}/{name}/value", f"{name} must be > 0"))
        values[name] = value
    if rules is not None:
        _wave_rule(base, raw.get("max_wave_m"), values.get("max_wave_m"), rules, problems)
    if "clearance_m" not in values and isinstance(values.get("draft_m"), (int, float)) and rule:
        values["clearance_m"] = rule.clearance_m(float(values["draft_m"]))
        sources["clearance_m"] = Sourced("derived", f"clearance rule from draft ({rule.source})")
    names = _names(base, raw, problems)
    if names is None or any(v is None for v in values.values()):
        return None
    return VesselClass(id=ident, name=names["en"], sources=sources, **values)


def _names(base: str, raw: dict[str, Any], problems: list[Issue]) -> dict[Lang, str] | None:
    """A class's name in Indonesian (``name_id``) and English (``name_en``); ``name``, the one
    name of catalogues written before, is still read as the English one."""
    if "name_en" in raw and "name" in raw and raw["name"] != raw["name_en"]:
        why = "name is the English name of catalogues written before: give name_en alone"
        problems.append(Issue("bad_value", f"{base}/name", why))
    found: dict[Lang, str] = {}
    keys: tuple[tuple[Lang, str], ...] = (("id", "name_id"), ("en", "name_en"))
    for lang, key in keys:
        value = raw.get(key, raw.get("name") if lang == "en" else None)
        if value is None:
            why = f"class has no {'Indonesian' if lang == 'id' else 'English'} name"
            problems.append(Issue("missing_field", f"{base}/{key}", why))
        elif not isinstance(value, str) or not value.strip():
            problems.append(Issue("bad_value", f"{base}/{key}", f"{key} must be a non-empty text"))
        else:
            found[lang] = value.strip()
    return found if len(found) == len(LANGS) else None


def parse_fleet(raw: dict[str, Any], *, source: str = "fleet") -> dict[str, VesselClass]:
    """Validate a catalogue (as read from TOML); every problem is raised at once.

    Raises
    ------
    DataError
        Listing every missing, non-numeric or non-positive value and every value without a source.
    """
    problems: list[Issue] = []
    classes = raw.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise DataError([Issue("missing_field", "/classes", "no vessel classes")], source=source)
    out = {}
    rule = _clearance_rule(raw.get("clearance"), problems)
    rules = _sailing_rules(raw.get("sailing_rules"), problems)
    for ident, body in sorted(classes.items()):
        vc = _vessel_class(ident, body if isinstance(body, dict) else {}, rule, problems, rules)
        if vc is not None:
            out[ident] = vc
    if problems:
        raise DataError(problems, source=source)
    return out


def load_sailing_rules(path: Path) -> SailingRules:
    """The sailing rules on record of a catalogue file (``[sailing_rules]``)."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    problems: list[Issue] = []
    found = _sailing_rules(raw.get("sailing_rules"), problems)
    if problems:
        raise DataError(problems, source=str(path))
    return found


def load_fleet(path: Path) -> dict[str, VesselClass]:
    """Read and validate the vessel classes of a catalogue file."""
    with path.open("rb") as fh:
        return parse_fleet(tomllib.load(fh), source=str(path))


def parse_class_names(raw: dict[str, Any], *, source: str = "fleet") -> dict[str, dict[Lang, str]]:
    """The classes' names in each language, as people read them (the voyage papers).

    Parameters
    ----------
    raw : dict
        A catalogue as read from TOML.
    source : str
        What the catalogue is, for the error.

    Returns
    -------
    dict
        Class id to ``{"id": Indonesian name, "en": English name}``.

    Raises
    ------
    DataError
        Everything ``parse_fleet`` refuses (each name by its path, ``/classes/pc40/name_id``).
    """
    parse_fleet(raw, source=source)
    classes = raw["classes"]
    problems: list[Issue] = []
    out = {ident: _names(f"/classes/{ident}", classes[ident], problems) for ident in classes}
    return {ident: names for ident, names in sorted(out.items()) if names is not None}


def load_class_names(path: Path) -> dict[str, dict[Lang, str]]:
    """The classes' names in Indonesian and English of a catalogue file (``parse_class_names``)."""
    with path.open("rb") as fh:
        return parse_class_names(tomllib.load(fh), source=str(path))


def _folded(ident: str) -> str:
    return "".join(c for c in ident.casefold() if c.isalnum())


def vessel_class(classes: dict[str, VesselClass], ident: str) -> VesselClass:
    """The class with id ``ident``; where no id is spelled so, the one whose id differs only in
    case, spaces or punctuation ("KAL28", "Sabuk Nusantara").

    Raises
    ------
    NotFound
        No class fits; ``candidates`` lists every class of the catalogue (name and id).
    """
    from routing.errors import Candidate

    if ident in classes:
        return classes[ident]
    folded = [vc for key, vc in classes.items() if _folded(key) == _folded(ident)]
    if len(folded) == 1:
        return folded[0]
    known = [Candidate(vc.name, "vessel class", vc.id) for _, vc in sorted(classes.items())]
    raise NotFound("vessel class", ident, known)
