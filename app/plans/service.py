"""Plans: queue, read, wait for, cancel; the plan's files. The job that solves a queued plan is
``app.jobs.work``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

import routing.domain
from app import db
from app.config import Settings
from app.exceptions import Conflict
from app.live import changes
from app.scenarios import service as scenarios
from routing.errors import DataError, Issue, NotFound
from routing.plandoc import PlanDocument
from routing.replan import apply_change

log = logging.getLogger(__name__)
WAIT_STEP_S = 0.25  # how often a waiting request looks at its plan again
DOCUMENTS_KEPT = 16  # parsed plan documents kept per process (a large plan's is some MB)


@dataclass(frozen=True)
class Budget(routing.domain.Budget):
    """A plan's budget (``routing.domain.Budget``) and how long its request waits for it."""

    wait: float = 0.0


def check_budget(settings: Settings, budget: Budget, *, wait_path: str = "/wait") -> None:
    """A budget within the service's limits (``GET /limits``), or every excess at once."""
    problems = []
    if budget.seconds is not None and budget.seconds > settings.max_plan_seconds:
        problems.append(
            Issue(
                "over_limit", "/seconds", f"at most {settings.max_plan_seconds:g} s (GET /limits)"
            )
        )
    if budget.iterations is not None and budget.iterations > settings.max_plan_iterations:
        problems.append(
            Issue(
                "over_limit", "/iterations", f"at most {settings.max_plan_iterations} (GET /limits)"
            )
        )
    if budget.wait > settings.max_wait_s:
        problems.append(
            Issue("over_limit", wait_path, f"at most {settings.max_wait_s:g} s (GET /limits)")
        )
    if problems:
        raise DataError(problems, source="request")


def requested(
    settings: Settings,
    *,
    scenario: dict[str, Any] | None,
    scenario_id: str | None,
    bundled: str | None,
    direction: str | None = None,
) -> tuple[dict[str, Any], str]:
    """The scenario a request names (inline, stored by id, or bundled by name), with the
    request's direction; and where an inline scenario sits in the request (for the paths of its
    problems)."""
    given = [x for x in (scenario, scenario_id, bundled) if x is not None]
    if len(given) != 1:
        why = "give exactly one of scenario, scenario_id or bundled"
        raise DataError([Issue("bad_value", "/scenario", why)], source="request")
    if scenario is not None:
        raw = scenario
    elif scenario_id is not None:
        raw = scenarios.stored(settings, scenario_id)
    else:
        assert bundled is not None
        raw = scenarios.bundled(settings, bundled)
    if direction is not None:
        raw = {**raw, "direction": direction}
    return raw, "/scenario" if scenario is not None else ""


def validate(settings: Settings, raw: dict[str, Any], *, prefix: str = "") -> str:
    """Every problem with a scenario at once (``DataError``), or its name."""
    return scenarios.checked(settings, raw, prefix=prefix).name


def queue(
    settings: Settings,
    *,
    kind: str,
    raw: dict[str, Any],
    budget: Budget,
    scenario_id: str | None = None,
    fixed_cost: int = 0,
    prefix: str = "",
    parent_id: str | None = None,
    replan: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
) -> str:
    """Check the scenario in full and store a queued plan; its id. The job runner is woken by
    the caller. ``target``: plan to a target chance on time (``routing.risk.robust``)."""
    name = scenarios.checked(settings, raw, prefix=prefix).name
    plan_id = str(uuid.uuid4())
    t = db.now()
    with db.write(db.engine_for(settings.database)) as conn:
        conn.execute(
            insert(db.plans).values(
                id=plan_id,
                kind=kind,
                scenario_id=scenario_id,
                scenario_name=name,
                scenario_body=json.dumps(raw),
                seed=budget.seed,
                seconds=budget.wall_s,
                iterations=budget.iterations,
                fixed_cost_idr=fixed_cost,
                phase="queued",
                elapsed_s=0.0,
                cancel_requested=False,
                attempts=0,
                version=0,
                created_at=t,
                updated_at=t,
                parent_id=parent_id,
                replan=json.dumps(replan) if replan is not None else None,
                target=json.dumps(target) if target is not None else None,
            )
        )
    return plan_id


def row(settings: Settings, plan_id: str) -> Any:
    """A plan's stored row; ``NotFound`` when there is none."""
    with db.engine_for(settings.database).connect() as conn:
        found = conn.execute(select(db.plans).where(db.plans.c.id == plan_id)).first()
    if found is None:
        raise NotFound("plan", plan_id)
    return found


def finished(settings: Settings, plan_id: str) -> Any:
    """A plan's row once it has a result; ``Conflict`` before."""
    found = row(settings, plan_id)
    if found.result is None:
        why = f"plan {plan_id} is {found.phase}; it has no result yet"
        raise Conflict("no_result", "", why)
    return found


def document(found: Any) -> PlanDocument:
    """The plan document of a finished plan's row (a capacity plan's is inside its report)."""
    result = json.loads(found.result)
    return stored_document(result.get("plan", result), found.id)


def stored_document(raw: dict[str, Any], plan_id: str) -> PlanDocument:
    """A stored plan document, read back. One that no longer reads is the service's fault
    (a document written by another version), never the caller's: it is logged and raised as
    such, not answered as invalid input."""
    try:
        return PlanDocument.from_json(raw)
    except DataError as exc:
        log.error("the stored document of plan %s does not read back: %s", plan_id, exc)
        raise StoredDocumentError(plan_id) from exc


_DOCUMENTS: OrderedDict[tuple[str, str, float], PlanDocument] = OrderedDict()
_DOCUMENTS_LOCK = threading.Lock()


def finished_document(settings: Settings, plan_id: str) -> PlanDocument:
    """The plan document of a finished plan, read and parsed once per process (``Conflict``
    before it has a result, ``NotFound`` for no plan): what every field event is checked
    against, without reading the plan's files or parsing its document again."""
    p = db.plans
    with db.engine_for(settings.database).connect() as conn:
        found = conn.execute(
            select(p.c.phase, p.c.updated_at, p.c.result.is_not(None).label("done")).where(
                p.c.id == plan_id
            )
        ).first()
        if found is None:
            raise NotFound("plan", plan_id)
        if not found.done:
            why = f"plan {plan_id} is {found.phase}; it has no result yet"
            raise Conflict("no_result", "", why)
        return document_of(conn, plan_id, found.updated_at)


def document_of(conn: Connection, plan_id: str, updated_at: float) -> PlanDocument:
    """A finished plan's document, parsed once per process and kept.

    A plan's result is written once, with its final phase, and the row's ``updated_at`` with
    it; nothing changes either afterwards (field events change only ``version``). The
    document is kept by (database, plan, ``updated_at``), so a result stored again would be
    read again."""
    key = (str(conn.engine.url), plan_id, updated_at)
    with _DOCUMENTS_LOCK:
        if key in _DOCUMENTS:
            _DOCUMENTS.move_to_end(key)
            return _DOCUMENTS[key]
    text = conn.execute(select(db.plans.c.result).where(db.plans.c.id == plan_id)).scalar_one()
    result = json.loads(text)
    parsed = stored_document(result.get("plan", result), plan_id)
    with _DOCUMENTS_LOCK:
        _DOCUMENTS[key] = parsed
        while len(_DOCUMENTS) > DOCUMENTS_KEPT:
            _DOCUMENTS.popitem(last=False)
    return parsed


class StoredDocumentError(RuntimeError):
    """A stored plan document that does not read back (a bug: answered 500, and logged)."""

    def __init__(self, plan_id: str) -> None:
        super().__init__(f"the stored document of plan {plan_id} does not read back")


async def wait(
    settings: Settings, plan_id: str, seconds: float, stopping: asyncio.Event | None = None
) -> Any:
    """The plan's row once it is done, or after ``seconds``, or at once when ``stopping`` is
    set (the service is stopping: the caller gets the plan as it stands). Each look is in a
    worker thread, so a database that is slow to answer holds no other request."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    found = await asyncio.to_thread(row, settings, plan_id)
    while found.phase in db.ACTIVE_PHASES and loop.time() < end:
        if stopping is None:
            await asyncio.sleep(WAIT_STEP_S)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), min(WAIT_STEP_S, end - loop.time()))
            if stopping.is_set():
                break
        found = await asyncio.to_thread(row, settings, plan_id)
    return found


def listing(
    settings: Settings, *, status: str | None, scenario: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Plans, newest first, optionally of one phase or one scenario (name or id)."""
    p = db.plans
    q = select(p).order_by(p.c.created_at.desc(), p.c.id).limit(limit).offset(offset)
    if status:
        q = q.where(p.c.phase == status)
    if scenario:
        q = q.where((p.c.scenario_name == scenario) | (p.c.scenario_id == scenario))
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(q).all()
    return [summary(r, full=False) for r in rows]


def cancel(settings: Settings, plan_id: str) -> dict[str, Any]:
    """Stop a plan: a queued one at once, one being solved keeps the best plan found so far."""
    row(settings, plan_id)  # NotFound first
    p = db.plans
    with db.write(db.engine_for(settings.database)) as conn:
        # Read again under the write lock: a worker may have claimed the plan meanwhile.
        q = select(p.c.phase, p.c.lease_until).where(p.c.id == plan_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        found = conn.execute(q).one()
        held = found.lease_until is not None and found.lease_until > db.now()
        if found.phase == "queued" and not held:
            version = changes.new_version(conn, plan_id, phase="cancelled", updated_at=db.now())
        elif found.phase in db.ACTIVE_PHASES:
            version = changes.new_version(conn, plan_id, cancel_requested=True, updated_at=db.now())
        else:
            raise Conflict("already_done", "", f"plan {plan_id} is already {found.phase}")
    changes.changed(db.engine_for(settings.database), plan_id, version)
    return summary(row(settings, plan_id), full=False)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).astimezone().isoformat()


def summary(found: Any, *, full: bool) -> dict[str, Any]:
    """A plan as the API shows it: phase, progress, budget, links; KPIs and, with ``full``,
    the result once there is one."""
    out: dict[str, Any] = {
        "id": found.id,
        "kind": found.kind,
        "scenario": found.scenario_name,
        "scenario_id": found.scenario_id,
        "phase": found.phase,
        "progress": {
            "elapsed_s": round(found.elapsed_s, 2),
            "best_objective": found.best_objective,
        },
        "seed": found.seed,
        "budget": {"seconds": found.seconds, "iterations": found.iterations},
        "created_at": _iso(found.created_at),
        "updated_at": _iso(found.updated_at),
        "links": {
            name: f"/plans/{found.id}{suffix}"
            for name, suffix in (
                ("self", ""),
                ("status", "/status"),
                ("geojson", "/geojson"),
                ("manifests", "/manifests.csv"),
                ("timeline", "/timeline"),
            )
        },
    }
    if found.parent_id:
        out["parent_id"] = found.parent_id
        out["links"]["parent"] = f"/plans/{found.parent_id}"
    if found.error:
        out["errors"] = json.loads(found.error)
    if found.result:
        result = json.loads(found.result)
        plan_doc = result.get("plan", result)
        out["kpis"] = plan_doc.get("kpis")
        out["unassigned"] = plan_doc.get("unassigned")
        if full:
            out["result"] = result
    return out


def queue_replan(
    settings: Settings,
    plan_id: str,
    *,
    change: dict[str, Any],
    as_of: datetime | None,
    budget: Budget,
) -> str:
    """Queue a re-plan of a finished plan: its scenario with the change folded in; the job
    takes the plan's field events as they stand when it runs."""
    parent = row(settings, plan_id)
    if parent.phase not in ("completed", "infeasible") or not parent.result:
        raise Conflict(
            "not_finished", "", f"plan {plan_id} is {parent.phase}; re-plan a finished plan"
        )
    if parent.kind == "capacity":
        raise Conflict("capacity_plan", "", "a capacity plan cannot be re-planned; re-plan a plan")
    raw, out_of_service = apply_change(json.loads(parent.scenario_body), change)
    if raw.get("direction", "outbound") != "outbound":
        raise Conflict("return_plan", "", "re-planning covers outbound plans only")
    spec = {
        "as_of": as_of.isoformat() if as_of else None,
        "out_of_service": {k: v.isoformat() for k, v in out_of_service.items()},
        "change": change,
    }
    return queue(
        settings, kind="replan", raw=raw, budget=budget, scenario_id=parent.scenario_id,
        parent_id=plan_id, replan=spec,
    )  # fmt: skip


FINISHED_PHASES = ("completed", "infeasible")  # a plan with a result people act on
MAX_LINEAGE = 10_000  # re-plans followed at most, up or down a plan's line


def descends_from(settings: Settings, plan_id: str, ancestor_id: str) -> bool:
    """Whether ``plan_id`` is ``ancestor_id`` or a re-plan whose chain of parents leads to it
    (``False`` for a plan that does not exist)."""
    p = db.plans
    current: str | None = plan_id
    seen: set[str] = set()
    with db.engine_for(settings.database).connect() as conn:
        while current is not None and current not in seen and len(seen) < MAX_LINEAGE:
            if current == ancestor_id:
                return True
            seen.add(current)
            current = conn.execute(select(p.c.parent_id).where(p.c.id == current)).scalar()
    return False


def family(settings: Settings, plan_id: str) -> list[str]:
    """A plan's id and those of every re-plan descending from it (re-plans of re-plans
    included), the plan first."""
    p = db.plans
    out, frontier = [plan_id], [plan_id]
    with db.engine_for(settings.database).connect() as conn:
        while frontier and len(out) < MAX_LINEAGE:
            children = conn.execute(select(p.c.id).where(p.c.parent_id.in_(frontier))).scalars()
            frontier = [c for c in children.all() if c not in out]
            out += frontier
    return out


def local_boat(settings: Settings, vessel_id: str | None) -> tuple[str, ...]:
    """``(vessel_id,)`` when a finished plan has a voyage for it, else ``()``: how a district
    office's boat of a two-echelon plan, in no fleet file, is known to the keys."""
    if vessel_id is None or newest_with_voyage(settings, vessel_id) is None:
        return ()
    return (vessel_id,)


def newest_with_voyage(
    settings: Settings, vessel_id: str, *, among: list[str] | None = None
) -> Any | None:
    """The row of the newest finished plan or re-plan (completed or infeasible; one of
    ``among`` when given) that has a voyage for ``vessel_id``; ``None`` when none has. A
    capacity plan is a what-if with hypothetical vessels, never a voyage to sail."""
    p = db.plans
    q = (
        select(p.c.id)
        .where(p.c.phase.in_(FINISHED_PHASES), p.c.result.is_not(None), p.c.kind != "capacity")
        .order_by(p.c.created_at.desc(), p.c.id.desc())
    )
    if among is not None:
        q = q.where(p.c.id.in_(among))
    with db.engine_for(settings.database).connect() as conn:
        for plan_id in conn.execute(q).scalars().all():
            text = conn.execute(select(p.c.result).where(p.c.id == plan_id)).scalar_one()
            result = json.loads(text)
            voyages = result.get("plan", result).get("voyages") or []
            if any(v.get("vessel_id") == vessel_id for v in voyages):
                return conn.execute(select(p).where(p.c.id == plan_id)).one()
    return None
