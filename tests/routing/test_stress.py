"""Closures on record as stress tests (``routing.stress``, ``risk --closures history``): each
episode from each day of the plan's window, through the re-planner; a closure that holds the
district's ferry past its deadline makes it late, one after the last handover or over other
waters does not."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

from routing import load_inputs, pipeline
from routing.errors import DataError
from routing.inputs.closures import load_closures, parse_closures
from routing.inputs.scenario import parse_scenario, scenario_toml
from routing.plandoc import PlanDocument
from routing.stress import start_days
from tests.conftest import DATA

SAPUDI = ["35.29.20.2001", "35.29.20.2002"]  # two villages of Gayam (Sapudi), one ferry


@pytest.fixture(scope="module")
def small(network_cache: Path, tmp_path_factory):
    given = load_inputs(DATA, cache_dir=network_cache)
    raw = tomllib.loads((DATA / "scenarios" / "pemilu2024.toml").read_text(encoding="utf-8"))
    raw |= {"name": "sapudi", "villages": SAPUDI, "vessels": ["kmp-dbs-3"]}
    del raw["timetable"], raw["hubs"]  # every vessel dispatched: the ferry carries the kits
    problem = pipeline.problem_for(given, parse_scenario(raw))
    run = pipeline.plan(given, problem, seed=1, iterations=100)
    folder = tmp_path_factory.mktemp("sapudi")
    (folder / "plan.json").write_text(json.dumps(run.document), encoding="utf-8")
    (folder / "scenario.toml").write_text(scenario_toml(raw), encoding="utf-8")
    return given, problem, PlanDocument.from_json(run.document), folder


def _episode(ident: str, areas: object, days: int, wave_m: float = 4.5) -> dict:
    return {
        "id": ident,
        "name": ident,
        "name_en": ident,
        "began": date(2024, 3, 12),
        "days": days,
        "areas": areas,
        "wave_m": wave_m,
        "wave_source": "test",
        "source": "test",
    }


def test_a_closure_is_late_where_it_holds_the_ferry_and_not_elsewhere_or_after(small) -> None:
    given, problem, document, _ = small
    areas = [a.id for a in problem.sea_areas]
    episodes = parse_closures(
        {
            "episodes": [
                _episode("everything-20-days", "all", 20),
                _episode("kangean-only", ["kangean"], 20),
            ]
        },
        areas,
    )
    report = pipeline.closures_replay(given, problem, document, episodes, iterations=50)
    days = start_days(problem)
    assert report["start_days"] == [d.isoformat() for d in days] and len(days) >= 2
    everything, kangean = report["episodes"]
    # Closed everywhere for 20 days from the planning start: Gayam's kits cannot arrive in time.
    first = everything["starts"][0]
    assert first["day"] == days[0].isoformat() and first["on_time"] == []
    assert [x["district_name"] for x in first["late"]] == ["Gayam"]
    # The same closure from the last deadline's day: the plan has handed everything over.
    last_handover = max(
        s.work_end for v in document.voyages for s in v.stops if s.kind == "landing"
    )
    after = [r for r in everything["starts"] if date.fromisoformat(r["day"]) > last_handover.date()]
    assert after and all(r["late"] == [] for r in after)
    # Closed only over Kangean's waters: the Sapudi ferry never meets it.
    assert all(r["late"] == [] and r["on_time"] == ["35.29.20"] for r in kangean["starts"])


def test_the_closures_on_record_load_and_a_bad_one_is_named(small) -> None:
    _, problem, _, _ = small
    areas = [a.id for a in problem.sea_areas]
    found = load_closures(DATA / "closures.toml", areas)
    assert len(found) >= 5 and all(e.source and e.wave_source and e.name_en for e in found)
    assert {"masalembu-2023-02", "under-1000gt-2019-09"} <= {e.id for e in found}
    with pytest.raises(DataError) as caught:
        parse_closures({"episodes": [_episode("x", ["atlantis"], 0, wave_m=-1)]}, areas)
    paths = {p.path for p in caught.value.problems}
    assert {"/episodes/0/areas", "/episodes/0/days", "/episodes/0/wave_m"} <= paths


def _replay(folder: Path, *args: str) -> str:
    """``ballot-routing risk --closures history`` on the small plan: its stdout."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "risk",
            "--plan",
            str(folder / "plan.json"),
            "--scenario",
            str(folder / "scenario.toml"),
            "--closures",
            "history",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_command_line_replays_the_closures_on_record(small) -> None:
    report = json.loads(_replay(small[3], "--replan-iterations", "30", "--json"))
    ids = [e["id"] for e in report["episodes"]]
    assert "kalianget-2024-03" in ids and "all-but-large-2026-01" in ids
    for e in report["episodes"]:
        assert [r["day"] for r in e["starts"]] == report["start_days"]


def test_the_replay_table_speaks_the_language_asked_for(small) -> None:
    said = {
        lang: _replay(small[3], "--replan-iterations", "20", "--lang", lang)
        for lang in ("id", "en")
    }
    # (the table wraps its column heads: single words are looked for)
    assert "Semua" in said["id"] and "Every" not in said["id"] and "hari" in said["id"]
    assert "Every" in said["en"] and "Semua" not in said["en"] and "Februari" not in said["en"]
