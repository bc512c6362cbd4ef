"""Every file a plan is read as comes from one registry (``routing.outputs.formats``), rendered
from the plan document: a format added in one module and one registry line is served by the
command line and the API alike; the API's and the command line's bytes are the same; a database
from before the registry keeps its plans' files."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import db
from app.cli import cli
from app.main import create_app
from routing.inputs.geodata import Archipelago
from routing.outputs import formats
from routing.plandoc import PlanDocument


def render_text(document: PlanDocument, context: formats.Context) -> bytes:
    """A throwaway format: one line per voyage, its vessel and the places it calls at."""
    lines = [f"{v.vessel_id}: {' > '.join(s.id for s in v.stops)}" for v in document.voyages]
    return ("\n".join(lines) + "\n").encode()


def no_dataset() -> Archipelago:
    raise AssertionError("the throwaway format draws no place")


THROWAWAY = formats.Format("plan.txt", "text/plain", "Voyages", f"{__name__}:render_text")


def _export(tmp: Path, *args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["export", *args, "--out", str(tmp)])
    return done.exit_code, done.output


def test_a_format_added_in_one_module_and_one_line_is_served_by_the_cli_and_the_api(
    sapudi_plan, tmp_path: Path, monkeypatch
) -> None:
    settings, keys, plan = sapudi_plan
    monkeypatch.setitem(formats.FORMATS, THROWAWAY.name, THROWAWAY)  # the one registry line
    expected = render_text(PlanDocument.from_json(plan["result"]), formats.Context(no_dataset))
    assert b" > " in expected
    (tmp_path / "plan.json").write_text(json.dumps(plan["result"]), encoding="utf-8")
    code, output = _export(
        tmp_path / "out", "--plan", str(tmp_path / "plan.json"), "--format", "plan.txt"
    )
    assert code == 0, output
    assert (tmp_path / "out" / "plan.txt").read_bytes() == expected
    with TestClient(create_app(settings)) as client:
        r = client.get(f"/plans/{plan['id']}/files/plan.txt", headers=keys["viewer"])
        assert r.status_code == 200, r.text
        assert r.content == expected and r.headers["content-type"].startswith("text/plain")
        listed = client.get(f"/plans/{plan['id']}/files", headers=keys["viewer"]).json()
    names = [f["name"] for f in listed["files"]]
    assert names == list(formats.FORMATS) and "plan.txt" in names


def test_the_api_and_the_cli_render_the_same_bytes_in_every_plan_format(
    sapudi_plan, tmp_path: Path
) -> None:
    settings, keys, plan = sapudi_plan
    (tmp_path / "plan.json").write_text(json.dumps(plan["result"]), encoding="utf-8")
    text = [f.name for f in formats.plan_formats() if f.name != "plan.gpkg"]
    args = [a for name in text for a in ("--format", name)]
    code, output = _export(tmp_path / "out", "--plan", str(tmp_path / "plan.json"), *args)
    assert code == 0, output
    with TestClient(create_app(settings)) as client:
        listed = client.get(f"/plans/{plan['id']}/files", headers=keys["viewer"]).json()["files"]
        for f in listed:
            for href in f["hrefs"]:
                r = client.get(href, headers=keys["viewer"])
                assert r.status_code == 200, (href, r.text)
                assert r.headers["content-type"].split(";")[0] == f["media_type"].split(";")[0]
                if f["name"] in text:
                    assert r.content == (tmp_path / "out" / f["name"]).read_bytes(), href
        # the older routes answer the same files
        geo = client.get(f"/plans/{plan['id']}/geojson", headers=keys["viewer"])
        csv = client.get(f"/plans/{plan['id']}/manifests.csv", headers=keys["viewer"])
    assert geo.content == (tmp_path / "out" / "plan.geojson").read_bytes()
    assert csv.content == (tmp_path / "out" / "manifests.csv").read_bytes()
    geojson = json.loads(geo.content)
    stops = [f for f in geojson["features"] if f["properties"]["kind"] == "stop"]
    assert len(stops) == sum(len(v["stops"]) for v in plan["result"]["voyages"])
    assert json.loads((tmp_path / "out" / "plan.json").read_text()) == plan["result"]


def test_an_unknown_format_is_named_with_the_formats_there_are(sapudi_plan, tmp_path) -> None:
    settings, keys, plan = sapudi_plan
    with TestClient(create_app(settings)) as client:
        r = client.get(f"/plans/{plan['id']}/files/plan.xlsx", headers=keys["viewer"])
        assert r.status_code == 404, r.text
        body = r.json()
        assert body["errors"][0]["path"] == "/path/name", body
        assert "plan.geojson" in r.text and "plan.xlsx" in r.text
        # a vessel's papers are not a plan's file
        r = client.get(f"/plans/{plan['id']}/files/papers.pdf", headers=keys["viewer"])
        assert r.status_code == 404, r.text
    (tmp_path / "plan.json").write_text(json.dumps(plan["result"]), encoding="utf-8")
    code, output = _export(
        tmp_path / "out", "--plan", str(tmp_path / "plan.json"), "--format", "plan.xlsx"
    )
    assert code == 2 and "--format" in output and "plan.xlsx" in output and "plan.gpkg" in output
    assert not (tmp_path / "out").exists()


def test_a_plan_stored_before_the_registry_keeps_its_files(database: str, sapudi_plan) -> None:
    """A database at revision 0010 held a plan's GeoJSON and tables in columns; migrated, the
    columns are gone and the plan's files render from its document."""
    settings, keys, plan = sapudi_plan
    engine = db.engine_for(database)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
        columns = {c["name"] for c in sa.inspect(conn).get_columns("plans")}
        assert {"geojson", "manifests", "timeline"} <= columns
        conn.execute(sa.text("update plans set geojson = '{}', manifests = 'old'"))
    db.migrate(database)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("plans")}
    assert not {"geojson", "manifests", "timeline"} & columns
    with TestClient(create_app(settings)) as client:
        r = client.get(f"/plans/{plan['id']}/files/manifests.csv", headers=keys["viewer"])
    assert r.status_code == 200 and r.text.startswith("vessel_id,vessel_name,trip"), r.text


def test_a_plan_naming_a_place_the_dataset_lacks_is_named_not_a_crash(
    sapudi_plan, tmp_path: Path
) -> None:
    """A plan made on another dataset (a landing since renamed): the GeoJSON cannot place it;
    the command line names the stop (the API answers 409, stale_dataset)."""
    import copy

    plan = sapudi_plan[2]
    doc = copy.deepcopy(plan["result"])
    doc["voyages"][0]["stops"][1]["id"] = "lp-gone"
    (tmp_path / "plan.json").write_text(json.dumps(doc), encoding="utf-8")
    code, output = _export(
        tmp_path / "out", "--plan", str(tmp_path / "plan.json"), "--format", "plan.geojson"
    )
    assert code == 2 and "/voyages/0/stops/1/id" in output and "lp-gone" in output, output
