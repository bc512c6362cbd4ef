"""Loaded once per process: the dataset, the kit, the fleet and the sea networks."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from routing.demand import Kit, load_kit
from routing.domain import SeaArea, VesselClass
from routing.fleet import load_fleet, vessel_class
from routing.geodata import Archipelago, load_dataset, load_land
from routing.matrix import Matrix, SeaNetwork, build_matrix, sea_network
from routing.weather import load_sea_areas


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


@lru_cache(maxsize=32)
def _network(dataset_dir: Path, clearance_m: float, cache_dir: Path | None) -> SeaNetwork:
    return sea_network(
        land(dataset_dir),
        archipelago(dataset_dir).terminals(),
        clearance_m=clearance_m,
        cache_dir=cache_dir,
    )


def network(
    dataset_dir: Path, fleet_file: Path, class_id: str, cache_dir: Path | None
) -> tuple[VesselClass, SeaNetwork]:
    """The sea network of a vessel class; built once per clearance (one build at a time)."""
    vc = vessel_class(fleet(fleet_file), class_id)
    with _network_lock:
        return vc, _network(dataset_dir, vc.clearance_m, cache_dir)


def matrix(dataset_dir: Path, fleet_file: Path, class_id: str, cache_dir: Path | None) -> Matrix:
    vc, net = network(dataset_dir, fleet_file, class_id, cache_dir)
    return build_matrix(net, vc)
