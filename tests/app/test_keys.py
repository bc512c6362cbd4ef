"""API keys: issued, listed and revoked by planners (API and command line), optional expiry;
a revoked key is refused within a second by every worker; keys never reach the log."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from app import auth
from app.keys import service as key_service
from testkit import localserver
from tests.conftest import DATA


def test_planners_issue_list_and_revoke_keys(service) -> None:
    client, keys = service
    planner = keys["planner"]
    r = client.post(
        "/keys",
        json={"role": "field", "name": "KAL 28 crew", "expires_in_s": 3600},
        headers=planner,
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["key"].startswith("ibr_") and issued["state"] == "active"
    assert issued["expires_at"] > issued["created_at"]
    field = {"X-API-Key": issued["key"]}
    assert client.get("/plans", headers=field).status_code == 200
    listed = client.get("/keys", headers=planner).json()["keys"]
    mine = next(k for k in listed if k["id"] == issued["id"])
    assert mine["name"] == "KAL 28 crew" and "key" not in mine and "key_hash" not in mine
    assert client.get("/keys", headers=keys["viewer"]).status_code == 403
    assert client.post("/keys", json={"role": "field"}, headers=field).status_code == 403
    assert client.post("/keys", json={"role": "root"}, headers=planner).status_code == 422
    r = client.post("/keys", json={"role": "field", "expires_in_s": 10**12}, headers=planner)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/expires_in_s"

    r = client.delete(f"/keys/{issued['id']}", headers=planner)
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert client.delete(f"/keys/{issued['id']}", headers=planner).status_code == 200
    assert client.delete("/keys/nope", headers=planner).status_code == 404
    time.sleep(1.05)  # the longest a worker may keep a key's record
    r = client.get("/plans", headers=field)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_an_expired_key_is_refused(service, database: str) -> None:
    client, _ = service
    key, record = key_service.issue_key(database, "viewer", lifetime=timedelta(days=1))
    assert client.get("/plans", headers={"X-API-Key": key}).status_code == 200
    engine = sa.create_engine(database)
    with engine.begin() as conn:  # a day later
        conn.execute(
            sa.text("update api_keys set expires_at = :t where id = :i"),
            {"t": time.time() - 1, "i": record.id},
        )
    engine.dispose()
    time.sleep(auth.KNOWN_FOR_S + 0.05)  # the longest a worker may keep a key's record
    r = client.get("/plans", headers={"X-API-Key": key})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    assert record.state(record.expires_at + 1 if record.expires_at else 0) == "expired"


def _env(tmp_path: Path, network_cache: Path) -> dict[str, str]:
    return dict(
        os.environ,
        BALLOT_DATABASE_URL=f"sqlite:///{tmp_path}/keys.db",
        BALLOT_CACHE_DIR=str(network_cache),
        BALLOT_DATA_DIR=str(DATA),
    )


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [localserver.executable(), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_a_revoked_key_is_refused_within_a_second_by_two_workers(
    tmp_path: Path, network_cache: Path
) -> None:
    env = _env(tmp_path, network_cache)
    viewer = _cli(env, "keys", "create", "--role", "viewer", "--name", "dashboard").strip()
    key_id = next(
        line.split(",")[0] for line in _cli(env, "keys", "list").splitlines() if "dashboard" in line
    )
    headers = {"X-API-Key": viewer}
    with localserver.serving(env, workers=2) as base, httpx.Client(base_url=base) as client:
        # Warm both workers' key records (connections spread over the workers).
        for _ in range(40):
            with httpx.Client(base_url=base) as fresh:
                assert fresh.get("/plans", headers=headers).status_code == 200
        assert "revoked" in _cli(env, "keys", "revoke", key_id)
        revoked_at = time.monotonic()
        time.sleep(1.0)
        codes = []
        for _ in range(40):
            with httpx.Client(base_url=base) as fresh:
                codes.append(fresh.get("/plans", headers=headers).status_code)
        assert time.monotonic() - revoked_at < 10
        assert set(codes) == {401}, codes
        assert client.get("/healthz").status_code == 200
    listed = _cli(env, "keys", "list")
    assert f"{key_id},viewer,dashboard" in listed and listed.strip().endswith("revoked")


def test_keys_in_a_query_string_are_refused_and_kept_out_of_the_log(
    tmp_path: Path, network_cache: Path
) -> None:
    env = _env(tmp_path, network_cache)
    viewer = _cli(env, "keys", "create", "--role", "viewer").strip()
    port = localserver.free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [localserver.executable(), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            end = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    assert time.monotonic() < end, "the server did not start"
                    time.sleep(0.3)
            assert httpx.get(f"{base}/plans", params={"api_key": viewer}).status_code == 401
            assert httpx.get(f"{base}/plans", params={"key": viewer}).status_code == 401
            assert httpx.get(f"{base}/plans?token={viewer}&limit=5").status_code == 401
            assert httpx.get(f"{base}/plans", headers={"X-API-Key": viewer}).status_code == 200
        finally:
            localserver.stop(proc)
    text = log.read_text()
    assert "GET /plans?api_key=" in text, text  # the request is logged ...
    assert viewer not in text and viewer[4:] not in text  # ... without the key
    assert "[redacted]" in text
