"""Voyage papers through the service and the command line: HTML and PDF of a finished plan
(and of a capacity plan's plan), the errors of an unknown plan or vessel and of a plan still
being solved, the API document, and ``ballot-routing papers`` writing one file per vessel."""

from __future__ import annotations

import io
import json
import re
import tomllib
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app.auth import create_key
from app.config import Settings
from app.main import create_app
from routing.inputs.fleet import load_class_names
from tests.app.conftest import wait_done
from tests.app.test_cli import run
from tests.conftest import DATA

BODY = {"bundled": "pemilu2024", "iterations": 100, "seed": 1}


@pytest.fixture(scope="module")
def service(tmp_path_factory, network_cache: Path) -> Iterator[tuple[TestClient, dict, dict]]:
    """The app on a SQLite file with a finished plan; its client reads with a viewer key."""
    url = f"sqlite:///{tmp_path_factory.mktemp('papers')}/api.db"
    settings = Settings(data_dir=DATA, cache_dir=network_cache, database_url=url)
    with TestClient(create_app(settings)) as client:
        planner = {"X-API-Key": create_key(url, "planner")}
        client.headers["X-API-Key"] = create_key(url, "viewer")
        r = client.post("/plans", json=BODY, headers=planner)
        assert r.status_code == 202, r.text
        plan = wait_done(client, r.headers["location"], planner)
        assert plan["phase"] == "completed", plan
        yield client, planner, plan


def test_html_and_pdf_of_each_language_for_a_finished_plan(service) -> None:
    client, _, plan = service
    voyage = max(plan["result"]["voyages"], key=lambda v: len(v["stops"]))
    base = f"/plans/{plan['id']}/papers/{voyage['vessel_id']}"
    village = next(
        item["village_name"]
        for s in voyage["stops"]
        if s["kind"] == "landing"
        for item in s["manifest"]
    )
    for lang, title, handover in (
        ("id", "Surat Jalan Pelayaran", "Berita Acara Serah Terima"),
        ("en", "Voyage Papers", "Handover record"),
    ):
        html = client.get(base, params={"lang": lang})
        assert html.status_code == 200, html.text
        assert html.headers["content-type"].startswith("text/html")
        assert f'<html lang="{lang}">' in html.text
        assert title in html.text and handover in html.text and village in html.text
        assert voyage["vessel_name"] in html.text
        assert f"plan={plan['id']}" in html.text  # the QR codes name the plan by its id
        pdf = client.get(f"{base}.pdf", params={"lang": lang})
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("inline; filename=")
        text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert title.upper() in text and voyage["vessel_name"] in text
    assert "Surat Jalan" in client.get(base).text  # Indonesian by default


def test_the_papers_keep_to_the_plans_own_handover_hours_and_name_the_class_in_indonesian(
    service,
) -> None:
    """A plan whose scenario hands over from 07:00 to 16:30: every landing of its papers gives
    that window, in each language; the vessel class is named from the catalogue's name_id."""
    client, planner, _ = service
    raw = tomllib.loads((DATA / "scenarios" / "pemilu2024.toml").read_text(encoding="utf-8"))
    raw["daylight"] = {"start": "07:00", "end": "16:30"}
    r = client.post("/plans", json={"scenario": raw, "iterations": 100, "seed": 1}, headers=planner)
    assert r.status_code == 202, r.text
    plan = wait_done(client, r.headers["location"], planner)
    assert plan["phase"] in ("completed", "infeasible"), plan
    voyage = max(plan["result"]["voyages"], key=lambda v: len(v["stops"]))
    landings = sum(1 for s in voyage["stops"] if s["kind"] == "landing")
    base = f"/plans/{plan['id']}/papers/{voyage['vessel_id']}"
    names = load_class_names(DATA / "fleet.toml")[voyage["vessel_class"]]
    for lang, hours in (("id", "07.00-16.30 WIB"), ("en", "07:00-16:30 WIB")):
        html = client.get(base, params={"lang": lang}).text
        windows = re.findall(r'<dd class="window">([^<]+)</dd>', html)
        assert len(windows) == landings and all(w.endswith(hours) for w in windows), windows
        assert f"<dd>{escape(names[lang])}</dd>" in html
        pdf = client.get(f"{base}.pdf", params={"lang": lang}).content
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert text.count(hours) >= landings
    assert names["id"] != voyage["vessel_class_name"] == names["en"]


def test_unknown_plans_vessels_and_languages_are_problems(service) -> None:
    client, _, plan = service
    r = client.get(f"/plans/{plan['id']}/papers/no-such-vessel")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    error = r.json()["errors"][0]
    assert error["code"] == "unknown_vessel" and error["path"] == "/path/vessel_id"
    used = {v["vessel_id"] for v in plan["result"]["voyages"]}
    assert {c["id"] for c in r.json()["candidates"]} == used  # the vessels the plan uses
    assert client.get(f"/plans/{plan['id']}/papers/no-such-vessel.pdf").status_code == 404
    vessel = next(iter(used))
    assert client.get(f"/plans/no-such-plan/papers/{vessel}.pdf").status_code == 404
    r = client.get(f"/plans/{plan['id']}/papers/{vessel}", params={"lang": "fr"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/query/lang"
    no_key = client.get(f"/plans/{plan['id']}/papers/{vessel}", headers={"X-API-Key": ""})
    assert no_key.status_code == 401


def test_a_plan_being_solved_has_no_papers_yet(service) -> None:
    client, planner, plan = service
    r = client.post("/plans", json={**BODY, "iterations": 150_000}, headers=planner)
    url = r.headers["location"]
    vessel = plan["result"]["voyages"][0]["vessel_id"]
    papers = client.get(f"{url}/papers/{vessel}")
    client.post(f"{url}/cancel", headers=planner)
    assert papers.status_code == 409, papers.text
    assert papers.json()["errors"][0]["code"] == "no_result"


def test_a_capacity_plan_has_papers_for_its_plan(service) -> None:
    client, planner, _ = service
    r = client.post("/capacity-plans", json=BODY, headers=planner)
    done = wait_done(client, r.headers["location"], planner)
    vessel = done["result"]["plan"]["voyages"][0]["vessel_id"]
    pdf = client.get(f"/plans/{done['id']}/papers/{vessel}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_api_document_declares_the_papers(service) -> None:
    client, _, _ = service
    paths = client.get("/openapi.json").json()["paths"]
    pdf = paths["/plans/{plan_id}/papers/{vessel_id}.pdf"]["get"]["responses"]
    html = paths["/plans/{plan_id}/papers/{vessel_id}"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"]
    assert "text/html" in html["200"]["content"]
    for responses in (pdf, html):
        assert {"401", "404", "409", "422"} <= set(responses)


def test_the_command_line_writes_papers_per_vessel(service, tmp_path: Path) -> None:
    _, _, plan = service
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan["result"]), encoding="utf-8")
    out = tmp_path / "papers"
    given = ("papers", "--plan", str(plan_file), "--out", str(out))
    done = run(*given, "--format", "both", "--lang", "en")
    assert done.returncode == 0, done.stderr
    written = [Path(line) for line in done.stdout.splitlines()]
    vessels = [v["vessel_id"] for v in plan["result"]["voyages"]]
    assert sorted(p.name for p in written) == sorted(
        f"papers-{v}-en.{ext}" for v in vessels for ext in ("pdf", "html")
    )
    assert all(p.is_file() and p.parent == out for p in written)
    pdf = next(p for p in written if p.suffix == ".pdf")
    assert "VOYAGE PAPERS" in PdfReader(pdf).pages[0].extract_text()
    html = next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "Handover record" in html and f"plan={plan['result']['input_hash']}" in html
    one = run(*given, "--vessel", vessels[0], "--plan-id", plan["id"])
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines() == [str(out / f"papers-{vessels[0]}-id.pdf")]
    assert plan["id"] in PdfReader(one.stdout.strip()).pages[0].extract_text()  # --plan-id
    bad = run(*given, "--vessel", "nope")
    assert bad.returncode == 2 and "no vessel with id 'nope'" in bad.stderr and not bad.stdout
