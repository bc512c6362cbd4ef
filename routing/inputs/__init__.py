"""The planning inputs: the dataset, places, fleet, kit, hazards, depths, sea areas, climate
and scenarios, and ``load_inputs(data_dir)``: the one place that knows the data folder's
layout (``DataFiles``).

Each input is read and validated by its own module here (every problem raised at once, as a
``DataError``); the loaders below keep one copy per data folder in the process, and the sea
network of each clearance and hazard set is built (or read from its disk cache) once, one
build at a time.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from routing.domain import SeaArea, Vessel, VesselClass
from routing.errors import DataError, Issue
from routing.inputs.demand import Kit, load_kit
from routing.inputs.depths import load_depths
from routing.inputs.fleet import load_fleet, vessel_class
from routing.inputs.geodata import Archipelago, load_dataset, load_land
from routing.inputs.hazards import (
    Hazard,
    KeelRule,
    avoided,
    load_hazards,
    load_keel_rule,
    version_of,
)
from routing.inputs.scenario import load_vessels
from routing.inputs.timetable import Timetable, load_timetable
from routing.sea.matrix import Matrix, build_matrix
from routing.sea.network import SeaNetwork, sea_network
from routing.sea.weather import load_sea_areas


@dataclass(frozen=True)
class DataFiles:
    """Where each input lives in a data folder (``data/`` in the repository, ``routing/data``
    in an installed package)."""

    root: Path

    @property
    def dataset_dir(self) -> Path:
        return self.root / "islands"

    @property
    def sources_dir(self) -> Path:
        return self.dataset_dir / "sources"

    @property
    def kit(self) -> Path:
        return self.root / "kit.toml"

    @property
    def fleet(self) -> Path:
        return self.root / "fleet.toml"

    @property
    def hazards(self) -> Path:
        return self.root / "hazards.geojson"

    @property
    def depths(self) -> Path:
        return self.root / "landing_depths.csv"

    @property
    def sea_areas(self) -> Path:
        return self.root / "sea_areas.toml"

    @property
    def climate(self) -> Path:
        return self.root / "climate.toml"

    @property
    def closures(self) -> Path:
        return self.root / "closures.toml"

    @property
    def timetables_dir(self) -> Path:
        return self.root / "timetables"

    @property
    def scenarios(self) -> Path:
        return self.root / "scenarios"


def bundled_data_dir() -> Path:
    """The data the project carries: ``data/`` beside the code in a checkout, else the copy
    an installed package holds (``routing/data``)."""
    checkout = Path(__file__).resolve().parents[2] / "data"
    if (checkout / "fleet.toml").is_file():
        return checkout
    return Path(str(resources.files("routing"))) / "data"


@dataclass(frozen=True)
class Inputs:
    """What a plan is made from besides its scenario.

    ``network(class_id)`` gives a vessel class's sea network (built or loaded from a cache; the
    caller decides how to share them) around the hazards it avoids, and
    ``network(class_id, unverified_hazards=True)`` the one around the unverified hazards too;
    ``cache_dir`` is where the networks that go around closed sea areas are cached (``None``:
    not cached). ``water`` is what is known of the landings' water (``routing.inputs.depths``:
    least depth alongside or None, the sources' note), ``keel_ratio`` the under-keel rule of
    the fleet, ``hazards_version`` the version of the hazards (recorded in each plan)."""

    archipelago: Archipelago
    kit: Kit
    classes: Mapping[str, VesselClass]
    vessels: Mapping[str, Vessel]
    sea_areas: Mapping[str, SeaArea]
    land: tuple[BaseGeometry, ...]
    network: Callable[..., SeaNetwork]
    cache_dir: Path | None = None
    water: Mapping[str, tuple[float | None, str]] = dataclasses.field(default_factory=dict)
    keel_ratio: float = 1.0
    hazards_version: str = ""
    # the hazard shapes a class keeps out of (unverified ones too when asked): the networks
    # that go around closed sea areas keep out of them as the class's own network does
    hazards_for: Callable[[str, bool], tuple[BaseGeometry, ...]] | None = None
    # a timetable feed by name (a folder of data/timetables/) or path, checked against the
    # dataset's depots and landings; None: the inputs hold no timetables
    timetable: Callable[[str], Timetable] | None = None


# --- one copy of each input per data folder ------------------------------------------------


@lru_cache(maxsize=4)
def archipelago(data_dir: Path) -> Archipelago:
    return load_dataset(DataFiles(data_dir).dataset_dir)


@lru_cache(maxsize=4)
def kit(data_dir: Path) -> Kit:
    return load_kit(DataFiles(data_dir).kit)


@lru_cache(maxsize=4)
def fleet(data_dir: Path) -> dict[str, VesselClass]:
    return load_fleet(DataFiles(data_dir).fleet)


def vessels(data_dir: Path) -> dict[str, Vessel]:
    """The fleet's vessels (read each time: cheap, and a caller may change its copy)."""
    return load_vessels(DataFiles(data_dir).fleet, fleet(data_dir))


@lru_cache(maxsize=4)
def sea_areas(data_dir: Path) -> dict[str, SeaArea]:
    return load_sea_areas(DataFiles(data_dir).sea_areas, archipelago(data_dir))


@lru_cache(maxsize=4)
def land(data_dir: Path) -> tuple[BaseGeometry, ...]:
    return tuple(load_land(DataFiles(data_dir).dataset_dir))


@lru_cache(maxsize=4)
def file_hazards(data_dir: Path) -> tuple[Hazard, ...]:
    """The hazards of the data folder's file (``hazards.geojson``)."""
    return load_hazards(DataFiles(data_dir).hazards)


@lru_cache(maxsize=4)
def keel_rule(data_dir: Path) -> KeelRule:
    return load_keel_rule(DataFiles(data_dir).fleet)


@lru_cache(maxsize=4)
def water(data_dir: Path) -> dict[str, tuple[float | None, str]]:
    """What is known of the landings' water (``landing_depths.csv``): least depth alongside
    (None: unknown) and the sources' note, by landing."""
    table = load_depths(DataFiles(data_dir).depths, set(archipelago(data_dir).landing_points))
    return {lid: (d.depth_m, d.tide_note) for lid, d in table.items()}


_network_lock = threading.Lock()


@lru_cache(maxsize=32)
def _network(
    data_dir: Path,
    clearance_m: float,
    cache_dir: Path | None,
    hazards_around: tuple[BaseGeometry, ...],
) -> SeaNetwork:
    return sea_network(
        land(data_dir),
        archipelago(data_dir).terminals(),
        clearance_m=clearance_m,
        cache_dir=cache_dir,
        hazards=hazards_around,
    )


def avoided_by(
    data_dir: Path,
    class_id: str,
    *,
    unverified: bool = False,
    in_force: Sequence[Hazard] | None = None,
) -> tuple[Hazard, ...]:
    """The hazards a vessel class keeps out of (its draft against the under-keel rule), of
    ``in_force`` (default: the file's)."""
    vc = vessel_class(fleet(data_dir), class_id)
    found = file_hazards(data_dir) if in_force is None else in_force
    # In id order, so that one set of hazards is one network (one cache key) however given.
    ordered = sorted(found, key=lambda h: h.id)
    return avoided(ordered, vc.draft_m, keel_rule(data_dir), unverified=unverified)


def network(
    data_dir: Path,
    class_id: str,
    cache_dir: Path | None,
    *,
    unverified_hazards: bool = False,
    in_force: Sequence[Hazard] | None = None,
) -> tuple[VesselClass, SeaNetwork]:
    """The sea network of a vessel class, around the hazards it avoids of ``in_force``
    (default: the file's; the service passes those in force), unverified ones too when asked;
    built once per clearance and hazard set (one build at a time)."""
    vc = vessel_class(fleet(data_dir), class_id)
    around = avoided_by(data_dir, class_id, unverified=unverified_hazards, in_force=in_force)
    shapes = tuple(h.geometry for h in around)
    with _network_lock:
        return vc, _network(data_dir, vc.clearance_m, cache_dir, shapes)


def matrix(
    data_dir: Path,
    class_id: str,
    cache_dir: Path | None,
    *,
    in_force: Sequence[Hazard] | None = None,
) -> Matrix:
    vc, net = network(data_dir, class_id, cache_dir, in_force=in_force)
    return build_matrix(net, vc)


# --- everything a plan is made from ---------------------------------------------------------


def load_inputs(
    data_dir: Path | str | None = None,
    *,
    cache_dir: Path | None = None,
    in_force: Sequence[Hazard] | None = None,
) -> Inputs:
    """What the planning pipeline needs besides a scenario, from a data folder (default: the
    bundled one): the dataset, kit, fleet, sea areas and land, the landings' water, and the
    sea networks around the hazards ``in_force`` (default: the file's; the service passes
    the file's with the changes made through the API). Networks are cached on disk in
    ``cache_dir`` (``None``: built in memory only)."""
    root = Path(data_dir) if data_dir is not None else bundled_data_dir()
    hazards = tuple(file_hazards(root) if in_force is None else in_force)

    def class_network(class_id: str, *, unverified_hazards: bool = False) -> SeaNetwork:
        return network(
            root, class_id, cache_dir, unverified_hazards=unverified_hazards, in_force=hazards
        )[1]

    def hazards_for(class_id: str, unverified: bool) -> tuple[BaseGeometry, ...]:
        around = avoided_by(root, class_id, unverified=unverified, in_force=hazards)
        return tuple(h.geometry for h in around)

    return Inputs(
        archipelago=archipelago(root),
        kit=kit(root),
        classes=fleet(root),
        vessels=vessels(root),
        sea_areas=sea_areas(root),
        land=land(root),
        network=class_network,
        cache_dir=cache_dir,
        water=water(root),
        keel_ratio=keel_rule(root).ratio,
        hazards_version=version_of(hazards),
        hazards_for=hazards_for,
        timetable=functools.partial(timetable_feed, root),
    )


def timetable_feed(root: Path, name: str) -> Timetable:
    """A timetable feed, by its folder's name under ``<root>/timetables`` or by a path,
    checked against the dataset's depots and landings (raises ``DataError`` naming what is
    wrong, or that there is no such feed)."""
    folder = DataFiles(root).timetables_dir / name
    if not folder.is_dir():
        folder = Path(name)
    if not folder.is_dir():
        known = sorted(p.name for p in DataFiles(root).timetables_dir.glob("*") if p.is_dir())
        why = f"no timetable {name!r} (bundled: {', '.join(known) or 'none'}; or a feed's folder)"
        raise DataError([Issue("unknown_timetable", "/timetable", why)], source=name)
    arch = archipelago(root)
    return load_timetable(folder, known_stops=set(arch.depots) | set(arch.landing_points))
