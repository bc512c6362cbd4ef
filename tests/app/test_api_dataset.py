from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["villages"] == 334


def test_islands_geojson_and_filters(client: TestClient) -> None:
    r = client.get("/islands")
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    codes = {f["properties"]["code"] for f in fc["features"]}
    assert {f"35.29.{40000 + n}" for n in range(1, 120)} <= codes
    inhabited = client.get("/islands", params={"inhabited": "true"}).json()["features"]
    assert len(inhabited) >= 38 and all(f["properties"]["inhabited"] for f in inhabited)
    sapeken = client.get("/islands", params={"district": "sapeken"}).json()["features"]
    assert sapeken and all("Sapeken" in f["properties"]["districts"] for f in sapeken)
    assert len(sapeken) < len(fc["features"])


def test_island_by_code_and_unknown_code(client: TestClient) -> None:
    f = client.get("/islands/35.29.40081").json()
    assert f["properties"]["name"] == "Pulau Sapudi" and f["geometry"]["type"] == "Polygon"
    r = client.get("/islands/35.29.49999")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["code"] == "unknown_island"


def test_villages_with_demand(client: TestClient) -> None:
    body = client.get("/villages", params={"sea": "true"}).json()
    assert body["count"] == 88
    assert all(v["sea"] and v["landing_point"]["id"] for v in body["villages"])
    v = client.get("/villages/35.29.23.2004").json()
    assert v["name"] == "Kramian" and v["tps"] == 15 and v["weight_kg"] > 0
    assert v["landing_point"]["source"] == "registry_port"
    r = client.get("/villages/nope")
    assert r.status_code == 404 and r.json()["title"] == "Not Found"


def test_bad_query_is_problem_json(client: TestClient) -> None:
    r = client.get("/villages", params={"sea": "maybe"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "/query/sea"


def test_depots(client: TestClient) -> None:
    ids = {f["id"] for f in client.get("/depots").json()["features"]}
    assert {"kalianget", "dungkek"} <= ids


def test_openapi_describes_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/islands",
        "/islands/{code}",
        "/villages",
        "/villages/{code}",
        "/depots",
        "/healthz",
    } <= set(paths)
