"""API keys with roles: planner (plans, scenarios, vessels), field (events), viewer (reads)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from sqlalchemy import insert, select

from app import db
from app.config import Settings

ROLES = ("planner", "field", "viewer")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(url: str, role: str, name: str = "") -> str:
    """Store a new key (hashed) and return it; the only time the key itself is seen."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    key = "ibr_" + secrets.token_urlsafe(24)
    with db.write(db.engine_for(url)) as conn:
        conn.execute(
            insert(db.api_keys).values(
                id=secrets.token_hex(8),
                key_hash=hash_key(key),
                role=role,
                name=name,
                created_at=db.now(),
            )
        )
    return key


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return key or None


_known: dict[tuple[str, str], tuple[str, float]] = {}
KNOWN_FOR_S = 60.0  # a key's role is looked up again after this long


def role_of(request: Request) -> str | None:
    key = _presented_key(request)
    if key is None:
        return None
    settings: Settings = request.app.state.settings
    digest = hash_key(key)
    cached = _known.get((settings.database, digest))
    if cached and cached[1] > time.monotonic():
        return cached[0]
    with db.engine_for(settings.database).connect() as conn:
        row = conn.execute(
            select(db.api_keys.c.role).where(db.api_keys.c.key_hash == digest)
        ).first()
    if row is None:
        raise HTTPException(401, "unknown API key")
    _known[(settings.database, digest)] = (str(row.role), time.monotonic() + KNOWN_FOR_S)
    return str(row.role)


def require(*roles: str) -> Callable[[Request], str | None]:
    """A dependency: the caller's key must have one of ``roles`` (any role for reads)."""

    def check(request: Request) -> str | None:
        role = role_of(request)
        settings: Settings = request.app.state.settings
        if role is None:
            if not roles and settings.allow_anonymous_reads:
                return None
            raise HTTPException(401, "an API key is required (X-API-Key header)")
        if roles and role not in roles:
            raise HTTPException(
                403, f"this needs the role {' or '.join(roles)}; the key has {role}"
            )
        return role

    return check


reader = Depends(require())
planner = Depends(require("planner"))
field_worker = Depends(require("field"))
