"""Loaded once per process: the dataset, the kit, the fleet and the sea networks."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from routing.domain import SeaArea, VesselClass
from routing.inputs.demand import Kit, load_kit
from routing.inputs.depths import load_depths
from routing.inputs.fleet import load_fleet, vessel_class
from routing.inputs.geodata import Archipelago, load_dataset, load_land
from routing.inputs.hazards import Hazard, KeelRule, avoided, load_hazards, load_keel_rule
from routing.sea.matrix import Matrix, SeaNetwork, build_matrix, sea_network
from routing.sea.weather import load_sea_areas


@lru_cache(maxsize=4)
def archipelago(dataset_dir: Path) -> Archipelago:
    return load_dataset(dataset_dir)


@lru_cache(maxsize=4)
def kit(kit_file: Path) -> Kit:
    return load_kit(kit_file)


@lru_cache(maxsize=4)
def fleet(fleet_file: Path) -> dict[str, VesselClass]:
    return load_fleet(fleet_file)


@lru_cache(maxsize=4)
def sea_areas(areas_file: Path, dataset_dir: Path) -> dict[str, SeaArea]:
    return load_sea_areas(areas_file, archipelago(dataset_dir))


@lru_cache(maxsize=4)
def land(dataset_dir: Path) -> tuple[BaseGeometry, ...]:
    return tuple(load_land(dataset_dir))


_network_lock = threading.Lock()


@lru_cache(maxsize=4)
def hazards(hazards_file: Path) -> tuple[Hazard, ...]:
    return load_hazards(hazards_file)


@lru_cache(maxsize=4)
def keel_rule(fleet_file: Path) -> KeelRule:
    return load_keel_rule(fleet_file)


@lru_cache(maxsize=4)
def water(fleet_file: Path, dataset_dir: Path) -> dict[str, tuple[float | None, str]]:
    """What is known of the landings' water (``data/landing_depths.csv``, beside the fleet
    catalogue): least depth alongside (None: unknown) and the sources' note, by landing."""
    table = load_depths(
        fleet_file.with_name("landing_depths.csv"),
        set(archipelago(dataset_dir).landing_points),
    )
    return {lid: (d.depth_m, d.tide_note) for lid, d in table.items()}


def hazards_file(fleet_file: Path) -> Path:
    """The hazards beside the fleet catalogue (``data/hazards.geojson``)."""
    return fleet_file.with_name("hazards.geojson")


@lru_cache(maxsize=32)
def _network(
    dataset_dir: Path,
    clearance_m: float,
    cache_dir: Path | None,
    hazards_around: tuple[BaseGeometry, ...],
) -> SeaNetwork:
    return sea_network(
        land(dataset_dir),
        archipelago(dataset_dir).terminals(),
        clearance_m=clearance_m,
        cache_dir=cache_dir,
        hazards=hazards_around,
    )


def avoided_by(
    fleet_file: Path,
    class_id: str,
    *,
    unverified: bool = False,
    in_force: Sequence[Hazard] | None = None,
) -> tuple[Hazard, ...]:
    """The hazards a vessel class keeps out of (its draft against the under-keel rule), of
    ``in_force`` (default: the file's, ``data/hazards.geojson``)."""
    vc = vessel_class(fleet(fleet_file), class_id)
    found = hazards(hazards_file(fleet_file)) if in_force is None else in_force
    # In id order, so that one set of hazards is one network (one cache key) however given.
    ordered = sorted(found, key=lambda h: h.id)
    return avoided(ordered, vc.draft_m, keel_rule(fleet_file), unverified=unverified)


def network(
    dataset_dir: Path,
    fleet_file: Path,
    class_id: str,
    cache_dir: Path | None,
    *,
    unverified_hazards: bool = False,
    in_force: Sequence[Hazard] | None = None,
) -> tuple[VesselClass, SeaNetwork]:
    """The sea network of a vessel class, around the hazards it avoids of ``in_force`` (default:
    the file's; the service passes those in force, ``app.services.hazards``), unverified ones
    too when asked; built once per clearance and hazard set (one build at a time)."""
    vc = vessel_class(fleet(fleet_file), class_id)
    around = avoided_by(fleet_file, class_id, unverified=unverified_hazards, in_force=in_force)
    shapes = tuple(h.geometry for h in around)
    with _network_lock:
        return vc, _network(dataset_dir, vc.clearance_m, cache_dir, shapes)


def matrix(
    dataset_dir: Path,
    fleet_file: Path,
    class_id: str,
    cache_dir: Path | None,
    *,
    in_force: Sequence[Hazard] | None = None,
) -> Matrix:
    vc, net = network(dataset_dir, fleet_file, class_id, cache_dir, in_force=in_force)
    return build_matrix(net, vc)
