"""The typed schema of what people send: scenarios (TOML files and JSON bodies alike) and the
small value types every input shares (ids, names, free text, times, money).

One schema for both doors: ``parse_scenario`` reads a TOML file or a request body through
``ScenarioModel``, and the HTTP service declares the same model in its requests, so a wrong type,
a value out of range or an unknown key is refused the same way everywhere, with the JSON-pointer
path of the field. Bounds exist so that no value can overflow the arithmetic downstream (a time in
year 9999 plus a sailing, a cost of 1e308 in the objective, an integer past 64 bits in a SQL
column) or run the service out of memory.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from routing.errors import DataError, Issue

# Times outside these years are refused: every real plan lies well inside them, and a time near
# year 1 or 9999 overflows as soon as a sailing or a time-zone shift is added to it.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Costs are bounded so that the solver's sums, and its prize for serving a consignment
# (``solver._prize``), stay well inside 64-bit integers. One billion rupiah a ship-hour is 200
# times the assumed default; 1e11 per vessel used, 2,000 times the capacity plan's default.
MAX_SHIP_HOUR_IDR = 10**9
MAX_FIXED_COST_IDR = 10**11
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"  # ids and names: no control characters (NUL breaks SQL)
NO_NUL = r"^[^\x00]*$"  # free text may hold line breaks, never NUL
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # what NO_CONTROL refuses, to search for
# What the API document says of a time (``format: date-time`` alone allows years 0001-9999) and
# of a clock time (``format: time`` is RFC 3339's full-time, which demands a UTC offset).
TIME_PATTERN = r"^20[0-9]{2}-"
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _not_a_number(value: Any) -> Any:
    """Times and dates are written as text (or TOML times), never as bare numbers."""
    if isinstance(value, (bool, int, float)):
        raise ValueError("must be written as RFC 3339 text, not a number")
    return value


def _whole(value: Any) -> Any:
    """A whole number written with a fraction (``2.0``) is that integer: JSON Schema's
    ``integer`` admits it, so the service does too; ``2.5``, text and booleans stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local clock time HH:MM, without a UTC offset")
    return value


def _unique(values: list[str]) -> list[str]:
    seen = set()
    for n, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{v!r} appears twice (at {values.index(v)} and {n})")
        seen.add(v)
    return values


def _in_range(value: datetime) -> datetime:
    # The year as written, offset and all (what TIME_PATTERN says): far from any overflow.
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError(f"must lie between {EARLIEST.year} and {LATEST.year}")
    return value


Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_CONTROL)]
Text = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]
Time = Annotated[
    AwareDatetime,
    BeforeValidator(_not_a_number),
    AfterValidator(_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIME_PATTERN}),
]
Day = Annotated[date, BeforeValidator(_not_a_number)]
Clock = Annotated[
    time,
    BeforeValidator(_not_a_number),
    AfterValidator(_local),
    WithJsonSchema({"type": "string", "pattern": CLOCK_PATTERN}),
]
# An integer field takes 2 and 2.0, never "2", 2.5 or true: ``Annotated[StrictInt, Field(...),
# WHOLE]``, the bounds before it (after it, they would not reach the schema's minimum/maximum).
WHOLE = BeforeValidator(_whole)
ShipHourCost = Annotated[StrictFloat, Field(ge=0, le=MAX_SHIP_HOUR_IDR, allow_inf_nan=False)]
WaveHeight = Annotated[StrictFloat, Field(ge=0, lt=30, allow_inf_nan=False)]
Lon = Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000), WHOLE]


UNIQUE = Field(json_schema_extra={"uniqueItems": True})  # what ``_unique`` checks, in the schema


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Daylight(_Section):
    """When handovers may happen (local clock times)."""

    start: Clock = Field(time(6, 0), description="HH:MM")
    end: Clock = Field(time(18, 0), description="HH:MM")


class VesselWindow(_Section):
    available_from: Time
    available_until: Time


class Objective(_Section):
    ship_hour_idr: ShipHourCost = Field(5_000_000.0, description="Cost of one ship-hour, IDR")


class ForecastIn(_Section):
    """A significant wave height over one sea area for an interval."""

    area: Id = Field(..., description="Sea area id (GET /sea-areas)")
    from_: Time = Field(..., alias="from")
    until: Time
    wave_m: WaveHeight = Field(..., description="Significant wave height, m")
    source: Text = ""


class SeaAreaIn(_Section):
    """A scenario's own sea area: a lon/lat ring."""

    id: Id
    name: Name | None = None
    polygon: list[tuple[Lon, Lat]] = Field(..., min_length=3, max_length=2000)
    source: Text = "scenario"


class ClosedLandingIn(_Section):
    landing: Id = Field(..., description="Landing point id")
    from_: Time = Field(..., alias="from")
    until: Time | None = Field(None, description="Open again; none: stays closed")


class HubBoatsIn(_Section):
    """A district office's local boats at a hub."""

    office: Name = Field(..., description="The district office (PPK) that runs them")
    boat_class: Id = Field(..., description="Vessel class id (data/fleet.toml), e.g. motor_boat")
    count: StrictInt = Field(..., ge=1, le=50)


class RoadIn(_Section):
    """Islands where the kits go on from the hub by road."""

    islands: list[Id] = Field(..., min_length=1, max_length=50, description="Island codes")
    speed_kmh: StrictFloat | StrictInt = Field(25, gt=0, le=120, description="Average, km/h")
    detour_factor: StrictFloat | StrictInt = Field(
        1.4, ge=1, le=5, description="Road length over the straight line"
    )


class HubIn(_Section):
    """An island hub: a landing the scheduled sailings call at, and how the kits go on."""

    districts: list[Id] = Field(..., min_length=1, max_length=50, description="District codes")
    boats: list[HubBoatsIn] = Field(default_factory=list, max_length=20)
    transfer_h: StrictFloat | StrictInt = Field(
        2, ge=0, le=72, description="From the ship's arrival until the kits can go on, h"
    )
    road: RoadIn | None = None


class ScenarioModel(_Section):
    """A scenario: when, from where, with which vessels, to which villages (as in
    ``data/scenarios/*.toml``)."""

    name: Name
    election_day: Day
    planning_start: Time
    default_deadline: Time
    depots: Annotated[list[Id], AfterValidator(_unique), UNIQUE] = Field(
        ..., min_length=1, max_length=50
    )
    vessels: Annotated[list[Id], AfterValidator(_unique), UNIQUE] = Field(
        ..., min_length=1, max_length=500
    )
    villages: (
        Literal["sea"]
        | Annotated[list[Id], Field(min_length=1, max_length=5000), AfterValidator(_unique), UNIQUE]
    ) = Field("sea", description='Village codes, or "sea" for every sea-served village')
    direction: Literal["outbound", "return"] = "outbound"
    deadlines: dict[Id, Time] = Field(
        default_factory=dict, max_length=500, description="District code -> deadline"
    )
    daylight: Daylight = Daylight(start=time(6, 0), end=time(18, 0))
    vessel_windows: dict[Id, VesselWindow] = Field(default_factory=dict, max_length=500)
    objective: Objective = Objective(ship_hour_idr=5_000_000.0)
    forecast: list[ForecastIn] = Field(default_factory=list, max_length=2000)
    sea_areas: list[SeaAreaIn] = Field(default_factory=list, max_length=100)
    closed_landings: list[ClosedLandingIn] = Field(default_factory=list, max_length=2000)
    destination: Id | None = Field(None, description="Return: the depot the boxes go to")
    ppk_offices: dict[Id, Id] = Field(
        default_factory=dict, max_length=500, description="Return: district -> village code"
    )
    ready: dict[Id, Time] = Field(
        default_factory=dict, max_length=500, description="Return: district -> boxes ready"
    )
    out_of_service: dict[Id, Time] = Field(
        default_factory=dict, max_length=500, description="Vessel id -> out of service from"
    )
    timetable: Name | None = Field(
        None,
        description="The scheduled sailings: a GTFS feed under data/timetables/ (its folder's "
        "name) or an uploaded feed's id (POST /timetables)",
    )
    hubs: dict[Id, HubIn] = Field(
        default_factory=dict,
        max_length=50,
        description="Landing id -> island hub (two echelons: sailings to the hub, then local "
        "boats or road)",
    )
    sailing_max_wave_m: WaveHeight = Field(
        2.5, description="A scheduled sailing is held where a forecast on its way is higher, m"
    )
    unverified_hazards: bool = Field(
        False,
        description="Keep out of the unverified hazards of data/hazards.geojson too (reef "
        "candidates nobody has confirmed; ballot-routing data check-coast)",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "pemilu2024-masalembu",
                    "election_day": "2024-02-14",
                    "planning_start": "2024-02-05T06:00:00+07:00",
                    "default_deadline": "2024-02-13T18:00:00+07:00",
                    "depots": ["kalianget"],
                    "vessels": ["km-sabuk-nusantara-92", "kri-teluk-bintuni-520"],
                    "villages": ["35.29.23.2001", "35.29.23.2002"],
                }
            ]
        },
    )

    def to_raw(self) -> dict[str, Any]:
        """The scenario as JSON values, only the fields that were given (as stored)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


MESSAGES = {  # clearer words for the schema's most common refusals
    "timezone_aware": "has no UTC offset (use +07:00 for WIB)",
    "extra_forbidden": "is not a field here",
    "missing": "is required",
}


def pointer(loc: tuple[Any, ...] | list[Any]) -> str:
    """A JSON pointer (RFC 6901) from a validation error's location."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def error_issues(errors: list[Any], *, prefix: str = "") -> list[Issue]:
    """Pydantic's errors as problems: the error type as the code, the field's JSON pointer."""
    out = []
    for e in errors:
        loc = tuple(p for p in e.get("loc", ()) if not _is_union_tag(p))
        code = str(e.get("type", "invalid"))
        message = MESSAGES.get(code) or str(e.get("msg", "invalid")).removeprefix("Value error, ")
        out.append(Issue(code, prefix + pointer(loc), message))
    return out


_UNION_TAG = re.compile(
    r"^(literal\[.*\]|list\[.*\]|dict\[.*\]|constrained-.*|function-.*|\[key\])$"
)


def _is_union_tag(part: Any) -> bool:
    # A union member's name (``literal['sea']``, ``list[...]``) is not a field of the input.
    return isinstance(part, str) and bool(_UNION_TAG.match(part))


def scenario_model(raw: Any, *, source: str = "scenario") -> ScenarioModel:
    """Check a scenario against the schema; every problem is raised at once (``DataError``)."""
    try:
        return ScenarioModel.model_validate(raw)
    except ValidationError as exc:
        raise DataError(error_issues(exc.errors()), source=source) from None
