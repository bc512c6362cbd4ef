"""Scenarios: read and validate a scenario file, and turn it into a solver ``Problem``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from routing.demand import Kit, demand_for, split_voters
from routing.domain import Consignment, Problem, SeaArea, Vessel, VesselClass, WaveForecast
from routing.errors import DataError
from routing.errors import Problem as Issue
from routing.geodata import Archipelago
from routing.weather import parse_area

DIRECTIONS = ("outbound", "return")
# Ships that cannot berth at a small island pier can berth at the public ports of the Kemenhub
# registry (Masalembo, Keramaian, Kangean, Sapeken), as the regular ships do [S17][S36][S63];
# they anchor and unload by tender everywhere else. Assumed.
PUBLIC_PORT_REGISTRY = "Kemenhub SIMPEL"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: when, from where, with which vessels, to which villages."""

    name: str
    election_day: date
    planning_start: datetime
    default_deadline: datetime
    depots: tuple[str, ...]
    daylight: tuple[time, time]
    villages: tuple[str, ...] | None  # None: every sea-served village
    vessel_ids: tuple[str, ...]
    deadlines: dict[str, datetime] = field(default_factory=dict)  # district code -> deadline
    direction: str = "outbound"
    vessel_windows: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    ship_hour_idr: float = 5_000_000.0
    forecast: tuple[WaveForecast, ...] = ()
    sea_areas: tuple[SeaArea, ...] = ()  # the scenario's own areas, beside data/sea_areas.toml
    closed_landings: tuple[tuple[str, datetime, datetime | None], ...] = ()
    destination: str | None = None  # return: the depot the boxes go to (default: first depot)
    ppk_offices: dict[str, str] = field(default_factory=dict)  # return: district -> village
    ready: dict[str, datetime] = field(default_factory=dict)  # return: district -> boxes ready
    out_of_service: dict[str, datetime] = field(default_factory=dict)  # vessel -> from

    def deadline_for(self, district_code: str) -> datetime:
        return self.deadlines.get(district_code, self.default_deadline)


def _datetime(raw: Any, path: str, issues: list[Issue]) -> datetime | None:
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw))
        except ValueError:
            issues.append(Issue("bad_time", path, f"{raw!r} is not an RFC 3339 time"))
            return None
    if value.tzinfo is None:
        issues.append(Issue("bad_time", path, f"{raw!r} has no UTC offset (use +07:00 for WIB)"))
        return None
    return value


def _clock(raw: Any, path: str, issues: list[Issue]) -> time | None:
    try:
        return raw if isinstance(raw, time) else time.fromisoformat(str(raw))
    except ValueError:
        issues.append(Issue("bad_time", path, f"{raw!r} is not a clock time HH:MM"))
        return None


def parse_scenario(raw: dict[str, Any], *, source: str = "scenario") -> Scenario:
    """Validate a scenario (as read from TOML or JSON); every problem is raised at once."""
    issues: list[Issue] = []
    name = str(raw.get("name") or "")
    if not name:
        issues.append(Issue("missing_field", "/name", "scenario has no name"))
    try:
        election_day = date.fromisoformat(str(raw.get("election_day")))
    except ValueError:
        issues.append(Issue("bad_time", "/election_day", "must be a date YYYY-MM-DD"))
        election_day = date.min
    start = _datetime(raw.get("planning_start"), "/planning_start", issues)
    deadline = _datetime(raw.get("default_deadline"), "/default_deadline", issues)
    deadlines = {}
    for district, value in (raw.get("deadlines") or {}).items():
        parsed = _datetime(value, f"/deadlines/{district}", issues)
        if parsed is not None:
            deadlines[str(district)] = parsed
    for path, when in [
        ("/default_deadline", deadline),
        *((f"/deadlines/{k}", v) for k, v in deadlines.items()),
    ]:
        if start and when and when <= start:
            issues.append(Issue("bad_time", path, "deadline is not after the planning start"))
    light = raw.get("daylight") or {"start": "06:00", "end": "18:00"}
    d0 = _clock(light.get("start"), "/daylight/start", issues)
    d1 = _clock(light.get("end"), "/daylight/end", issues)
    if d0 and d1 and d0 >= d1:
        issues.append(Issue("bad_time", "/daylight", "daylight must start before it ends"))
    depots = tuple(str(d) for d in raw.get("depots") or [])
    if not depots:
        issues.append(Issue("missing_field", "/depots", "list at least one depot"))
    villages_raw = raw.get("villages", "sea")
    villages = None if villages_raw == "sea" else tuple(str(v) for v in villages_raw or [])
    if villages is not None and not villages:
        issues.append(Issue("missing_field", "/villages", 'list village codes, or "sea"'))
    vessels = tuple(str(v) for v in raw.get("vessels") or [])
    if not vessels:
        issues.append(Issue("missing_field", "/vessels", "list at least one vessel id"))
    direction = str(raw.get("direction", "outbound"))
    if direction not in DIRECTIONS:
        issues.append(Issue("bad_value", "/direction", f"direction must be one of {DIRECTIONS}"))
    windows = {}
    for vid, win in (raw.get("vessel_windows") or {}).items():
        a = _datetime(win.get("available_from"), f"/vessel_windows/{vid}/available_from", issues)
        b = _datetime(win.get("available_until"), f"/vessel_windows/{vid}/available_until", issues)
        if a and b:
            windows[str(vid)] = (a, b)
    ship_hour = (raw.get("objective") or {}).get("ship_hour_idr", 5_000_000)
    if isinstance(ship_hour, bool) or not isinstance(ship_hour, (int, float)) or ship_hour < 0:
        issues.append(Issue("bad_value", "/objective/ship_hour_idr", "must be a number >= 0"))
        ship_hour = 0
    forecast = _forecast(raw.get("forecast") or [], issues)
    areas = tuple(
        area
        for n, r in enumerate(raw.get("sea_areas") or [])
        if (area := parse_area(r if isinstance(r, dict) else {}, f"/sea_areas/{n}", issues))
    )
    closed = []
    for n, c in enumerate(raw.get("closed_landings") or []):
        where = f"/closed_landings/{n}"
        c = c if isinstance(c, dict) else {}
        if not c.get("landing"):
            issues.append(Issue("missing_field", f"{where}/landing", "name the landing point id"))
        a = _datetime(c.get("from"), f"{where}/from", issues)
        b = _datetime(c["until"], f"{where}/until", issues) if c.get("until") else None
        if a and b and b <= a:
            issues.append(Issue("bad_time", f"{where}/until", "closure ends before it starts"))
        if c.get("landing") and a:
            closed.append((str(c["landing"]), a, b))
    ready = {}
    for district, value in (raw.get("ready") or {}).items():
        when = _datetime(value, f"/ready/{district}", issues)
        if when is not None:
            ready[str(district)] = when
    destination = raw.get("destination")
    if destination is not None and str(destination) not in depots:
        issues.append(
            Issue("bad_value", "/destination", "the destination must be a scenario depot")
        )
    offices = {str(k): str(v) for k, v in (raw.get("ppk_offices") or {}).items()}
    broken = {}
    for vid, value in (raw.get("out_of_service") or {}).items():
        when = _datetime(value, f"/out_of_service/{vid}", issues)
        if when is not None:
            broken[str(vid)] = when
    if issues:
        raise DataError(issues, source=source)
    assert start and deadline and d0 and d1
    return Scenario(
        name,
        election_day,
        start,
        deadline,
        depots,
        (d0, d1),
        villages,
        vessels,
        deadlines,
        direction,
        windows,
        float(ship_hour),
        forecast,
        areas,
        tuple(closed),
        str(destination) if destination is not None else None,
        offices,
        ready,
        broken,
    )


def _forecast(raw: Any, issues: list[Issue]) -> tuple[WaveForecast, ...]:
    """``[[forecast]]``: ``{area, from, until, wave_m, source}`` each."""
    out = []
    if not isinstance(raw, list):
        issues.append(Issue("bad_value", "/forecast", "must be a list of forecasts"))
        return ()
    for n, f in enumerate(raw):
        where = f"/forecast/{n}"
        f = f if isinstance(f, dict) else {}
        if not f.get("area"):
            issues.append(Issue("missing_field", f"{where}/area", "name the sea area"))
        a = _datetime(f.get("from"), f"{where}/from", issues)
        b = _datetime(f.get("until"), f"{where}/until", issues)
        if a and b and b <= a:
            issues.append(Issue("bad_time", f"{where}/until", "forecast ends before it starts"))
        wave = f.get("wave_m")
        if isinstance(wave, bool) or not isinstance(wave, (int, float)) or not 0 <= wave < 30:
            issues.append(Issue("bad_value", f"{where}/wave_m", "must be a wave height in m, 0-30"))
            continue
        if f.get("area") and a and b:
            out.append(WaveForecast(str(f["area"]), a, b, float(wave), str(f.get("source", ""))))
    return tuple(out)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file (TOML)."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError([Issue("unreadable_file", "/", str(exc))], source=str(path)) from exc
    return parse_scenario(raw, source=str(path))


def parse_vessels(
    raw: dict[str, Any], classes: dict[str, VesselClass], *, source: str = "fleet"
) -> dict[str, Vessel]:
    """The ``[[vessels]]`` of a fleet file, checked against its classes."""
    issues: list[Issue] = []
    out: dict[str, Vessel] = {}
    for n, v in enumerate(raw.get("vessels") or []):
        path = f"/vessels/{n}"
        vid = str(v.get("id") or "")
        if not vid:
            issues.append(Issue("missing_field", f"{path}/id", "vessel has no id"))
        elif vid in out:
            issues.append(Issue("duplicate_id", f"{path}/id", f"vessel {vid!r} appears twice"))
        if v.get("class") not in classes:
            issues.append(
                Issue(
                    "unknown_vessel_class", f"{path}/class", f"no vessel class {v.get('class')!r}"
                )
            )
        a = _datetime(v.get("available_from"), f"{path}/available_from", issues)
        b = _datetime(v.get("available_until"), f"{path}/available_until", issues)
        if a and b and a >= b:
            issues.append(
                Issue("bad_time", f"{path}/available_until", "window ends before it starts")
            )
        if vid and a and b and v.get("class") in classes:
            out[vid] = Vessel(
                vid, str(v["class"]), str(v.get("home_depot")), a, b, str(v.get("source", ""))
            )
    if issues:
        raise DataError(issues, source=source)
    return out


def load_vessels(path: Path, classes: dict[str, VesselClass]) -> dict[str, Vessel]:
    with path.open("rb") as fh:
        return parse_vessels(tomllib.load(fh), classes, source=str(path))


def _consignment_parts(
    tps: int, voters: int, kit: Kit, cap_kg: float, cap_m3: float
) -> list[tuple[int, int]]:
    """Split a village's TPS (and voters) into the fewest near-equal parts that each fit."""
    for parts in range(1, tps + 1):
        tps_split = split_voters(tps, parts)  # spread TPS as evenly as voters
        vote_split = [voters * t // tps for t in tps_split]
        vote_split[0] += voters - sum(vote_split)
        fits = all(
            (d := demand_for(t, v, kit)).weight_kg <= cap_kg and d.volume_m3 <= cap_m3
            for t, v in zip(tps_split, vote_split, strict=True)
        )
        if fits:
            return list(zip(tps_split, vote_split, strict=True))
    return [(1, voters // tps + (1 if i < voters % tps else 0)) for i in range(tps)]


def build_problem(
    scenario: Scenario,
    arch: Archipelago,
    kit: Kit,
    classes: dict[str, VesselClass],
    vessels: dict[str, Vessel],
    sea_areas: Mapping[str, SeaArea] | None = None,
) -> Problem:
    """Turn a scenario into a solver problem; unknown ids are reported all at once.

    Villages too big for the smallest vessel in the scenario are split into consignments by TPS
    (each part fits that vessel); if a single TPS kit is larger, parts fit the largest vessel.
    """
    issues: list[Issue] = []
    for n, d in enumerate(scenario.depots):
        if d not in arch.depots:
            issues.append(Issue("unknown_depot", f"/depots/{n}", f"no depot {d!r}"))
    chosen = []
    for n, vid in enumerate(scenario.vessel_ids):
        if vid not in vessels:
            issues.append(
                Issue("unknown_vessel", f"/vessels/{n}", f"no vessel {vid!r} in the fleet")
            )
            continue
        v = vessels[vid]
        if v.home_depot not in scenario.depots:
            issues.append(
                Issue(
                    "unknown_depot",
                    f"/vessels/{n}",
                    f"{vid}: home depot {v.home_depot!r} is not a scenario depot",
                )
            )
        a, b = scenario.vessel_windows.get(vid, (v.available_from, v.available_until))
        b = min(b, scenario.out_of_service.get(vid, b))
        if b > a:  # a vessel out of service before its window opens takes no part
            chosen.append(Vessel(v.id, v.class_id, v.home_depot, a, b, v.source))
    codes = scenario.villages or tuple(c for c, v in arch.villages.items() if v.sea)
    for n, code in enumerate(codes):
        if code not in arch.villages:
            issues.append(Issue("unknown_village", f"/villages/{n}", f"no village {code!r}"))
        elif not arch.villages[code].sea:
            issues.append(
                Issue("not_sea_served", f"/villages/{n}", f"{code} is on the Madura mainland")
            )
    for vid in scenario.out_of_service:
        if vid not in scenario.vessel_ids:
            issues.append(
                Issue(
                    "unknown_vessel", f"/out_of_service/{vid}", f"{vid!r} is not a scenario vessel"
                )
            )
    areas = dict(sea_areas or {}) | {a.id: a for a in scenario.sea_areas}
    for n, f in enumerate(scenario.forecast):
        if f.area_id not in areas:
            issues.append(
                Issue("unknown_sea_area", f"/forecast/{n}/area", f"no sea area {f.area_id!r}")
            )
    for n, (lid, _, _) in enumerate(scenario.closed_landings):
        if lid not in arch.landing_points:
            issues.append(
                Issue("unknown_landing", f"/closed_landings/{n}/landing", f"no landing {lid!r}")
            )
    offices = _ppk_offices(scenario, arch, codes, issues) if scenario.direction == "return" else {}
    if issues:
        raise DataError(issues, source=scenario.name)
    used = {v.class_id for v in chosen}
    cap_kg = min(classes[c].capacity_kg for c in used)
    cap_m3 = min(classes[c].capacity_m3 for c in used)
    one = demand_for(1, kit.max_voters_per_tps, kit)
    if one.weight_kg > cap_kg or one.volume_m3 > cap_m3:
        cap_kg = max(classes[c].capacity_kg for c in used)
        cap_m3 = max(classes[c].capacity_m3 for c in used)
    consignments = []
    if scenario.direction == "return":
        consignments = _return_consignments(scenario, arch, kit, offices, cap_kg, cap_m3)
        codes = ()
    for code in codes:
        village = arch.villages[code]
        assert village.landing_point_id is not None
        parts = _consignment_parts(village.tps, village.voters_est, kit, cap_kg, cap_m3)
        for k, (tps, voters) in enumerate(parts, start=1):
            dem = demand_for(tps, voters, kit, label=f"villages/{code}")
            consignments.append(
                Consignment(
                    id=code if len(parts) == 1 else f"{code}#{k}",
                    village_code=code,
                    landing_id=village.landing_point_id,
                    district_code=village.district_code,
                    tps=tps,
                    ballot_boxes=dem.ballot_boxes,
                    weight_kg=dem.weight_kg,
                    volume_m3=dem.volume_m3,
                    deadline=scenario.deadline_for(village.district_code),
                    part=k,
                    parts=len(parts),
                )
            )
    d0, d1 = scenario.daylight
    depots = scenario.depots
    if scenario.direction == "return":  # the destination comes first: the solver's unload depot
        first = scenario.destination or depots[0]
        depots = (first, *(d for d in depots if d != first))
    return Problem(
        name=scenario.name,
        start=scenario.planning_start,
        depots=depots,
        vessels=tuple(chosen),
        classes={c: classes[c] for c in sorted(used)},
        consignments=tuple(consignments),
        daylight=(d0.hour * 3600 + d0.minute * 60, d1.hour * 3600 + d1.minute * 60),
        ship_hour_idr=scenario.ship_hour_idr,
        direction=scenario.direction,
        sea_areas=tuple(areas[k] for k in sorted(areas)),
        forecast=scenario.forecast,
        landing_closures=scenario.closed_landings,
        berths=frozenset(
            lp.id for lp in arch.landing_points.values() if lp.registry_name == PUBLIC_PORT_REGISTRY
        ),
    )


def island_districts(arch: Archipelago, codes: tuple[str, ...]) -> list[str]:
    """Districts of these villages whose every village is served by sea (PPK on an island)."""
    wanted = {arch.villages[c].district_code for c in codes}
    return sorted(
        d for d in wanted if all(v.sea for v in arch.villages.values() if v.district_code == d)
    )


def default_ppk_office(arch: Archipelago, district: str) -> str:
    """Where a district office (PPK) is assumed to be: the village named as the district, or else
    the village with the most polling stations. The offices' addresses were not found."""
    villages = sorted(
        (v for v in arch.villages.values() if v.district_code == district), key=lambda v: v.code
    )
    named = [v for v in villages if v.name.lower() == v.district.lower()]
    return (named or sorted(villages, key=lambda v: -v.tps))[0].code


def _ppk_offices(
    scenario: Scenario, arch: Archipelago, codes: tuple[str, ...], issues: list[Issue]
) -> dict[str, str]:
    out = {}
    for d in island_districts(arch, codes):
        code = scenario.ppk_offices.get(d) or default_ppk_office(arch, d)
        village = arch.villages.get(code)
        if village is None or village.district_code != d or village.landing_point_id is None:
            issues.append(
                Issue(
                    "bad_value",
                    f"/ppk_offices/{d}",
                    f"{code!r} is not a sea-served village of district {d}",
                )
            )
            continue
        out[d] = code
    if not out:
        issues.append(Issue("bad_value", "/villages", "no island district to collect from"))
    return out


def _return_consignments(
    scenario: Scenario,
    arch: Archipelago,
    kit: Kit,
    offices: Mapping[str, str],
    cap_kg: float,
    cap_m3: float,
) -> list[Consignment]:
    """One pickup per island district office: the district's boxes, booths and forms (the whole
    kit comes back [S103]), split into parts that fit the smallest vessel."""
    out = []
    for d, office in sorted(offices.items()):
        villages = [v for v in arch.villages.values() if v.district_code == d]
        tps = sum(v.tps for v in villages)
        voters = sum(v.voters_est for v in villages)
        landing = arch.villages[office].landing_point_id
        assert landing is not None
        parts = _consignment_parts(tps, voters, kit, cap_kg, cap_m3)
        for k, (n, vote) in enumerate(parts, start=1):
            dem = demand_for(n, vote, kit, label=f"districts/{d}")
            out.append(
                Consignment(
                    id=f"ppk-{d}" if len(parts) == 1 else f"ppk-{d}#{k}",
                    village_code=office,
                    landing_id=landing,
                    district_code=d,
                    tps=n,
                    ballot_boxes=dem.ballot_boxes,
                    weight_kg=dem.weight_kg,
                    volume_m3=dem.volume_m3,
                    deadline=scenario.deadline_for(d),
                    part=k,
                    parts=len(parts),
                    ready=scenario.ready.get(d),
                )
            )
    return out


def scenario_toml(raw: Mapping[str, Any]) -> str:
    """A scenario (as JSON-like values: strings, numbers, lists, tables) written as TOML."""
    import json

    def value(v: Any) -> str:
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return (
                "{ " + ", ".join(f"{json.dumps(str(k))} = {value(x)}" for k, x in v.items()) + " }"
            )
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        return json.dumps(str(v.isoformat() if hasattr(v, "isoformat") else v))

    lines = [f"{k} = {value(v)}" for k, v in raw.items() if not isinstance(v, dict)]
    for k, v in raw.items():
        if isinstance(v, dict):
            lines += ["", f"[{k}]", *(f"{json.dumps(str(a))} = {value(b)}" for a, b in v.items())]
    return "\n".join(lines) + "\n"
