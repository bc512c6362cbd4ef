"""API keys: planners issue, list and revoke them (the key itself is shown once, at issue)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt

from app import auth, db, deps
from app.deps import KeyId
from app.errors import problems
from app.services import keys
from routing.schema import Name

router = APIRouter(tags=["API keys"], dependencies=[auth.planner])


class KeyRequest(BaseModel):
    """A new key: its role, who holds it, and how long it lives."""

    role: Literal["planner", "field", "viewer"]
    name: Name | None = Field(None, description="Who holds it (e.g. 'KRI Teluk Bintuni crew')")
    expires_in_s: (
        Annotated[StrictInt, Field(ge=60, le=int(keys.MAX_LIFETIME.total_seconds()))] | None
    ) = Field(None, description="Refused after this many seconds; none: no expiry")

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"role": "field", "name": "KAL 28 crew", "expires_in_s": 1209600}]
        },
    }


@router.get("/keys", responses=problems(401, 403))
def list_keys(request: Request) -> dict[str, Any]:
    """Every API key's id, role, holder, expiry and state (never the key itself)."""
    now = db.now()
    return {"keys": [k.as_json(now) for k in keys.list_keys(deps.settings(request).database)]}


@router.post("/keys", status_code=201, responses=problems(401, 403, 413, 422))
def create_key(request: Request, body: KeyRequest) -> JSONResponse:
    """Issue a key; the answer is the only time the key itself is shown."""
    lifetime = timedelta(seconds=body.expires_in_s) if body.expires_in_s else None
    key, record = keys.issue_key(
        deps.settings(request).database, body.role, name=body.name or "", lifetime=lifetime
    )
    return JSONResponse(
        {**record.as_json(db.now()), "key": key},
        status_code=201,
        headers={"Location": f"/keys/{record.id}"},
    )


@router.api_route("/keys/{key_id}", methods=["DELETE"], responses=problems(401, 403, 404, 422))
def revoke_key(request: Request, key_id: KeyId) -> dict[str, Any]:
    """Revoke a key: every worker refuses it within a second. Revoking again changes nothing."""
    record = keys.revoke_key(deps.settings(request).database, key_id)
    if record is None:
        raise HTTPException(404, f"no API key with id {key_id!r}")
    return record.as_json(db.now())
