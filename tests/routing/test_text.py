"""The text catalogue (routing/text/catalogue.json): every reason code the engine can give has
its label in Indonesian and English and its message, and the command line and the papers take
those words from it rather than keeping their own."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

from app import clitext
from app.cli import planning
from routing import explain, text
from routing.local import Lang
from routing.outputs import papers
from routing.plandoc import ReasonCode

LANGS: tuple[Lang, ...] = ("id", "en")
ROOT = Path(__file__).resolve().parents[2]


def test_every_reason_code_the_engine_gives_is_in_the_catalogue() -> None:
    emitted = set(explain.ORDER) | {"FLEET_EXHAUSTED", "TRADE_OFF", "NO_SAILING"}
    assert set(get_args(ReasonCode)) == emitted
    assert set(text.reason_codes()) == emitted
    for code, entry in text.catalogue()["reasons"].items():
        for key in (*LANGS, "message"):
            assert isinstance(entry[key], str) and entry[key].strip(), (code, key)
        assert entry["id"] != entry["en"], code


def test_every_entry_has_both_languages() -> None:
    for section in ("words", "levers", "pages"):
        for key, entry in text.catalogue()[section].items():
            assert set(entry) == set(LANGS), (section, key)
            assert all(entry[lg].strip() for lg in LANGS), (section, key)


def test_the_plan_messages_come_from_the_catalogue() -> None:
    assert text.reason_messages() == explain.MESSAGES


def test_the_command_line_reads_its_reason_labels_from_the_catalogue() -> None:
    for lang in LANGS:
        for code in text.reason_codes():
            assert planning.SUMMARY_TEXT[lang][code] == text.reason_label(code, lang)
        assert planning.SUMMARY_TEXT[lang]["vessel"] == text.word("vessel", lang)
        for key in ("vessel", "district"):
            assert clitext.TEXT[lang][key] == text.word(key, lang)
    assert text.reason_label("DRAFT_TOO_DEEP", "id") == "pendaratan terlalu dangkal untuk kapal"
    assert text.reason_label("DRAFT_TOO_DEEP", "en") == "landing too shallow for the vessels"
    assert text.reason_label("SOMETHING_NEW", "en") == "SOMETHING_NEW"


def test_the_papers_read_the_shared_words_from_the_catalogue() -> None:
    for key in text.catalogue()["words"]:
        for lang in LANGS:
            assert papers.LABELS[key][lang] == text.word(key, lang)


def test_the_catalogue_is_plain_json_shipped_with_the_engine() -> None:
    assert text.CATALOGUE.parent.name == "text"
    assert text.CATALOGUE.parent.parent.name == "routing"
    json.loads(text.CATALOGUE.read_text(encoding="utf-8"))


def _sources() -> list[Path]:
    """The engine's and the service's source files: Python, templates, the pages' scripts."""
    found: list[Path] = []
    for package in (ROOT / "routing", ROOT / "app"):
        for pattern in ("**/*.py", "**/*.j2", "**/*.js", "**/*.html"):
            found += [p for p in package.glob(pattern) if "vendor" not in p.parts]
    return found


def test_each_reason_label_is_written_once_in_the_catalogue() -> None:
    sources = {p: p.read_text(encoding="utf-8") for p in _sources()}
    for code, entry in text.catalogue()["reasons"].items():
        for key in (*LANGS, "message"):
            quoted = json.dumps(entry[key])
            holders = [p.relative_to(ROOT) for p, s in sources.items() if quoted in s]
            assert holders == [], (code, key, holders)


def test_the_pages_keep_no_copy_of_the_shared_words() -> None:
    static = ROOT / "app" / "static"
    for page in ("dashboard", "field"):  # the page's script and its modules (its words among them)
        for path in (static / f"{page}.js", *sorted((static / page).glob("*.js"))):
            script = path.read_text(encoding="utf-8")
            for section in ("words", "levers", "pages"):
                for key in text.catalogue()[section]:
                    assert not re.search(rf"\b{key}: \"", script), (path.name, key)
            assert "reason_" not in script.replace("`reason_${", "")
