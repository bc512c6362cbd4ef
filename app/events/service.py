"""Field events: record one (idempotent, checked against the plan's voyages, time and order) and
list them. Each stored event gives its plan a new version, announced to the live status
(``app.live.changes``, ``app.live.service``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from app import db
from app.config import Settings
from app.exceptions import Conflict, Forbidden
from app.keys.service import KeyRecord
from app.live import changes
from app.plans import service as plans
from routing.errors import DataError, Issue
from routing.fieldlog import (
    Carrier,
    carrier_of,
    check_event,
    required_fields,
    stop_kinds,
    usable_events,
)
from routing.plandoc import PlanDocument


@dataclass(frozen=True)
class NewEvent:
    vessel_id: str | None  # a voyage's vessel, or
    stop: int
    type: str
    at: datetime | None  # none: when it reaches the service
    details: dict[str, Any]  # boxes, condition, receiver, reason (those given)
    sailing_id: str | None = None  # a booked sailing (then ``stop`` is the index of a call)

    @property
    def carrier(self) -> Carrier:
        return carrier_of({"vessel_id": self.vessel_id, "sailing_id": self.sailing_id})


def _known_stop(document: PlanDocument, event: NewEvent) -> None:
    """``Conflict`` when the plan has no such voyage, booked sailing or stop (the plan, not the
    request, decides)."""
    kinds = stop_kinds(document).get(event.carrier)
    if kinds is None and event.sailing_id:
        why = f"no booked sailing {event.sailing_id!r} in this plan"
        raise Conflict("unknown_sailing", "/sailing_id", why)
    if kinds is None:
        why = f"no voyage for vessel {event.vessel_id!r} in this plan"
        raise Conflict("unknown_vessel", "/vessel_id", why)
    if event.stop >= len(kinds):
        whose = "sailing has" if event.sailing_id else "voyage has"
        raise Conflict("unknown_stop", "/stop", f"the {whose} {len(kinds)} stops")


def _missing(event: NewEvent) -> None:
    issues = [
        Issue("missing_field", f"/{name}", f"{event.type} needs {name}")
        for name in required_fields(event.type)
        if event.details.get(name) in (None, "")
    ]
    if issues:
        raise DataError(issues, source="event")


def check_binding(
    settings: Settings, key: KeyRecord | None, plan_id: str, vessel_id: str | None
) -> None:
    """``Forbidden`` when a field key bound to a vessel (and a plan) posts for another vessel
    (or a sailing), or for a plan that is neither its plan nor a re-plan descending from it."""
    if key is None or key.vessel_id is None:
        return
    if vessel_id is None:
        why = f"this key posts events for vessel {key.vessel_id} only, not for a sailing"
        raise Forbidden("other_vessel", "/sailing_id", why)
    if vessel_id != key.vessel_id:
        why = f"this key posts events for vessel {key.vessel_id} only, not for {vessel_id}"
        raise Forbidden("other_vessel", "/vessel_id", why)
    if key.plan_id is not None and not plans.descends_from(settings, plan_id, key.plan_id):
        why = (
            f"this key posts events for plan {key.plan_id} (and its re-plans) only, "
            f"not for plan {plan_id}"
        )
        raise Forbidden("other_plan", "/path/plan_id", why)


def record(
    settings: Settings,
    plan_id: str,
    event: NewEvent,
    idempotency_key: str | None,
    *,
    key: KeyRecord | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store an event posted with ``key`` (recorded with it as ``recorded_by``).

    Parameters
    ----------
    settings : Settings
        The service's settings.
    plan_id : str
        The plan whose voyage the event belongs to.
    event : NewEvent
        What happened, where and when.
    idempotency_key : str, optional
        A retry with the same Idempotency-Key by the same API key changes nothing (another
        API key's same Idempotency-Key is an event of its own).
    key : KeyRecord, optional
        The key that posts it; one bound to a vessel (and a plan) posts for those only.

    Returns
    -------
    tuple of (dict, bool)
        The stored record, and whether it was already stored under the same Idempotency-Key
        (then nothing changed).

    Raises
    ------
    Forbidden
        A bound key posting for another vessel (``/vessel_id``) or plan (``/path/plan_id``).
    NotFound, Conflict, DataError
        No such plan; a plan without a result, an unknown voyage or stop, or an event out of
        order or back in time; a missing field or a time in the future.
    """
    check_binding(settings, key, plan_id, event.vessel_id)
    idempotency_key = idempotency_key or None  # an empty key is no key (stored as none)
    document = plans.finished_document(settings, plan_id)  # parsed once per process
    _missing(event)
    _known_stop(document, event)
    engine = db.engine_for(settings.database)
    try:
        with db.write(engine) as conn:
            p = db.plans
            conn.execute(select(p.c.id).where(p.c.id == plan_id).with_for_update())  # one writer
            prior = _prior(conn, plan_id, idempotency_key, key)
            if prior is not None:
                return _replayed(prior, event), True
            payload = _checked_payload(settings, conn, plan_id, document, event)
            new_id = conn.execute(
                insert(db.events).values(
                    plan_id=plan_id,
                    vessel_id=event.vessel_id,
                    sailing_id=event.sailing_id,
                    stop=event.stop,
                    type=event.type,
                    payload=json.dumps(payload),
                    idempotency_key=idempotency_key,
                    created_at=db.now(),
                    recorded_by=key.id if key is not None else None,
                )
            ).inserted_primary_key
            assert new_id is not None
            version = changes.new_version(conn, plan_id)
            stored = conn.execute(db.select_events().where(db.events.c.id == new_id[0])).first()
    except IntegrityError:  # the same key raced in from another request: answer as a replay
        with engine.connect() as conn:
            prior = _prior(conn, plan_id, idempotency_key, key)
        if prior is None:
            raise
        return _replayed(prior, event), True
    changes.changed(engine, plan_id, version)  # this worker's pollers see it at once
    return db.event_record(stored), False


def _prior(
    conn: Connection, plan_id: str, idempotency_key: str | None, key: KeyRecord | None
) -> Any:
    """The event ``key`` already posted to the plan under ``idempotency_key``, if any: a key's
    Idempotency-Key is its own, never another key's event to replay."""
    if not idempotency_key:
        return None
    e = db.events
    by = e.c.recorded_by == key.id if key is not None else e.c.recorded_by.is_(None)
    return conn.execute(
        db.select_events().where(e.c.plan_id == plan_id, e.c.idempotency_key == idempotency_key, by)
    ).first()


def _replayed(prior: Any, event: NewEvent) -> dict[str, Any]:
    then = (prior.vessel_id, prior.sailing_id, prior.stop, prior.type)
    if then != (event.vessel_id, event.sailing_id, event.stop, event.type):
        why = "this Idempotency-Key was used for a different event"
        raise Conflict("idempotency_conflict", "/", why)
    return db.event_record(prior)


def _checked_payload(
    settings: Settings, conn: Connection, plan_id: str, document: PlanDocument, event: NewEvent
) -> dict[str, Any]:
    """The event's stored payload, once its time and order are checked against the vessel's
    earlier events."""
    skew = timedelta(seconds=settings.event_clock_skew_s)
    usable, _ = usable_events(document, db.plan_events(conn, plan_id), skew=skew)
    previous = [e for e in usable if carrier_of(e) == event.carrier]
    now = datetime.now(UTC)
    at = event.at or max([now, *(datetime.fromisoformat(e["at"]) for e in previous)])
    refusal = check_event(
        document,
        previous,
        carrier=event.carrier,
        stop=event.stop,
        type=event.type,
        at=at,
        now=now,
        skew=skew,
    )
    if refusal is not None and refusal.code == "in_the_future":
        raise DataError([Issue(refusal.code, refusal.path, refusal.message)], source="event")
    if refusal is not None:
        raise Conflict(refusal.code, refusal.path, refusal.message)
    return {"at": at.isoformat(), **{k: v for k, v in event.details.items() if v is not None}}


def listing(
    settings: Settings, plan_id: str, *, vessel_id: str | None = None
) -> list[dict[str, Any]]:
    """A plan's events (those of one vessel, when given), oldest first (append-only), each
    with the key that recorded it and its holder's name."""
    plans.row(settings, plan_id)
    with db.engine_for(settings.database).connect() as conn:
        found = db.plan_events(conn, plan_id)
    return [e for e in found if vessel_id is None or e["vessel_id"] == vessel_id]
