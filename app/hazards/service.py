"""Hazards to navigation in force: ``data/hazards.geojson`` with the changes planners and
harbour masters made through the API (``PUT``/``DELETE /hazards/{id}``) applied in order.

Every change is kept (``hazard_changes``, append-only: what, who, when, why), so the hazards in
force at any revision can be told again; beside it ``hazards_current`` holds each changed
hazard as it stands (its last change), written in the same transaction, so that the hazards in
force are read without replaying the history. The version of the hazards in force
(``routing.inputs.hazards.version_of``, a hash of their content, the same in every worker) goes into
each sea network's cache key and each plan's ``versions``: a change rebuilds only the networks
of the classes whose avoided hazards it touches, and a plan says which hazards it went around.

A change to a hazard that exists names the state it was made from (``If-Match`` with the
hazard's ETag); the check and the write are one transaction, so of two people correcting one
hazard the second is told (412) instead of undoing the first's change.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from app import db
from app.config import Settings
from app.keys.service import KeyRecord
from app.preconditions import Preconditions, etag
from routing import inputs as data
from routing.errors import DataError, Issue, NotFound
from routing.inputs import DataFiles
from routing.inputs.hazards import (
    Hazard,
    feature,
    outside_region,
    parse_hazards,
    region_bounds,
    version_of,
)


@dataclass(frozen=True)
class InForce:
    """The hazards in force at a revision (the newest change made through the API)."""

    hazards: tuple[Hazard, ...]
    revision: int
    version: str
    changed: dict[str, dict[str, Any]]  # hazard id -> its last change (by whom, when)
    etags: dict[str, str] = field(default_factory=dict)  # hazard id -> its ETag
    seqs: dict[str, int] = field(default_factory=dict)  # hazard id -> its last change's seq


_cache: dict[tuple[str, str], InForce] = {}
_lock = threading.Lock()


def in_force(settings: Settings) -> InForce:
    """The hazards in force: the file's with the current rows of the changed ones applied
    (the rows read again, and parsed, only where a change was made since)."""
    key = (settings.database, str(DataFiles(settings.data_dir).hazards))
    c = db.hazards_current
    with db.engine_for(settings.database).connect() as conn:
        # Which hazards changed, and at which change: a change committed by any worker (on
        # PostgreSQL possibly after a later-numbered one) shows here.
        marks = {r.hazard_id: r.seq for r in conn.execute(select(c.c.hazard_id, c.c.seq))}
        with _lock:
            found = _cache.get(key)
        if found is not None and found.seqs == marks:
            return found
        rows = list(conn.execute(select(c)).all())
        names = _key_names(conn, {r.recorded_by for r in rows if r.recorded_by})
    found = _apply(settings.data_dir, rows, names, previous=found)
    with _lock:
        _cache[key] = found
    return found


def _apply(
    data_dir: Path, rows: list[Any], names: dict[str, str], *, previous: InForce | None
) -> InForce:
    """The file's hazards with the current rows applied; a hazard whose row is unchanged since
    ``previous`` is taken from it, not parsed again."""
    file_hazards = data.file_hazards(data_dir)
    by_id = {z.id: z for z in file_hazards}
    etags = {z.id: _file_etag(z) for z in file_hazards}
    kept = {} if previous is None else {z.id: z for z in previous.hazards}
    changed: dict[str, dict[str, Any]] = {}
    seqs: dict[str, int] = {}
    for r in rows:
        seqs[r.hazard_id] = r.seq
        changed[r.hazard_id] = _change(r, names)
        if r.feature is None:  # withdrawn
            by_id.pop(r.hazard_id, None)
            etags.pop(r.hazard_id, None)
            continue
        same = previous is not None and previous.seqs.get(r.hazard_id) == r.seq
        if same and r.hazard_id in kept:
            by_id[r.hazard_id] = kept[r.hazard_id]
        else:
            by_id[r.hazard_id] = _parsed(r.feature)
        etags[r.hazard_id] = _row_etag(r.seq, r.feature)
    hazards = tuple(sorted(by_id.values(), key=lambda z: z.id))
    revision = max(seqs.values(), default=0)
    return InForce(hazards, revision, version_of(hazards), changed, etags, seqs)


def _parsed(feature_json: str) -> Hazard:
    return parse_hazards({"features": [json.loads(feature_json)]}, source="hazards_current")[0]


def _row_etag(seq: int, feature_json: str | None) -> str:
    """A hazard changed through the API: its change (seq) and what it set."""
    return etag("change", str(seq), feature_json or "")


def _file_etag(z: Hazard) -> str:
    """A hazard as data/hazards.geojson has it: a hash of its content."""
    return etag("file", json.dumps(feature(z), sort_keys=True))


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
        "features": [_shown(z, now.changed.get(z.id)) for z in now.hazards],
    }


def _shown(z: Hazard, last_change: dict[str, Any] | None) -> dict[str, Any]:
    """A hazard as the API shows it: its feature with its last change through the API."""
    f = feature(z)
    f["properties"]["last_change"] = last_change
    return f


def one(settings: Settings, hazard_id: str) -> tuple[dict[str, Any], str]:
    """One hazard in force as a GeoJSON feature, and its ETag (``NotFound`` when none has the
    id)."""
    now = in_force(settings)
    for z in now.hazards:
        if z.id == hazard_id:
            return _shown(z, now.changed.get(z.id)), now.etags[z.id]
    raise NotFound("hazard", hazard_id)


@lru_cache(maxsize=4)
def _region(data_dir: Path) -> tuple[float, float, float, float]:
    return region_bounds(data.land(data_dir))


def checked(
    settings: Settings, hazard_id: str, properties: dict[str, Any], geometry: dict[str, Any]
) -> Hazard:
    """A hazard set through the API, checked in full (and within the planning region).

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
    outside = outside_region(hazard.geometry, _region(settings.data_dir))
    if outside:
        raise DataError(outside, source="request")
    return hazard


@dataclass(frozen=True)
class _Current:
    """Where a hazard stands as a change reads it, inside the change's transaction."""

    row: Any  # its hazards_current row (None: never changed through the API)
    etag: str | None  # None: not in force (never set, or withdrawn)


def _current(conn: Connection, settings: Settings, hazard_id: str) -> _Current:
    c = db.hazards_current
    # On PostgreSQL the row is locked until the change commits; on SQLite the transaction
    # holds the write lock from its start (db.write: BEGIN IMMEDIATE).
    row = conn.execute(select(c).where(c.c.hazard_id == hazard_id).with_for_update()).first()
    if row is not None:
        return _Current(row, _row_etag(row.seq, row.feature) if row.feature else None)
    for z in data.file_hazards(settings.data_dir):
        if z.id == hazard_id:
            return _Current(None, _file_etag(z))
    return _Current(None, None)


class _Lost(Exception):
    """Another change wrote the hazard's row between this change's read and its write."""


def _write(conn: Connection, now: _Current, hazard_id: str, values: dict[str, Any]) -> None:
    """The hazard's current row set to ``values``, only where it is still as read."""
    c = db.hazards_current
    if now.row is not None:
        done = conn.execute(
            c.update()
            .where(c.c.hazard_id == hazard_id, c.c.seq == now.row.seq)
            .values(**values)
            .returning(c.c.hazard_id)
        )
    else:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        done = conn.execute(
            dialect.insert(c)
            .values(hazard_id=hazard_id, **values)
            .on_conflict_do_nothing()
            .returning(c.c.hazard_id)
        )
    if done.first() is None:  # (what came back: not every driver tells the rowcount)
        raise _Lost()


def _change_in(
    settings: Settings,
    hazard_id: str,
    *,
    action: str,
    feature_json: str | None,
    reason: str,
    key: KeyRecord | None,
    pre: Preconditions,
    must_exist: bool,
) -> tuple[dict[str, Any], bool, str | None]:
    """One change, its preconditions checked and its history and current rows written in one
    transaction: the change as recorded, whether the hazard was new, its ETag after."""
    what = f"hazard {hazard_id}"
    values = {
        "action": action,
        "feature": feature_json,
        "reason": reason,
        "recorded_by": key.id if key is not None else None,
        "recorded_at": (stamp := db.now()),
    }
    try:
        with db.write(db.engine_for(settings.database)) as conn:
            now = _current(conn, settings, hazard_id)
            if must_exist and now.etag is None:
                raise NotFound("hazard", hazard_id)
            pre.check(now.etag, what=what, required=now.etag is not None)
            inserted = conn.execute(
                db.hazard_changes.insert().values(hazard_id=hazard_id, **values)
            ).inserted_primary_key
            assert inserted is not None
            seq = int(inserted[0])
            _write(conn, now, hazard_id, {"seq": seq, **values})
    except _Lost:
        raise pre.lost(what) from None
    names = {key.id: key.name} if key is not None else {}
    by = key.id if key is not None else None
    row = _Row(seq, hazard_id, action, feature_json, reason, by, stamp)
    change = _change(row, names)
    after = _row_etag(seq, feature_json) if feature_json is not None else None
    return change, now.etag is None, after


@dataclass(frozen=True)
class _Row:
    """A change as written, read as a row is (``_change``)."""

    seq: int
    hazard_id: str
    action: str
    feature: str | None
    reason: str
    recorded_by: str | None
    recorded_at: float


def put(
    settings: Settings,
    hazard_id: str,
    properties: dict[str, Any],
    geometry: dict[str, Any],
    *,
    reason: str,
    key: KeyRecord | None,
    pre: Preconditions,
) -> tuple[dict[str, Any], bool, str]:
    """Set a hazard (new, or a change of one in force, on the precondition the request
    gives); returns it as written by this change, whether it is new, and its ETag.

    Raises
    ------
    DataError
        Naming the field (``/least_depth_m``, ``/geometry``, ...) of each problem.
    PreconditionFailed
        A change without ``If-Match`` to a hazard in force (428), or one whose ``If-Match`` /
        ``If-None-Match`` does not hold (412).
    """
    hazard = checked(settings, hazard_id, properties, geometry)
    written = feature(hazard)
    change, new, after = _change_in(
        settings,
        hazard_id,
        action="set",
        feature_json=json.dumps(written),
        reason=reason,
        key=key,
        pre=pre,
        must_exist=False,
    )
    assert after is not None
    return _shown(hazard, change), new, after


def withdraw(
    settings: Settings,
    hazard_id: str,
    *,
    reason: str,
    key: KeyRecord | None,
    pre: Preconditions,
) -> dict[str, Any]:
    """Withdraw a hazard in force (``NotFound`` when none has the id; ``PreconditionFailed``
    as for ``put``); returns the change."""
    change, _, _ = _change_in(
        settings,
        hazard_id,
        action="withdraw",
        feature_json=None,
        reason=reason,
        key=key,
        pre=pre,
        must_exist=True,
    )
    return {**change, "feature": None}


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
