"""API keys: planners issue, list and revoke them (the key itself is shown once, at issue). A
field key may be bound to one vessel (and one plan); its answer then carries the field page's
link with the key and that link as a QR code to scan."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt

from app import auth, db
from app.deps import KeyId, SettingsDep
from app.errors import problems
from app.keys import service as keys
from app.keys.schemas import KeyList, KeyRecord, NewKey
from app.plans import service as plans
from routing.inputs.schema import WHOLE, Id, Name

router = APIRouter(tags=["API keys"], dependencies=[auth.planner])


# A key is bound to a vessel only as a field key, and to a plan only with a vessel (null is as
# good as absent); the vessel is one of the fleet's (``main._openapi`` lists them).
BINDING: list[Any] = [
    {
        "if": {"required": ["vessel_id"], "properties": {"vessel_id": {"type": "string"}}},
        "then": {"properties": {"role": {"const": "field"}}},
    },
    {
        "if": {"required": ["plan_id"], "properties": {"plan_id": {"type": "string"}}},
        "then": {"required": ["vessel_id"], "properties": {"vessel_id": {"type": "string"}}},
    },
]


class KeyRequest(BaseModel):
    """A new key: its role, who holds it, how long it lives and, for a field key, the vessel
    (and plan) it is bound to."""

    role: Literal["planner", "field", "viewer"]
    name: Name | None = Field(None, description="Who holds it (e.g. 'KRI Teluk Bintuni crew')")
    expires_in_s: (
        Annotated[StrictInt, Field(ge=60, le=int(keys.MAX_LIFETIME.total_seconds())), WHOLE] | None
    ) = Field(None, description="Refused after this many seconds; none: no expiry")
    vessel_id: Id | None = Field(
        None,
        description="A field key bound to this vessel of the fleet: it posts this vessel's "
        "events only and reads only its voyage (GET /field/voyage) and the event types",
    )
    plan_id: Id | None = Field(
        None,
        description="With vessel_id: the key posts for this plan (and the re-plans descending "
        "from it) only",
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"role": "field", "name": "KAL 28 crew", "expires_in_s": 1209600},
                {
                    "role": "field",
                    "name": "KRI Teluk Bintuni crew",
                    "expires_in_s": 864000,
                    "vessel_id": "kri-teluk-bintuni-520",
                },
            ],
            "allOf": BINDING,
        },
    }


@router.get("/keys", response_model=KeyList, responses=problems(401, 403))
def list_keys(settings: SettingsDep) -> dict[str, Any]:
    """Every API key's id, role, holder, expiry, state and binding (`vessel_id`, `plan_id`),
    never the key itself."""
    now = db.now()
    return {"keys": [k.as_json(now) for k in keys.list_keys(settings.database)]}


@router.post(
    "/keys", status_code=201, response_model=NewKey, responses=problems(401, 403, 413, 422)
)
def create_key(settings: SettingsDep, body: KeyRequest) -> JSONResponse:
    """Issue a key; the answer is the only time the key itself is shown.

    A field key bound to a vessel comes with `field_url`, the field page's link with the key in
    its fragment (`{public_url}/field#key=...`, never sent to a server), and `qr_svg`, that
    link as a QR code (an SVG document) for the crew's phone to scan. A vessel not in the fleet,
    an unknown plan, or a binding of another role than `field` is a 422 naming the field."""
    lifetime = timedelta(seconds=body.expires_in_s) if body.expires_in_s else None
    key, record = keys.issue(
        settings,
        body.role,
        name=body.name or "",
        lifetime=lifetime,
        vessel_id=body.vessel_id,
        plan_id=body.plan_id,
        local_boats=plans.local_boat(settings, body.vessel_id),
    )
    answer: dict[str, Any] = {**record.as_json(db.now()), "key": key}
    if record.vessel_id is not None:
        answer["field_url"] = keys.field_url(settings.public_url, key)
        answer["qr_svg"] = keys.qr_svg(answer["field_url"])
    return JSONResponse(
        answer,
        status_code=201,
        headers={"Location": f"/keys/{record.id}"},
    )


@router.api_route(
    "/keys/{key_id}",
    methods=["DELETE"],
    response_model=KeyRecord,
    responses=problems(401, 403, 404, 422),
)
def revoke_key(settings: SettingsDep, key_id: KeyId) -> dict[str, Any]:
    """Revoke a key: every worker refuses it within a second. Revoking again changes nothing."""
    record = keys.revoke_key(settings.database, key_id)
    if record is None:
        raise HTTPException(404, f"no API key with id {key_id!r}")
    return record.as_json(db.now())
