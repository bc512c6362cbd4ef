"""Per-class integer distance/duration matrices between terminals, from a sea network
(``routing.sea.network``) and the class's speed (``routing.units``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.domain import VesselClass
from routing.errors import NoSeaPath
from routing.sea.network import SeaNetwork
from routing.units import knots_to_m_per_s

UNREACHABLE = -1
"""Marks an unreachable pair in the integer matrices (``reachable`` is False there too)."""


@dataclass(frozen=True)
class Matrix:
    """Integer metres and seconds between terminals for one vessel class.

    ``distance_m[i, j]`` and ``duration_s[i, j]`` are ``UNREACHABLE`` where ``reachable`` is False.
    """

    vessel_class: str
    ids: tuple[str, ...]
    distance_m: np.ndarray
    duration_s: np.ndarray
    reachable: np.ndarray

    def index(self, ident: str) -> int:
        return self.ids.index(ident)

    def distance(self, origin: str, destination: str) -> int:
        """Metres between two terminals; raises ``NoSeaPath`` when unreachable."""
        i, j = self.index(origin), self.index(destination)
        if not self.reachable[i, j]:
            raise NoSeaPath(origin, destination, f"unreachable for {self.vessel_class}")
        return int(self.distance_m[i, j])


def build_matrix(network: SeaNetwork, vessel_class: VesselClass) -> Matrix:
    """Integer metres and seconds between all terminals for one vessel class."""
    dist = network.paths.terminal_dist_m.copy()
    np.fill_diagonal(dist, 0.0)  # staying put costs nothing
    reachable = np.isfinite(dist)
    metres = np.where(reachable, np.rint(np.where(reachable, dist, 0)), UNREACHABLE).astype(
        np.int64
    )
    secs = np.rint(np.where(reachable, dist, 0) / knots_to_m_per_s(vessel_class.speed_kn))
    seconds = np.where(reachable, secs, UNREACHABLE).astype(np.int64)
    return Matrix(vessel_class.id, network.graph.terminal_ids, metres, seconds, reachable)
