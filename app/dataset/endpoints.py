"""Read-only views of the island dataset: islands, villages with demand, depots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from app import views
from app.dataset.schemas import VillageRecord, Villages
from app.deps import ArchipelagoDep, KitDep, PlaceCode, SettingsDep
from app.errors import problems
from app.models import Feature, FeatureCollection
from routing import inputs as data
from routing.inputs.schema import NO_CONTROL
from routing.sea.weather import area_features

router = APIRouter(tags=["dataset"])

GEOJSON = "application/geo+json"


@router.get("/islands", response_class=views.GeoJSONResponse, response_model=FeatureCollection)
def list_islands(
    arch: ArchipelagoDep,
    district: str | None = Query(
        None,
        description="District name or code, e.g. Sapeken or 35.29.25",
        max_length=100,
        pattern=NO_CONTROL,
    ),
    inhabited: bool | None = Query(
        None, description="Only inhabited (true) or uninhabited (false) islands"
    ),
) -> Response:
    """Islands of Sumenep as a GeoJSON FeatureCollection (RFC 7946)."""
    return views.GeoJSONResponse(
        views.feature_collection(
            views.island_features(arch, district=district, inhabited=inhabited)
        )
    )


@router.get(
    "/islands/{code}",
    response_class=views.GeoJSONResponse,
    response_model=Feature,
    responses=problems(404),
)
def get_island(code: PlaceCode, arch: ArchipelagoDep) -> Response:
    """One island as a GeoJSON Feature, by gazetteer code (35.29.40081) or osm-<id>."""
    arch.island(code)
    found = next(f for f in arch.features["islands"] if f["properties"]["code"] == code)
    return views.GeoJSONResponse(found)


@router.get("/villages", response_model=Villages)
def list_villages(
    arch: ArchipelagoDep,
    kit: KitDep,
    sea: bool | None = Query(
        None, description="Only villages served by sea (true) or by land (false)"
    ),
    district: str | None = Query(
        None, description="District name or code", max_length=100, pattern=NO_CONTROL
    ),
) -> dict[str, Any]:
    """Villages with their TPS, estimated voters, demand and landing point."""
    records = views.village_records(arch, kit, sea=sea, district=district)
    return {"count": len(records), "villages": records}


@router.get("/villages/{code}", response_model=VillageRecord, responses=problems(404))
def get_village(code: PlaceCode, arch: ArchipelagoDep, kit: KitDep) -> dict[str, Any]:
    """One village with its demand, by Kemendagri code (35.29.24.2001)."""
    return views.village_record(arch, arch.village(code), kit)


@router.get("/depots", response_class=views.GeoJSONResponse, response_model=FeatureCollection)
def list_depots(arch: ArchipelagoDep) -> Response:
    """Depots where voyages start and reload (Kalianget, Dungkek) as GeoJSON."""
    return views.GeoJSONResponse(views.feature_collection(arch.features["depots"]))


@router.get(
    "/landing-points", response_class=views.GeoJSONResponse, response_model=FeatureCollection
)
def list_landing_points(arch: ArchipelagoDep) -> Response:
    """Landing points of the sea-served villages as GeoJSON."""
    return views.GeoJSONResponse(views.feature_collection(arch.features["landing_points"]))


@router.get("/sea-areas", response_class=views.GeoJSONResponse, response_model=FeatureCollection)
def list_sea_areas(settings: SettingsDep) -> Response:
    """The named sea areas that wave forecasts refer to (data/sea_areas.toml), as GeoJSON."""
    areas = data.sea_areas(settings.data_dir)
    return views.GeoJSONResponse(area_features(areas[k] for k in sorted(areas)))
