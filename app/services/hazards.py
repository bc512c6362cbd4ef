"""Hazards to navigation in force: ``data/hazards.geojson`` with the changes planners and
harbour masters made through the API (``PUT``/``DELETE /hazards/{id}``) applied in order.

Every change is kept (``hazard_changes``: what, who, when, why), so the hazards in force at any
revision can be told again. The version of the hazards in force (``routing.hazards.version_of``,
a hash of their content, the same in every worker) goes into each sea network's cache key and
each plan's ``versions``: a change rebuilds only the networks of the classes whose avoided
hazards it touches, and a plan says which hazards it went around.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app import db, state
from app.config import Settings
from app.services.keys import KeyRecord
from routing.errors import DataError, Issue, NotFound
from routing.hazards import Hazard, feature, parse_hazards, version_of


@dataclass(frozen=True)
class InForce:
    """The hazards in force at a revision (the number of changes made through the API)."""

    hazards: tuple[Hazard, ...]
    revision: int
    version: str
    changed: dict[str, dict[str, Any]]  # hazard id -> its last change (by whom, when)
    changes: int = 0  # how many changes it holds


_cache: dict[tuple[str, str], InForce] = {}
_lock = threading.Lock()


def in_force(settings: Settings) -> InForce:
    """The hazards in force: the file's with the stored changes applied (read again only when
    a change was made since)."""
    path = state.hazards_file(settings.fleet_file)
    engine = db.engine_for(settings.database)
    h = db.hazard_changes
    with engine.connect() as conn:
        # The newest change and how many there are: on PostgreSQL a change may commit after
        # a later-numbered one, and the count tells that it came.
        revision, count = conn.execute(select(func.max(h.c.seq), func.count())).one()
        revision, count = revision or 0, count or 0
        key = (settings.database, str(path))
        with _lock:
            found = _cache.get(key)
        if found is not None and (found.revision, found.changes) == (revision, count):
            return found
        rows = conn.execute(select(h).order_by(h.c.seq)).all()
        revision, count = (rows[-1].seq if rows else 0), len(rows)
        names = _key_names(conn, {r.recorded_by for r in rows if r.recorded_by})
    by_id = {z.id: z for z in state.hazards(path)}
    changed: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.action == "set":
            by_id[r.hazard_id] = parse_hazards(
                {"features": [json.loads(r.feature)]}, source="hazard_changes"
            )[0]
        else:
            by_id.pop(r.hazard_id, None)
        changed[r.hazard_id] = _change(r, names)
    hazards = tuple(sorted(by_id.values(), key=lambda z: z.id))
    found = InForce(hazards, revision, version_of(hazards), changed, count)
    with _lock:
        _cache[key] = found
    return found


def _key_names(conn: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    k = db.api_keys
    rows = conn.execute(select(k.c.id, k.c.name).where(k.c.id.in_(sorted(ids)))).all()
    return {r.id: r.name for r in rows}


def _change(r: Any, names: dict[str, str]) -> dict[str, Any]:
    return {
        "revision": r.seq,
        "hazard_id": r.hazard_id,
        "action": r.action,
        "reason": r.reason,
        "recorded_by": r.recorded_by,
        "recorded_by_name": names.get(r.recorded_by) or None if r.recorded_by else None,
        "recorded_at": datetime.fromtimestamp(r.recorded_at, UTC).isoformat(),
    }


def listing(settings: Settings) -> dict[str, Any]:
    """The hazards in force as a GeoJSON FeatureCollection, with the version and revision, and
    for each hazard its last change through the API (null: as the file has it)."""
    now = in_force(settings)
    return {
        "type": "FeatureCollection",
        "version": now.version,
        "revision": now.revision,
        "features": [_shown(z, now) for z in now.hazards],
    }


def _shown(z: Hazard, now: InForce) -> dict[str, Any]:
    """A hazard as the API shows it: its feature with its last change through the API."""
    f = feature(z)
    f["properties"]["last_change"] = now.changed.get(z.id)
    return f


def one(settings: Settings, hazard_id: str) -> dict[str, Any]:
    """One hazard in force as a GeoJSON feature (``NotFound`` when none has the id)."""
    now = in_force(settings)
    for z in now.hazards:
        if z.id == hazard_id:
            return _shown(z, now)
    raise NotFound("hazard", hazard_id)


def put(
    settings: Settings,
    hazard_id: str,
    properties: dict[str, Any],
    geometry: dict[str, Any],
    *,
    reason: str,
    key: KeyRecord | None,
) -> tuple[dict[str, Any], bool]:
    """Set a hazard (new, or a change of one in force); returns it and whether it is new.

    Raises
    ------
    DataError
        Naming the field (``/least_depth_m``, ``/geometry``, ...) of each problem.
    """
    raw = {"type": "Feature", "properties": {**properties, "id": hazard_id}, "geometry": geometry}
    try:
        (hazard,) = parse_hazards({"features": [raw]}, source="request")
    except DataError as exc:
        prefix = "/features/0/properties"
        problems = [
            Issue(
                p.code,
                p.path.replace(prefix, "").replace("/features/0", "") or "/",
                p.message,
            )
            for p in exc.problems
        ]
        raise DataError(problems, source="request") from None
    new = all(z.id != hazard_id for z in in_force(settings).hazards)
    _record(settings, hazard_id, "set", json.dumps(feature(hazard)), reason, key)
    return one(settings, hazard_id), new


def withdraw(
    settings: Settings, hazard_id: str, *, reason: str, key: KeyRecord | None
) -> dict[str, Any]:
    """Withdraw a hazard in force (``NotFound`` when none has the id); returns the change."""
    one(settings, hazard_id)
    seq = _record(settings, hazard_id, "withdraw", None, reason, key)
    return history(settings, revision=seq)[0]


def _record(
    settings: Settings,
    hazard_id: str,
    action: str,
    feature_json: str | None,
    reason: str,
    key: KeyRecord | None,
) -> int:
    with db.engine_for(settings.database).begin() as conn:
        result = conn.execute(
            db.hazard_changes.insert().values(
                hazard_id=hazard_id,
                action=action,
                feature=feature_json,
                reason=reason,
                recorded_by=key.id if key is not None else None,
                recorded_at=db.now(),
            )
        )
        key_of_row = result.inserted_primary_key
        assert key_of_row is not None
        return int(key_of_row[0])


def history(
    settings: Settings, *, hazard_id: str | None = None, revision: int | None = None
) -> list[dict[str, Any]]:
    """The changes made through the API, oldest first (one hazard's, or one revision)."""
    h = db.hazard_changes
    query = select(h).order_by(h.c.seq)
    if hazard_id is not None:
        query = query.where(h.c.hazard_id == hazard_id)
    if revision is not None:
        query = query.where(h.c.seq == revision)
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(query).all()
        names = _key_names(conn, {r.recorded_by for r in rows if r.recorded_by})
    out = []
    for r in rows:
        change = _change(r, names)
        change["feature"] = json.loads(r.feature) if r.feature else None
        out.append(change)
    return out
