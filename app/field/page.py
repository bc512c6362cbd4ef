"""The field page for a vessel's crew (``/field``) and its service worker (``/field/sw.js``).

Both are plain files in ``app/static/``; the page's script, style and the vendored QR decoder
are served from ``/static/``. The service worker lives at ``/field/sw.js`` so that it may
control ``/field``: a worker's scope may not reach above its own folder (``/field/``) unless
the ``Service-Worker-Allowed`` header widens it, which is what it does here.

The text catalogue the pages share with the command line and the papers (``routing.text``) is
served beside the pages' files as ``/static/text/catalogue.json``, without a key.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from routing.text import CATALOGUE

STATIC = Path(__file__).resolve().parents[1] / "static"
SCOPE = "/field"

router = APIRouter(include_in_schema=False)


@router.get("/field")
def field_page() -> FileResponse:
    """The page (a crew opens it from the QR code of its key: ``/field#key=...``)."""
    return FileResponse(
        STATIC / "field.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/field/sw.js")
def field_service_worker() -> FileResponse:
    """The service worker that keeps the page and its voyage on the phone, for ``/field``."""
    return FileResponse(
        STATIC / "field-sw.js",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache"},
    )


@router.get("/static/text/catalogue.json")
def text_catalogue() -> FileResponse:
    """The words the pages share with the command line and the papers, in both languages."""
    return FileResponse(
        CATALOGUE, media_type="application/json", headers={"Cache-Control": "no-cache"}
    )
