"""Hazards to navigation (reefs, shoals, restricted waters): what is in force, and changes by
planners and harbour masters, each kept with who and when. A change reaches the next plan: the
sea networks are keyed by the hazards a class avoids."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import shapely
from fastapi import APIRouter, Path, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StrictFloat,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from shapely.validation import explain_validity

from app import auth
from app.deps import CurrentKey, HazardId, SettingsDep
from app.errors import problems
from app.hazards import service as hazards
from app.hazards.schemas import HazardChange, HazardCollection, HazardFeature, HazardHistory
from app.preconditions import IfMatch, IfNoneMatch, Preconditions, etag_header
from routing.inputs.hazards import KINDS, MAX_RING_SPAN_DEG, STATUSES
from routing.inputs.schema import Name, Text

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


Lon = Annotated[
    StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False, description="Longitude, degrees")
]
Lat = Annotated[
    StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False, description="Latitude, degrees")
]
Position = Annotated[tuple[Lon, Lat], Field(description="[longitude, latitude] (WGS 84), 2-D")]


def _ring(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if ring[0] != ring[-1]:
        raise PydanticCustomError(
            "unclosed_ring", "a ring is closed: its last position repeats its first"
        )
    lons = [p[0] for p in ring]
    if max(lons) - min(lons) > MAX_RING_SPAN_DEG:
        raise PydanticCustomError(
            "antimeridian",
            f"a ring spans more than {MAX_RING_SPAN_DEG:g} degrees of longitude (one across the "
            "antimeridian, or round the world); hazards lie in the planning region",
        )
    return ring


Ring = Annotated[
    list[Position],
    Field(min_length=4, description="A closed ring: at least 4 positions, the last the first"),
    AfterValidator(_ring),
]


def _valid(geometry: dict[str, Any]) -> None:
    shape = shapely.geometry.shape(geometry)
    if not shape.is_valid:
        raise PydanticCustomError(
            "invalid_geometry", "not a valid polygon: {why}", {"why": explain_validity(shape)}
        )


class HazardPolygon(BaseModel):
    """A GeoJSON Polygon: the outer ring, then any holes."""

    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1, max_length=1000)]

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _is_valid(self) -> HazardPolygon:
        _valid(self.model_dump())
        return self


class HazardMultiPolygon(BaseModel):
    """A GeoJSON MultiPolygon: polygons, each its outer ring then any holes."""

    type: Literal["MultiPolygon"]
    coordinates: Annotated[
        list[Annotated[list[Ring], Field(min_length=1, max_length=1000)]],
        Field(min_length=1, max_length=1000),
    ]

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _is_valid(self) -> HazardMultiPolygon:
        _valid(self.model_dump())
        return self


def _as_geometry(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The geometry's problems at their place in it: a type that is not Polygon or
    MultiPolygon (a Feature, a Point) at ``/geometry/type``, the rest without the union's
    tag (``/geometry/coordinates/0/3``)."""
    try:
        return handler(value)
    except ValidationError as exc:
        found: list[InitErrorDetails] = []
        for e in exc.errors():
            loc = tuple(e["loc"])
            code, message = e["type"], e["msg"]
            if code in ("union_tag_invalid", "union_tag_not_found"):
                loc = ("type",)
                code = "bad_geometry_type"
                got = value.get("type") if isinstance(value, dict) else None
                message = f"must be Polygon or MultiPolygon (a geometry, not a Feature): {got!r}"
            elif loc[:1] in (("Polygon",), ("MultiPolygon",)):
                loc = loc[1:]
            found.append(
                InitErrorDetails(
                    type=PydanticCustomError(code, message.replace("{", "(").replace("}", ")")),
                    loc=loc,
                    input=e["input"],
                )
            )
        raise ValidationError.from_exception_data("geometry", found) from None


Geometry = Annotated[
    HazardPolygon | HazardMultiPolygon,
    Field(discriminator="type"),
    WrapValidator(_as_geometry),
]


class HazardIn(BaseModel):
    """A hazard as set by a person: where, how deep (or no-go), and on whose word."""

    name: Name | None = Field(None, description="What people call it (default: the id)")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    least_depth_m: Annotated[StrictFloat, Field(ge=0, le=12000, allow_inf_nan=False)] | None = (
        Field(None, description="Least depth below chart datum, metres; null with no_go: true")
    )
    no_go: StrictBool = Field(False, description="Keep every vessel out, whatever its draft")
    status: Literal[STATUSES]  # type: ignore[valid-type]
    source: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        ..., description="Who or what says so (a chart, a survey, a harbour master's report)"
    )
    note: Text | None = None
    reported_on: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        None, description="status reported: the date of the report (YYYY-MM-DD)"
    )
    position: (
        tuple[
            Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)],
            Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)],
        ]
        | None
    ) = Field(None, description="status reported: the position reported, [lon, lat]")
    radius_m: Annotated[StrictFloat, Field(gt=0, le=100_000, allow_inf_nan=False)] | None = Field(
        None, description="status reported: the radius kept clear round the position, metres"
    )
    radius_source: Text | None = Field(
        None, description="status reported: why that radius (or 'assumed: ...')"
    )
    geometry: Geometry = Field(
        ...,
        description="A GeoJSON Polygon or MultiPolygon, lon/lat (WGS 84): closed rings of 2-D "
        "positions, a valid shape within the planning region (the dataset's islands and the "
        "sea around them), no ring across the antimeridian",
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


@router.get(
    "/hazards",
    dependencies=[auth.reader],
    response_model=HazardCollection,
    responses=problems(401, 403),
)
def list_hazards(settings: SettingsDep) -> dict[str, Any]:
    """The hazards in force (data/hazards.geojson with the changes made here) as a GeoJSON
    FeatureCollection: `version` (a hash of their content, recorded by each plan as
    `versions.hazards`), `revision` (changes made here so far) and per hazard its least depth or
    `no_go`, `status` (`verified`; `reported`: a grounding or wreck at a reported `position`, kept
    clear by `radius_m`; or `unverified`: a candidate nobody confirmed, avoided only by scenarios
    with `unverified_hazards`), `source` and `last_change` (who, when, why; null: as
    the file has it)."""
    return hazards.listing(settings)


@router.get(
    "/hazards/history",
    dependencies=[auth.reader],
    response_model=HazardHistory,
    responses=problems(401, 403, 422),
)
def hazard_history(
    settings: SettingsDep,
    hazard_id: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """Every change made here, oldest first (or one hazard's): what was set or withdrawn, the
    reason, the key that made it and its holder, and when."""
    return {"changes": hazards.history(settings, hazard_id=hazard_id)}


ETAG = etag_header("hazard")


@router.get(
    "/hazards/{hazard_id}",
    dependencies=[auth.reader],
    response_model=HazardFeature,
    responses={200: {"headers": ETAG}, **problems(401, 403, 404)},
)
def get_hazard(settings: SettingsDep, hazard_id: HazardId) -> JSONResponse:
    """One hazard in force as a GeoJSON feature, with its ETag (for If-Match)."""
    found, tag = hazards.one(settings, hazard_id)
    return JSONResponse(found, headers={"ETag": tag})


@router.put(
    "/hazards/{hazard_id}",
    dependencies=[auth.planner],
    response_model=HazardFeature,
    responses={
        200: {"description": "A change to a hazard in force", "headers": ETAG},
        201: {"description": "A new hazard", "headers": ETAG, "model": HazardFeature},
        **problems(401, 403, 412, 413, 422, 428),
    },
)
def put_hazard(
    settings: SettingsDep,
    key: CurrentKey,
    hazard_id: NewHazardId,
    body: HazardIn,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> JSONResponse:
    """Set a hazard: a new one (201) or a change to one in force (200, with If-Match: the
    ETag it was read with; 428 without, 412 when it changed since), e.g. a candidate confirmed
    (`status: verified` with a least depth and its source) or a depth corrected. The answer is
    the hazard as this change set it, with its new ETag. The next plan's sea networks go
    around it where a class's draft needs more water (draft times the under-keel ratio of
    data/fleet.toml)."""
    _not_reserved(hazard_id)
    props = body.model_dump(exclude={"geometry", "reason"}, exclude_none=True)
    found, new, tag = hazards.put(
        settings,
        hazard_id,
        props,
        body.geometry.model_dump(),
        reason=body.reason,
        key=key,
        pre=Preconditions(if_match, if_none_match),
    )
    return JSONResponse(
        found,
        status_code=201 if new else 200,
        headers={"Location": f"/hazards/{quote(hazard_id, safe='')}", "ETag": tag},
    )


@router.delete(
    "/hazards/{hazard_id}",
    dependencies=[auth.planner],
    response_model=HazardChange,
    responses=problems(401, 403, 404, 412, 422, 428),
)
def withdraw_hazard(
    settings: SettingsDep,
    key: CurrentKey,
    hazard_id: HazardId,
    reason: Annotated[str, Query(max_length=2000)] = "",
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Withdraw a hazard in force (a candidate discarded, a reef that is not there), with
    If-Match: the ETag it was read with (428 without, 412 when it changed since): the next
    plans no longer go around it. The change is kept in the history."""
    return hazards.withdraw(
        settings,
        hazard_id,
        reason=reason,
        key=key,
        pre=Preconditions(if_match),
    )
