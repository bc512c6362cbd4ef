"""The console script, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA


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
