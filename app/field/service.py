"""The field page's voyage: what a vessel's crew needs on a phone, in one answer.

Which plan: the one asked for, else the key's plan or the newest finished re-plan descending
from it, else the newest finished plan (completed or infeasible, of any kind) that has a voyage
for the vessel. The answer is the voyage's stops with names (landing, island, villages), what is
handed over at each (the manifest), the steps each stop goes through (``routing.fieldlog``), the
event types with their labels, and the events already recorded for the vessel in that plan.
"""

from __future__ import annotations

from typing import Any

from app.config import Settings
from app.events import service as events
from app.exceptions import Forbidden
from app.keys.service import KeyRecord
from app.plans import service as plans
from app.vessels import service as vessels
from routing import fieldlog
from routing.errors import DataError, Issue, NotFound
from routing.plandoc import Stop


class NoVoyage(NotFound):
    """No plan with a voyage for the vessel (HTTP 404, code ``unknown_voyage``)."""

    def __init__(self, vessel_id: str, message: str, *, path: str) -> None:
        self.message = message
        super().__init__("voyage", vessel_id, by="vessel", path=path)

    def __str__(self) -> str:
        return self.message


def _vessel(key: KeyRecord | None, vessel_id: str | None) -> str:
    """The vessel asked for: the key's own, or the one given where the key is bound to none."""
    bound = key.vessel_id if key is not None else None
    if bound is not None:
        if vessel_id is not None and vessel_id != bound:
            why = f"this key is bound to vessel {bound}; it reads that vessel's voyage only"
            raise Forbidden("other_vessel", "/query/vessel_id", why)
        return bound
    if vessel_id is None:
        why = "this key is bound to no vessel: give vessel_id"
        raise DataError([Issue("missing_field", "/query/vessel_id", why)], source="request")
    return vessel_id


def _plan_row(
    settings: Settings, key_plan: str | None, vessel_id: str, plan_id: str | None, *, path: str
) -> Any:
    if plan_id is not None:
        if key_plan is not None and not plans.descends_from(settings, plan_id, key_plan):
            why = f"this key is bound to plan {key_plan}; it reads that plan and its re-plans only"
            raise Forbidden("other_plan", "/query/plan_id", why)
        return plans.finished(settings, plan_id)
    among = plans.family(settings, key_plan) if key_plan is not None else None
    found = plans.newest_with_voyage(settings, vessel_id, among=among)
    if found is None:
        of = f"plan {key_plan} or its re-plans" if key_plan is not None else "finished plan"
        why = f"no {of} has a voyage for vessel {vessel_id}"
        raise NoVoyage(vessel_id, why, path=path)
    return found


def _stop(index: int, stop: Stop, *, last: bool) -> dict[str, Any]:
    return {
        "index": index,
        "kind": stop.kind,
        "id": stop.id,
        "name": stop.name,
        "island_name": stop.island_name,
        "trip": stop.trip,
        "arrival": stop.arrival.isoformat(),
        "departure": stop.departure.isoformat(),
        "access": stop.access,
        "tps": stop.tps,
        "ballot_boxes": stop.ballot_boxes,
        "villages": [
            {"code": v.code, "name": v.name, "district_name": v.district_name}
            for v in stop.villages
        ],
        "manifest": [
            {
                "consignment": m.consignment,
                "village_code": m.village_code,
                "village_name": m.village_name,
                "tps": m.tps,
                "ballot_boxes": m.ballot_boxes,
            }
            for m in stop.manifest
        ],
        "steps": list(fieldlog.sequence(stop.kind, last=last)),
    }


def event_types() -> list[dict[str, Any]]:
    """The event types as the field page reads them: type, label (Indonesian, English), the
    fields an event of the type must carry, and whether it is a note (``delayed``: any time
    before a stop is done, moves nothing)."""
    return [
        {
            "type": t.value,
            "label": dict(fieldlog.LABELS[t.value]),
            "required": list(fieldlog.required_fields(t.value)),
            "note": t.value in fieldlog.NOTES,
        }
        for t in fieldlog.EventType
    ]


def voyage(
    settings: Settings,
    key: KeyRecord | None,
    *,
    vessel_id: str | None = None,
    plan_id: str | None = None,
) -> dict[str, Any]:
    """A vessel's voyage as the field page needs it.

    Parameters
    ----------
    settings : Settings
        The service's settings.
    key : KeyRecord, optional
        The caller's key: one bound to a vessel reads that vessel's voyage (and, bound to a
        plan, in that plan or its re-plans only).
    vessel_id : str, optional
        The vessel, for a key bound to none (a bound key may give its own).
    plan_id : str, optional
        The plan; by default the key's plan or its newest finished re-plan, else the newest
        finished plan with a voyage for the vessel.

    Returns
    -------
    dict
        ``plan_id``, ``plan_kind``, ``scenario``, ``vessel_id``, ``vessel_name``,
        ``vessel_class``, ``stops`` (each with ``index``, ``kind``, names, times, TPS, ballot
        boxes, villages, manifest and the ``steps`` it goes through), ``event_types``,
        ``events`` (the vessel's events in that plan, as ``GET /plans/{id}/events`` gives
        them) and ``events_url``.

    Raises
    ------
    Forbidden
        Another vessel or plan than the key is bound to (``/query/vessel_id``,
        ``/query/plan_id``).
    DataError
        No vessel given for a key bound to none (``/query/vessel_id``).
    NotFound
        A vessel not in the fleet, a plan that does not exist, or no plan with a voyage for
        the vessel.
    Conflict
        The plan asked for has no result yet.
    """
    vessel = _vessel(key, vessel_id)
    vessel_path = "/query/vessel_id" if vessel_id is not None else ""  # "": the key's vessel
    # A vessel of the fleet file, or a district office's local boat: a vessel of a two-echelon
    # plan's hubs, known by its voyages.
    in_fleet = vessel in vessels.fleet_vessels(settings)
    key_plan = key.plan_id if key is not None and key.vessel_id is not None else None
    try:
        found = _plan_row(settings, key_plan, vessel, plan_id, path=vessel_path)
    except NoVoyage:
        if not in_fleet:
            raise NotFound("vessel", vessel, path=vessel_path) from None
        raise
    planned = plans.document(found).voyage(vessel)
    if planned is None and not in_fleet:
        raise NotFound("vessel", vessel, path=vessel_path)
    if planned is None:
        why = f"plan {found.id} has no voyage for vessel {vessel}"
        raise NoVoyage(vessel, why, path="/query/plan_id")
    last = len(planned.stops) - 1
    return {
        "plan_id": found.id,
        "plan_kind": found.kind,
        "scenario": found.scenario_name,
        "vessel_id": planned.vessel_id,
        "vessel_name": planned.vessel_name,
        "vessel_class": planned.vessel_class,
        "stops": [_stop(i, s, last=i == last) for i, s in enumerate(planned.stops)],
        "event_types": event_types(),
        "events": events.listing(settings, found.id, vessel_id=vessel),
        "events_url": f"/plans/{found.id}/events",
    }
