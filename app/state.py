"""Loaded once per process: the dataset and the kit, keyed by where they live."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from routing.demand import Kit, load_kit
from routing.geodata import Archipelago, load_dataset


@lru_cache(maxsize=4)
def archipelago(dataset_dir: Path) -> Archipelago:
    return load_dataset(dataset_dir)


@lru_cache(maxsize=4)
def kit(kit_file: Path) -> Kit:
    return load_kit(kit_file)
