"""The console script, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA, assert_valid_plan


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ballot-routing") or str(Path(sys.executable).parent / "ballot-routing")
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, check=False, env=env, timeout=120
    )


def test_villages_json() -> None:
    out = run("villages", "--format", "json")
    assert out.returncode == 0, out.stderr
    villages = json.loads(out.stdout)
    assert len(villages) == 334
    assert sum(v["tps"] for v in villages) == 3863
    sea = [v for v in villages if v["sea"]]
    assert len(sea) == 88
    keys = {
        "code",
        "name",
        "district",
        "tps",
        "voters_est",
        "weight_kg",
        "volume_m3",
        "sea",
        "island_code",
    }
    assert all(keys <= set(v) for v in villages)
    assert all({"id", "lon", "lat", "source"} <= set(v["landing_point"]) for v in sea)


def test_villages_csv_and_islands() -> None:
    rows = list(csv.DictReader(io.StringIO(run("villages", "--format", "csv").stdout)))
    assert len(rows) == 334
    fc = json.loads(run("islands", "--format", "geojson").stdout)
    codes = {f["properties"]["code"] for f in fc["features"]}
    assert {f"35.29.{40000 + n}" for n in range(1, 120)} <= codes
    assert sum(f["properties"]["inhabited"] for f in fc["features"]) >= 38
    rows = list(csv.DictReader(io.StringIO(run("islands", "--format", "csv").stdout)))
    assert len(rows) == len(fc["features"])


def test_data_build_into_a_folder(tmp_path: Path) -> None:
    out = run("data", "build", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    for name in ("islands", "villages", "landing_points", "depots"):
        assert (tmp_path / f"{name}.geojson").read_bytes() == (
            DATA / "islands" / f"{name}.geojson"
        ).read_bytes()


def test_broken_dataset_dir_is_a_clear_error(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, BALLOT_DATA_DIR=str(tmp_path))
    out = run("villages", env=env)
    assert out.returncode == 2
    assert "does not exist" in out.stderr and "Traceback" not in out.stderr


def test_route_and_matrix_and_vessel_classes(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(tmp_path))
    out = run("route", "kalianget", "35.29.25.2007", "--vessel-class", "pc40", env=env)
    assert out.returncode == 0, out.stderr
    feature = json.loads(out.stdout)
    assert feature["geometry"]["type"] == "LineString"
    assert {"distance_nm", "duration_h", "from_snap_m", "to_snap_m"} <= set(feature["properties"])
    out = run("matrix", "--vessel-class", "pc40", "--format", "csv", env=env)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and set(rows[0]) == {"from", "to", "distance_nm", "duration_h", "reachable"}
    assert all(r["reachable"] == "true" and float(r["distance_nm"]) > 0 for r in rows)
    assert list(tmp_path.glob("*.npz")), "the network is cached on disk"
    classes = json.loads(run("vessel-classes", "--format", "json").stdout)
    assert all({"id", "draft_m", "speed_kn", "clearance_m"} <= set(c) for c in classes)
    bad = run("route", "kalianget", "atlantis", "--vessel-class", "pc40", env=env)
    assert bad.returncode == 2 and "atlantis" in bad.stderr


def test_plan_writes_every_file_and_serves_all_villages(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(tmp_path / "cache"))
    out = tmp_path / "plan"
    args = ("plan", "--scenario", str(DATA / "scenarios" / "pemilu2024.toml"), "--out", str(out))
    done = run(*args, "--iterations", "500", "--seed", "1", env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "plan.json").read_text())
    # The summary table is on stdout, in Indonesian by default, every vessel by name, and no
    # line of it wider than 100 columns; stderr has only what was written.
    lines = done.stdout.splitlines()
    assert lines[0].rstrip() == "pemilu2024: selesai" and "Kapal" in done.stdout
    assert "TPS diterima 1.381 dari 1.381" in done.stdout
    assert max(len(line.rstrip()) for line in lines) <= 100, lines
    for v in doc["voyages"]:
        assert f"{v['vessel_name']} ({v['vessel_id']})" in done.stdout
    assert "Kapal" not in done.stderr and "wrote" in done.stderr
    assert_valid_plan(doc)
    assert doc["status"] == "completed" and doc["unassigned"] == []
    assert {"scenario", "seed", "input_hash", "voyages", "kpis"} <= set(doc)
    villages = {
        c
        for v in doc["voyages"]
        for s in v["stops"]
        if s["kind"] == "landing"
        for c in s["village_codes"]
    }
    assert len(villages) == 88
    stop = next(s for v in doc["voyages"] for s in v["stops"] if s["kind"] == "landing")
    assert stop["arrival"].endswith("+07:00") and {"load_kg", "load_m3", "tps", "id"} <= set(stop)
    leg = doc["voyages"][0]["legs"][0]
    assert leg["geometry"]["type"] == "LineString" and len(leg["geometry"]["coordinates"]) >= 2
    manifests = list(csv.DictReader(io.StringIO((out / "manifests.csv").read_text())))
    assert sum(int(r["tps"]) for r in manifests) == doc["kpis"]["tps_total"]
    timeline = list(csv.DictReader(io.StringIO((out / "timeline.csv").read_text())))
    assert {r["activity"] for r in timeline} >= {"loading", "sailing", "unloading"}
    geo = json.loads((out / "plan.geojson").read_text())
    assert {f["properties"]["kind"] for f in geo["features"]} == {"leg", "stop"}
    # Same seed and iteration budget: byte-identical plan.json.
    again = run(*args[:-1], str(tmp_path / "again"), "--iterations", "500", "--seed", "1", env=env)
    assert again.returncode == 0
    assert (tmp_path / "again" / "plan.json").read_bytes() == (out / "plan.json").read_bytes()


def test_plan_with_a_broken_scenario_names_the_fields(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nplanning_start = "tomorrow"\ndepots = ["atlantis"]\nvessels = []\n')
    done = run("plan", "--scenario", str(bad), "--out", str(tmp_path / "o"), "--iterations", "10")
    assert done.returncode == 2
    for field in ("/planning_start", "/vessels", "/election_day", "/default_deadline"):
        assert field in done.stderr
    assert "Traceback" not in done.stderr


def test_capacity_reports_vessels_needed_and_utilisation(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(tmp_path / "cache"))
    scenario = str(DATA / "scenarios" / "pemilu2024.toml")
    done = run("capacity", "--scenario", scenario, "--iterations", "300", "--seed", "1", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "completed"
    assert 0 < sum(report["vessels_needed"].values()) <= sum(report["vessels_available"].values())
    assert report["trips"] and all(
        0 < t["kg_utilisation"] <= 1 and 0 < t["m3_utilisation"] <= 1 for t in report["trips"]
    )
    assert all(d["slack_h"] >= 0 for d in report["deadlines"])
    # A higher cost per vessel used never asks for more vessels.
    dear = run(
        "capacity",
        "--scenario",
        scenario,
        "--iterations",
        "300",
        "--seed",
        "1",
        "--fixed-cost-idr",
        "5000000000",
        env=env,
    )
    assert sum(json.loads(dear.stdout)["vessels_needed"].values()) <= sum(
        report["vessels_needed"].values()
    )


def test_batch_plans_several_scenarios_in_parallel(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(tmp_path / "cache"))
    base = (DATA / "scenarios" / "pemilu2024.toml").read_text()
    early = tmp_path / "early.toml"
    early.write_text(
        base.replace('name = "pemilu2024"', 'name = "early"').replace(
            'default_deadline = "2024-02-13T18:00:00+07:00"',
            'default_deadline = "2024-02-12T18:00:00+07:00"',
        )
    )
    done = run(
        "batch",
        str(DATA / "scenarios" / "pemilu2024.toml"),
        str(early),
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "2",
        "--iterations",
        "200",
        "--seed",
        "1",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "comparison.csv").read_text())))
    assert [r["scenario"] for r in rows] == ["pemilu2024", "early"]
    for name in ("pemilu2024", "early"):
        assert (tmp_path / "out" / name / "plan.json").exists()


def test_replan_and_return_from_the_command_line(tmp_path: Path, network_cache: Path) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(network_cache))
    scenario = str(DATA / "scenarios" / "pemilu2024.toml")
    done = run(
        "plan", "--scenario", scenario, "--out", str(tmp_path / "p"), "--iterations", "500",
        "--seed", "1", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "p" / "plan.json").read_text())
    voyage = next(v for v in doc["voyages"] if v["vessel_id"] != "kri-teluk-bintuni-520")
    stops = voyage["stops"]
    vid = voyage["vessel_id"]
    events = [
        {"vessel_id": vid, "stop": 0, "type": "loaded", "at": stops[0]["work_end"]},
        {"vessel_id": vid, "stop": 0, "type": "departed", "at": stops[0]["departure"]},
        {"vessel_id": vid, "stop": 1, "type": "handed_over", "at": stops[1]["work_end"]},
    ]
    (tmp_path / "events.json").write_text(json.dumps(events))
    (tmp_path / "change.toml").write_text(
        f'[[out_of_service]]\nvessel = "kri-teluk-bintuni-520"\nfrom = "{stops[1]["work_end"]}"\n'
    )
    args = [
        "replan", "--plan", str(tmp_path / "p" / "plan.json"), "--scenario", scenario,
        "--events", str(tmp_path / "events.json"), "--change", str(tmp_path / "change.toml"),
        "--out", str(tmp_path / "r"), "--iterations", "1500", "--seed", "1", "--lang", "en",
    ]  # fmt: skip
    done = run(*args, env=env)
    assert done.returncode == 0, done.stderr
    new = json.loads((tmp_path / "r" / "plan.json").read_text())
    assert_valid_plan(new)
    assert new["replan"]["vessels_gone"] == ["kri-teluk-bintuni-520"]
    assert {d["consignment"] for d in new["replan"]["delivered_before"]} == set(
        stops[1]["consignments"]
    )
    # The summary is on stdout (in English with --lang en); stderr says what was written.
    assert "moved" in done.stdout and "re-plan as of" in done.stdout
    assert "moved" not in done.stderr and "wrote" in done.stderr
    # A broken events file is named, not a traceback.
    (tmp_path / "events.json").write_text('[{"vessel_id": "x"}]')
    done = run(*args, env=env)
    assert done.returncode == 2 and "/events" in done.stderr and "Traceback" not in done.stderr
    # The same scenario, returning: boxes from the island district offices to Kalianget.
    done = run(
        "plan", "--scenario", scenario, "--direction", "return", "--out", str(tmp_path / "b"),
        "--iterations", "200", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    back = json.loads((tmp_path / "b" / "plan.json").read_text())
    assert back["direction"] == "return" and back["status"] == "completed"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "b" / "manifests.csv").read_text())))
    assert {r["operation"] for r in rows} == {"collect"}


def test_route_by_name_says_which_landing_and_suggests(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(tmp_path))
    out = run("route", "kalianget", "masalembo", "--vessel-class", "sabuk_nusantara", env=env)
    assert out.returncode == 0, out.stderr
    feature = json.loads(out.stdout)  # the GeoJSON alone on stdout
    assert feature["properties"]["to"] == "port-mes"
    assert feature["properties"]["to_resolved"]["name"] == "Masalembo (MES)"
    assert "to: masalembo → landing Masalembo (MES) (port-mes)" in out.stderr
    bad = run("route", "kalianget", "masalembx", "--vessel-class", "sabuk_nusantara", env=env)
    assert bad.returncode != 0 and not bad.stdout
    assert "did you mean" in bad.stderr and "Masalemb" in bad.stderr
