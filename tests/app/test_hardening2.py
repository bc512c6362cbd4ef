"""Hardening, second round (issue 26): each case is a finding of an adversary's probes against
the service, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

from app.errors import MAX_LISTED

PROBLEM_JSON = "application/problem+json"


def test_a_body_of_many_unknown_keys_gets_the_first_problems_and_their_count(service) -> None:
    """90,000 unknown keys (about 1 MB) are answered with the first 50 problems and how many
    there were, not an answer seven times the body's size; the same for a field key posting to
    an unknown plan."""
    client, keys = service
    body = json.dumps({f"k{i}": 0 for i in range(90_000)}, separators=(",", ":"))
    for url, key in (("/plans", keys["planner"]), ("/plans/nope/events", keys["field"])):
        r = client.post(url, content=body, headers={**key, "Content-Type": "application/json"})
        assert r.status_code == 422, (url, r.text[:300])
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        problem = r.json()
        assert len(problem["errors"]) == MAX_LISTED, url
        assert problem["errors_total"] >= 90_000, url
        assert str(problem["errors_total"]) in problem["detail"]
        assert all(e["path"] and e["code"] for e in problem["errors"])
        assert len(r.content) < 20_000, (url, len(r.content))


def test_a_few_problems_are_all_listed_without_a_total(service) -> None:
    client, keys = service
    bad = {"bundled": "pemilu2024", "seed": "x", "wait": -1}
    r = client.post("/plans", json=bad, headers=keys["planner"])
    assert r.status_code == 422
    problem = r.json()
    assert {e["path"] for e in problem["errors"]} >= {"/seed", "/wait"}, problem
    assert "errors_total" not in problem
