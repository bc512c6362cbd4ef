"""Vessel classes, sea routes and distance matrices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from app import views
from app.dataset.schemas import MatrixRecord, VesselClassRecord
from app.deps import ArchipelagoDep, ClassId, FleetDep, SettingsDep
from app.errors import problems
from app.hazards import service as hazards
from app.models import Feature
from routing import inputs as data
from routing.inputs.fleet import vessel_class
from routing.inputs.places import resolve_place
from routing.inputs.schema import NO_CONTROL

router = APIRouter(tags=["sea routes"])


@router.get("/vessel-classes", response_model=list[VesselClassRecord])
def list_vessel_classes(
    fleet: FleetDep,
) -> list[dict[str, Any]]:
    """Vessel classes with speed, capacity, draft, clearance and the source of every value."""
    return [views.vessel_class_record(vc) for vc in fleet.values()]


@router.get("/vessel-classes/{class_id}", response_model=VesselClassRecord, responses=problems(404))
def get_vessel_class(class_id: ClassId, fleet: FleetDep) -> dict[str, Any]:
    """One vessel class."""
    return views.vessel_class_record(vessel_class(fleet, class_id))


PLACE = (
    "Depot id, village code, landing-point id, or the name of a place, village, district or "
    "island (case, accents and punctuation ignored; a district or island means its main landing; "
    "an unknown name is a 404 and an ambiguous one a 422, each listing candidates)"
)


def _place_query(alias: str, example: str) -> Any:
    return Query(
        alias=alias,
        description=PLACE,
        examples=[example],
        min_length=1,
        max_length=100,
        pattern=NO_CONTROL,
    )


@router.get(
    "/sea-routes",
    response_class=views.GeoJSONResponse,
    response_model=Feature,
    responses={
        200: {"content": {"application/geo+json": {"example": {"type": "Feature"}}}},
        **problems(404, 422),
    },
)
def sea_route(
    origin: Annotated[str, _place_query("from", "kalianget")],
    destination: Annotated[str, _place_query("to", "35.29.23.2002")],
    class_id: Annotated[
        str,
        Query(
            alias="vessel_class",
            description="Vessel class id",
            examples=["sabuk_nusantara"],
            max_length=100,
            pattern=NO_CONTROL,
        ),
    ],
    settings: SettingsDep,
    arch: ArchipelagoDep,
) -> Response:
    """The shortest sea path between two places for a vessel class, as a GeoJSON Feature.

    Each end is a place id or name; ``from_resolved`` and ``to_resolved`` say which depot or
    landing point it was taken to mean and why (a district or island: its main landing)."""
    a = resolve_place(arch, origin, path="/query/from")
    b = resolve_place(arch, destination, path="/query/to")
    vc, net = data.network(
        settings.data_dir,
        class_id,
        settings.matrix_cache_dir,
        in_force=hazards.in_force(settings).hazards,
    )
    feature = views.route_feature(net.path(a.place_id, b.place_id), vc)
    props = feature["properties"]
    props["from_query"], props["to_query"] = origin, destination
    props["from_resolved"] = views.resolved_record(a)
    props["to_resolved"] = views.resolved_record(b)
    return views.GeoJSONResponse(feature)


@router.get(
    "/matrices/{class_id}",
    response_model=MatrixRecord,
    responses={200: {"content": {"text/csv": {}}}, **problems(404)},
)
def get_matrix(
    class_id: ClassId,
    settings: SettingsDep,
    format: str = Query("json", pattern="^(json|csv)$", description="json or csv"),
) -> Any:
    """Integer metres and seconds between all depots and landing points for a vessel class."""
    m = data.matrix(
        settings.data_dir,
        class_id,
        settings.matrix_cache_dir,
        in_force=hazards.in_force(settings).hazards,
    )
    if format == "csv":
        return PlainTextResponse(views.matrix_csv(m), media_type="text/csv")
    return views.matrix_record(m)
