"""What people read carries names beside codes, in every output of a plan (plan document,
GeoJSON, CSVs, status, GeoPackage, voyage papers); and a trip is numbered the same way (from 1,
one loading up to the next) in every output."""

from __future__ import annotations

import csv
import io
import json
import os
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from routing.outputs.export import jsonable
from tests.app.conftest import wait_done
from tests.app.test_cli import run
from tests.conftest import DATA, all_dispatched

SCENARIO = all_dispatched(
    jsonable(tomllib.loads((DATA / "scenarios" / "pemilu2024.toml").read_text(encoding="utf-8")))
)
FLEET_NAMES = {
    v["id"]: v["name"]
    for v in tomllib.loads((DATA / "fleet.toml").read_text(encoding="utf-8"))["vessels"]
}


@pytest.fixture(scope="module")
def planned(
    tmp_path_factory: pytest.TempPathFactory, network_cache: Path
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], dict[str, Any]]]:
    """The 2024 plan made through the service (SQLite), every vessel dispatched (so that every
    village is handed over by a vessel of data/fleet.toml), with a viewer and a planner key."""
    tmp = tmp_path_factory.mktemp("names")
    database = f"sqlite:///{tmp}/names.db"
    settings = Settings(data_dir=DATA, cache_dir=network_cache, database_url=database)
    with TestClient(create_app(settings)) as client:
        keys = {role: {"X-API-Key": create_key(database, role)} for role in ("planner", "viewer")}
        r = client.post(
            "/plans",
            json={"scenario": SCENARIO, "iterations": 300, "seed": 1},
            headers=keys["planner"],
        )
        assert r.status_code == 202, r.text
        plan = wait_done(client, r.headers["Location"], keys["viewer"])
        assert plan["phase"] == "completed", plan
        yield client, keys, plan


def _gpkg_text(body: bytes, tmp: Path) -> str:
    """Every text value of every layer of a GeoPackage, one string."""
    import geopandas as gpd
    import pyogrio

    path = tmp / "plan.gpkg"
    path.write_bytes(body)
    parts = []
    for layer, _ in pyogrio.list_layers(path):
        frame = gpd.read_file(path, layer=layer)
        parts.append(frame.drop(columns="geometry").to_csv(index=False))
    return "\n".join(parts)


def test_every_output_names_every_village_served_and_every_vessel_used(
    planned, arch, tmp_path: Path
) -> None:
    client, keys, plan = planned
    doc = plan["result"]
    url = f"/plans/{plan['id']}"
    served = {
        item["village_code"] for v in doc["voyages"] for s in v["stops"] for item in s["manifest"]
    }
    assert len(served) == 88
    villages = {arch.villages[code].name for code in served}  # the dataset's, not the plan's
    vessels = {FLEET_NAMES[v["vessel_id"]] for v in doc["voyages"]}  # data/fleet.toml's
    assert all(vessels) and len(vessels) == len(doc["voyages"])

    def get(path: str, **params: Any) -> Any:
        r = client.get(f"{url}{path}", params=params, headers=keys["viewer"])
        assert r.status_code == 200, (path, r.text)
        return r

    outputs = {
        "plan document": json.dumps(get("").json()["result"], ensure_ascii=False),
        "GeoJSON": get("/geojson").text,
        "manifests.csv": get("/manifests.csv").text,
        "timeline.csv": get("/timeline", format="csv").text,
        "status": json.dumps(get("/status").json(), ensure_ascii=False),
    }
    gpkg = client.get(f"{url}.gpkg", headers=keys["viewer"])
    assert gpkg.status_code == 200, gpkg.text
    assert gpkg.headers["content-type"] == "application/geopackage+sqlite3"
    assert gpkg.content[:16] == b"SQLite format 3\x00"
    outputs["GeoPackage"] = _gpkg_text(gpkg.content, tmp_path)
    # The voyage papers, every vessel's, as HTML and as the text of the PDF.
    from pypdf import PdfReader

    html, pdf = [], []
    for v in doc["voyages"]:
        html.append(unescape(get(f"/papers/{v['vessel_id']}").text))  # "Banra&#39;as"
        body = get(f"/papers/{v['vessel_id']}.pdf").content
        pdf.extend(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    outputs["papers (HTML)"] = "\n".join(html)
    outputs["papers (PDF)"] = "\n".join(pdf)
    for what, text in outputs.items():
        missing_villages = sorted(n for n in villages if n not in text)
        missing_vessels = sorted(n for n in vessels if n not in text)
        assert not missing_villages and not missing_vessels, (
            what,
            missing_villages[:5],
            missing_vessels,
        )

    # Names stand beside their codes, field by field, not only somewhere in the text.
    for v in doc["voyages"]:
        assert v["vessel_name"] == FLEET_NAMES[v["vessel_id"]] and v["vessel_class_name"]
        for s in v["stops"]:
            expected = (
                arch.depots[s["id"]].name
                if s["id"] in arch.depots
                else arch.landing_points[s["id"]].name
            )
            assert s["name"] == expected
            for village in s["villages"]:
                dataset = arch.villages[village["code"]]
                assert (village["name"], village["district_name"]) == (
                    dataset.name,
                    dataset.district,
                )
        for leg in v["legs"]:
            assert leg["from_name"] and leg["to_name"]
    assert all(d["district_name"] for d in doc["kpis"]["districts"])
    rows = list(csv.DictReader(io.StringIO(outputs["manifests.csv"])))
    for row in rows:
        village = arch.villages[row["village_code"]]
        assert row["village_name"] == village.name and row["district_name"] == village.district
        assert row["vessel_name"] == FLEET_NAMES[row["vessel_id"]]
        assert row["landing_name"] == arch.landing_points[row["landing_id"]].name
    status = get("/status").json()
    assert {v["vessel_name"] for v in status["voyages"]} == vessels
    assert all(d["district_name"] for d in status["districts"])


def _trips_by_vessel(rows: list[dict[str, Any]], key: str = "trip") -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        if r["vessel_id"]:  # not the kits taken on by road or at a hub
            out[r["vessel_id"]].add(int(r[key]))
    return out


def test_trip_numbers_agree_between_cli_kpis_document_manifests_and_capacity_plan(
    planned, tmp_path: Path, network_cache: Path
) -> None:
    client, keys, _ = planned
    env = dict(os.environ, BALLOT_CACHE_DIR=str(network_cache))
    scenario = str(DATA / "scenarios" / "pemilu2024.toml")
    out = tmp_path / "plan"
    done = run(
        "plan", "--scenario", scenario, "--out", str(out), "--iterations", "300", "--json", env=env
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # stdout is the summary alone
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    manifests = list(csv.DictReader(io.StringIO((out / "manifests.csv").read_text("utf-8"))))
    # The plan document: every voyage numbers its trips 1..n, in order, one per loading.
    for v in doc["voyages"]:
        numbers = [s["trip"] for s in v["stops"]]
        loadings = [s for s in v["stops"] if s["kind"] == "depot" and s["consignments"]]
        assert numbers[0] == 1 and numbers == sorted(numbers)
        assert set(numbers) == set(range(1, v["trips"] + 1)) and len(loadings) == v["trips"]
        assert [s["trip"] for s in loadings] == list(range(1, v["trips"] + 1))
        assert {leg["trip"] for leg in v["legs"]} == set(numbers)
    trips = {v["vessel_id"]: v["trips"] for v in doc["voyages"]}
    # The CLI summary, the KPIs and the manifests say the same.
    assert {r["vessel_id"]: r["trips"] for r in summary["voyages"]} == trips
    assert doc["kpis"]["trips"] == summary["kpis"]["trips"] == sum(trips.values())
    assert _trips_by_vessel(manifests) == {vid: set(range(1, n + 1)) for vid, n in trips.items()}
    # The capacity plan (through the service): its trip rows and per-vessel counts match its
    # own plan's trips.
    r = client.post(
        "/capacity-plans",
        json={"bundled": "pemilu2024", "iterations": 300, "seed": 1},
        headers=keys["planner"],
    )
    assert r.status_code == 202, r.text
    capacity = wait_done(client, r.headers["Location"], keys["viewer"])["result"]
    own = {v["vessel_id"]: v["trips"] for v in capacity["plan"]["voyages"]}
    assert {v["vessel_id"]: v["trips"] for v in capacity["vessels"]} == own
    assert Counter(t["vessel_id"] for t in capacity["trips"]) == Counter(own)
    assert _trips_by_vessel(capacity["trips"]) == {
        vid: set(range(1, n + 1)) for vid, n in own.items()
    }
    assert all(t["vessel_name"] and t["depot_name"] for t in capacity["trips"])
