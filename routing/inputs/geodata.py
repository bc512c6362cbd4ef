"""Read and validate the built dataset (``data/islands/``): every problem found, raised once."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from routing.domain import VILLAGE_FIELDS, Demand, Depot, Island, LandingPoint, Village
from routing.errors import DataError, Issue, NoSeaPath, NotFound
from routing.inputs.demand import Kit, demand_for
from routing.sea.graph import Terminal

FILES = ("islands", "villages", "landing_points", "depots")
LAND_FILE = Path("sources") / "osm_land_polygons_bbox.geojson"


@dataclass(frozen=True)
class Archipelago:
    """The loaded dataset: islands, villages, landing points and depots by id."""

    islands: dict[str, Island]
    villages: dict[str, Village]
    landing_points: dict[str, LandingPoint]
    depots: dict[str, Depot]
    features: dict[str, list[dict[str, Any]]] = field(repr=False, compare=False)

    def island(self, code: str) -> Island:
        try:
            return self.islands[code]
        except KeyError:
            raise NotFound("island", code) from None

    def village(self, code: str) -> Village:
        try:
            return self.villages[code]
        except KeyError:
            raise NotFound("village", code) from None

    def terminals(self) -> list[Terminal]:
        """Every place a voyage can start or stop: depots first, then landing points."""
        return [Terminal(d.id, d.lon, d.lat) for d in self.depots.values()] + [
            Terminal(lp.id, lp.lon, lp.lat) for lp in self.landing_points.values()
        ]

    def place_id(self, ident: str) -> str:
        """Resolve a depot id, landing-point id or village code to a terminal id (ids only;
        ``resolve_place`` also takes names)."""
        if ident in self.depots or ident in self.landing_points:
            return ident
        if ident in self.villages:
            village = self.villages[ident]
            if village.landing_point_id is None:
                raise NoSeaPath(
                    ident,
                    ident,
                    f"village {village.name} is on the Madura mainland, not served by sea",
                )
            return village.landing_point_id
        raise NotFound("place", ident)

    def demand(self, code: str, kit: Kit) -> Demand:
        v = self.village(code)
        return demand_for(v.tps, v.voters_est, kit, label=f"villages/{code}")


def _check_geometry(geom: BaseGeometry | None, path: str, problems: list[Issue]) -> None:
    if geom is None or geom.is_empty:
        problems.append(Issue("empty_geometry", path, "geometry is missing or empty"))
    elif not geom.is_valid:
        problems.append(Issue("invalid_geometry", path, shapely.is_valid_reason(geom)))


def _parse_features(
    name: str, feats: list[dict[str, Any]], key: str, problems: list[Issue]
) -> list[tuple[dict[str, Any], BaseGeometry | None]]:
    counts = Counter(f.get("properties", {}).get(key) for f in feats)
    for ident, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        if n > 1:
            problems.append(Issue("duplicate_code", f"/{name}/{ident}", f"{key} appears {n} times"))
    out = []
    for n, f in enumerate(feats):
        props = f.get("properties") or {}
        ident = props.get(key, n)
        try:
            geom: BaseGeometry | None = shape(f["geometry"]) if f.get("geometry") else None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(Issue("invalid_geometry", f"/{name}/{ident}/geometry", str(exc)))
            geom = None
        else:
            _check_geometry(geom, f"/{name}/{ident}/geometry", problems)
        out.append((props, geom))
    return out


def _island(props: dict[str, Any], geom: BaseGeometry) -> Island:
    return Island(
        code=props["code"],
        name=props["name"],
        source=props["source"],
        gazetteer_status=props["gazetteer_status"],
        inhabited=bool(props["inhabited"]),
        inhabited_evidence=tuple(props["inhabited_evidence"]),
        area_km2=props["area_km2"],
        area_km2_gazetteer=props["area_km2_gazetteer"],
        osm_poly_id=props["osm_poly_id"],
        geometry_source=props["geometry_source"],
        shares_polygon_with=props["shares_polygon_with"],
        district_codes=tuple(props["district_codes"]),
        districts=tuple(props["districts"]),
        village_seats=tuple(props["village_seats"]),
        is_madura_mainland=bool(props["is_madura_mainland"]),
        geometry=geom,
    )


def _village(props: dict[str, Any], geom: BaseGeometry) -> Village:
    return Village(**{k: props[k] for k in VILLAGE_FIELDS}, geometry=geom)


def _landing(props: dict[str, Any]) -> LandingPoint:
    return LandingPoint(
        id=props["id"],
        lon=float(props["lon"]),
        lat=float(props["lat"]),
        source=props["source"],
        island_code=props["island_code"],
        village_codes=tuple(props["village_codes"]),
        name=props["name"],
        depth_m=props["depth_m"],
        registry_name=props.get("registry"),
        registry_lon=props["registry_lon"],
        registry_lat=props["registry_lat"],
        offshore_m=float(props["offshore_m"]),
    )


def _depot(props: dict[str, Any]) -> Depot:
    return Depot(
        id=props["id"],
        name=props["name"],
        lon=float(props["lon"]),
        lat=float(props["lat"]),
        registry_name=props["registry_name"],
        registry_lon=float(props["registry_lon"]),
        registry_lat=float(props["registry_lat"]),
        source=props["source"],
    )


def _check_villages(
    villages: list[dict[str, Any]],
    island_codes: set[str],
    landing_ids: set[str],
    problems: list[Issue],
) -> None:
    for v in villages:
        path = f"/villages/{v.get('code')}"
        for field_name in ("tps", "tps_regular", "tps_special", "dpt_2019", "voters_est"):
            value = v.get(field_name)
            if not isinstance(value, int) or value < 0:
                problems.append(
                    Issue(
                        "negative_value",
                        f"{path}/{field_name}",
                        f"{field_name} is {value!r}; must be an integer >= 0",
                    )
                )
        island = v.get("island_code")
        if not island or island not in island_codes:
            problems.append(
                Issue(
                    "village_without_island",
                    f"{path}/island_code",
                    f"island {island!r} is not in the dataset",
                )
            )
        lp = v.get("landing_point_id")
        if v.get("sea") and (not lp or lp not in landing_ids):
            problems.append(
                Issue(
                    "missing_landing_point",
                    f"{path}/landing_point_id",
                    f"village is served by sea but landing point {lp!r} is not in the dataset",
                )
            )


def parse_dataset(
    features: dict[str, list[dict[str, Any]]], *, source: str = "dataset"
) -> Archipelago:
    """Validate raw feature lists and build an ``Archipelago``; every problem raised at once.

    Raises
    ------
    DataError
        Listing broken or empty geometry, duplicate codes, negative counts, villages without an
        island, and sea-served villages without a landing point.
    """
    problems: list[Issue] = []
    parsed = {
        name: _parse_features(
            name,
            features.get(name, []),
            "code" if name in ("islands", "villages") else "id",
            problems,
        )
        for name in FILES
    }
    for name in FILES:
        if not parsed[name]:
            problems.append(Issue("empty_layer", f"/{name}", f"the dataset has no {name}"))
    island_codes = {p["code"] for p, _ in parsed["islands"] if "code" in p}
    landing_ids = {p["id"] for p, _ in parsed["landing_points"] if "id" in p}
    _check_villages([p for p, _ in parsed["villages"]], island_codes, landing_ids, problems)
    if problems:
        raise DataError(problems, source=source)
    try:
        return Archipelago(
            islands={p["code"]: _island(p, g) for p, g in parsed["islands"] if g is not None},
            villages={p["code"]: _village(p, g) for p, g in parsed["villages"] if g is not None},
            landing_points={p["id"]: _landing(p) for p, _ in parsed["landing_points"]},
            depots={p["id"]: _depot(p) for p, _ in parsed["depots"]},
            features=features,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            [Issue("missing_field", "/", f"a feature lacks a field: {exc}")], source=source
        ) from exc


def load_dataset(folder: Path) -> Archipelago:
    """Read the four GeoJSON files of a built dataset and validate them."""
    problems: list[Issue] = []
    features: dict[str, list[dict[str, Any]]] = {}
    for name in FILES:
        path = folder / f"{name}.geojson"
        try:
            with path.open(encoding="utf-8") as fh:
                features[name] = json.load(fh)["features"]
        except FileNotFoundError:
            problems.append(Issue("missing_file", f"/{name}", f"{path} does not exist"))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            problems.append(Issue("unreadable_file", f"/{name}", f"{path}: {exc}"))
    if problems:
        raise DataError(problems, source=str(folder))
    return parse_dataset(features, source=str(folder))


def load_land(dataset_dir: Path) -> list[BaseGeometry]:
    """The OSM land polygons (lon/lat) that the dataset was built from, in file order."""
    path = dataset_dir / LAND_FILE
    try:
        with path.open(encoding="utf-8") as fh:
            feats = json.load(fh)["features"]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise DataError(
            [Issue("unreadable_file", "/land", f"{path}: {exc}")], source=str(path)
        ) from exc
    problems: list[Issue] = []
    geoms = []
    for n, f in enumerate(feats):
        geom = shape(f["geometry"])
        _check_geometry(geom, f"/land/{n}/geometry", problems)
        geoms.append(geom)
    if problems:
        raise DataError(problems, source=str(path))
    return geoms
