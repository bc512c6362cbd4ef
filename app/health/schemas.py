"""The schema of the service's health."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    status: Literal["ok"]
    islands: int
    villages: int
    landing_points: int
    depots: int
