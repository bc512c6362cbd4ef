"""The registry of a plan's output formats: every file a plan is read as, rendered from the plan
document (``routing.plandoc.PlanDocument``).

Each format is one line of ``FORMATS``: its file name (what ``ballot-routing plan --out`` and
``ballot-routing export`` write, and the name under ``GET /plans/{id}/files/``), its media type,
a title, and where its renderer lives (``"module:function"``, imported on first use so that a
command that never writes a GeoPackage never loads geopandas). A renderer is
``render(document, context) -> bytes``; the ``Context`` gives what the document does not hold: the
dataset's points (lazily), the language, the plan's id in the service, and, for a vessel's
papers, the vessel.

To add a format: write a module with ``render(document, context)`` and add its line here; the
command line, the API and the docs' list of formats read this table.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from functools import cached_property
from typing import TYPE_CHECKING

from routing.errors import Candidate, NotFound
from routing.local import Lang
from routing.plandoc import PlanDocument

if TYPE_CHECKING:
    from routing.inputs.geodata import Archipelago

Renderer = Callable[[PlanDocument, "Context"], bytes]


@dataclass
class Context:
    """What a renderer may need beside the plan document.

    Attributes
    ----------
    archipelago : callable
        Returns the dataset the plan was made on (islands, villages, landing points, depots);
        called only by a format that draws places (GeoJSON, GeoPackage), once.
    lang : {"id", "en"}
        The language of a format people read in one language (the papers).
    plan_id : str, optional
        The plan's id in the service (the papers' QR codes name it); default: its input hash.
    vessel_id : str, optional
        The vessel of a per-vessel format (the papers).
    class_names : mapping, optional
        Vessel class id to its name per language (default: the bundled catalogue's).
    daylight : (time, time), optional
        The handover hours of the plan's scenario (WIB clock times); default: a scenario's
        default.
    served : bool
        Rendered for the API (the papers' HTML then links to its other language and its PDF).
    """

    archipelago: Callable[[], Archipelago]
    lang: Lang = "id"
    plan_id: str | None = None
    vessel_id: str | None = None
    class_names: Mapping[str, Mapping[Lang, str]] | None = None
    daylight: tuple[time, time] | None = None
    served: bool = False

    @cached_property
    def dataset(self) -> Archipelago:
        return self.archipelago()

    @cached_property
    def places(self) -> dict[str, tuple[float, float]]:
        """Lon/lat of every depot and landing point."""
        arch = self.dataset
        out = {d.id: (d.lon, d.lat) for d in arch.depots.values()}
        out.update({lp.id: (lp.lon, lp.lat) for lp in arch.landing_points.values()})
        return out


@dataclass(frozen=True)
class Format:
    """One output format of a plan.

    Attributes
    ----------
    name : str
        The file name (``plan.geojson``); for a per-vessel format, the name's pattern part
        (``papers.pdf``: written as ``papers-<vessel>-<lang>.pdf``).
    media_type : str
    title : str
        What it is, for listings and help.
    renderer : str
        ``"module:function"`` of its ``render(document, context) -> bytes``.
    per_vessel : bool
        One file per vessel (the papers) rather than one per plan.
    default : bool
        Written by ``ballot-routing plan --out`` when no ``--format`` is given.
    """

    name: str
    media_type: str
    title: str
    renderer: str
    per_vessel: bool = False
    default: bool = True

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def render(self, document: PlanDocument, context: Context) -> bytes:
        """The format's bytes for a plan (and, per vessel, ``context.vessel_id``)."""
        module, function = self.renderer.split(":")
        render: Renderer = getattr(importlib.import_module(module), function)
        return render(document, context)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "plan.json",
            "application/json",
            "The plan document",
            "routing.outputs.formats:plan_json",
        ),
        Format(
            "plan.geojson",
            "application/geo+json",
            "Legs (LineStrings) and stops (Points) with vessels and times",
            "routing.outputs.geojson:render",
        ),
        Format(
            "manifests.csv",
            "text/csv; charset=utf-8",
            "What is handed over where and when, one row per consignment",
            "routing.outputs.tables:manifests",
        ),
        Format(
            "timeline.csv",
            "text/csv; charset=utf-8",
            "Loading, sailing, daylight waits and unloading per vessel",
            "routing.outputs.tables:timeline",
        ),
        Format(
            "plan.gpkg",
            "application/geopackage+sqlite3",
            "GeoPackage for QGIS: islands, villages, landing points, legs and stops",
            "routing.outputs.gpkg:render",
            default=False,
        ),
        Format(
            "sailings.html",
            "text/html; charset=utf-8",
            "Consignment notes of the booked scheduled sailings, for the purser and the "
            "receiving district office",
            "routing.outputs.sailings:notes_html",
            default=False,
        ),
        Format(
            "sailings.csv",
            "text/csv; charset=utf-8",
            "The booked scheduled sailings, one row per consignment",
            "routing.outputs.sailings:sailings_csv",
            default=False,
        ),
        Format(
            "papers.html",
            "text/html; charset=utf-8",
            "A vessel's voyage papers as an HTML page to print",
            "routing.outputs.papers:render_html",
            per_vessel=True,
            default=False,
        ),
        Format(
            "papers.pdf",
            "application/pdf",
            "A vessel's voyage papers as an A4 PDF",
            "routing.outputs.papers:render_pdf",
            per_vessel=True,
            default=False,
        ),
    )
}


def plan_json(document: PlanDocument, context: Context) -> bytes:
    """``plan.json``: the document as JSON, one key per line level (indent 1), UTF-8."""
    return (json.dumps(document.to_json(), indent=1, ensure_ascii=False) + "\n").encode()


def get(name: str, *, path: str = "/format", per_vessel: bool | None = None) -> Format:
    """The format of that name; ``NotFound`` naming ``path``, with the formats there are as
    its candidates (those per vessel, or per plan, where ``per_vessel`` says which)."""
    found = FORMATS.get(name)
    if found is None or (per_vessel is not None and found.per_vessel != per_vessel):
        known = [
            Candidate(f.title, "format", f.name)
            for f in FORMATS.values()
            if per_vessel is None or f.per_vessel == per_vessel
        ]
        raise NotFound("format", name, known, by="name", path=path)
    return found


def plan_formats() -> list[Format]:
    """The formats with one file per plan, in the registry's order."""
    return [f for f in FORMATS.values() if not f.per_vessel]
