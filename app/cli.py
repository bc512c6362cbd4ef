"""The ``ballot-routing`` command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from app import state, views
from app.config import get_settings
from routing.errors import RoutingError

cli = typer.Typer(
    help="Maritime routing for island ballot distribution (Sumenep).", no_args_is_help=True
)
data_cli = typer.Typer(help="Build and check the island dataset.", no_args_is_help=True)
cli.add_typer(data_cli, name="data")


class IslandFormat(StrEnum):
    geojson = "geojson"
    csv = "csv"


class VillageFormat(StrEnum):
    json = "json"
    csv = "csv"


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


@cli.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on (default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default 8000)"),
) -> None:
    """Start the HTTP service with the embedded defaults."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


@data_cli.command("build")
def data_build(
    out: Path = typer.Option(
        None, help="Output folder (default: the dataset folder, data/islands)"
    ),
    sources: Path = typer.Option(None, help="Source folder (default: data/islands/sources)"),
) -> None:
    """Rebuild the dataset from its source files (deterministic)."""
    from routing.dataset import build_dataset, write_dataset
    from routing.geodata import parse_dataset

    settings = get_settings()
    try:
        dataset = build_dataset(sources or settings.sources_dir)
        parse_dataset(dataset, source="built dataset")
    except (RoutingError, ValueError) as exc:
        _fail(exc)
    for path in write_dataset(dataset, out or settings.dataset_dir):
        typer.echo(f"wrote {path}", err=True)


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
        arch = state.archipelago(settings.dataset_dir)
    except RoutingError as exc:
        _fail(exc)
    feats = views.island_features(arch, district=district, inhabited=inhabited)
    if format is IslandFormat.csv:
        sys.stdout.write(views.islands_csv(arch, feats))
    else:
        _print_json(views.feature_collection(feats))


@cli.command()
def villages(
    format: VillageFormat = typer.Option(VillageFormat.json, "--format", help="Output format"),
    sea: bool = typer.Option(None, "--sea/--land", help="Only sea-served or land-served villages"),
    district: str = typer.Option(None, help="District name or code"),
) -> None:
    """Print the villages with their demand as JSON or CSV."""
    settings = get_settings()
    try:
        arch = state.archipelago(settings.dataset_dir)
        records = views.village_records(
            arch, state.kit(settings.kit_file), sea=sea, district=district
        )
    except RoutingError as exc:
        _fail(exc)
    if format is VillageFormat.csv:
        sys.stdout.write(views.villages_csv(records))
    else:
        _print_json(records)


class ClassFormat(StrEnum):
    json = "json"
    csv = "csv"


class MatrixFormat(StrEnum):
    csv = "csv"
    json = "json"


@cli.command("vessel-classes")
def vessel_classes(
    format: ClassFormat = typer.Option(ClassFormat.json, "--format", help="Output format"),
) -> None:
    """Print the vessel classes of the fleet catalogue with the source of every value."""
    settings = get_settings()
    try:
        records = [
            views.vessel_class_record(vc) for vc in state.fleet(settings.fleet_file).values()
        ]
    except RoutingError as exc:
        _fail(exc)
    if format is ClassFormat.csv:
        fields = [k for k in records[0] if k != "sources"] if records else []
        sys.stdout.write(views.to_csv(records, fields))
    else:
        _print_json(records)


@cli.command()
def route(
    origin: str = typer.Argument(
        ..., metavar="FROM", help="Depot id, village code or landing-point id"
    ),
    destination: str = typer.Argument(
        ..., metavar="TO", help="Depot id, village code or landing-point id"
    ),
    vessel_class: str = typer.Option(..., "--vessel-class", help="Vessel class id"),
) -> None:
    """Print the shortest sea path between two places as a GeoJSON Feature."""
    settings = get_settings()
    try:
        arch = state.archipelago(settings.dataset_dir)
        a, b = arch.place_id(origin), arch.place_id(destination)
        vc, net = state.network(
            settings.dataset_dir, settings.fleet_file, vessel_class, settings.matrix_cache_dir
        )
        _print_json(views.route_feature(net.path(a, b), vc))
    except (RoutingError, KeyError) as exc:
        _fail(exc)


@cli.command()
def matrix(
    vessel_class: str = typer.Option(..., "--vessel-class", help="Vessel class id"),
    format: MatrixFormat = typer.Option(MatrixFormat.csv, "--format", help="Output format"),
) -> None:
    """Print the distance and duration matrix between all depots and landing points."""
    settings = get_settings()
    try:
        m = state.matrix(
            settings.dataset_dir, settings.fleet_file, vessel_class, settings.matrix_cache_dir
        )
    except RoutingError as exc:
        _fail(exc)
    if format is MatrixFormat.csv:
        sys.stdout.write(views.matrix_csv(m))
    else:
        _print_json(views.matrix_record(m))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
