"""Scenarios: read and validate a scenario file, and turn it into a solver ``Problem``."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from routing.domain import (
    Consignment,
    Names,
    Problem,
    SeaArea,
    Vessel,
    VesselClass,
    VillageName,
    WaveForecast,
)
from routing.errors import DataError, Issue
from routing.inputs.demand import Kit, demand_for, split_voters
from routing.inputs.geodata import Archipelago
from routing.inputs.hubs import (
    HubSpec,
    build_hubs,
    check_hubs,
    hub_boats,
    sailing_areas,
    window_sailings,
)
from routing.inputs.schema import scenario_model
from routing.inputs.timetable import Timetable
from routing.sea.weather import parse_area

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
    inactive: frozenset[str] = frozenset()  # vessels planners took out of use (PUT /vessels)
    unverified_hazards: bool = False  # the sea networks avoid unverified hazards too
    timetable: str | None = None  # the scheduled sailings' feed (data/timetables/<name>)
    hubs: tuple[HubSpec, ...] = ()  # island hubs: sailings to the hub, then boats or road
    sailing_max_wave_m: float = 2.5  # a sailing is held where a forecast on its way is higher

    def deadline_for(self, district_code: str) -> datetime:
        return self.deadlines.get(district_code, self.default_deadline)

    def all_dispatched(self) -> Scenario:
        """The scenario with no timetable and no hubs: every vessel dispatched where the planner
        likes, as plans were made before two echelons (a baseline to compare with)."""
        return dataclasses.replace(self, timetable=None, hubs=())


def _datetime(raw: Any, path: str, issues: list[Issue]) -> datetime | None:
    """An RFC 3339 time with its UTC offset (fleet files; scenarios go through the schema)."""
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


def parse_scenario(raw: Any, *, source: str = "scenario") -> Scenario:
    """Validate a scenario (as read from TOML or JSON); every problem is raised at once.

    The schema (``routing.inputs.schema.ScenarioModel``) checks types, ranges and unknown keys; this
    adds what spans fields: deadlines after the start, windows and closures that end after they
    begin, the destination among the depots."""
    m = scenario_model(raw, source=source)
    issues: list[Issue] = []
    for path, when in [
        ("/default_deadline", m.default_deadline),
        *((f"/deadlines/{k}", v) for k, v in m.deadlines.items()),
    ]:
        if when <= m.planning_start:
            issues.append(Issue("bad_time", path, "deadline is not after the planning start"))
    if m.daylight.start >= m.daylight.end:
        issues.append(Issue("bad_time", "/daylight", "daylight must start before it ends"))
    for vid, win in m.vessel_windows.items():
        if win.available_until <= win.available_from:
            issues.append(
                Issue(
                    "bad_time",
                    f"/vessel_windows/{vid}/available_until",
                    "window ends before it starts",
                )
            )
    for n, f in enumerate(m.forecast):
        if f.until <= f.from_:
            issues.append(
                Issue("bad_time", f"/forecast/{n}/until", "forecast ends before it starts")
            )
    for n, c in enumerate(m.closed_landings):
        if c.until is not None and c.until <= c.from_:
            issues.append(
                Issue("bad_time", f"/closed_landings/{n}/until", "closure ends before it starts")
            )
    if m.destination is not None and m.destination not in m.depots:
        issues.append(
            Issue("bad_value", "/destination", "the destination must be a scenario depot")
        )
    areas = tuple(
        area
        for n, a in enumerate(m.sea_areas)
        if (area := parse_area(a.model_dump(), f"/sea_areas/{n}", issues))
    )
    if issues:
        raise DataError(issues, source=source)
    return Scenario(
        name=m.name,
        election_day=m.election_day,
        planning_start=m.planning_start,
        default_deadline=m.default_deadline,
        depots=tuple(m.depots),
        daylight=(m.daylight.start, m.daylight.end),
        villages=None if m.villages == "sea" else tuple(m.villages),
        vessel_ids=tuple(m.vessels),
        deadlines=dict(m.deadlines),
        direction=m.direction,
        vessel_windows={
            k: (w.available_from, w.available_until) for k, w in m.vessel_windows.items()
        },
        ship_hour_idr=float(m.objective.ship_hour_idr),
        forecast=tuple(
            WaveForecast(f.area, f.from_, f.until, float(f.wave_m), f.source) for f in m.forecast
        ),
        sea_areas=areas,
        closed_landings=tuple((c.landing, c.from_, c.until) for c in m.closed_landings),
        unverified_hazards=m.unverified_hazards,
        destination=m.destination,
        ppk_offices=dict(m.ppk_offices),
        ready=dict(m.ready),
        out_of_service=dict(m.out_of_service),
        timetable=m.timetable,
        hubs=tuple(
            HubSpec(
                landing=lid,
                districts=tuple(h.districts),
                boats=tuple((b.office, b.boat_class, b.count) for b in h.boats),
                transfer_h=float(h.transfer_h),
                road_islands=tuple(h.road.islands) if h.road else (),
                road_speed_kmh=float(h.road.speed_kmh) if h.road else 25.0,
                road_detour=float(h.road.detour_factor) if h.road else 1.4,
            )
            for lid, h in m.hubs.items()
        ),
        sailing_max_wave_m=float(m.sailing_max_wave_m),
    )


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
                vid,
                str(v["class"]),
                str(v.get("home_depot")),
                a,
                b,
                str(v.get("source", "")),
                str(v.get("name") or ""),
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
    *,
    water: Mapping[str, tuple[float | None, str]] | None = None,
    keel_ratio: float = 1.0,
    hazards_version: str = "",
    timetable: Timetable | None = None,
) -> Problem:
    """Turn a scenario into a solver problem; unknown ids are reported all at once.

    ``water`` is what is known of the landings' water (least depth alongside or None, and the
    sources' note; ``routing.inputs.depths``), ``keel_ratio`` the under-keel rule,
    ``hazards_version``
    the version of the hazards the sea networks avoid (recorded in the plan).

    Villages too big for the smallest vessel in the scenario are split into consignments by TPS
    (each part fits that vessel); if a single TPS kit is larger, parts fit the largest vessel.

    ``timetable`` is the scenario's feed of scheduled sailings (read by the caller); with it and
    the scenario's hubs the problem has two echelons: the sailings from a depot to a hub in the
    plan's window, the hubs, and the district offices' local boats among its vessels.
    """
    issues: list[Issue] = []
    chosen = _chosen_vessels(scenario, vessels, issues)
    codes = scenario.villages or tuple(c for c, v in arch.villages.items() if v.sea)
    areas = dict(sea_areas or {}) | {a.id: a for a in scenario.sea_areas}
    _check_places(scenario, arch, codes, areas, issues)
    offices = _ppk_offices(scenario, arch, codes, issues) if scenario.direction == "return" else {}
    check_hubs(scenario.hubs, arch, classes, issues)
    if scenario.timetable and timetable is None:
        why = f"the timetable {scenario.timetable!r} was not given to the planner"
        issues.append(Issue("unknown_timetable", "/timetable", why))
    if not chosen and not any(i.path.startswith("/vessels") for i in issues):
        why = "no vessel of the scenario is available (all out of service or set inactive)"
        issues.append(Issue("no_vessel", "/vessels", why))
    if issues:
        raise DataError(issues, source=scenario.name)
    end = max([scenario.default_deadline, *scenario.deadlines.values()])
    boats = hub_boats(
        scenario.hubs, classes, available_from=scenario.planning_start, available_until=end
    )
    chosen = [*chosen, *boats]
    used = {v.class_id for v in chosen}
    cap_kg, cap_m3 = _part_capacity(kit, [classes[c] for c in used])
    if scenario.direction == "return":
        consignments = _return_consignments(scenario, arch, kit, offices, cap_kg, cap_m3)
    else:
        consignments = _outbound_consignments(scenario, arch, kit, codes, cap_kg, cap_m3)
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
        depths_m={k: d for k, (d, _) in (water or {}).items() if d is not None},
        water_notes={k: note for k, (_, note) in (water or {}).items() if note},
        keel_ratio=keel_ratio,
        hazards_version=hazards_version,
        unverified_hazards=scenario.unverified_hazards,
        names=names_for(arch, classes, [*chosen, *vessels.values()], codes),
        berths=frozenset(
            lp.id for lp in arch.landing_points.values() if lp.registry_name == PUBLIC_PORT_REGISTRY
        ),
        **_echelons(scenario, arch, timetable, areas, end),
    )


def _echelons(
    scenario: Scenario,
    arch: Archipelago,
    timetable: Timetable | None,
    areas: Mapping[str, SeaArea],
    end: datetime,
) -> dict[str, Any]:
    """The two-echelon part of a problem: hubs, sailings and what holds them (outbound only:
    returning, the boxes go back by the dispatched vessels)."""
    hubs = build_hubs(scenario.hubs, arch)
    if timetable is None or scenario.direction != "outbound":
        return {"hubs": hubs}
    sailings = window_sailings(
        timetable,
        depots=scenario.depots,
        hubs=[h.landing_id for h in hubs],
        start=scenario.planning_start,
        end=end,
    )
    return {
        "hubs": hubs,
        "sailings": sailings,
        "timetable": timetable.version or timetable.path.name,
        "sailing_max_wave_m": scenario.sailing_max_wave_m,
        "sailing_areas": sailing_areas(sailings, arch, areas),
    }


def names_for(
    arch: Archipelago,
    classes: Mapping[str, VesselClass],
    vessels: Iterable[Vessel],
    villages: Iterable[str] = (),
) -> Names:
    """The names people read beside a problem's codes: its vessels and their classes, every
    depot and landing point with its island, the villages served by sea (and ``villages``),
    every district and the islands of the landing points."""
    served = {c for c, v in arch.villages.items() if v.landing_point_id} | set(villages)
    places = {d.id: d.name for d in arch.depots.values()}
    places |= {lp.id: lp.name for lp in arch.landing_points.values()}
    on_island = {lp.id: lp.island_code for lp in arch.landing_points.values()}
    island_codes = set(on_island.values()) | {
        arch.villages[c].island_code or "" for c in served if c in arch.villages
    }
    islands = {c: arch.islands[c].name for c in sorted(island_codes) if c in arch.islands}
    return Names(
        vessels={v.id: v.name for v in vessels if v.name},
        classes={c: vc.name for c, vc in classes.items()},
        places=places,
        place_islands=on_island,
        villages={
            c: VillageName(
                v.name,
                v.district_code,
                v.district,
                v.island_code,
                islands.get(v.island_code or ""),
            )
            for c in sorted(served)
            if (v := arch.villages.get(c)) is not None
        },
        districts={v.district_code: v.district for v in arch.villages.values()},
        islands=islands,
    )


def _chosen_vessels(
    scenario: Scenario, vessels: Mapping[str, Vessel], issues: list[Issue]
) -> list[Vessel]:
    """The scenario's vessels with their windows (a vessel out of service before its window
    opens takes no part); unknown ones and foreign home depots are problems."""
    chosen = []
    for n, vid in enumerate(scenario.vessel_ids):
        if vid not in vessels:
            why = f"no vessel {vid!r} in the fleet"
            issues.append(Issue("unknown_vessel", f"/vessels/{n}", why))
            continue
        v = vessels[vid]
        if v.home_depot not in scenario.depots:
            why = f"{vid}: home depot {v.home_depot!r} is not a scenario depot"
            issues.append(Issue("unknown_depot", f"/vessels/{n}", why))
        a, b = scenario.vessel_windows.get(vid, (v.available_from, v.available_until))
        b = min(b, scenario.out_of_service.get(vid, b))
        if b > a and vid not in scenario.inactive:
            chosen.append(Vessel(v.id, v.class_id, v.home_depot, a, b, v.source, v.name))
    for section, named in (
        ("out_of_service", scenario.out_of_service),
        ("vessel_windows", scenario.vessel_windows),
    ):
        for vid in named:
            if vid not in scenario.vessel_ids:
                why = f"{vid!r} is not a scenario vessel"
                issues.append(Issue("unknown_vessel", f"/{section}/{vid}", why))
    return chosen


def _check_places(
    scenario: Scenario,
    arch: Archipelago,
    codes: tuple[str, ...],
    areas: Mapping[str, SeaArea],
    issues: list[Issue],
) -> None:
    """Depots, villages, sea areas and landings the scenario names must exist."""
    for n, d in enumerate(scenario.depots):
        if d not in arch.depots:
            issues.append(Issue("unknown_depot", f"/depots/{n}", f"no depot {d!r}"))
    districts = {v.district_code for v in arch.villages.values()}
    for section, named in (
        ("deadlines", scenario.deadlines),
        ("ready", scenario.ready),
        ("ppk_offices", scenario.ppk_offices),
    ):
        for d in named:
            if d not in districts:
                why = f"no district {d!r} (a Kemendagri code such as 35.29.23)"
                issues.append(Issue("unknown_district", f"/{section}/{d}", why))
    for n, code in enumerate(codes):
        if code not in arch.villages:
            issues.append(Issue("unknown_village", f"/villages/{n}", f"no village {code!r}"))
        elif not arch.villages[code].sea:
            why = f"{code} is on the Madura mainland"
            issues.append(Issue("not_sea_served", f"/villages/{n}", why))
    for n, f in enumerate(scenario.forecast):
        if f.area_id not in areas:
            why = f"no sea area {f.area_id!r}"
            issues.append(Issue("unknown_sea_area", f"/forecast/{n}/area", why))
    for n, (lid, _, _) in enumerate(scenario.closed_landings):
        if lid not in arch.landing_points:
            why = f"no landing {lid!r}"
            issues.append(Issue("unknown_landing", f"/closed_landings/{n}/landing", why))


def _part_capacity(kit: Kit, used: list[VesselClass]) -> tuple[float, float]:
    """The load a consignment must fit: the smallest vessel's, or the largest's when a single
    TPS kit is too big for the smallest."""
    cap_kg = min(vc.capacity_kg for vc in used)
    cap_m3 = min(vc.capacity_m3 for vc in used)
    one = demand_for(1, kit.max_voters_per_tps, kit)
    if one.weight_kg > cap_kg or one.volume_m3 > cap_m3:
        return max(vc.capacity_kg for vc in used), max(vc.capacity_m3 for vc in used)
    return cap_kg, cap_m3


def _outbound_consignments(
    scenario: Scenario,
    arch: Archipelago,
    kit: Kit,
    codes: tuple[str, ...],
    cap_kg: float,
    cap_m3: float,
) -> list[Consignment]:
    """Each village's kits, split by TPS into parts that fit ``cap_kg`` and ``cap_m3``."""
    out = []
    for code in codes:
        village = arch.villages[code]
        assert village.landing_point_id is not None
        parts = _consignment_parts(village.tps, village.voters_est, kit, cap_kg, cap_m3)
        for k, (tps, voters) in enumerate(parts, start=1):
            dem = demand_for(tps, voters, kit, label=f"villages/{code}")
            out.append(
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
    return out


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
