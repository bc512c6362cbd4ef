"""The risk simulation of a plan (``routing.risk``): no weather and no breakdowns keep an on-time
plan on time in every run; an area closed all the time takes the chance of the districts beyond
it to 0 and leaves the others as they were; the same seed gives the same bytes, however the runs
are spread over processes; the climate table is checked; the command line prints the table."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
import tomllib
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from routing import pipeline
from routing import risk as mc
from routing.errors import DataError
from routing.inputs.climate import parse_climate
from routing.inputs.scenario import load_scenario
from routing.plandoc import PlanDocument
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = DATA / "scenarios" / "pemilu2024.toml"
MASALEMBU = "35.29.23"


def _raw_climate() -> dict:
    with (DATA / "climate.toml").open("rb") as fh:
        return tomllib.load(fh)


def _calm(raw: dict) -> dict:
    """No rough day anywhere, no spread, no breakdown."""
    raw = copy.deepcopy(raw)
    for season in raw["seasons"].values():
        for table in season.values():
            table.update(above_1_25_m=0.0, above_2_5_m=0.0, above_4_m=0.0)
    raw["spreads"].update(speed=0.0, loading=0.0)
    return raw


def _masalembu_closed(raw: dict) -> dict:
    """Waves above 4 m over Masalembu every day, calm elsewhere."""
    raw = _calm(raw)
    raw["areas"] = {a: ("open" if a == "masalembu" else "sheltered") for a in raw["areas"]}
    for season in raw["seasons"].values():
        season["open"].update(above_1_25_m=1.0, above_2_5_m=1.0, above_4_m=1.0, spell_days=365)
    return raw


@pytest.fixture(scope="module")
def planned(inputs):
    scenario = load_scenario(SCENARIO)
    problem = pipeline.problem_for(inputs, scenario)
    run = pipeline.plan(inputs, problem, seed=0, iterations=500, seconds=None)
    assert run.document["status"] == "completed"
    return scenario, problem, PlanDocument.from_json(run.document)


def _model(inputs, planned, raw: dict, *, breakdowns: bool = False) -> mc.Model:
    scenario, problem, document = planned
    climate = parse_climate(raw, [a.id for a in problem.sea_areas], inputs.classes, source="test")
    return pipeline.risk_model(
        inputs,
        problem,
        document,
        climate,
        election_day=scenario.election_day,
        breakdowns=breakdowns,
    )


def test_without_weather_delays_or_breakdowns_an_on_time_plan_holds_in_every_run(
    inputs, planned
) -> None:
    model = _model(inputs, planned, _calm(_raw_climate()))
    report = mc.report(model, mc.simulate(model, 40, seed=3), seed=3)
    assert report["runs"] == 40
    assert report["every_district_on_time"] == 1.0
    for d in report["districts"]:
        assert d["on_time"] == 1.0 and d["delivered_in_runs"] == 1.0, d
        assert d["histogram"]["not_delivered"] == 0
    assert report["late_stops"] == [] and report["late_vessels"] == []


def test_an_area_closed_all_the_time_takes_the_districts_beyond_it_to_zero(inputs, planned) -> None:
    calm = _model(inputs, planned, _calm(_raw_climate()))
    closed = _model(inputs, planned, _masalembu_closed(_raw_climate()))
    before = {
        d["district_code"]: d
        for d in mc.report(calm, mc.simulate(calm, 20, 1), seed=1)["districts"]
    }
    after = {
        d["district_code"]: d
        for d in mc.report(closed, mc.simulate(closed, 20, 1), seed=1)["districts"]
    }
    assert after[MASALEMBU]["on_time"] == 0.0
    assert after[MASALEMBU]["by_h5"] == 0.0
    # A vessel that sails through the closed waters waits there for ever, and what it carries
    # after them is late too; the districts served only by vessels that never go there stay
    # as they were.
    document = planned[2]
    through = {
        v.vessel_id
        for v in document.voyages
        if any(
            a == "masalembu"
            for leg in v.legs
            for a, _, _ in closed.spans.get((v.vessel_class, leg.from_, leg.to), ())
        )
    }
    served_by: dict[str, set[str]] = {}
    for v in document.voyages:
        for stop in v.stops:
            for item in stop.manifest:
                served_by.setdefault(item.district_code, set()).add(v.vessel_id)
    untouched = [c for c, vs in served_by.items() if not vs & through]
    assert untouched
    for code in untouched:
        assert after[code]["on_time"] == before[code]["on_time"] == 1.0, code
    forecast = mc.sample_weather(closed, __import__("numpy").random.default_rng(0))
    assert {f.area_id for f in forecast} == {"masalembu"}
    assert all(f.wave_m == 5.0 for f in forecast)


def test_the_same_seed_gives_the_same_bytes_on_one_process_or_two(inputs, planned) -> None:
    model = _model(inputs, planned, _raw_climate(), breakdowns=True)
    one = mc.report(model, mc.simulate(model, 60, seed=7), seed=7)
    again = mc.report(model, mc.simulate(model, 60, seed=7), seed=7)
    with ProcessPoolExecutor(max_workers=2) as pool:
        spread = mc.report(model, mc.simulate(model, 60, seed=7, executor=pool), seed=7)
    other = mc.report(model, mc.simulate(model, 60, seed=8), seed=8)
    as_bytes = [json.dumps(r, sort_keys=True).encode() for r in (one, again, spread)]
    assert as_bytes[0] == as_bytes[1] == as_bytes[2]
    assert json.dumps(other["districts"]) != json.dumps(one["districts"])
    # The assumed climate makes some runs late: the chances are chances, not all 1.
    assert 0.0 < one["every_district_on_time"] < 1.0


def test_runs_that_break_down_are_planned_again_by_the_replanner(inputs) -> None:
    """With breakdowns every run (a class mean of one hour between breakdowns), what the
    broken-down vessels had not delivered is lost without re-plans and partly saved with (every
    vessel dispatched: a two-echelon plan's local boats and roads are not re-planned)."""
    scenario = load_scenario(SCENARIO).all_dispatched()
    problem = pipeline.problem_for(inputs, scenario)
    run = pipeline.plan(inputs, problem, seed=0, iterations=300, seconds=None)
    planned = (scenario, problem, PlanDocument.from_json(run.document))
    raw = _calm(_raw_climate())
    raw["breakdowns"] = {k: 1 for k in raw["breakdowns"] if k not in ("status", "source")}
    model = _model(inputs, planned, raw, breakdowns=True)
    lost = mc.report(model, mc.simulate(model, 4, seed=2), seed=2)
    saved_model = dataclasses.replace(
        model, replan=pipeline._risk_replan(model.matrices, planned[2], 100)
    )
    saved = mc.report(saved_model, mc.simulate(saved_model, 4, seed=2), seed=2)
    served = lambda r: sum(d["delivered_in_runs"] for d in r["districts"])  # noqa: E731
    assert saved["breakdown_replans"] is True and lost["breakdown_replans"] is False
    assert served(saved) > served(lost)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r["areas"].pop("kangean"), "/areas/kangean"),
        (lambda r: r["seasons"]["west"]["open"].update(above_2_5_m=0.9), "/seasons/west/open"),
        (
            lambda r: r["seasons"]["west"]["open"].update(spell_days=0.5),
            "/seasons/west/open/spell_days",
        ),
        (lambda r: r["months"].update({"2": "monsoon"}), "/months/2"),
        (lambda r: r["breakdowns"].pop("pc40"), "/breakdowns/pc40"),
        (lambda r: r["spreads"].update(speed="fast"), "/spreads/speed"),
    ],
)
def test_a_bad_climate_table_is_refused_naming_the_key(inputs, planned, change, path) -> None:
    raw = _raw_climate()
    change(raw)
    with pytest.raises(DataError) as caught:
        parse_climate(raw, [a.id for a in planned[1].sea_areas], inputs.classes, source="t")
    assert path in {p.path for p in caught.value.problems}


def _cli(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """The project's command line, run as a user runs it, from the repository."""
    exe = str(Path(sys.executable).parent / "ballot-routing")
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def test_the_risk_command_prints_each_district_and_writes_the_report(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    made = _cli(
        "plan", "--scenario", str(SCENARIO), "--out", str(plan_dir), "--iterations", "300",
        timeout=600,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    out = _cli(
        "risk", "--plan", str(plan_dir / "plan.json"), "--runs", "50", "--seed", "1", "--lang",
        "en", "--out", str(tmp_path / "risk.json"), timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "risk.json").read_text(encoding="utf-8"))
    assert report["runs"] == 50 and len(report["districts"]) == 10
    for d in report["districts"]:
        assert d["district_name"] in out.stdout
    assert "Every district on time" in out.stdout
    assert "scenario: " in out.stderr  # the scenario file it took, said
    bad = _cli(
        "risk", "--plan", str(tmp_path / "nothing.json"), timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "--plan" in bad.stderr


def _small(tmp_path: Path, villages: list[str]) -> Path:
    """The 2024 scenario for a few villages, named "small", written to a file."""
    small = tmp_path / "small.toml"
    text = SCENARIO.read_text(encoding="utf-8")
    text = text.replace('villages = "sea"', f"villages = {json.dumps(villages)}")
    small.write_text(text.replace('name = "pemilu2024"', 'name = "small"'), encoding="utf-8")
    return small


def test_plan_to_a_target_meets_it_or_says_why_for_each_district(tmp_path: Path) -> None:
    """A small case (three villages of Masalembu and Sapeken): the robust plan claims the target
    in the districts that reach it, and an independent simulation (1,000 runs, a seed the
    search never used) of the plan written gives at least 0.93 in each; a district below it is
    explained, with the best chance any candidate reached."""
    small = _small(tmp_path, ["35.29.23.2001", "35.29.23.2003", "35.29.25.2001"])
    out = _cli(
        "plan", "--scenario", str(small), "--out", str(tmp_path / "p"), "--iterations", "100",
        "--target-on-time", "0.95", "--risk-runs", "200", "--lang", "en",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "p" / "risk.json").read_text(encoding="utf-8"))
    assert report["target_on_time"] == 0.95
    search = report["robust"]
    # Candidates are compared on 200 runs of seed 1; the chances claimed are a check of the plan
    # chosen on 1,000 runs of another seed, and every candidate that was checked says so.
    assert (search["runs"], search["seed"]) == (200, 1)
    assert report["runs"] == search["check_runs"] == 1000 and report["seed"] == 2
    assert search["candidates"][search["chosen"]]["check"] is not None
    assert "checked on 1,000 other runs" in out.stderr
    tried = search["candidates"]
    assert tried[0]["lever"] == "plan" and len(tried) >= 2
    assert "plan 1 (scenario):" in out.stderr  # each plan made is said
    below = {r["district_code"]: r for r in report["below_target"]}
    claimed = [d["district_code"] for d in report["districts"] if d["district_code"] not in below]
    assert all(d["on_time"] >= search["check_bar"] > 0.95 for d in report["districts"]
               if d["district_code"] in claimed)  # fmt: skip
    assert claimed, report["districts"]
    for d in report["districts"]:
        if d["district_code"] in below:
            r = below[d["district_code"]]
            assert r["why"] and r["best_on_time"] >= r["on_time"] == d["on_time"]
            assert (d["district_name"] or d["district_code"]) in out.stdout
    # The plan written is the one chosen, and it holds under seas the search never met.
    plan = json.loads((tmp_path / "p" / "plan.json").read_text(encoding="utf-8"))
    chosen = tried[search["chosen"]]
    assert plan["planning_start"] == chosen["planning_start"]

    def chances_by_risk(runs: int, seed: int) -> dict[str, float]:
        done = _cli(
            "risk", "--plan", str(tmp_path / "p" / "plan.json"), "--scenario", str(small),
            "--runs", str(runs), "--seed", str(seed), "--json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return {d["district_code"]: d["on_time"] for d in json.loads(done.stdout)["districts"]}

    judged = chances_by_risk(1000, 7)
    for code in claimed:
        assert judged[code] >= 0.93, (code, judged)
    # The check the answer claims by is the risk command's own, run again: the same chances.
    rerun = chances_by_risk(report["runs"], report["seed"])
    assert rerun == {d["district_code"]: d["on_time"] for d in report["districts"]}


def test_a_return_plan_is_simulated_trip_by_trip(inputs) -> None:
    """Returning, a trip runs from one depot call to the next (collect, then unload): without
    weather or breakdowns every district's boxes reach the depot in time in every run."""
    scenario = load_scenario(DATA / "scenarios" / "pemilu2024-return.toml")
    problem = pipeline.problem_for(inputs, scenario)
    run = pipeline.plan(inputs, problem, seed=0, iterations=300, seconds=None)
    document = PlanDocument.from_json(run.document)
    routes = mc.routes_of(document)
    planned = {c for v in document.voyages for s in v.stops for c in s.consignments}
    assert {c for r in routes for t in r.trips for c in t.consignments} == planned
    climate = parse_climate(_calm(_raw_climate()), inputs.sea_areas, inputs.classes, source="test")
    model = pipeline.risk_model(
        inputs, problem, document, climate, election_day=scenario.election_day, breakdowns=False
    )
    report = mc.report(model, mc.simulate(model, 10, seed=1), seed=1)
    on_time = {d["district_code"]: d["on_time"] for d in report["districts"]}
    late = {u.district_code for u in run.plan.unassigned}
    assert on_time and all(v == 1.0 for k, v in on_time.items() if k not in late), on_time
    assert report["h5"] == "2024-02-10T00:00:00+07:00"  # the end of H-5, WIB


def test_a_sailing_held_by_a_spell_sails_when_it_ends_and_its_kits_are_that_much_later(
    inputs, planned
) -> None:
    """Two echelons: a run holds a booked sailing in port while a sampled spell over the areas
    its course crosses is above the sailing limit; it leaves when the spell ends, and what it
    carries (taken on by road, at the hub or by a local boat) is that much later."""
    import numpy as np

    from routing.domain import WaveForecast

    closed = _model(inputs, planned, _masalembu_closed(_raw_climate()))
    limit = closed.problem.sailing_max_wave_m
    through = [s for s in closed.sailings if "masalembu" in s.areas]
    assert through and len(through) < len(closed.sailings)
    forecast = mc.sample_weather(closed, np.random.default_rng(0))
    late = mc.sailing_delays(closed.sailings, forecast, limit)
    assert set(late) == {s.key for s in through}
    for s in through:
        ends = max(f.end for f in forecast if f.start < s.arrive + timedelta(seconds=late[s.key]))
        assert late[s.key] == (ends - s.depart).total_seconds()
    # In a run (the same seas), what a held sailing carries on by road or at the hub arrives
    # that much later, and a local boat takes its kits no earlier than that much later.
    got = mc.one_run(closed, np.random.default_rng(0))
    release = {c.id: c.release for c in closed.problem.consignments}
    for s in through:
        for cid in s.consignments:
            if cid in closed.onward:
                assert got[cid] == closed.onward[cid] + late[s.key], cid
            else:
                assert got[cid] >= closed.problem.seconds(release[cid]) + late[s.key], cid
    # Back-to-back spells hold it past both; a spell at the limit or elsewhere holds nothing.
    s = through[0]
    day = timedelta(days=1)
    spells = [
        WaveForecast("masalembu", s.depart - day, s.depart + day, limit + 1, "t"),
        WaveForecast("masalembu", s.depart + day, s.depart + 2 * day, limit + 1, "t"),
        WaveForecast("masalembu", s.depart, s.depart + 9 * day, limit, "t"),
        WaveForecast("elsewhere", s.depart, s.depart + 9 * day, limit + 1, "t"),
    ]
    assert mc.sailing_delays([s], spells, limit) == {s.key: 2 * day.total_seconds()}
    assert mc.sailing_delays([s], spells[2:], limit) == {}


def test_capacity_under_risk_gives_a_fleet_and_a_latest_safe_start_per_district(
    tmp_path: Path,
) -> None:
    """A small case: the table of start days against fleets, the fleet chosen (the smallest that
    reaches the target from some start), and per district the latest start at which it reaches
    the target; the chart is written in the language asked."""
    small = _small(tmp_path, ["35.29.23.2001", "35.29.25.2001"])
    chart = tmp_path / "capacity.svg"
    out = _cli(
        "capacity", "--scenario", str(small), "--target-on-time", "0.9", "--days", "12-9",
        "--iterations", "100", "--risk-runs", "100", "--chart", str(chart), "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["days_before"] == [12, 11, 10, 9]
    fleets = [f["id"] for f in report["fleets"]]
    assert fleets[0] == "least" and report["fleet"] in fleets
    assert len(report["table"]) == len(fleets) * 4
    cells = [c for c in report["table"] if c["fleet"] == report["fleet"]]
    assert [c["days_before"] for c in cells] == [12, 11, 10, 9]
    assert {d["district_code"] for d in report["districts"]} == {"35.29.23", "35.29.25"}
    # A latest safe start holds in the table and in a check on other seas (1,000 runs, seed 2).
    assert (report["check_runs"], report["check_seed"]) == (1000, 2)
    checks = {c["days_before"]: c["districts"] for c in report["checks"]}
    assert checks
    for d in report["districts"]:
        code, k = d["district_code"], d["latest_safe_days_before"]
        chances = [c["districts"][code] for c in cells]
        safe = [
            x >= 0.9
            and code not in c["unserved"]
            and checks.get(c["days_before"], {}).get(code, 0) >= 0.9
            for x, c in zip(chances, cells, strict=True)
        ]
        expected = None
        for c, ok in zip(cells, safe, strict=True):  # earliest first: the last that holds
            if ok:
                expected = c["days_before"]
        assert k == expected, (code, chances, checks)
        if k is not None:
            day = datetime.fromisoformat(d["latest_safe_start"]).date()
            assert day == date.fromisoformat(report["election_day"]) - timedelta(days=k)
            assert d["searched_then"] == chances[[c["days_before"] for c in cells].index(k)]
            assert d["on_time_then"] == checks[k][code] >= 0.9
    svg = chart.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "H-12" in svg and "H-9" in svg


def test_the_combined_lever_pulls_at_once_what_helped_each_district_below_the_target() -> None:
    """Below the target after every lever alone, the search tries them together on the best
    candidate so far: for each district below the target, what the candidate that raised its
    chance most did (dispatched it, added a vessel, started earlier, the head start a buffer
    for every district); never what only lowered a district, never a plan already tried. The
    candidates here are made up (their chances given), so that what the lever combines is
    known."""
    from types import SimpleNamespace

    from routing.risk import robust

    scenario = load_scenario(SCENARIO)
    arjasa, masalembu, sapeken = "35.29.24", "35.29.23", "35.29.25"
    tried: list[tuple[str, dict, object]] = []

    class Recording(robust._Search):
        def judge(self, lever, detail, scenario):  # the plan itself is not what is tested
            tried.append((lever, detail, scenario))

    s = Recording(None, scenario, None, robust.Options(target=0.95), None, None)

    def candidate(lever, sc, cost, a, m, sp):
        doc = {"kpis": {"fuel_cost_idr": cost, "ship_time_cost_idr": 0}, "unassigned": []}
        chances = {arjasa: a, masalembu: m, sapeken: sp}
        report = {"districts": [{"district_code": k, "on_time": v} for k, v in chances.items()]}
        return robust.Candidate(lever, {}, sc, SimpleNamespace(document=doc), report)

    earlier = scenario.deadline_for(arjasa) - timedelta(hours=12)
    buffered = dataclasses.replace(scenario, deadlines={**scenario.deadlines, arjasa: earlier})
    no_hub = dataclasses.replace(
        buffered,
        hubs=tuple(
            dataclasses.replace(h, districts=tuple(d for d in h.districts if d != masalembu))
            for h in scenario.hubs
            if h.districts != (masalembu,)
        ),
    )
    added = dataclasses.replace(buffered, vessel_ids=(*scenario.vessel_ids, "kri-butana-878"))
    s.candidates = [
        candidate("plan", scenario, 100, 0.5, 0.9, 0.99),
        candidate("buffers", buffered, 120, 0.8, 0.9, 0.99),
        candidate("dispatch", no_hub, 130, 0.5, 0.97, 0.9),
        candidate("vessels", added, 150, 0.85, 0.6, 0.99),  # lowers Masalembu: not taken for it
    ]
    assert s.best() is s.candidates[1]  # the least chance highest: the buffered plan
    robust._combine(s)
    ((lever, detail, combined),) = tried
    assert lever == "combined"
    assert detail["districts"] == [masalembu] and detail["added"] == ["kri-butana-878"]
    assert "earlier_days" not in detail  # no candidate that helped started earlier
    assert detail["planned_for"] == {arjasa: earlier.isoformat()}  # the best's buffer kept
    assert combined.planning_start == scenario.planning_start
    assert combined.vessel_ids == (*scenario.vessel_ids, "kri-butana-878")
    assert all(masalembu not in h.districts for h in combined.hubs)
    # A plan already tried is not tried again.
    tried.clear()
    s.candidates.append(candidate("combined", combined, 160, 0.7, 0.9, 0.9))
    robust._combine(s)
    assert tried == []
    # An earlier start that raised Masalembu most is taken, with its head start as a buffer for
    # every district; the dispatch, which raised it less, is not.
    day = timedelta(days=1)
    early = robust.head_start(buffered, scenario.planning_start - day, [arjasa, masalembu, sapeken])
    s.candidates[-1] = candidate("start", early, 140, 0.5, 0.99, 0.9)
    robust._combine(s)
    ((_, detail, combined),) = tried
    assert detail["earlier_days"] == 1 and detail["districts"] == []
    assert combined.planning_start == scenario.planning_start - day
    assert combined.deadline_for(sapeken) == scenario.deadline_for(sapeken) - day
    assert combined.deadline_for(arjasa) == earlier - day
    # Nothing to combine when no candidate raised a district below the target.
    tried.clear()
    s.candidates = s.candidates[:2]
    robust._combine(s)
    assert tried == []


def test_the_answer_claims_what_holds_on_seas_the_search_never_met() -> None:
    """The search's estimates flatter the candidate that wins them: a district counts at the
    target in the search only a standard error above it, and the chances the answer claims are
    a check on other runs, at a standard error of the check above the target (several
    candidates may be checked). The cheapest candidate at the target in the search that the
    check puts below it is passed over for the next cheapest that holds; where none holds, the
    best by the search is chosen, and each district the check does not claim is explained, with
    a candidate that was checked reaching it by its check, not by the search."""
    from types import SimpleNamespace

    from routing.risk import robust

    scenario = load_scenario(SCENARIO)
    codes = ("35.29.23", "35.29.24", "35.29.25")
    options = robust.Options(target=0.95, runs=300, check_runs=1000)
    assert options.seed_of_check == 2 and 0.962 < options.bar < 0.963
    assert 0.956 < options.check_bar < 0.957
    s = robust._Search(None, scenario, None, options, None, None)

    def districts(*chances):
        return [
            {
                "district_code": k,
                "district_name": k,
                "on_time": v,
                "by_h5": v,
                "delivered_in_runs": 1,
            }
            for k, v in zip(codes, chances, strict=True)
        ]

    def candidate(lever, cost, *chances):
        kpis = {"fuel_cost_idr": cost, "ship_time_cost_idr": 0, "ship_hours": 1.0}
        doc = {"kpis": kpis, "unassigned": []}
        report = {"districts": districts(*chances), "runs": 300, "seed": 1}
        report["every_district_on_time"] = min(chances)
        return robust.Candidate(
            lever, {"round": cost}, scenario, SimpleNamespace(document=doc), report
        )

    def check(*chances):
        every = min(chances)  # a stand-in: no run is drawn here
        return {
            "districts": districts(*chances),
            "runs": 1000,
            "seed": 2,
            "every_district_on_time": every,
        }

    s.candidates = [
        candidate("plan", 100, 0.90, 0.90, 0.90),
        candidate("buffers", 105, 0.955, 0.99, 0.99),  # at the target, not a standard error above
        candidate("buffers", 120, 0.97, 0.97, 0.97),
        candidate("vessels", 130, 0.98, 0.98, 0.98),
    ]
    assert s.best() is s.candidates[2]  # the cheapest above the bar
    s.checks = {2: check(0.93, 0.97, 0.96), 3: check(0.96, 0.97, 0.96)}
    assert s.choose() is s.candidates[3]  # the cheapest one holds no more; the next does
    assert robust._why_below(s, s.candidates[3]) == []
    # Neither holds (0.953 is at the target, but not a standard error of the check above it):
    # the best by the search is chosen, and candidate 1, at the target by its estimate for a
    # district left below (0.955, not a standard error above), is checked.
    s.checks[3] = check(0.94, 0.953, 0.96)
    s.checks[1] = check(0.945, 0.97, 0.96)  # what its check says
    chosen = s.choose()
    assert chosen is s.candidates[3]
    why, near = robust._why_below(s, chosen)
    assert why["district_code"] == codes[0] and why["on_time"] == 0.94
    assert (why["best_on_time"], why["best_candidate"], why["best_checked"]) == (0.945, 1, True)
    assert why["would_reach"] == [] and "best reached 94.5%" in why["why"]
    assert near["district_code"] == codes[1] and "within a standard error" in near["why"]
    assert [w["candidate"] for w in near["would_reach"]] == [1, 2]  # by their checks
    assert "no lever in reach gets it to 95%" in why["why"]
    result = robust.Result(chosen, s.candidates, s.checks, options, [why, near])
    summary = result.summary("bundled")
    assert (summary["runs"], summary["seed"]) == (300, 1)  # the search's; then the check's
    assert (summary["check_runs"], summary["check_seed"]) == (1000, 2)
    assert [d["on_time"] for d in summary["districts"]] == [0.94, 0.953, 0.96]
    assert [d["searched"] for d in summary["districts"]] == [0.98, 0.98, 0.98]
    rows = summary["candidates"]
    assert [r["meets_target"] for r in rows] == [False, False, True, True]
    assert [r.get("check", {}).get("meets_target") for r in rows] == [None, False, False, False]
    # A best at the target, but not a standard error above it, is said to be so.
    s.checks[1] = check(0.955, 0.97, 0.96)
    why, _ = robust._why_below(s, chosen)
    assert why["best_on_time"] == 0.955 and why["would_reach"] == []
    assert "none gets it a standard error above 95% (95.7% on a check" in why["why"], why["why"]
    # Had candidate 1's check held everywhere, it would be the answer: the cheapest that holds.
    s.checks[1] = check(0.96, 0.97, 0.96)
    assert s.choose() is s.candidates[1]
    assert robust._why_below(s, s.candidates[1]) == []
