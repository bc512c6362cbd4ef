"""Units in one place: nautical miles and metres, knots, hours, and the time a vessel class takes
to sail, load and hand over (from its rates in ``data/fleet.toml``). Quantities carry their unit in
their names (``distance_m``, ``speed_kn``, ``duration_s``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routing.domain import VesselClass

METRES_PER_NM = 1852.0


def metres_to_nm(metres: float) -> float:
    return metres / METRES_PER_NM


def seconds_to_h(seconds: float) -> float:
    return seconds / 3600.0


def sailing_seconds(distance_m: float, speed_kn: float) -> float:
    """Time to sail ``distance_m`` at ``speed_kn`` knots."""
    return distance_m / knots_to_m_per_s(speed_kn)


def loading_seconds(vessel_class: VesselClass, weight_kg: float) -> float:
    """Time to load ``weight_kg`` at a depot."""
    return weight_kg / vessel_class.load_rate_kg_per_h * 3600.0


def unloading_seconds(vessel_class: VesselClass, weight_kg: float, *, berth: bool) -> float:
    """Time to hand over ``weight_kg``: alongside, or anchoring plus tender shuttles."""
    if berth:
        return weight_kg / vessel_class.unload_rate_kg_per_h * 3600.0
    return (
        vessel_class.anchor_setup_min * 60.0
        + weight_kg / vessel_class.tender_rate_kg_per_h * 3600.0
    )


def knots_to_m_per_s(speed_kn: float) -> float:
    return speed_kn * METRES_PER_NM / 3600.0
