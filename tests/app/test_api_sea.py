from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_vessel_classes(client: TestClient) -> None:
    classes = client.get("/vessel-classes").json()
    ids = {c["id"] for c in classes}
    assert {
        "lst_teluk_bintuni",
        "pc40",
        "kal28",
        "sabuk_nusantara",
        "regency_ferry",
        "motor_boat",
    } == ids
    for c in classes:
        assert c["draft_m"] > 0 and c["speed_kn"] > 0 and c["clearance_m"] >= 100
        assert all(
            s["status"] in ("verified", "derived", "assumed") and s["source"]
            for s in c["sources"].values()
        )
    assert client.get("/vessel-classes/none").status_code == 404


def test_sea_route_by_depot_and_village_code(client: TestClient) -> None:
    r = client.get(
        "/sea-routes",
        params={"from": "kalianget", "to": "35.29.23.2002", "vessel_class": "sabuk_nusantara"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    f = r.json()
    assert f["type"] == "Feature" and f["geometry"]["type"] == "LineString"
    props = f["properties"]
    assert props["to"] == "port-mes" and props["to_query"] == "35.29.23.2002"
    assert abs(props["distance_nm"] - 112) / 112 <= 0.15
    assert props["duration_h"] == pytest.approx(props["distance_nm"] / 12, abs=0.02)
    assert props["from_snap_m"] > 0 and props["to_snap_m"] > 0
    assert f["geometry"]["coordinates"][0] == pytest.approx([113.945107, -7.056877])


def test_sea_route_errors_are_problem_json(client: TestClient) -> None:
    base = {"from": "kalianget", "to": "port-mes", "vessel_class": "pc40"}
    r = client.get("/sea-routes", params={**base, "to": "atlantis"})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "unknown_place"
    r = client.get("/sea-routes", params={**base, "vessel_class": "canoe"})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "unknown_vessel_class"
    r = client.get("/sea-routes", params={**base, "to": "35.29.01.1015"})  # a mainland village
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "no_sea_path"
    assert r.headers["content-type"] == "application/problem+json"
    r = client.get("/sea-routes", params={**base, "to": "kalianget"})
    assert r.status_code == 422 and "same place" in r.json()["detail"]
    r = client.get("/sea-routes", params={"from": "kalianget"})
    assert r.status_code == 422 and {e["path"] for e in r.json()["errors"]} == {
        "/query/to",
        "/query/vessel_class",
    }


def test_matrix_json_and_csv(client: TestClient) -> None:
    m = client.get("/matrices/regency_ferry").json()
    k = len(m["ids"])
    assert k == 88 and m["unreachable_pairs"] == 0
    assert len(m["distance_m"]) == k and all(len(row) == k for row in m["duration_s"])
    i, j = m["ids"].index("kalianget"), m["ids"].index("port-kng")
    assert m["distance_m"][i][j] > 100_000
    r = client.get("/matrices/regency_ferry", params={"format": "csv"})
    lines = r.text.strip().splitlines()
    assert lines[0] == "from,to,distance_nm,duration_h,reachable"
    assert len(lines) == 1 + k * (k - 1)
    assert client.get("/matrices/regency_ferry", params={"format": "xml"}).status_code == 422
    assert client.get("/matrices/zeppelin").status_code == 404


def test_sea_route_by_name_says_which_landing(client: TestClient) -> None:
    r = client.get(
        "/sea-routes",
        params={"from": "kalianget", "to": "masalembo", "vessel_class": "sabuk_nusantara"},
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["to"] == "port-mes" and props["to_query"] == "masalembo"
    to = props["to_resolved"]
    assert to["id"] == "port-mes" and to["name"] == "Masalembo (MES)"
    assert to["matched"] == "landing" and "Masalembo (MES)" in to["note"]
    assert props["from_resolved"]["matched"] == "id" and props["from"] == "kalianget"
    r = client.get(
        "/sea-routes",
        params={"from": "Kalianget", "to": "Masalembu", "vessel_class": "sabuk_nusantara"},
    )
    assert r.status_code == 200, r.text
    to = r.json()["properties"]["to_resolved"]
    assert (to["id"], to["matched"], to["matched_name"]) == ("port-mes", "district", "Masalembu")


def test_unknown_or_ambiguous_place_names_list_candidates(client: TestClient) -> None:
    base = {"from": "kalianget", "vessel_class": "sabuk_nusantara"}
    r = client.get("/sea-routes", params={**base, "to": "masalembx"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["errors"][0]["code"] == "unknown_place"
    assert body["errors"][0]["path"] == "/query/to"
    assert "did you mean" in body["detail"] and "Masalemb" in body["detail"]
    assert {"Masalembu", "Masalembo (MES)"} & {c["name"] for c in body["candidates"]}
    assert all({"name", "kind", "id"} <= set(c) for c in body["candidates"])
    r = client.get("/sea-routes", params={**base, "from": "Desa Poteran", "to": "port-mes"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["errors"][0] == {
        "code": "ambiguous_place",
        "path": "/query/from",
        "message": body["detail"],
    }
    assert {c["id"] for c in body["candidates"]} == {"35.29.04.2006", "35.29.22.2006"}
    # A place that exists but cannot be reached by sea, and an empty name: 422 naming the field.
    r = client.get("/sea-routes", params={**base, "to": "Kepanjin"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/query/to"
    assert r.json()["errors"][0]["code"] == "no_sea_path"
    # The place at fault is named alone, not as a path from it to itself.
    assert r.json()["detail"].startswith("'Kepanjin' cannot be reached by sea: "), r.json()
    r = client.get("/sea-routes", params={**base, "to": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/query/to"
