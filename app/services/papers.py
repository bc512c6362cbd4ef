"""Voyage papers: one vessel's papers from a finished plan (a plan, a re-plan, or a capacity
plan's plan), in Indonesian or English, for the routes to render as HTML or PDF."""

from __future__ import annotations

from app.config import Settings
from app.services import plans
from routing import papers
from routing.errors import NotFound
from routing.local import Lang


def voyage_papers(
    settings: Settings, plan_id: str, vessel_id: str, lang: Lang
) -> papers.VoyagePapers:
    """The papers of a vessel's voyage in a finished plan; their QR codes name the plan by its
    id. ``NotFound`` for an unknown plan or a vessel the plan does not use (naming
    ``/path/vessel_id`` and the vessels it uses), ``Conflict`` for a plan without a result."""
    document = plans.document(plans.finished(settings, plan_id))
    try:
        return papers.voyage_papers(document, vessel_id, plan=plan_id, lang=lang)
    except NotFound as exc:
        raise NotFound(exc.kind, exc.ident, exc.candidates, path="/path/vessel_id") from None
