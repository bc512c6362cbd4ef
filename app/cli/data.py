"""The dataset's commands: ``data build``, ``data check-coast``, ``islands``, ``villages``,
``vessel-classes``, ``route``, ``matrix`` and ``graph export``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from app import clitext, views
from app.cli.base import (
    LANG_OPTION,
    MARKUP,
    IslandFormat,
    Lang,
    TableFormat,
    cli,
    data_cli,
    fail,
    print_json,
    resolve_class,
    resolve_district,
    wrote,
)
from app.config import get_settings
from routing import inputs as data
from routing.errors import RoutingError
from routing.inputs import DataFiles
from routing.inputs.places import resolve_place


@data_cli.command("build")
def data_build(
    out: Path = typer.Option(
        None, help="Output folder (default: the dataset folder, data/islands)"
    ),
    sources: Path = typer.Option(None, help="Source folder (default: data/islands/sources)"),
    lang: Lang = LANG_OPTION,
) -> None:
    """Rebuild the dataset from its source files (deterministic)."""
    from routing.inputs.geodata import parse_dataset
    from routing.tools.dataset import build_dataset, write_dataset

    settings = get_settings()
    try:
        dataset = build_dataset(sources or settings.sources_dir)
        parse_dataset(dataset, source="built dataset")
    except (RoutingError, ValueError) as exc:
        fail(exc)
    wrote(list(write_dataset(dataset, out or settings.dataset_dir)), lang)


@data_cli.command("check-coast")
def data_check_coast(
    step: float = typer.Option(0.005, min=0.001, max=0.05, help="Grid step, degrees"),
    min_distance: float = typer.Option(
        1500, "--min-distance", min=0, max=20000, help="Metres from OSM land a cell must be"
    ),
    write: bool = typer.Option(
        False, "--write", help="Add new candidates to data/hazards.geojson as unverified"
    ),
    lang: Lang = LANG_OPTION,
) -> None:
    """List the places where the GLOBE land mask sees land and the OSM coast open water: reef
    or islet candidates for a person to confirm or discard (see data/hazards.geojson)."""
    import shapely

    from routing.inputs.hazards import dump
    from routing.tools.coastcheck import candidates

    settings = get_settings()
    path = DataFiles(settings.data_dir).hazards
    try:
        land = data.land(settings.data_dir)
        known = data.file_hazards(settings.data_dir)
    except RoutingError as exc:
        fail(exc)
    found = candidates(
        land,
        shapely.union_all(list(land)).bounds,
        step_deg=step,
        min_distance_m=min_distance,
        known=known,
    )
    text = clitext.words(lang)
    typer.echo(text["coast_found"].format(count=len(found), distance=f"{min_distance:g}"))
    typer.echo(
        text["coast_header"].format(id="id", lat="lat", lon="lon", km2="km2", osm=text["coast_osm"])
    )
    for c in found:
        on_file = c.covered_by or "-"
        typer.echo(
            f"{c.id:<22} {c.lat:>9.4f} {c.lon:>10.4f} {c.area_km2:>6.2f} "
            f"{c.nearest_osm_land_m:>10.0f}  {on_file}"
        )
    if write:
        new = [c.hazard(min_distance) for c in found if c.covered_by is None]
        known_ids = {h.id for h in known}
        new = [h for h in new if h.id not in known_ids]
        path.write_text(dump((*known, *new)), encoding="utf-8")
        typer.echo(text["wrote_hazards"].format(path=path, count=len(new)), err=True)


@cli.command()
def islands(
    format: IslandFormat = typer.Option(IslandFormat.geojson, "--format", help="Output format"),
    district: str = typer.Option(None, help="District name or code"),
    inhabited: bool = typer.Option(
        None, "--inhabited/--uninhabited", help="Filter by inhabited flag"
    ),
) -> None:
    """Print the islands as GeoJSON or CSV."""
    settings = get_settings()
    try:
        arch = data.archipelago(settings.data_dir)
    except RoutingError as exc:
        fail(exc)
    if district is not None:
        district = resolve_district(arch, district)
    feats = views.island_features(arch, district=district, inhabited=inhabited)
    if format is IslandFormat.csv:
        sys.stdout.write(views.islands_csv(arch, feats))
    else:
        print_json(views.feature_collection(feats))


@cli.command()
def villages(
    format: TableFormat = typer.Option(TableFormat.json, "--format", help="Output format"),
    sea: bool = typer.Option(None, "--sea/--land", help="Only sea-served or land-served villages"),
    district: str = typer.Option(None, help="District name or code"),
) -> None:
    """Print the villages with their demand as JSON or CSV."""
    settings = get_settings()
    try:
        arch = data.archipelago(settings.data_dir)
        if district is not None:
            district = resolve_district(arch, district)
        records = views.village_records(
            arch, data.kit(settings.data_dir), sea=sea, district=district
        )
    except RoutingError as exc:
        fail(exc)
    if format is TableFormat.csv:
        sys.stdout.write(views.villages_csv(records))
    else:
        print_json(records)


@cli.command("vessel-classes")
def vessel_classes(
    format: TableFormat = typer.Option(TableFormat.json, "--format", help="Output format"),
) -> None:
    """Print the vessel classes of the fleet catalogue with the source of every value."""
    settings = get_settings()
    try:
        records = [views.vessel_class_record(vc) for vc in data.fleet(settings.data_dir).values()]
    except RoutingError as exc:
        fail(exc)
    if format is TableFormat.csv:
        fields = [k for k in records[0] if k != "sources"] if records else []
        sys.stdout.write(views.to_csv(records, fields))
    else:
        print_json(records)


PLACE_HELP = "Place id or name (see below)"


@cli.command()
def route(
    origin: str = typer.Argument(..., metavar="FROM", help=PLACE_HELP),
    destination: str = typer.Argument(..., metavar="TO", help=PLACE_HELP),
    vessel_class: str = typer.Option(..., "--vessel-class", help="Vessel class id (any case)"),
) -> None:
    """Print the shortest sea path between two places as a GeoJSON Feature on stdout; which
    depot or landing each place was taken to mean goes to stderr.

    A place is an id (depot, landing point, village, island, district) or a name, without
    case, accents or "Pulau", "Kecamatan", "Desa":

    - **regency** ("Sumenep", "Kabupaten Sumenep"): the depot nearest its seat, Kota
      Sumenep (Kalianget);
    - **district** ("Kota Sumenep", "Kec. Arjasa"): its main landing (the port serving most
      TPS); a mainland district: the depot nearest its villages;
    - **island** ("Kangean", "Pulau Sapudi"): its main landing;
    - **village**: its landing.

    A name that fits several kinds: depot or landing first, then regency or district, island,
    village; a place not reachable by sea gives way to one of the same name that is."""
    settings = get_settings()
    vessel_class = resolve_class(vessel_class)
    try:
        arch = data.archipelago(settings.data_dir)
    except RoutingError as exc:
        fail(exc)
    a = _place(arch, origin, "FROM")
    b = _place(arch, destination, "TO")
    typer.echo(f"from: {a.note}", err=True)
    typer.echo(f"to: {b.note}", err=True)
    try:
        vc, net = data.network(settings.data_dir, vessel_class, settings.matrix_cache_dir)
        feature = views.route_feature(net.path(a.place_id, b.place_id), vc)
        props = feature["properties"]
        props["from_query"], props["to_query"] = origin, destination
        props["from_resolved"] = views.resolved_record(a)
        props["to_resolved"] = views.resolved_record(b)
        print_json(feature)
    except (RoutingError, KeyError) as exc:
        fail(exc)


def _place(arch: Any, query: str, argument: str) -> Any:
    """What a place given to ``route`` stands for, or an error naming the argument and the
    place (a place not reachable by sea: why)."""
    from routing.errors import NoSeaPath

    try:
        return resolve_place(arch, query)
    except NoSeaPath as exc:
        fail(ValueError(f"{argument} {query!r}: not reachable by sea: {exc.reason}"))
    except RoutingError as exc:
        fail(ValueError(f"{argument}: {exc}"))


@cli.command()
def matrix(
    vessel_class: str = typer.Option(..., "--vessel-class", help="Vessel class id (any case)"),
    format: TableFormat = typer.Option(TableFormat.csv, "--format", help="Output format"),
) -> None:
    """Print the distance and duration matrix between all depots and landing points."""
    settings = get_settings()
    vessel_class = resolve_class(vessel_class)
    try:
        m = data.matrix(settings.data_dir, vessel_class, settings.matrix_cache_dir)
    except RoutingError as exc:
        fail(exc)
    if format is TableFormat.csv:
        sys.stdout.write(views.matrix_csv(m))
    else:
        print_json(views.matrix_record(m))


graph_cli = typer.Typer(
    help="A vessel class's sea network as a graph (GraphML or GeoJSON).",
    no_args_is_help=True,
    rich_markup_mode=MARKUP,
)
cli.add_typer(graph_cli, name="graph")


class GraphFormat(StrEnum):
    graphml = "graphml"
    geojson = "geojson"


GRAPH_EXTENSIONS = {
    ".graphml": GraphFormat.graphml,
    ".geojson": GraphFormat.geojson,
    ".json": GraphFormat.geojson,
}


@graph_cli.command("export")
def graph_export(
    vessel_class: str = typer.Option(..., "--vessel-class", help="Vessel class id (any case)"),
    out: Path = typer.Option(..., "--out", help="File to write (.graphml, .geojson or .json)"),
    format: GraphFormat | None = typer.Option(
        None, "--format", help="graphml or geojson (default: from the extension of --out)"
    ),
    lang: Lang = LANG_OPTION,
) -> None:
    """Write the sea network of a vessel class as GraphML or GeoJSON.

    Nodes: the terminals (by id) and the obstacle vertices (v0, v1, ...), with lon/lat; edges:
    straight segments with their length in metres and geometry. What was written goes to
    stderr."""
    from routing.outputs import graph as graphexport

    chosen = format or GRAPH_EXTENSIONS.get(out.suffix.lower())
    if chosen is None:
        known = ", ".join(GRAPH_EXTENSIONS)
        fail(ValueError(f"--out: cannot tell the format of {out} ({known}); give --format"))
        return
    settings = get_settings()
    vessel_class = resolve_class(vessel_class)
    try:
        vc, net = data.network(settings.data_dir, vessel_class, settings.matrix_cache_dir)
        g = graphexport.to_networkx(net.graph, vessel_class=vc.id)
        out.parent.mkdir(parents=True, exist_ok=True)
        if chosen is GraphFormat.graphml:
            graphexport.write_graphml(g, out)
        else:
            graphexport.write_geojson(g, out)
    except (RoutingError, OSError) as exc:
        fail(exc)
    line = clitext.words(lang)["wrote_graph"].format(
        path=out,
        format=chosen.value,
        nodes=g.number_of_nodes(),
        edges=g.number_of_edges(),
        vessel_class=vc.id,
        clearance=f"{vc.clearance_m:g}",
    )
    typer.echo(line, err=True)
