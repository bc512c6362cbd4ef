"""The dashboard and the field page share their code rather than copy it: a detector of
repeated code (jscpd, a pinned version that npx fetches from the npm registry) finds no run of
code that the two pages' scripts both carry. The shared helpers live in ``app/static/shared/``,
imported by both as ES modules. Needs Node.js with npx (as CI has it); never skipped."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.main import STATIC

JSCPD = "jscpd@4.0.5"  # commander 5: runs on the Node.js of Debian stable too
# Stricter than jscpd's defaults (50 tokens, 5 lines): a copied helper of three lines shows.
MIN_TOKENS = 25
MIN_LINES = 3
PAGES = ("dashboard", "field")


def page_scripts(page: str) -> list[Path]:
    """A page's own scripts: ``<page>.js`` and any modules of its own under ``<page>/``."""
    return [STATIC / f"{page}.js", *sorted((STATIC / page).glob("**/*.js"))]


def clones(sources: dict[str, list[Path]], work: Path) -> tuple[list[dict], dict]:
    """jscpd's clones over ``sources`` (a folder name -> the files copied into it) and its
    statistics."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx (Node.js) is needed to run the copy detector jscpd")
    tree = work / "src"
    for folder, files in sources.items():
        (tree / folder).mkdir(parents=True)
        for f in files:
            shutil.copy(f, tree / folder / f.name)
    report = work / "report"
    command = [
        npx, "--yes", "--package", JSCPD, "jscpd",
        "--format", "javascript",
        "--min-tokens", str(MIN_TOKENS),
        "--min-lines", str(MIN_LINES),
        "--max-lines", "1000000",
        "--max-size", "100mb",
        "--reporters", "json",
        "--output", str(report),
        "--silent",
        str(tree),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((report / "jscpd-report.json").read_text(encoding="utf-8"))
    return result["duplicates"], result["statistics"]["total"]


def between_pages(found: list[dict]) -> list[str]:
    """The clones whose two copies lie in different pages' folders, as readable lines."""
    out = []
    for c in found:
        a, b = c["firstFile"], c["secondFile"]
        if Path(a["name"]).parent.name != Path(b["name"]).parent.name:
            where = f"{a['name']}:{a['start']}-{a['end']} = {b['name']}:{b['start']}-{b['end']}"
            out.append(f"{where}: {c['fragment']!r}")
    return out


def test_no_code_is_copied_between_the_dashboard_and_the_field_page(tmp_path: Path) -> None:
    sources = {page: page_scripts(page) for page in PAGES}
    found, total = clones(sources, tmp_path)
    assert total["sources"] == sum(len(f) for f in sources.values())  # every script read whole
    assert between_pages(found) == []


def test_the_detector_finds_a_copied_helper(tmp_path: Path) -> None:
    """The check above can fail: a helper of the shared modules pasted into both pages shows."""
    helper = (STATIC / "shared" / "api.js").read_text(encoding="utf-8")
    pages = {}
    for page in PAGES:
        copy = tmp_path / "pages" / f"{page}.js"
        copy.parent.mkdir(exist_ok=True)
        own = (STATIC / f"{page}.js").read_text(encoding="utf-8")
        copy.write_text(own + "\n" + helper, encoding="utf-8")
        pages[page] = [copy]
    found, _ = clones(pages, tmp_path / "run")
    assert between_pages(found)
