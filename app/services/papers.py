"""Voyage papers: one vessel's papers from a finished plan (a plan, a re-plan, or a capacity
plan's plan), in Indonesian or English, for the routes to render as HTML or PDF. The vessel
classes' names come from the service's catalogue and the handover hours from the plan's own
scenario (what its planner kept the handovers to)."""

from __future__ import annotations

import json
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.config import Settings
from app.services import plans
from routing.errors import NotFound
from routing.inputs.fleet import load_class_names
from routing.inputs.schema import Daylight
from routing.local import Lang
from routing.outputs import papers


@lru_cache(maxsize=4)
def _class_names(fleet_file: Path) -> dict[str, dict[Lang, str]]:
    return load_class_names(fleet_file)


def _daylight(found: Any) -> tuple[time, time]:
    """The handover hours of the scenario the plan was made of (checked when it was queued;
    its default where it gives none)."""
    hours = Daylight.model_validate(json.loads(found.scenario_body).get("daylight") or {})
    return hours.start, hours.end


def voyage_papers(
    settings: Settings, plan_id: str, vessel_id: str, lang: Lang
) -> papers.VoyagePapers:
    """The papers of a vessel's voyage in a finished plan; their QR codes name the plan by its
    id. ``NotFound`` for an unknown plan or a vessel the plan does not use (naming
    ``/path/vessel_id`` and the vessels it uses), ``Conflict`` for a plan without a result."""
    found = plans.finished(settings, plan_id)
    document = plans.document(found)
    try:
        return papers.voyage_papers(
            document,
            vessel_id,
            plan=plan_id,
            lang=lang,
            class_names=_class_names(settings.fleet_file),
            daylight=_daylight(found),
        )
    except NotFound as exc:
        raise NotFound(exc.kind, exc.ident, exc.candidates, path="/path/vessel_id") from None
