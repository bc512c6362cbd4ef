"""The dashboard and the field page share their code rather than copy it: a detector of
repeated code (jscpd, a pinned version that npx fetches from the npm registry) finds no run of
code that the two pages' scripts both carry. The shared helpers live in ``app/static/shared/``,
imported by both as ES modules. And every page script defines or imports each name it uses
(ESLint's no-undef and no-unused-vars), so a helper moved into a module is imported where it is
still used. Needs Node.js with npx (as CI has it); never skipped."""

from __future__ import annotations

import json
import os
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


def _npx(tool: str) -> str:
    """npx, which fetches ``tool`` from the npm registry; without it the test fails, never skips."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail(f"npx (Node.js) is needed to run {tool}")
    return npx


def page_scripts(page: str) -> list[Path]:
    """A page's own scripts: ``<page>.js`` and any modules of its own under ``<page>/``."""
    return [STATIC / f"{page}.js", *sorted((STATIC / page).glob("**/*.js"))]


def clones(sources: dict[str, list[Path]], work: Path) -> tuple[list[dict], dict]:
    """jscpd's clones over ``sources`` (a folder name -> the files copied into it) and its
    statistics."""
    npx = _npx("the copy detector jscpd")
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


ESLINT = "eslint@8.57.1"  # its own browser globals (--env), no configuration file needed


def undefined_names(files: list[Path]) -> list[str]:
    """ESLint's no-undef and no-unused-vars over ``files`` (as ES modules in a browser or a
    service worker), as readable lines: a name a module uses but neither defines nor imports
    (as a helper moved into a module of its own and not imported back) fails at run time."""
    npx = _npx("ESLint")
    command = [
        npx, "--yes", "--package", ESLINT, "eslint",
        "--no-eslintrc", "--env", "browser,es2022,serviceworker",
        "--parser-options", "sourceType:module", "--parser-options", "ecmaVersion:2024",
        "--rule", "no-undef: error", "--rule", "no-unused-vars: error",
        "--format", "json", *map(str, files),
    ]  # fmt: skip
    env = {**os.environ, "ESLINT_USE_FLAT_CONFIG": "false"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    report = json.loads(done.stdout)
    assert len(report) == len(files), done.stderr  # every file read
    return [
        f"{Path(r['filePath']).name}:{m['line']}: {m['message']}"
        for r in report
        for m in r["messages"]
    ]


def test_every_page_script_defines_or_imports_each_name_it_uses() -> None:
    files = [f for page in PAGES for f in page_scripts(page)]
    files += [STATIC / "field-sw.js", *sorted((STATIC / "shared").glob("*.js"))]
    assert undefined_names(files) == []


def test_a_name_left_behind_in_a_move_is_found(tmp_path: Path) -> None:
    """The check above can fail: a helper used but no longer imported shows."""
    script = tmp_path / "page.js"
    script.write_text(
        'import { loadActions } from "./queue.js";\n'
        "export async function send(seq) {\n"
        '  await loadActions();\n  return withStore("readonly", (s) => s.get(seq));\n}\n',
        encoding="utf-8",
    )
    assert undefined_names([script]) == ["page.js:4: 'withStore' is not defined."]
