"""A finished plan's files: each format of the registry (``routing.outputs.formats``) rendered
from the plan's stored document on request, and kept per process for the plan's version (a
result is written once; the dashboard and a planner's downloads then read the same bytes).

The papers' vessel class names come from the service's catalogue, their handover hours from the
plan's own scenario, and their QR codes name the plan by its id."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import db
from app.config import Settings
from app.exceptions import Conflict
from app.plans import service as plans
from routing import inputs as data
from routing.errors import DataError, NotFound
from routing.inputs.fleet import load_class_names
from routing.inputs.schema import Daylight
from routing.local import Lang
from routing.outputs import formats
from routing.outputs.formats import Format

KEPT = 32
"""Rendered files kept per process (the newest used)."""

_KEPT: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _class_names(fleet_file: Path) -> dict[str, dict[Lang, str]]:
    return load_class_names(fleet_file)


def _daylight(scenario_body: str) -> tuple[time, time]:
    """The handover hours of the scenario the plan was made of (checked when it was queued;
    its default where it gives none)."""
    hours = Daylight.model_validate(json.loads(scenario_body).get("daylight") or {})
    return hours.start, hours.end


def render(
    settings: Settings,
    plan_id: str,
    name: str,
    *,
    lang: Lang = "id",
    vessel_id: str | None = None,
    path: str = "/path/name",
) -> tuple[Format, bytes]:
    """A finished plan's file in a format of the registry.

    ``NotFound`` for an unknown plan, a format the registry does not have (naming ``path``,
    with the formats there are) or a vessel the plan does not use (naming
    ``/path/vessel_id``, with those it uses); ``Conflict`` for a plan without a result."""
    fmt = formats.get(name, path=path, per_vessel=vessel_id is not None)
    p = db.plans
    with db.engine_for(settings.database).connect() as conn:
        found = conn.execute(
            select(p.c.phase, p.c.updated_at, p.c.scenario_body, p.c.result.is_not(None)).where(
                p.c.id == plan_id
            )
        ).first()
        if found is None:
            raise NotFound("plan", plan_id)
        phase, updated_at, scenario_body, done = found
        if not done:
            raise Conflict("no_result", "", f"plan {plan_id} is {phase}; it has no result yet")
        key = (str(conn.engine.url), plan_id, updated_at, name, lang, vessel_id)
        with _LOCK:
            if key in _KEPT:
                _KEPT.move_to_end(key)
                return fmt, _KEPT[key]
        document = plans.document_of(conn, plan_id, updated_at)
    context = formats.Context(
        lambda: data.archipelago(settings.data_dir),
        lang=lang,
        plan_id=plan_id,
        vessel_id=vessel_id,
        class_names=_class_names(settings.fleet_file),
        daylight=_daylight(scenario_body),
        served=True,
    )
    try:
        body = fmt.render(document, context)
    except NotFound as exc:
        if not fmt.per_vessel:
            raise
        # a vessel the plan does not use
        raise NotFound(exc.kind, exc.ident, exc.candidates, path="/path/vessel_id") from None
    except DataError as exc:  # the plan names a place the service's dataset no longer has
        first = exc.problems[0]
        why = f"the plan was made on another dataset: {first.message}"
        raise Conflict("stale_dataset", first.path, why) from None
    with _LOCK:
        _KEPT[key] = body
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return fmt, body
