"""Timetable feeds: a GTFS zip unpacked safely, checked in full (``routing.inputs.timetable``:
every problem named by file, line and column) against the dataset's landings, stored as its
files, and read back with its dated sailings."""

from __future__ import annotations

import io
import json
import tempfile
import uuid
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import insert, select

from app import db
from app.config import Settings
from routing import inputs as data
from routing.errors import DataError, Issue, NotFound
from routing.inputs.timetable import Timetable, load_timetable

MAX_FILES = 30
MAX_UNPACKED_BYTES = 20_000_000
"""A feed's files together, unpacked (the bundled one is about 6 kB)."""


def _bad(message: str, code: str = "bad_value") -> DataError:
    return DataError([Issue(code, "/body", message)], source="timetable")


def unpack(body: bytes) -> dict[str, str]:
    """A feed's ``.txt`` files from a zip (at its root, or in one folder), as text; anything
    else in it (a path that climbs out, too many or too large files, a file that is not UTF-8)
    is refused naming the body."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        entries = [e for e in archive.infolist() if not e.is_dir()]
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise _bad(f"not a zip file: {exc}") from None
    if len(entries) > MAX_FILES:
        raise _bad(f"{len(entries)} files; a feed has at most {MAX_FILES}")
    if sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise _bad(f"more than {MAX_UNPACKED_BYTES} bytes unpacked")
    files: dict[str, str] = {}
    folders = set()
    for e in entries:
        path = PurePosixPath(e.filename)
        if path.is_absolute() or ".." in path.parts or len(path.parts) > 2 or "\\" in e.filename:
            raise _bad(f"{e.filename!r}: the feed's files lie at the zip's root or in one folder")
        if path.suffix != ".txt" or path.name.startswith("."):
            continue  # a README, a licence: not the feed's
        folders.add(path.parent)
        try:
            files[path.name] = archive.read(e).decode("utf-8-sig")
        except (UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _bad(f"{e.filename}: cannot read it as UTF-8 text ({exc})") from None
    if len(folders) > 1:
        raise _bad("the feed's files lie in more than one folder of the zip")
    if not files:
        raise _bad("the zip holds no .txt file of a GTFS feed", "missing_file")
    return files


def _checked(settings: Settings, files: dict[str, str]) -> Timetable:
    """The feed checked in full against the dataset's depots and landing points."""
    arch = data.archipelago(settings.data_dir)
    known = set(arch.depots) | set(arch.landing_points)
    with tempfile.TemporaryDirectory(prefix="feed-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        feed = load_timetable(Path(tmp), known_stops=known)
    return feed


def _summary(ident: str, name: str, created_at: float, feed: Timetable) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "version": feed.version,
        "first_day": feed.first_day.isoformat(),
        "last_day": feed.last_day.isoformat(),
        "trips": len(feed.trips),
        "stops": [{"id": k, "name": v} for k, v in feed.stops.items()],
        "sailings": len(feed.sailings()),
        "created_at": datetime.fromtimestamp(created_at, UTC).isoformat(),
        "links": {"self": f"/timetables/{ident}"},
    }


def validate(settings: Settings, body: bytes) -> dict[str, Any]:
    """Whether a feed passes, and its problems (as an error answer lists them)."""
    try:
        feed = _checked(settings, unpack(body))
    except DataError as exc:
        problems = [{"code": p.code, "path": p.path, "message": p.message} for p in exc.problems]
        return {"valid": False, "errors": problems}
    return {"valid": True, "errors": [], "version": feed.version, "trips": len(feed.trips)}


def create(settings: Settings, body: bytes, name: str | None) -> dict[str, Any]:
    """Check a feed in full and store its files; its summary."""
    files = unpack(body)
    feed = _checked(settings, files)
    ident, now = str(uuid.uuid4()), db.now()
    chosen = name or feed.version or ident
    with db.write(db.engine_for(settings.database)) as conn:
        conn.execute(
            insert(db.timetables).values(
                id=ident, name=chosen, version=feed.version, files=json.dumps(files), created_at=now
            )
        )
    return _summary(ident, chosen, now, feed)


def listing(settings: Settings) -> dict[str, Any]:
    """The stored feeds, newest first (without their sailings)."""
    t = db.timetables
    with db.engine_for(settings.database).connect() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.name, t.c.version, t.c.created_at).order_by(t.c.created_at.desc())
        ).all()
    return {
        "timetables": [
            {
                "id": r.id,
                "name": r.name,
                "version": r.version,
                "created_at": datetime.fromtimestamp(r.created_at, UTC).isoformat(),
                "links": {"self": f"/timetables/{r.id}"},
            }
            for r in rows
        ]
    }


def get(
    settings: Settings, ident: str, first: date | None = None, last: date | None = None
) -> dict[str, Any]:
    """A stored feed's summary and its dated sailings from ``first`` to ``last`` (default: the
    feed's dates); ``NotFound`` for none."""
    t = db.timetables
    with db.engine_for(settings.database).connect() as conn:
        row = conn.execute(select(t).where(t.c.id == ident)).first()
    if row is None:
        raise NotFound("timetable", ident)
    feed = _checked(settings, json.loads(row.files))
    out = _summary(row.id, row.name, row.created_at, feed)
    out["sailings"] = [s.to_json() for s in feed.sailings(first, last)]
    return out


def resolve(settings: Settings, name: str) -> Timetable:
    """A scenario's ``timetable`` in the service: a stored feed's id (POST /timetables) or a
    feed the data folder carries, by its folder's name; never a path on the server."""
    t = db.timetables
    with db.engine_for(settings.database).connect() as conn:
        row = conn.execute(select(t.c.files).where(t.c.id == name)).first()
    if row is not None:
        return _checked(settings, json.loads(row.files))
    bundled = data.DataFiles(settings.data_dir).timetables_dir
    known = sorted(p.name for p in bundled.glob("*") if p.is_dir())
    if name not in known:
        why = (
            f"no timetable {name!r}: give a stored feed's id (GET /timetables) or a bundled "
            f"feed ({', '.join(known) or 'none'})"
        )
        raise DataError([Issue("unknown_timetable", "/timetable", why)], source=name)
    return data.timetable_feed(settings.data_dir, name)
