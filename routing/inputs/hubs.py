"""Two echelons in a scenario: its island hubs (the district offices' local boats and roads)
and the scheduled sailings of its timetable that reach them.

A hub is a landing the timetabled ships call at. The kits for the districts it serves ride a
sailing from a scenario depot to the hub; there the district office (PPK) takes them on by its
local boats (vessels of the problem whose home is the hub) or, on the islands the scenario lists
under ``road``, by road. Road lengths are the straight line times the scenario's detour factor
(an assumption, stated in the scenario), as no road network of the islands is carried.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from shapely.geometry import LineString

from routing.domain import Hub, Sailing, SeaArea, Vessel, VesselClass
from routing.errors import Issue
from routing.inputs.geodata import Archipelago
from routing.inputs.timetable import Timetable
from routing.sea.geo import geodesic_m


@dataclass(frozen=True)
class HubSpec:
    """A scenario's island hub as written: its landing, the districts it serves, the district
    offices' local boats (office, class, count), the transfer and the road islands."""

    landing: str
    districts: tuple[str, ...]
    boats: tuple[tuple[str, str, int], ...] = ()
    transfer_h: float = 2.0
    road_islands: tuple[str, ...] = ()
    road_speed_kmh: float = 25.0
    road_detour: float = 1.4


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "office"


def check_hubs(
    hubs: Sequence[HubSpec],
    arch: Archipelago,
    classes: Mapping[str, VesselClass],
    issues: list[Issue],
) -> None:
    """Every hub's landing, districts, boat classes and road islands must exist."""
    districts = {v.district_code for v in arch.villages.values()}
    for h in hubs:
        at = f"/hubs/{h.landing}"
        if h.landing not in arch.landing_points:
            issues.append(Issue("unknown_landing", at, f"no landing {h.landing!r}"))
        for n, d in enumerate(h.districts):
            if d not in districts:
                why = f"no district {d!r} (a Kemendagri code such as 35.29.23)"
                issues.append(Issue("unknown_district", f"{at}/districts/{n}", why))
        for n, (_, cid, _) in enumerate(h.boats):
            if cid not in classes:
                why = f"no vessel class {cid!r} in the fleet"
                issues.append(Issue("unknown_class", f"{at}/boats/{n}/boat_class", why))
        for n, code in enumerate(h.road_islands):
            if code not in arch.islands:
                issues.append(
                    Issue("unknown_island", f"{at}/road/islands/{n}", f"no island {code!r}")
                )


def hub_boats(
    hubs: Sequence[HubSpec],
    classes: Mapping[str, VesselClass],
    *,
    available_from: datetime,
    available_until: datetime,
) -> list[Vessel]:
    """The district offices' local boats: one vessel per boat, home at its hub, named after its
    office (``PPK Arjasa 1``); available over the whole plan (assumed)."""
    out = []
    for h in hubs:
        for office, cid, count in h.boats:
            for k in range(1, count + 1):
                out.append(
                    Vessel(
                        f"{h.landing}-{_slug(office)}-{k}",
                        cid,
                        h.landing,
                        available_from,
                        available_until,
                        f"{office}'s local boat at the hub (scenario; count assumed)",
                        f"{office} {k}",
                    )
                )
    return out


def build_hubs(hubs: Sequence[HubSpec], arch: Archipelago) -> tuple[Hub, ...]:
    """The problem's hubs: road metres from each hub to the landings of its road islands."""
    out = []
    for h in hubs:
        lid = h.landing
        at = arch.landing_points[lid]
        islands = set(h.road_islands)
        road = {
            lp.id: round(geodesic_m(at.lon, at.lat, lp.lon, lp.lat) * h.road_detour, 1)
            for lp in arch.landing_points.values()
            if lp.island_code in islands
        }
        out.append(
            Hub(
                landing_id=lid,
                districts=tuple(h.districts),
                transfer_s=round(h.transfer_h * 3600),
                road_m=road,
                road_speed_kmh=h.road_speed_kmh,
            )
        )
    return tuple(out)


def window_sailings(
    timetable: Timetable,
    *,
    depots: Sequence[str],
    hubs: Sequence[str],
    start: datetime,
    end: datetime,
) -> tuple[Sailing, ...]:
    """The sailings that leave a depot in ``start``..``end`` and call at a hub after it."""
    days = (start - timedelta(days=1)).date(), end.date()
    out = []
    for s in timetable.sailings(*days):
        first = next((n for n, c in enumerate(s.calls) if c.stop_id in depots), None)
        if first is None or not start <= s.calls[first].departure <= end:
            continue
        if any(c.stop_id in hubs for c in s.calls[first + 1 :]):
            out.append(s)
    return tuple(out)


def sailing_areas(
    sailings: Sequence[Sailing], arch: Archipelago, areas: Mapping[str, SeaArea]
) -> dict[str, tuple[str, ...]]:
    """The sea areas each trip's course crosses (straight lines between its calls; a forecast
    over them can hold the sailing)."""
    out: dict[str, tuple[str, ...]] = {}
    for s in sailings:
        if s.trip_id in out:
            continue
        points = []
        for c in s.calls:
            place = arch.depots.get(c.stop_id) or arch.landing_points.get(c.stop_id)
            if place is not None:
                points.append((place.lon, place.lat))
        line = LineString(points) if len(points) >= 2 else None
        out[s.trip_id] = tuple(
            sorted(
                a.id
                for a in areas.values()
                if line is not None and shapely.intersects(a.geometry, line)
            )
        )
    return out
