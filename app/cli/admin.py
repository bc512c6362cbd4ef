"""The service's administration: ``db migrate`` and ``keys create|list|revoke``."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from app import clitext
from app.cli.base import (
    LANG_OPTION,
    MARKUP,
    Lang,
    TableFormat,
    cli,
    fail,
    print_json,
    resolve_vessel,
    wrote,
)
from app.config import Settings, get_settings
from routing.errors import DataError, RoutingError

db_cli = typer.Typer(help="The database.", no_args_is_help=True, rich_markup_mode=MARKUP)
cli.add_typer(db_cli, name="db")


@db_cli.command("migrate")
def db_migrate() -> None:
    """Bring the database (`DATABASE_URL`, else the SQLite file) to the newest schema and exit;
    each API worker does the same at start, but not several at once on an empty database."""
    from sqlalchemy.engine import make_url

    from app import db

    settings = get_settings()
    where = make_url(settings.database).render_as_string(hide_password=True)
    try:
        db.migrate(settings.database)
    except Exception as exc:  # the database away or refusing: said plainly, exit 1
        fail(RuntimeError(f"{where}: {exc}"))


keys_cli = typer.Typer(help="API keys.", no_args_is_help=True, rich_markup_mode=MARKUP)
cli.add_typer(keys_cli, name="keys")


@keys_cli.command("create")
def keys_create(
    role: str = typer.Option(..., "--role", help="planner, field or viewer"),
    name: str = typer.Option("", "--name", help="Who holds it"),
    expires: str = typer.Option(
        None, "--expires", help="Refused after this long: 14d, 12h, 30m or 90s (default: never)"
    ),
    vessel: str = typer.Option(
        None,
        "--vessel",
        help="A field key bound to this vessel (id in data/fleet.toml): it posts this "
        "vessel's events only and reads only its voyage",
    ),
    plan: str = typer.Option(
        None, "--plan", help="With --vessel: bound to this plan (and its re-plans) too"
    ),
    qr: bool = typer.Option(
        False,
        "--qr",
        help="Also print the field page's link with the key (BALLOT_PUBLIC_URL/field#key=...) "
        "and that link as a QR code for the crew's phone",
    ),
    qr_file: Path = typer.Option(
        None, "--qr-file", help="Also write the link's QR code to this .png or .svg file"
    ),
    lang: Lang = LANG_OPTION,
) -> None:
    """Create an API key and print it (it is stored hashed: this is the only time it is shown).

    With --qr, the next line is the field page's link (the key in its fragment, which never
    reaches a server) and a QR code of it follows, for the crew's phone to scan."""
    from app import db
    from app.keys import service as keys
    from app.plans import service as plans

    settings = get_settings()
    if role not in keys.ROLES:
        fail(ValueError(f"--role must be one of {', '.join(keys.ROLES)}"))
    try:
        lifetime = keys.parse_lifetime(expires) if expires else None
    except ValueError as exc:
        fail(ValueError(f"--expires: {exc}"))
    if (qr or qr_file is not None) and (role != "field" or vessel is None):
        option = "--qr" if qr else "--qr-file"
        why = "the field page needs a field key bound to a vessel (--vessel)"
        fail(ValueError(f"{option}: {why}"))
    if qr_file is not None and qr_file.suffix.lower() not in (".png", ".svg"):
        fail(ValueError(f"--qr-file: {qr_file} is neither a .png nor a .svg file"))
    if vessel is not None and role == "field":
        from app.vessels.service import fleet_vessels

        try:
            fleet = {v.id: v.name for v in fleet_vessels(settings).values()}
        except RoutingError as exc:
            fail(exc)
        vessel = resolve_vessel(vessel, fleet)
    db.migrate(settings.database)
    try:
        key, record = keys.issue(
            settings, role, name=name, lifetime=lifetime, vessel_id=vessel, plan_id=plan,
            local_boats=plans.local_boat(settings, vessel),
        )  # fmt: skip
    except DataError as exc:
        options = {"/vessel_id": "--vessel", "/plan_id": "--plan"}
        why = "; ".join(f"{options.get(p.path, p.path)}: {p.message}" for p in exc.problems)
        fail(ValueError(why))
        return
    typer.echo(key)
    if qr or qr_file is not None:
        _field_link(settings, key, qr=qr, qr_file=qr_file, lang=lang)
    if record.expires_at is not None:
        line = clitext.words(lang)["key_expires"]
        typer.echo(line.format(id=record.id, when=_wib(record.expires_at)), err=True)


def _field_link(settings: Settings, key: str, *, qr: bool, qr_file: Path | None, lang: str) -> None:
    """Print the field page's link with ``key`` (a warning where a phone cannot reach the public
    URL or the page cannot keep its queue), and its QR code on stdout (``qr``) or in a file."""
    import segno

    from app.keys import service as keys

    link = keys.field_url(settings.public_url, key)
    typer.echo(link)
    said = clitext.words(lang)
    where = clitext.unreachable_host(settings.public_url)
    if where is not None:
        url = settings.public_url
        typer.echo(said["qr_unreachable"].format(url=url, what=said[where]), err=True)
    elif not _secure_origin(settings.public_url):
        typer.echo(said["qr_insecure"].format(url=settings.public_url), err=True)
    code = segno.make(link, error="m", micro=False)
    if qr:  # half blocks where the output can carry them, else ANSI colours
        try:
            "\u2580\u2584\u2588".encode(sys.stdout.encoding or "ascii")
            compact = True
        except (UnicodeEncodeError, LookupError):
            compact = False
        sys.stdout.flush()
        code.terminal(out=sys.stdout, compact=compact)
    if qr_file is not None:
        try:
            code.save(str(qr_file), scale=8, border=4)
        except OSError as exc:
            fail(exc)
        wrote([qr_file], lang)


def _secure_origin(url: str) -> bool:
    """Whether browsers treat the address as a secure context (HTTPS, or this machine)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "https" or parts.hostname in ("localhost", "127.0.0.1", "::1")


def _wib(t: float | None) -> str:
    """A time people read: WIB (UTC+7)."""
    from routing.local import stamp

    return "-" if t is None else stamp(datetime.fromtimestamp(t, UTC))


@keys_cli.command("list")
def keys_list(
    format: TableFormat = typer.Option(TableFormat.csv, "--format", help="Output format"),
) -> None:
    """The keys: id, role, holder, vessel and plan (of a bound field key), created, expires,
    state (never the key itself)."""
    from app import db
    from app.keys import service as keys

    settings = get_settings()
    db.migrate(settings.database)
    now = db.now()
    records = keys.list_keys(settings.database)
    if format == TableFormat.json:
        print_json([k.as_json(now) for k in records])
        return
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(
        ["id", "role", "name", "vessel_id", "plan_id", "created_wib", "expires_wib", "state"]
    )
    for k in records:
        out.writerow(
            [
                k.id,
                k.role,
                k.name,
                k.vessel_id or "",
                k.plan_id or "",
                _wib(k.created_at),
                _wib(k.expires_at),
                k.state(now),
            ]
        )


@keys_cli.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="The key's id (from keys list)")) -> None:
    """Revoke a key: every running worker refuses it within a second."""
    from app import db
    from app.keys import service as keys

    settings = get_settings()
    db.migrate(settings.database)
    record = keys.revoke_key(settings.database, key_id)
    if record is None:
        fail(LookupError(f"no API key with id {key_id!r} (see: ballot-routing keys list)"))
        return
    typer.echo(f"revoked {record.id} ({record.role}{', ' + record.name if record.name else ''})")
