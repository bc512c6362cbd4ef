"""API keys: issue (stored hashed, shown once), list, revoke, and look up a presented key."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from app import db

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
    url: str, role: str, *, name: str = "", lifetime: timedelta | None = None
) -> tuple[str, KeyRecord]:
    """Store a new key (hashed); returns the key itself (the only time it is seen) and its
    record."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    key = PREFIX + secrets.token_urlsafe(24)
    now = db.now()
    record = KeyRecord(
        id=secrets.token_hex(8),
        role=role,
        name=name,
        created_at=now,
        expires_at=now + lifetime.total_seconds() if lifetime else None,
        revoked_at=None,
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
            )
        )
    return key, record


def _record(row: Any) -> KeyRecord:
    return KeyRecord(row.id, row.role, row.name, row.created_at, row.expires_at, row.revoked_at)


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


def lookup(url: str, key: str) -> KeyRecord | None:
    """The record of a presented key, or ``None`` when no key has its hash."""
    k = db.api_keys
    with db.engine_for(url).connect() as conn:
        row = conn.execute(select(k).where(k.c.key_hash == hash_key(key))).first()
    return None if row is None else _record(row)
