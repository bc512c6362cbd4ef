"""Two echelons: scheduled sailings to the island hubs, local boats and roads from them,
dispatched vessels for the rest (routing.echelon), on the 2024 scenario and its bundled feed."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from routing import pipeline
from routing.domain import WaveForecast
from routing.echelon.booking import book
from routing.inputs.scenario import load_scenario
from routing.outputs.formats import Context, get
from routing.plandoc import PlanDocument
from tests.conftest import DATA
from tests.routing.check import check_plan

FEED = DATA / "timetables" / "sumenep-2024"
SCENARIO = DATA / "scenarios" / "pemilu2024.toml"
KANGEAN = ("35.29.24", "35.29.27")
MASALEMBU = "35.29.23"
ITERATIONS = 150


def _plan(inputs, scenario):
    problem = pipeline.problem_for(inputs, scenario)
    run = pipeline.plan(inputs, problem, seed=1, seconds=None, iterations=ITERATIONS)
    check_plan(run.plan, arch=inputs.archipelago, kit=inputs.kit)
    return run


def _rewrite(path: Path, keep) -> None:
    """Rewrite a feed's CSV file keeping (and changing) rows as ``keep(row)`` says."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames
        rows = [r for row in reader if (r := keep(dict(row))) is not None]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=fields)
        out.writeheader()
        out.writerows(rows)


def _feed(tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    shutil.copytree(FEED, folder)
    return folder


def _district_of(run, cid: str) -> str:
    return next(c.district_code for c in run.plan.problem.consignments if c.id == cid)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def bundled(inputs, scenario):
    return _plan(inputs, scenario)


def test_the_2024_plan_books_the_feeds_sailings(bundled):
    document = bundled.document
    trips = {r["trip_id"] for r in csv.DictReader((FEED / "trips.txt").open(encoding="utf-8"))}
    assert document["timetable"] and document["sailings"]
    assert {s["trip_id"] for s in document["sailings"]} <= trips
    for s in document["sailings"]:
        assert s["weight_kg"] <= s["capacity_kg"] and s["volume_m3"] <= s["capacity_m3"]
        assert s["sailing_id"] == f"{s['trip_id']}@{s['service_date']}"
        assert all(item["village_name"] for h in s["loads"] for item in h["manifest"])
    # every hub district rides a sailing, at least in part; Sapeken (no sailing in the feed)
    # goes by dispatched vessels, and the plan says why
    riding = {
        i["district_code"] for s in document["sailings"] for h in s["loads"] for i in h["manifest"]
    }
    assert {*KANGEAN, MASALEMBU, "35.29.20", "35.29.22"} <= riding
    assert "35.29.25" not in riding
    kpis = document["kpis"]
    assert 0 < kpis["tps_by_sailing"] < kpis["tps_total"]
    assert kpis["freight_idr"] > 0
    # local boats work from their hubs, named after their district office
    boats = [v for v in document["voyages"] if v["hub"]]
    assert boats and all(v["stops"][0]["id"] == v["hub"] for v in boats)
    assert all("PPK" in v["vessel_name"] for v in boats)
    modes = {o["mode"] for o in document["onward"]}
    assert "road" in modes


def test_kangean_sailings_on_other_days_move_the_kangean_kits(inputs, scenario, tmp_path):
    feed = _feed(tmp_path)
    # the Kangean services run Mon, Wed, Sat instead of Tue, Fri, Sun and Mon, Thu, Sat
    days = {"tue-fri-sun": "0100101", "mon-thu-sat": "1001010"}
    other = "1010010"

    def shift(row):
        if row["service_id"] in days:
            for name, on in zip(
                ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
                other,
                strict=True,
            ):
                row[name] = on
        return row

    _rewrite(feed / "calendar.txt", shift)
    run = _plan(inputs, dataclasses.replace(scenario, timetable=str(feed)))
    kangean = [
        s
        for s in run.plan.sailings
        if any(_district_of(run, c) in KANGEAN for h in s.loads for c in h.consignments)
    ]
    assert kangean
    assert {s.sailing.service_date.weekday() for s in kangean} <= {0, 2, 5}
    before = {s.sailing.key for s in run.plan.sailings}
    assert not any(k.startswith(("dbs2-out@2024-02-06", "dbs2-out@2024-02-09")) for k in before)


def test_no_sailing_to_masalembu_sends_a_dispatched_vessel(inputs, scenario, tmp_path):
    feed = _feed(tmp_path)
    pioneer = {"sn-20240203", "sn92-20240209"}
    for name in ("trips.txt", "stop_times.txt", "cargo.txt"):
        _rewrite(feed / name, lambda row: None if row["trip_id"] in pioneer else row)
    _rewrite(feed / "calendar_dates.txt", lambda row: None)
    run = _plan(inputs, dataclasses.replace(scenario, timetable=str(feed)))
    plan = run.plan
    masalembu = {c.id for c in plan.problem.consignments if c.district_code == MASALEMBU}
    assert not any(c in masalembu for b in plan.sailings for h in b.loads for c in h.consignments)
    hubs = {h.landing_id for h in plan.problem.hubs}
    homes = {v.id: v.home_depot for v in plan.problem.vessels}
    carried = {
        c
        for v in plan.voyages
        if homes[v.vessel_id] not in hubs
        for s in v.stops
        for c in s.consignments
        if s.kind == "landing"
    }
    assert masalembu <= carried | {c for u in plan.unassigned for c in u.consignments}
    assert masalembu & carried
    off = {o.consignment: o.code for o in plan.off_sailings}
    assert all(off[c] == "no_sailing" for c in masalembu)


def test_a_held_sailing_and_a_full_one_say_why(inputs, scenario, tmp_path):
    feed = _feed(tmp_path)
    # the Dharma Kartika takes 1 m3 of kits a sailing; 3 m forecast over Sapudi-Raas holds the
    # Kangean sailings of 6 and 9 February
    _rewrite(
        feed / "cargo.txt",
        lambda row: row | {"capacity_m3": "1"} if row["trip_id"].startswith("dk") else row,
    )
    wib = scenario.planning_start.tzinfo
    storm = tuple(
        WaveForecast(
            "kangean",
            datetime(2024, 2, d, 12, tzinfo=wib),
            datetime(2024, 2, d + 1, 12, tzinfo=wib),
            3.0,
        )
        for d in (6, 9)
    )
    changed = dataclasses.replace(scenario, timetable=str(feed), forecast=storm)
    problem = pipeline.problem_for(inputs, changed)
    matrices, _ = pipeline.sea(inputs, problem)
    booked = book(problem, matrices)
    assert "capacity" in {o.code for o in booked.off.values()}
    assert not any(s.trip_id.startswith("dk") for s, _ in booked.ride.values())
    for s, _ in booked.ride.values():  # nothing rides a sailing through the storm
        if "kangean" not in problem.sailing_areas[s.trip_id]:
            continue
        at_sea = (s.departure, s.calls[-1].arrival)
        assert not any(f.start < at_sea[1] and f.end > at_sea[0] for f in storm), s.key
    assert {s.trip_id for s, _ in booked.ride.values()} & {"dbs2-out", "eb3c-out"}


def test_a_sailing_past_its_cutoff_is_not_booked(inputs, scenario):
    # planning starts at 08:00 on 5 Feb: the Express Bahari's 09:00 sailing closed at 07:00
    start = scenario.planning_start.replace(hour=8)
    problem = pipeline.problem_for(inputs, dataclasses.replace(scenario, planning_start=start))
    matrices, _ = pipeline.sea(inputs, problem)
    booked = book(problem, matrices)
    assert all(s.key != "eb3c-out@2024-02-05" for s, _ in booked.ride.values())
    assert any(s.key == "eb3c-out@2024-02-08" for s, _ in booked.ride.values())


def test_consignment_notes_list_every_booked_consignment_in_both_languages(bundled, inputs):
    document = PlanDocument.from_json(bundled.document)
    booked = [m for s in document.sailings for h in s.loads for m in h.manifest]
    rows = list(
        csv.DictReader(
            io.StringIO(get("sailings.csv").render(document, Context(lambda: None)).decode())
        )
    )
    assert [r["consignment"] for r in rows] == [m.consignment for m in booked]
    assert all(r["village_name"] and r["hub_name"] for r in rows)
    for lang, title, day in (("id", "SURAT MUATAN", "Senin"), ("en", "CONSIGNMENT NOTE", "Monday")):
        page = get("sailings.html").render(document, Context(lambda: None, lang=lang)).decode()
        assert page.count("<section>") == len(document.sailings)
        assert title in page and day in page and "WIB" in page
        for m in booked:
            assert m.village_name in page or m.village_name.replace("'", "&#39;") in page
