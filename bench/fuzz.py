"""Randomised API fuzz with schemathesis, on SQLite and PostgreSQL (run by hand, not in CI).

    .venv/bin/python bench/fuzz.py [--databases sqlite,postgresql] [--examples 50] [--seed N]
                                   [--workers 2] [--plan-share 0.5] [--out DIR] [--timeout 3600]

For each database (a SQLite file in a new folder; a new schema of the PostgreSQL database on
127.0.0.1:5432, dropped afterwards) it starts `ballot-routing serve` as a separate process on a
free loopback port (its output in `server.log`), creates one key per role, plans the bundled
2024 scenario once (so that a completed plan exists), then runs

    schemathesis run http://127.0.0.1:PORT/openapi.json --checks all --max-examples N --seed S
                     --continue-on-failure ...

over every operation, in every phase (examples, coverage, fuzzing, stateful). An operation
without parameters has a single distinct request, so it gets far fewer than N. Each request
carries the key its operation needs (a configuration file with per-operation headers): the field
key for POST /plans/{plan_id}/events, the planner key for everything else (writes, the key list;
it may also read). A share (--plan-share) of the schema-valid generated requests that name a
plan_id are aimed at the completed plan, since random ids only reach 404. The seed is random
unless given, and printed: the same seed replays the same generated requests (the server's
state, and so some answers, may differ).

Counts come from schemathesis itself: this file is also loaded into the schemathesis process as
its hooks module (SCHEMATHESIS_HOOKS), where an `after_call` hook writes one line per answered
request to `calls.ndjson` (with the whole request for a 5xx); the failing checks are read from its
NDJSON report (one per failing response and check) and JSON report (distinct failures). Prints one
row per database: operations tested, requests, 5xx, no answer (network errors), the other check
failures by check name, wall time; then each distinct 5xx request, the exceptions in the
server's log, the distinct failures, and each failure of the checks that the API document and
the service agree (positive_data_acceptance: a request the document allows was refused;
response_schema_conformance) by operation, status and the problems the answer named. Exits 1
if any answer was a 5xx or a run did not complete. Everything stays on 127.0.0.1; every wait is
bounded.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_BASE = "postgresql+psycopg://root@127.0.0.1:5432/test"
CALLS_ENV = "BALLOT_FUZZ_CALLS"  # where the hooks write, in the schemathesis process
PLAN_ENV = "BALLOT_FUZZ_PLAN"  # the completed plan's id, its share and the seed (hooks)
KEY_HEADER = "X-API-Key"
STREAM_READ_S = 5  # a status stream is read this long at most (its first status comes at once)


# --- the hooks, run inside `schemathesis run` --------------------------------------------------


def _install_hooks() -> None:
    import schemathesis

    # A timetable feed is sent as a zip: generated as the binary string its schema declares.
    schemathesis.serializer.alias("application/zip", "application/octet-stream")
    out = Path(os.environ[CALLS_ENV])
    plan_id, share, seed = json.loads(os.environ[PLAN_ENV])
    lock = threading.Lock()
    rng = random.Random(seed)

    def write(line: dict[str, Any]) -> None:
        with lock, out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")

    def request_line(case: Any, request: Any) -> dict[str, Any]:
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        headers = {k: v for k, v in request.headers.items() if k.lower() != KEY_HEADER.lower()}
        meta = case.meta
        return {
            "operation": case.operation.label,
            "method": request.method,
            "url": request.url,
            "headers": headers,
            "body": None if body is None else body.decode("utf-8", "backslashreplace")[:4000],
            "phase": None if meta is None else str(meta.phase.name.value),
            "at": time.time(),
        }

    @schemathesis.hook
    def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        """Aim a share of the schema-valid generated requests with a ``plan_id`` at the completed
        plan (random ids only ever reach 404); the stateful phase follows its own links."""
        meta = case.meta
        if (
            meta is None
            or "plan_id" not in (case.path_parameters or {})
            or meta.phase.name.value == "stateful"
            or meta.generation.mode.value != "positive"
        ):
            return
        with lock:
            hit = rng.random() < share
        if hit:
            case.path_parameters["plan_id"] = plan_id

    @schemathesis.hook
    def after_call(context: Any, case: Any, response: Any) -> None:
        line: dict[str, Any] = {
            "operation": case.operation.label,
            "url": response.request.url,
            "status": response.status_code,
        }
        if response.status_code >= 500:
            line.update(request_line(case, response.request), response=response.text[:2000])
        write(line)

    @schemathesis.hook
    def after_network_error(context: Any, case: Any, request: Any) -> None:
        write({**request_line(case, request), "status": 0})


# --- the benchmark -----------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of printable ASCII is a TOML basic string


def write_config(path: Path, keys: dict[str, str]) -> None:
    """A schemathesis configuration: the planner key on every request, the field key on field
    events (an operation's headers replace the project's of the same name; one filter, by name,
    since separate include-method and include-path filters match either); a status stream read
    to its first event, STREAM_READ_S at most (it runs until the service stops: each read would
    otherwise take the whole request timeout)."""
    path.write_text(
        f"headers = {{ {_toml_string(KEY_HEADER)} = {_toml_string(keys['planner'])} }}\n\n"
        "[[operations]]\n"
        'include-name = "POST /plans/{plan_id}/events"\n'
        f"headers = {{ {_toml_string(KEY_HEADER)} = {_toml_string(keys['field'])} }}\n\n"
        "[[operations]]\n"
        'include-name = "GET /plans/{plan_id}/status/stream"\n'
        "max-stream-events = 1\n"
        f"request-timeout = {STREAM_READ_S}\n",
        encoding="utf-8",
    )


def database_url(name: str, folder: Path) -> tuple[str, str | None]:
    """The URL to serve from, and the PostgreSQL schema created for it (None for SQLite)."""
    if name == "sqlite":
        return f"sqlite:///{folder}/fuzz.db", None
    import sqlalchemy as sa

    schema = f"fuzz_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_BASE)
    with engine.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    engine.dispose()
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_BASE)
    with engine.begin() as conn:
        conn.execute(sa.text(f'drop schema "{schema}" cascade'))
    engine.dispose()


def server_exceptions(log: Path) -> Counter[str]:
    """The exception (last line) of each traceback in the server's log: the app's 500 handler
    logs one ("unhandled error"); the server's copy of the same ("Application callable raised
    an exception": Starlette re-raises after the 500) is not counted again."""
    found: Counter[str] = Counter()
    if not log.exists():
        return found
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    in_trace = False
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last):"):
            in_trace = not (i and "Application callable raised an exception" in lines[i - 1])
        elif in_trace and line and not line.startswith((" ", "\t", "^", "~")):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not following.startswith(("During handling", "The above exception")):
                found[line] += 1
                in_trace = False
    return found


# The checks that say whether the API document and the service agree: each of their failures is
# listed by operation, status and the problems the answer named.
CONFORMANCE = ("positive_data_acceptance", "response_schema_conformance")


def _content(value: Any) -> str:
    """A body as the NDJSON report stores it (text, or ``{"$base64": ...}``)."""
    if isinstance(value, dict) and "$base64" in value:
        return base64.b64decode(value["$base64"]).decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _refusal(check: dict[str, Any], interaction: dict[str, Any]) -> tuple[str, str, str, str]:
    """(check, operation, status, the problems' codes at their paths, list indices as N)."""
    failure = (check.get("failure_info") or {}).get("failure") or {}
    response = interaction.get("response") or {}
    try:
        errors = json.loads(_content(response.get("content"))).get("errors") or []
        named = sorted({f"{e['code']} at {re.sub(r'/[0-9]+', '/N', e['path'])}" for e in errors})
    except (ValueError, AttributeError, KeyError, TypeError):
        named = []
    return (
        check["name"],
        failure.get("operation", ""),
        str(response.get("status_code", "")),
        "; ".join(named)[:300],
    )


def check_failures(
    report_dir: Path,
) -> tuple[Counter[str], int, dict[str, Any], Counter[tuple[str, str, str, str]]]:
    """Failing responses per check name (NDJSON report), their distinct failures (code, title,
    operation), the JSON report's summary, and the conformance checks' failures by operation,
    status and the problems named."""
    by_check: Counter[str] = Counter()
    distinct: set[tuple[str, str, str]] = set()
    refused: Counter[tuple[str, str, str, str]] = Counter()
    for ndjson in report_dir.glob("*.ndjson"):
        for raw in ndjson.read_text(encoding="utf-8").splitlines():
            event = json.loads(raw).get("ScenarioFinished")
            if not event:
                continue
            interactions = event["recorder"].get("interactions", {})
            for case_id, checks in event["recorder"].get("checks", {}).items():
                for check in checks:
                    if check["status"] != "failure":
                        continue
                    by_check[check["name"]] += 1
                    if check["name"] in CONFORMANCE:
                        refused[_refusal(check, interactions.get(case_id) or {})] += 1
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    distinct.add(
                        (
                            failure.get("code", ""),
                            failure.get("title", ""),
                            failure.get("operation", ""),
                        )
                    )
    summary: dict[str, Any] = {}
    for report in report_dir.glob("*.json"):
        summary = json.loads(report.read_text(encoding="utf-8"))
    return by_check, len(distinct), summary, refused


def run_one(name: str, args: argparse.Namespace, out: Path, cache: Path) -> dict[str, Any]:
    import httpx

    from testkit import localserver

    folder = out / name
    folder.mkdir(parents=True)
    url, schema = database_url(name, folder)
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=url,
        BALLOT_DATA_DIR=str(ROOT / "data"),
        BALLOT_CACHE_DIR=str(cache),
    )
    env.pop("DATABASE_URL", None)
    calls = folder / "calls.ndjson"
    calls.touch()
    reports = folder / "reports"
    log = folder / "server.log"
    t0 = time.monotonic()
    try:
        keys = localserver.create_keys(env)
        write_config(folder / "schemathesis.toml", keys)
        with localserver.serving(env, log=log) as base:
            plan = localserver.completed_plan(base, keys)
            operations = sum(
                1
                for item in httpx.get(f"{base}/openapi.json", timeout=30).json()["paths"].values()
                for method in item
                if method in ("get", "put", "post", "delete", "patch", "head", "options")
            )
            command = [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file", str(folder / "schemathesis.toml"),
                "run", f"{base}/openapi.json",
                "--checks", "all",
                "--max-examples", str(args.examples),
                "--seed", str(args.seed),
                "--workers", str(args.workers),
                "--continue-on-failure",
                "--suppress-health-check", "all",
                "--generation-database", "none",
                "--request-timeout", "60",
                "--report", "json,ndjson",
                "--report-dir", str(reports),
                "--no-color",
            ]  # fmt: skip
            st_env = dict(env, SCHEMATHESIS_HOOKS=str(Path(__file__).resolve()))
            st_env[CALLS_ENV] = str(calls)
            st_env[PLAN_ENV] = json.dumps([plan["id"], args.plan_share, args.seed])
            with (folder / "schemathesis.txt").open("wb") as st_out:
                try:
                    st = subprocess.run(
                        command,
                        env=st_env,
                        cwd=folder,
                        stdout=st_out,
                        stderr=subprocess.STDOUT,
                        timeout=args.timeout,
                    )
                    st_code: int | str = st.returncode
                except subprocess.TimeoutExpired:
                    st_code = f"timed out after {args.timeout:g} s"
    finally:
        if schema:
            drop_schema(schema)
    wall = time.monotonic() - t0
    lines = [json.loads(line) for line in calls.read_text(encoding="utf-8").splitlines()]
    by_check, distinct, summary, refused = check_failures(reports)
    return {
        "database": name,
        "plan": plan["id"],
        "operations": operations,
        "tested": summary.get("operations", {}).get("tested"),
        "requests": sum(1 for c in lines if c["status"]),
        "on_plan": sum(1 for c in lines if c["status"] and f"/plans/{plan['id']}" in c["url"]),
        "server_errors": [c for c in lines if c["status"] >= 500],
        "server_error_checks": by_check["not_a_server_error"],
        "no_answer": [c for c in lines if c["status"] == 0],
        "statuses": Counter(c["status"] for c in lines),
        "by_check": by_check,
        "distinct_failures": distinct,
        "refused": refused,
        "failures": summary.get("failures", []),
        "complete": summary.get("complete", False) and isinstance(st_code, int) and st_code < 2,
        "schemathesis_exit": st_code,
        "exceptions": server_exceptions(log),
        "folder": folder,
        "wall_s": wall,
    }


def print_results(results: list[dict[str, Any]]) -> None:
    header = ("database", "operations", "requests", "5xx", "no answer", "check failures", "wall_s")
    rows = []
    for r in results:
        checks = ", ".join(
            f"{name} {n}"
            for name, n in sorted(r["by_check"].items())
            if name != "not_a_server_error"
        )
        rows.append(
            (
                r["database"],
                f"{r['tested']}/{r['operations']}",
                str(r["requests"]),
                str(len(r["server_errors"])),
                str(len(r["no_answer"])),
                checks or "none",
                f"{r['wall_s']:.0f}",
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    for r in results:
        print(
            f"\n{r['database']}: statuses {dict(sorted(r['statuses'].items()))}; "
            f"{r['on_plan']} requests on the completed plan {r['plan']}; "
            f"{r['server_error_checks']} failed not_a_server_error checks; "
            f"{r['distinct_failures']} distinct check failures; schemathesis exit "
            f"{r['schemathesis_exit']}{'' if r['complete'] else ' (run INCOMPLETE)'}; "
            f"output, reports, calls and server log in {r['folder']}"
        )
        seen: set[tuple[str, str | None]] = set()
        for c in r["server_errors"] + r["no_answer"]:
            if (c["operation"], c.get("body")) in seen:
                continue
            seen.add((c["operation"], c.get("body")))
            print(f"  {c['status'] or 'no answer'} {c['method']} {c['url']} ({c['phase']})")
            if c.get("body"):
                print(f"      body: {c['body']}")
        for exc, n in r["exceptions"].most_common():
            print(f"  server log: {n} x {exc}")
        for f in r["failures"]:
            print(f"  {f['code']} {f['title']} ({f['count']}): {', '.join(f['operations'])}")
        if r["refused"]:
            print(f"  {' and '.join(CONFORMANCE)} failures by operation, status, problems:")
        for (check, op, status, named), n in sorted(r["refused"].items()):
            print(f"    {n:5d}  {op}  {status}  {named or '-'}  ({check})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--databases", default="sqlite,postgresql", help="comma-separated")
    ap.add_argument("--examples", type=int, default=50, help="max examples per operation")
    ap.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    ap.add_argument("--workers", type=int, default=2, help="concurrent schemathesis workers")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per database at most")
    ap.add_argument(
        "--plan-share",
        type=float,
        default=0.5,
        help="share of the schema-valid requests with a plan_id sent to the completed plan",
    )
    ap.add_argument("--out", type=Path, default=None, help="default: a new temporary folder")
    args = ap.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown or not databases:
        ap.error(f"--databases: sqlite and/or postgresql, not {', '.join(sorted(unknown))}")
    if args.examples < 1:
        ap.error("--examples must be at least 1")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    out = args.out or Path(tempfile.mkdtemp(prefix="fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    cache = ROOT / "var" / "cache" if (ROOT / "var" / "cache").is_dir() else out / "cache"
    print(
        f"seed {args.seed}, {args.examples} examples per operation, {args.workers} worker(s), "
        f"databases {', '.join(databases)}, output in {out}, sea-network cache {cache}",
        flush=True,
    )
    results = []
    for name in databases:
        results.append(run_one(name, args, out, cache))
        print(f"{name}: done in {results[-1]['wall_s']:.0f} s", flush=True)
    print()
    print_results(results)
    bad = any(r["server_errors"] or r["server_error_checks"] for r in results) or not all(
        r["complete"] for r in results
    )
    sys.exit(1 if bad else 0)


if __name__ == "_schemathesis_hooks":  # loaded by `schemathesis run` through SCHEMATHESIS_HOOKS
    _install_hooks()
elif __name__ == "__main__":
    main()
