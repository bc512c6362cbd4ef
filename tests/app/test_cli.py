"""The console script, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert f"ditulis di {tmp_path}/" in out.stderr and "wrote" not in out.stderr
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
    assert "Kapal" not in done.stderr and f"ditulis di {out}/" in done.stderr
    assert_valid_plan(doc)
    assert doc["status"] == "completed" and doc["unassigned"] == []
    assert {"scenario", "seed", "input_hash", "voyages", "kpis"} <= set(doc)
    villages = {
        c
        for v in doc["voyages"]
        for s in v["stops"]
        if s["kind"] == "landing"
        for c in s["village_codes"]
    } | {o["village"]["code"] for o in doc["onward"]}  # by road or at a hub, off a sailing
    assert len(villages) == 88 and doc["sailings"]
    stop = next(s for v in doc["voyages"] for s in v["stops"] if s["kind"] == "landing")
    assert stop["arrival"].endswith("+07:00") and {"load_kg", "load_m3", "tps", "id"} <= set(stop)
    leg = doc["voyages"][0]["legs"][0]
    assert leg["geometry"]["type"] == "LineString" and len(leg["geometry"]["coordinates"]) >= 2
    manifests = list(csv.DictReader(io.StringIO((out / "manifests.csv").read_text())))
    assert sum(int(r["tps"]) for r in manifests) == doc["kpis"]["tps_total"]
    timeline = list(csv.DictReader(io.StringIO((out / "timeline.csv").read_text())))
    assert {r["activity"] for r in timeline} >= {"loading", "sailing", "unloading"}
    geo = json.loads((out / "plan.geojson").read_text())
    assert {f["properties"]["kind"] for f in geo["features"]} == {"leg", "stop", "hub", "onward"}
    # Every hub the sailings land kits at, and every village taken on from a hub, is on the map.
    hubs = {f["properties"]["id"] for f in geo["features"] if f["properties"]["kind"] == "hub"}
    assert hubs == {load["stop_id"] for s in doc["sailings"] for load in s["loads"]}
    onward = [f["properties"] for f in geo["features"] if f["properties"]["kind"] == "onward"]
    assert sorted(o["consignment"] for o in onward) == sorted(
        o["consignment"] for o in doc["onward"]
    )
    assert {r["activity"] for r in timeline} >= {"scheduled_sailing", "road"}
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


def test_capacity_reports_vessels_needed_and_utilisation(
    tmp_path: Path, network_cache: Path
) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(network_cache))
    scenario = str(DATA / "scenarios" / "pemilu2024.toml")
    args = ("capacity", "--scenario", scenario, "--iterations", "300", "--seed", "1")
    done = run(*args, "--json", env=env)
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
        "--json",
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


# What a terminal sees: rich draws its progress bars only on one (and erases them after).
TERMINAL = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "120"}
ENGLISH_PROGRESS = ("wrote", "Solving", "solving", "iteration", "Simulating", "simulating")


def test_capacity_prints_tables_in_either_language_with_progress(network_cache: Path) -> None:
    import os

    from routing.local import number

    env = dict(os.environ, BALLOT_CACHE_DIR=str(network_cache))
    env.pop("BALLOT_LANG", None)
    scenario = str(DATA / "scenarios" / "pemilu2024.toml")
    args = ("capacity", "--scenario", scenario, "--iterations", "300", "--seed", "1")
    report = json.loads(run(*args, "--json", env=env).stdout)
    done = run(*args, env=dict(env, **TERMINAL))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "pemilu2024: selesai"
    for words in ("Kapal yang dibutuhkan per kelas", "Dibutuhkan", "Tersedia", "Keterisian"):
        assert words in done.stdout
    assert "Batas waktu per kecamatan" in done.stdout and "Vessel" not in done.stdout
    ship_hours = number(report["ship_hours"], "id", 1)
    assert f"Jam kapal {ship_hours}; jarak {number(report['distance_nm'], 'id', 1)} mil laut" in (
        done.stdout
    )
    for v in report["vessels"]:
        assert v["vessel_id"] in done.stdout and v["vessel_name"] in done.stdout
    for d in report["deadlines"]:
        assert f"{d['district_name']} ({d['district_code']})" in done.stdout
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout)  # without colours
    assert max(len(line.rstrip()) for line in plain.splitlines()) <= 100
    # Progress while it solves, in Indonesian, and nothing English on stderr.
    assert "Menyusun rencana" in done.stderr and "iterasi" in done.stderr
    assert not [w for w in ENGLISH_PROGRESS if w in done.stderr], done.stderr
    english = run(*args, "--lang", "en", env=dict(env, **TERMINAL))
    assert english.returncode == 0, english.stderr
    assert english.stdout.splitlines()[0] == "pemilu2024: completed"
    for words in ("Vessels needed per class", "Deadlines per district", "Ship-hours"):
        assert words in english.stdout
    assert "Kapal" not in english.stdout and "Solving" in english.stderr


def test_indonesian_progress_and_files_written_carry_no_english(
    tmp_path: Path, network_cache: Path
) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(network_cache), **TERMINAL)
    env.pop("BALLOT_LANG", None)
    scenario = str(DATA / "scenarios" / "pemilu2024.toml")
    out = tmp_path / "p"
    done = run(
        "plan", "--scenario", scenario, "--out", str(out), "--iterations", "200", "--seed", "1",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Menyusun rencana" in done.stderr and f"ditulis di {out}/: plan.json" in done.stderr
    assert not [w for w in ENGLISH_PROGRESS if w in done.stderr], done.stderr
    risk = run(
        "risk", "--plan", str(out / "plan.json"), "--runs", "20", "--out",
        str(tmp_path / "risk.json"), env=env,
    )  # fmt: skip
    assert risk.returncode == 0, risk.stderr
    assert "Simulasi" in risk.stderr and f"ditulis: {tmp_path / 'risk.json'}" in risk.stderr
    assert "skenario: " in risk.stderr and "scenario:" not in risk.stderr
    assert not [w for w in ENGLISH_PROGRESS if w in risk.stderr], risk.stderr
    english = run(
        "risk", "--plan", str(out / "plan.json"), "--runs", "20", "--out",
        str(tmp_path / "risk.json"), "--lang", "en", env=env,
    )  # fmt: skip
    assert english.returncode == 0, english.stderr
    assert "Simulating" in english.stderr and f"wrote {tmp_path / 'risk.json'}" in english.stderr


def _commands() -> list[tuple[str, ...]]:
    """Every command of ``ballot-routing`` by its words (``("keys", "create")``)."""
    import typer.main

    from app.cli import cli

    def walk(group: Any, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        for name, command in sorted(group.commands.items()):
            if hasattr(command, "commands"):  # a group of commands
                found += walk(command, (*prefix, name))
            else:
                found.append((*prefix, name))
        return found

    return walk(typer.main.get_command(cli), ())


def test_help_reads_whole_at_80_columns() -> None:
    """Each command's help at 80 columns: no line wider, nothing cut off with an ellipsis, and
    no word or option broken: every word is one the help shows at 250 columns."""
    from typer.testing import CliRunner

    from app.cli import cli

    runner = CliRunner()
    frame = re.compile(r"[│╭╮╰╯─]")
    commands = _commands()
    assert ("risk",) in commands and ("capacity",) in commands and ("keys", "create") in commands
    for command in commands:
        shown = {}
        for columns in (80, 250):
            done = runner.invoke(cli, [*command, "--help"], env={"COLUMNS": str(columns)})
            assert done.exit_code == 0, (command, done.output)
            shown[columns] = done.output
        narrow = shown[80]
        assert max(len(line) for line in narrow.splitlines()) <= 80, (command, narrow)
        assert "…" not in narrow, (command, narrow)
        wide_words = set(frame.sub(" ", shown[250]).split())
        broken = [w for w in frame.sub(" ", narrow).split() if w not in wide_words]
        assert not broken, (command, broken, narrow)
    risk = runner.invoke(cli, ["risk", "--help"], env={"COLUMNS": "80"}).output
    for option in ("--plan", "--scenario", "--seed", "--no-breakdowns", "--replan-breakdowns"):
        assert option in risk


def test_wrong_values_list_the_valid_ones(tmp_path: Path, network_cache: Path) -> None:
    import os

    from app.config import Settings
    from app.vessels.service import fleet_vessels
    from routing.inputs.fleet import load_fleet

    env = dict(os.environ, BALLOT_CACHE_DIR=str(network_cache))
    classes = load_fleet(DATA / "fleet.toml")
    bad = run("route", "kalianget", "sapeken", "--vessel-class", "KAL27", env=env)
    assert bad.returncode == 2 and not bad.stdout
    assert "--vessel-class: no vessel class with id 'KAL27'" in bad.stderr
    for vc in classes.values():
        assert f"  {vc.id}: {vc.name}\n" in bad.stderr
    # An id in another case is the id: KAL28 is kal28.
    assert "kal28" in classes
    good = run("route", "kalianget", "sapeken", "--vessel-class", "KAL28", env=env)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["properties"]["vessel_class"] == "kal28"
    # Districts: by code or by name in any case; a wrong one lists all 27 with their codes.
    by_code = run("villages", "--district", "35.29.01").stdout
    assert json.loads(by_code) and run("villages", "--district", "KOTA SUMENEP").stdout == by_code
    bad = run("villages", "--district", "Kota Sumenepp")
    assert bad.returncode == 2 and "--district: no district" in bad.stderr
    listed = [line for line in bad.stderr.splitlines() if line.startswith("  35.29.")]
    assert len(listed) == 27 and "  35.29.01: Kota Sumenep" in listed
    # Vessels: a field key's vessel, in any case; a wrong one lists the fleet with names.
    env.update(
        BALLOT_DATABASE_URL=f"sqlite:///{tmp_path}/keys.db",
        BALLOT_PUBLIC_URL="https://pemilu.example.org",
    )
    vessels = fleet_vessels(Settings(data_dir=DATA))
    bad = run("keys", "create", "--role", "field", "--vessel", "kri-teluk-bintuni-999", env=env)
    assert bad.returncode == 2 and not bad.stdout
    assert "--vessel: no vessel with id 'kri-teluk-bintuni-999'" in bad.stderr
    for v in vessels.values():
        assert f"  {v.id}: {v.name}\n" in bad.stderr
    good = run("keys", "create", "--role", "field", "--vessel", "KRI-Teluk-Bintuni-520", env=env)
    assert good.returncode == 0, good.stderr
    listed_keys = run("keys", "list", env=env).stdout
    assert ",field,,kri-teluk-bintuni-520,," in listed_keys


def test_route_takes_regency_and_district_names_and_names_the_wrong_end(
    network_cache: Path,
) -> None:
    import os

    env = dict(os.environ, BALLOT_CACHE_DIR=str(network_cache))
    done = run("route", "Sumenep", "Sapeken", "--vessel-class", "kal28", env=env)
    assert done.returncode == 0, done.stderr
    props = json.loads(done.stdout)["properties"]
    assert props["from"] == "kalianget" and props["to"] == "port-spk"
    assert props["from_resolved"]["matched"] == "regency"
    assert "from: Sumenep → regency Sumenep (seat: district Kota Sumenep)" in done.stderr
    done = run("route", "Kota Sumenep", "Sapeken", "--vessel-class", "kal28", env=env)
    assert done.returncode == 0, done.stderr
    props = json.loads(done.stdout)["properties"]
    assert props["from"] == "kalianget" and props["from_resolved"]["matched"] == "district"
    assert props["from_resolved"]["matched_name"] == "Kota Sumenep"
    assert props["from_resolved"]["matched_id"] == "35.29.01"
    # A place that cannot be reached by sea: the error names that end, and only it.
    bad = run("route", "Sapeken", "Pulau Kambing", "--vessel-class", "kal28", env=env)
    assert bad.returncode == 2 and not bad.stdout
    assert "TO 'Pulau Kambing': not reachable by sea" in bad.stderr and "Sapeken" not in bad.stderr
    bad = run("route", "Pulau Kambing", "Sapeken", "--vessel-class", "kal28", env=env)
    assert "FROM 'Pulau Kambing'" in bad.stderr and "Sapeken" not in bad.stderr
    help_text = run("route", "--help", env=dict(env, COLUMNS="100")).stdout
    assert "regency" in help_text and "Kota Sumenep" in help_text


def test_keys_qr_warns_when_phones_cannot_reach_the_link(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("BALLOT_PUBLIC_URL", "BALLOT_LANG")}
    env.update(BALLOT_DATABASE_URL=f"sqlite:///{tmp_path}/keys.db", BALLOT_HOST="127.0.0.1")
    args = ("keys", "create", "--role", "field", "--vessel", "kal-28-1", "--qr")
    done = run(*args, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("http://127.0.0.1:8000/field#key=")
    assert "peringatan:" in done.stderr and "http://127.0.0.1:8000" in done.stderr
    assert "loopback" in done.stderr and "BALLOT_PUBLIC_URL=https://" in done.stderr
    english = run(*args, "--lang", "en", env=env)
    assert "warning:" in english.stderr and "reaches nothing" in english.stderr
    assert "Set BALLOT_PUBLIC_URL" in english.stderr
    for url in ("http://0.0.0.0:8000", "http://[::]:8000", "http://localhost:8000"):
        done = run(*args, "--lang", "en", env=dict(env, BALLOT_PUBLIC_URL=url))
        assert done.returncode == 0, done.stderr
        assert "reaches nothing" in done.stderr and url in done.stderr, url
    done = run(*args, "--lang", "en", env=dict(env, BALLOT_PUBLIC_URL="https://pemilu.example.org"))
    assert done.returncode == 0 and done.stderr == ""
