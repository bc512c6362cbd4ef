"""API keys: issue (stored hashed, shown once), list, revoke, and look up a presented key.

A field key may be bound to one vessel of the fleet, and optionally to one plan (and the
re-plans that descend from it): such a key posts that vessel's events only and reads only what
the field page needs (``app.auth``). The field page's link carries the key in its fragment
(``{public_url}/field#key=...``), which browsers never send to a server, and is drawn as a QR
code for a phone to scan."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from app import db
from routing.errors import DataError, Issue

if TYPE_CHECKING:
    from app.config import Settings

ROLES = ("planner", "field", "viewer")
PREFIX = "ibr_"  # every key starts so, which lets logs and scanners recognise one
MAX_LIFETIME = timedelta(days=3 * 366)  # a bound, so that no expiry overflows a time


@dataclass(frozen=True)
class KeyRecord:
    id: str
    role: str
    name: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    vessel_id: str | None = None  # a field key bound to this vessel
    plan_id: str | None = None  # ... and to this plan and its re-plans

    def state(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def as_json(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "name": self.name,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "revoked_at": _iso(self.revoked_at),
            "state": self.state(now),
            "vessel_id": self.vessel_id,
            "plan_id": self.plan_id,
        }


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_lifetime(text: str) -> timedelta:
    """``14d``, ``12h``, ``30m`` or ``90s`` as a time span (CLI ``--expires``)."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*([dhms])\s*", text)
    if m is None:
        raise ValueError(f"{text!r} is not a lifetime like 14d, 12h, 30m or 90s")
    n, unit = int(m.group(1)), m.group(2)
    span = timedelta(**{{"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[unit]: n})
    if not timedelta(0) < span <= MAX_LIFETIME:
        raise ValueError(f"a lifetime is more than 0 s and at most {MAX_LIFETIME.days} days")
    return span


def issue_key(
    url: str,
    role: str,
    *,
    name: str = "",
    lifetime: timedelta | None = None,
    vessel_id: str | None = None,
    plan_id: str | None = None,
    vessels: Collection[str] = (),
) -> tuple[str, KeyRecord]:
    """Store a new key (hashed).

    Parameters
    ----------
    url : str
        The database URL.
    role : str
        ``planner``, ``field`` or ``viewer``.
    name : str
        Who holds it.
    lifetime : timedelta, optional
        Refused after this long; none: it does not expire.
    vessel_id : str, optional
        A field key's vessel: it posts that vessel's events only (one of ``vessels``).
    plan_id : str, optional
        With ``vessel_id``: the plan it posts for (and the re-plans descending from it).
    vessels : Collection of str
        The fleet's vessel ids, which ``vessel_id`` must be one of.

    Returns
    -------
    tuple of (str, KeyRecord)
        The key itself (the only time it is seen) and its record.

    Raises
    ------
    ValueError
        For an unknown role.
    DataError
        A binding that cannot be: another role than ``field``, a vessel not in the fleet, an
        unknown plan, or a plan without a vessel (each by its field, ``/vessel_id`` or
        ``/plan_id``).
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    _check_binding(url, role, vessel_id, plan_id, vessels)
    key = PREFIX + secrets.token_urlsafe(24)
    now = db.now()
    record = KeyRecord(
        id=secrets.token_hex(8),
        role=role,
        name=name,
        created_at=now,
        expires_at=now + lifetime.total_seconds() if lifetime else None,
        revoked_at=None,
        vessel_id=vessel_id,
        plan_id=plan_id,
    )
    with db.write(db.engine_for(url)) as conn:
        conn.execute(
            insert(db.api_keys).values(
                id=record.id,
                key_hash=hash_key(key),
                role=role,
                name=name,
                created_at=now,
                expires_at=record.expires_at,
                vessel_id=vessel_id,
                plan_id=plan_id,
            )
        )
    return key, record


def issue(
    settings: Settings,
    role: str,
    *,
    name: str = "",
    lifetime: timedelta | None = None,
    vessel_id: str | None = None,
    plan_id: str | None = None,
    local_boats: Collection[str] = (),
) -> tuple[str, KeyRecord]:
    """``issue_key`` in the service's database, binding to the vessels of its fleet file or to
    one of ``local_boats``: a district office's boat that a finished plan has a voyage for (a
    two-echelon plan's boats come from its scenario's hubs, not from the fleet file; the
    caller looks them up, ``app.plans.service.newest_with_voyage``)."""
    from app.vessels.service import fleet_vessels

    vessels = {*fleet_vessels(settings), *local_boats} if vessel_id is not None else set()
    return issue_key(
        settings.database,
        role,
        name=name,
        lifetime=lifetime,
        vessel_id=vessel_id,
        plan_id=plan_id,
        vessels=vessels,
    )


def _check_binding(
    url: str, role: str, vessel_id: str | None, plan_id: str | None, vessels: Collection[str]
) -> None:
    problems = []
    if vessel_id is not None and role != "field":
        why = f"only a field key is bound to a vessel; this is a {role} key"
        problems.append(Issue("not_a_field_key", "/vessel_id", why))
    elif vessel_id is not None and vessel_id not in vessels:
        known = ", ".join(sorted(vessels)) or "none"
        why = f"no vessel {vessel_id!r} in the fleet (vessels: {known}) nor local boat in a plan"
        problems.append(Issue("unknown_vessel", "/vessel_id", why))
    if plan_id is not None and vessel_id is None:
        why = "a key is bound to a plan only together with a vessel (vessel_id)"
        problems.append(Issue("plan_without_vessel", "/plan_id", why))
    elif plan_id is not None:
        with db.engine_for(url).connect() as conn:
            found = conn.execute(select(db.plans.c.id).where(db.plans.c.id == plan_id)).first()
        if found is None:
            problems.append(Issue("unknown_plan", "/plan_id", f"no plan with id {plan_id!r}"))
    if problems:
        raise DataError(problems, source="key")


def field_url(public_url: str, key: str) -> str:
    """The field page's link for a key: the key in the fragment, which never reaches a server
    (nor its log)."""
    return f"{public_url.rstrip('/')}/field#key={key}"


def qr_svg(text: str) -> str:
    """A QR code of ``text`` as an SVG element with its namespace and no XML declaration, so
    that it is a file of its own and fits inline in HTML alike (error correction M, the
    standard quiet zone)."""
    import segno

    buf = io.BytesIO()
    code = segno.make(text, error="m", micro=False)
    code.save(buf, kind="svg", scale=4, border=4, light="#fff", xmldecl=False, title="QR")
    return buf.getvalue().decode()


def _record(row: Any) -> KeyRecord:
    return KeyRecord(
        row.id,
        row.role,
        row.name,
        row.created_at,
        row.expires_at,
        row.revoked_at,
        vessel_id=row.vessel_id,
        plan_id=row.plan_id,
    )


def list_keys(url: str) -> list[KeyRecord]:
    """Every key's record, newest first (never the key nor its hash)."""
    k = db.api_keys
    with db.engine_for(url).connect() as conn:
        rows = conn.execute(select(k).order_by(k.c.created_at.desc(), k.c.id)).all()
    return [_record(r) for r in rows]


def revoke_key(url: str, key_id: str) -> KeyRecord | None:
    """Refuse a key from now on (again: no change); ``None`` when there is no such key."""
    k = db.api_keys
    with db.write(db.engine_for(url)) as conn:
        conn.execute(
            update(k).where(k.c.id == key_id, k.c.revoked_at.is_(None)).values(revoked_at=db.now())
        )
        row = conn.execute(select(k).where(k.c.id == key_id)).first()
    return None if row is None else _record(row)


def lookup_hashes(url: str, hashes: list[str]) -> dict[str, KeyRecord]:
    """The records of the keys with these hashes, by hash (one query; an unknown hash, as of a
    deleted key, is absent)."""
    k = db.api_keys
    with db.engine_for(url).connect() as conn:
        rows = conn.execute(select(k).where(k.c.key_hash.in_(hashes))).all()
    return {row.key_hash: _record(row) for row in rows}


def lookup(url: str, key: str) -> KeyRecord | None:
    """The record of a presented key, or ``None`` when no key has its hash."""
    k = db.api_keys
    with db.engine_for(url).connect() as conn:
        row = conn.execute(select(k).where(k.c.key_hash == hash_key(key))).first()
    return None if row is None else _record(row)
