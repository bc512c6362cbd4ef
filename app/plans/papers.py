"""Voyage papers: a vessel's papers per trip (loading list, stops, handover records with QR
codes), as HTML to print and as PDF; the per-vessel formats of the registry
(``routing.outputs.formats``), rendered from the plan's document."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app import auth
from app.deps import PlanId, SettingsDep, VesselId
from app.errors import problems
from app.plans import files
from routing.outputs import papers

router = APIRouter(tags=["plans"])
LANG = Query("id", description="id: Indonesian (default); en: English")


class PDFResponse(Response):
    media_type = "application/pdf"


# Declared before the HTML route: "{vessel_id}" alone would take "ID.pdf" too.
@router.get(
    "/plans/{plan_id}/papers/{vessel_id}.pdf",
    response_class=PDFResponse,
    dependencies=[auth.reader],
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problems(401, 403, 404, 409, 422),
    },
)
def get_papers_pdf(
    settings: SettingsDep, plan_id: PlanId, vessel_id: VesselId, lang: Literal["id", "en"] = LANG
) -> Response:
    """A vessel's voyage papers as an A4 PDF: per trip the loading list, the stops and a
    handover record per village with a QR code per consignment."""
    _, body = files.render(settings, plan_id, "papers.pdf", lang=lang, vessel_id=vessel_id)
    disposition = f'inline; filename="{papers.filename(vessel_id, lang, "pdf")}"'
    return PDFResponse(body, headers={"Content-Disposition": disposition})


@router.get(
    "/plans/{plan_id}/papers/{vessel_id}",
    response_class=HTMLResponse,
    dependencies=[auth.reader],
    responses=problems(401, 403, 404, 409, 422),
)
def get_papers_html(
    settings: SettingsDep, plan_id: PlanId, vessel_id: VesselId, lang: Literal["id", "en"] = LANG
) -> HTMLResponse:
    """A vessel's voyage papers as an HTML page to print (A4, a page per trip)."""
    _, body = files.render(settings, plan_id, "papers.html", lang=lang, vessel_id=vessel_id)
    return HTMLResponse(body)
