"""Hazards to navigation (reefs, shoals, restricted waters): what is in force, and changes by
planners and harbour masters, each kept with who and when. A change reaches the next plan: the
sea networks are keyed by the hazards a class avoids."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app import auth, deps
from app.deps import HazardId
from app.errors import problems
from app.services import hazards
from routing.hazards import KINDS, STATUSES
from routing.schema import Name, Text

router = APIRouter(tags=["hazards"])

# The id of a hazard set here: letters, digits, '.', '_' and '-' (what people call it goes in
# `name`), so that it reads the same in a URL, a header, a log and a file name; never a word the
# API uses after /hazards/.
NEW_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
RESERVED_IDS = frozenset({"history"})
NewHazardId = Annotated[
    str,
    Path(
        description="The hazard's id: letters, digits, '.', '_' and '-', up to 100 (not "
        "'history'); what people call it goes in `name`",
        pattern=NEW_ID_PATTERN,
    ),
]


def _not_reserved(hazard_id: str) -> None:
    if hazard_id in RESERVED_IDS:
        raise RequestValidationError(
            [
                {
                    "type": "reserved_id",
                    "loc": ("path", "hazard_id"),
                    "msg": f"'{hazard_id}' is a word of the API (GET /hazards/{hazard_id}); "
                    "choose another id",
                    "input": hazard_id,
                }
            ]
        )


class HazardIn(BaseModel):
    """A hazard as set by a person: where, how deep (or no-go), and on whose word."""

    name: Name | None = Field(None, description="What people call it (default: the id)")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    least_depth_m: Annotated[float, Field(ge=0, le=12000)] | None = Field(
        None, description="Least depth below chart datum, metres; null with no_go: true"
    )
    no_go: bool = Field(False, description="Keep every vessel out, whatever its draft")
    status: Literal[STATUSES]  # type: ignore[valid-type]
    source: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        ..., description="Who or what says so (a chart, a survey, a harbour master's report)"
    )
    note: Text | None = None
    geometry: dict[str, Any] = Field(
        ..., description="A GeoJSON Polygon or MultiPolygon, lon/lat (WGS 84)"
    )
    reason: Text = Field("", description="Why the change (kept with it)")

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Karang Raas approach",
                    "kind": "reef",
                    "least_depth_m": 1.5,
                    "status": "verified",
                    "source": "harbour master Raas, survey of 3 Jan 2025",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [114.600, -7.150],
                                [114.605, -7.150],
                                [114.605, -7.145],
                                [114.600, -7.150],
                            ]
                        ],
                    },
                }
            ]
        },
    }


@router.get("/hazards", dependencies=[auth.reader], responses=problems(401, 403))
def list_hazards(request: Request) -> dict[str, Any]:
    """The hazards in force (data/hazards.geojson with the changes made here) as a GeoJSON
    FeatureCollection: `version` (a hash of their content, recorded by each plan as
    `versions.hazards`), `revision` (changes made here so far) and per hazard its least depth or
    `no_go`, `status` (`verified`, or `unverified`: a candidate nobody confirmed, avoided only by
    scenarios with `unverified_hazards`), `source` and `last_change` (who, when, why; null: as
    the file has it)."""
    return hazards.listing(deps.settings(request))


@router.get("/hazards/history", dependencies=[auth.reader], responses=problems(401, 403, 422))
def hazard_history(
    request: Request,
    hazard_id: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """Every change made here, oldest first (or one hazard's): what was set or withdrawn, the
    reason, the key that made it and its holder, and when."""
    return {"changes": hazards.history(deps.settings(request), hazard_id=hazard_id)}


@router.get("/hazards/{hazard_id}", dependencies=[auth.reader], responses=problems(401, 403, 404))
def get_hazard(request: Request, hazard_id: HazardId) -> dict[str, Any]:
    """One hazard in force as a GeoJSON feature."""
    return hazards.one(deps.settings(request), hazard_id)


@router.put(
    "/hazards/{hazard_id}",
    dependencies=[auth.planner],
    responses={201: {"description": "A new hazard"}, **problems(401, 403, 413, 422)},
)
def put_hazard(request: Request, hazard_id: NewHazardId, body: HazardIn) -> JSONResponse:
    """Set a hazard: a new one (201) or a change to one in force (200), e.g. a candidate
    confirmed (`status: verified` with a least depth and its source) or a depth corrected. The
    next plan's sea networks go around it where a class's draft needs more water (draft times
    the under-keel ratio of data/fleet.toml)."""
    _not_reserved(hazard_id)
    props = body.model_dump(exclude={"geometry", "reason"}, exclude_none=True)
    found, new = hazards.put(
        deps.settings(request),
        hazard_id,
        props,
        body.geometry,
        reason=body.reason,
        key=auth.key_of(request),
    )
    return JSONResponse(
        found,
        status_code=201 if new else 200,
        headers={"Location": f"/hazards/{quote(hazard_id, safe='')}"},
    )


@router.delete(
    "/hazards/{hazard_id}", dependencies=[auth.planner], responses=problems(401, 403, 404, 422)
)
def withdraw_hazard(
    request: Request,
    hazard_id: HazardId,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> dict[str, Any]:
    """Withdraw a hazard in force (a candidate discarded, a reef that is not there): the next
    plans no longer go around it. The change is kept in the history."""
    return hazards.withdraw(
        deps.settings(request), hazard_id, reason=reason, key=auth.key_of(request)
    )
