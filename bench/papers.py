"""What people print and open, and how long it takes to make: per vessel of a plan, the voyage
papers as HTML and as PDF (pages, QR codes, bytes, seconds), and the plan's GeoPackage.

    .venv/bin/python bench/papers.py [--plan DIR/plan.json] [--lang id|en]

Without ``--plan`` it plans the bundled 2024 scenario first (300 iterations, seed 1).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import planning  # noqa: E402
from app.config import get_settings  # noqa: E402
from routing import inputs as data  # noqa: E402
from routing import pipeline  # noqa: E402
from routing.inputs.scenario import load_scenario  # noqa: E402
from routing.outputs.gpkg import LAYERS, write_gpkg  # noqa: E402
from routing.outputs.papers import papers_html, papers_pdf, voyage_papers  # noqa: E402
from routing.plandoc import PlanDocument  # noqa: E402


def _document(path: Path | None) -> PlanDocument:
    if path is not None:
        return PlanDocument.from_json(json.loads(path.read_text(encoding="utf-8")))
    settings = get_settings()
    given = planning.inputs(settings)
    problem = pipeline.problem_for(given, load_scenario(ROOT / "data/scenarios/pemilu2024.toml"))
    return PlanDocument.from_json(pipeline.plan(given, problem, seed=1, iterations=300).document)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plan", type=Path, help="plan.json (default: plan the 2024 scenario)")
    ap.add_argument("--lang", choices=("id", "en"), default="id")
    args = ap.parse_args()
    from pypdf import PdfReader

    document = _document(args.plan)
    print(f"{'vessel':<28} {'trips':>5} {'QR':>4} {'html s':>7} {'html KB':>8} "
          f"{'pdf s':>6} {'pages':>5} {'pdf KB':>7}")  # fmt: skip
    for v in document.voyages:
        t0 = time.perf_counter()
        papers = voyage_papers(document, v.vessel_id, plan="bench", lang=args.lang)
        html = papers_html(papers)
        t1 = time.perf_counter()
        pdf = papers_pdf(papers)
        t2 = time.perf_counter()
        codes = sum(len(v.consignments) for t in papers.trips for c in t.calls for v in c.villages)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(
            f"{v.vessel_id:<28} {len(papers.trips):>5} {codes:>4} {t1 - t0:>7.2f} "
            f"{len(html.encode()) / 1024:>8.0f} {t2 - t1:>6.2f} {pages:>5} {len(pdf) / 1024:>7.0f}"
        )
    arch = data.archipelago(get_settings().data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = write_gpkg(document, arch, Path(tmp) / "plan.gpkg")
        took = time.perf_counter() - t0
        size = path.stat().st_size
    print(f"\nGeoPackage: {len(LAYERS)} layers, {size / 1024:.0f} KB, {took:.2f} s")


if __name__ == "__main__":
    main()
