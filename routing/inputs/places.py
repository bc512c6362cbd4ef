"""Places by id or by name: what a person types for a place, resolved to a terminal id.

A query is an id as written (depot id, landing-point id, village code, island code, district
code) or the name of a depot, landing point, district (kecamatan), island or village, compared
without case, accents, punctuation or spaces ("Ra'as", "RAAS" and "raas" are one name) and also
without the prefixes people add or leave out ("Pulau", "Kecamatan", "Desa", "Pelabuhan", "PP.")
or a port's code in brackets ("Masalembo (MES)"); "Kecamatan", "Pulau" or "Desa" given selects
that kind ("Desa Poteran" is the village, "Poteran" the island). Only an exact match of the
normalised name resolves; a name that matches nothing fails with the nearest names (rapidfuzz) as
suggestions, and one that matches several places of the same rank fails listing them.

When a name fits places of several kinds the first kind wins: depot or landing point, then
regency or district, island, village. A district or island resolves to its main landing: the
registry port serving it (the one serving the most TPS if several), else the landing point serving
the most TPS. A place that cannot be reached by sea (an island without a landing point, a village
on the Madura mainland) gives way to a place of the same name that can; when none can, the
answer is the ``NoSeaPath`` it would give. A district on the Madura mainland (no village of it
served by sea) and the regency ("Sumenep", "Kabupaten Sumenep": its seat is the district Kota
Sumenep) resolve, when no place of the same name is reachable by sea, to the depot nearest to
the district's villages (Kota Sumenep: Kalianget), the port its ballots leave from.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from routing.errors import Ambiguous, Candidate, NoSeaPath, NotFound
from routing.inputs.geodata import Archipelago
from routing.sea.geo import geodesic_m

RANK = {"depot": 0, "landing": 0, "regency": 1, "district": 1, "island": 2, "village": 3}
"""Which kind wins when one name fits several: lower first (depot and landing share a rank)."""

ALIASES: tuple[tuple[str, str, str, str], ...] = (
    # (spelling, kind, id, source) for spellings people use that the dataset does not hold.
    (
        "Gili Iyang",
        "island",
        "35.29.40021",
        "common spelling (README, data/islands/sources/PROVENANCE.md); Kepmendagri: Giliyang",
    ),
    (
        "Giligenting",
        "district",
        "35.29.08",
        "common spelling of the kecamatan (PROVENANCE.md, sea areas); Kemendagri and KPU write "
        "Giliginting",
    ),
)
REGENCIES: tuple[tuple[str, str, str, str], ...] = (
    # (name, code, code of the seat's district, source)
    (
        "Sumenep",
        "35.29",
        "35.29.01",
        "code 35.29 Kabupaten Sumenep: Kepmendagri No 300.2.2-2430 Tahun 2025 codes "
        "(data/islands/sources/PROVENANCE.md); seat: the regency's capital lies in Kecamatan Kota "
        "Sumenep (the district named for it; not from the dataset's sources)",
    ),
)
"""The regency of the dataset's villages (the first two parts of their codes) and its seat."""

"""Spelling variants, each with where it is used. Variants that differ only in case, accents,
punctuation or spaces ("Ra'as"/"Raas", "Gili Genting") need no entry, nor do names the dataset
holds under another kind ("Masalembo" is the Kemenhub port of Masalembu)."""

_PREFIX = re.compile(
    r"^\s*(?:(?:pulau|kepulauan|kabupaten|kecamatan|desa|kelurahan|pelabuhan|island\s+of)\s+"
    r"|(?:pp|p|kab|kec)\.\s*)",
    re.IGNORECASE,
)
_CODE = re.compile(r"\s*\([^()]*\)\s*$")  # "Kangean (KNG)", "Madura (mainland)"
_KIND_WORDS = {  # the words (and their short forms) that say which kind a name is
    "regency": ("kabupaten", "kab"),
    "district": ("kecamatan", "kec"),
    "island": ("pulau", "p"),
    "village": ("desa", "ds", "kelurahan", "kel"),
}
SUGGESTIONS = 5
SCORE_CUTOFF = 75.0


def normalise(text: str) -> str:
    """A name as it is compared: NFKD without combining marks, lower case, letters and digits
    only ("Ra'as" and "RA AS" give "raas")."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in bare.lower() if c.isalnum())


def bare_name(text: str) -> str:
    """A name without a leading "Pulau", "Kecamatan", "Desa", "Pelabuhan", "PP." (and the like)
    or a trailing code in brackets: "PP. Raas" gives "Raas", "Masalembo (MES)" "Masalembo"."""
    return _PREFIX.sub("", _CODE.sub("", text)).strip()


@dataclass(frozen=True)
class Resolved:
    """What a query was taken to mean.

    ``place_id`` and ``place_name`` are the terminal (depot or landing point) a route starts or
    ends at; ``matched`` says how the query matched (``id``, ``depot``, ``landing``, ``district``,
    ``island``, ``village``), ``matched_id`` and ``matched_name`` what it matched, and ``note`` says
    all of it in one line for people."""

    place_id: str
    place_name: str
    query: str
    matched: str
    matched_id: str
    matched_name: str
    note: str


@dataclass(frozen=True)
class _Place:
    kind: str
    id: str
    name: str
    district: str  # the district(s) it lies in, for telling namesakes apart
    target: str | None  # the depot or landing point it resolves to; None: not reachable by sea
    unreachable: str = ""  # why there is no target
    nearest: str | None = None  # without a target: the depot nearest to it (mainland districts)
    alias: str = ""  # the alias spelling it was found by

    @property
    def candidate(self) -> Candidate:
        return Candidate(self.name, self.kind, self.id, self.district)


def _main_landing(arch: Archipelago, landing_tps: dict[str, int]) -> str | None:
    """The registry port serving the most TPS among ``landing_tps`` (landing id to the TPS it
    serves there), else the landing point serving the most; ties go to the smaller id."""
    if not landing_tps:
        return None
    ports = [i for i in landing_tps if arch.landing_points[i].source == "registry_port"]
    pool = ports or list(landing_tps)
    return min(pool, key=lambda i: (-landing_tps[i], i))


def _places(arch: Archipelago) -> list[_Place]:
    villages = arch.villages.values()
    district_names = {v.district_code: v.district for v in villages}
    by_district: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_island: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for v in villages:
        if v.landing_point_id is not None:
            by_district[v.district_code][v.landing_point_id] += v.tps
    for lp in arch.landing_points.values():
        by_island[lp.island_code][lp.id] += sum(
            arch.villages[c].tps for c in lp.village_codes if c in arch.villages
        )

    def nearest_depot(code: str) -> str | None:
        """The depot nearest to the middle of a district's villages."""
        points = [v.geometry.centroid for v in villages if v.district_code == code]
        if not points or not arch.depots:
            return None
        lon = sum(p.x for p in points) / len(points)
        lat = sum(p.y for p in points) / len(points)
        return min(arch.depots.values(), key=lambda d: geodesic_m(lon, lat, d.lon, d.lat)).id

    def districts_of(codes: Iterable[str]) -> str:
        return ", ".join(sorted({arch.villages[c].district for c in codes if c in arch.villages}))

    places = [_Place("depot", d.id, d.name, "", d.id) for d in arch.depots.values()]
    places += [
        _Place("landing", lp.id, lp.name, districts_of(lp.village_codes), lp.id)
        for lp in arch.landing_points.values()
    ]
    for code, name in sorted(district_names.items()):
        target = _main_landing(arch, by_district.get(code, {}))
        why = "" if target else f"district {name} has no village served by sea"
        nearest = None if target else nearest_depot(code)
        places.append(_Place("district", code, name, "", target, why, nearest))
    for name, code, seat, _source in REGENCIES:
        if seat in district_names and all(c.startswith(f"{code}.") for c in arch.villages):
            seat_name = district_names[seat]
            why = f"regency {name}: no depot near its seat, district {seat_name}"
            places.append(_Place("regency", code, name, seat_name, None, why, nearest_depot(seat)))
    for isl in arch.islands.values():
        target = _main_landing(arch, by_island.get(isl.code, {}))
        why = "" if target else f"island {isl.name} has no landing point"
        places.append(_Place("island", isl.code, isl.name, ", ".join(isl.districts), target, why))
    for v in villages:
        why = f"village {v.name} is on the Madura mainland, not served by sea"
        target = v.landing_point_id
        places.append(_Place("village", v.code, v.name, v.district, target, "" if target else why))
    return places


def _keys(place: _Place) -> set[str]:
    """The normalised names a place is found by: its name, its bare name, and its bare name after
    the word of its kind ("Kecamatan Masalembu", "Desa Poteran")."""
    name = place.alias or place.name
    bare = bare_name(name) or name
    keys = {normalise(name), normalise(bare)}
    keys |= {normalise(f"{word} {bare}") for word in _KIND_WORDS.get(place.kind, ())}
    keys.discard("")
    return keys


class PlaceIndex:
    """Every place of an ``Archipelago`` by id and by normalised name; build it once per
    dataset (``place_index`` does)."""

    def __init__(self, arch: Archipelago) -> None:
        self._arch = arch
        places = _places(arch)
        self._ids: dict[str, _Place] = {}
        for p in places:  # depots and landing points before the rest, should ids ever clash
            self._ids.setdefault(p.id, p)
        found = {(p.kind, p.id): p for p in places}
        for spelling, kind, ident, _source in ALIASES:
            if (kind, ident) in found:  # a dataset without the place has no use for its alias
                places.append(replace(found[kind, ident], alias=spelling))
        self._names: dict[str, list[_Place]] = defaultdict(list)
        for p in places:
            for key in _keys(p):
                self._names[key].append(p)
        # Suggestions are drawn from the names themselves, not the "Desa ..." forms.
        names = [p.alias or p.name for p in places]
        self._choices = sorted(
            ({normalise(n) for n in names} | {normalise(bare_name(n)) for n in names}) - {""}
        )

    def resolve(self, query: str, *, path: str = "") -> Resolved:
        """The depot or landing point ``query`` stands for, and how it was matched.

        Parameters
        ----------
        query
            An id (depot, landing point, village, island or district) or a place's name.
        path
            Where the query came from (a JSON pointer such as ``/query/to``), carried by the
            errors.

        Raises
        ------
        NotFound
            Nothing has that id or name; ``candidates`` holds the nearest names (up to 5).
        Ambiguous
            The name fits several places of the same kind (or rank) equally.
        NoSeaPath
            The place is not reachable by sea (a mainland village, an island without a landing
            point) and no place of the same name is.
        """
        text = query.strip()
        by_id = self._ids.get(text)
        if by_id is not None:
            return self._answer(query, by_id, "id", path=path)
        matches: list[_Place] = []
        for key in dict.fromkeys((normalise(text), normalise(bare_name(text)))):
            if key and (matches := self._names.get(key, [])):
                break
        if not matches:
            raise NotFound("place", query, self.suggest(query), by="id or name", path=path)
        ranks: dict[int, dict[tuple[str, str], _Place]] = defaultdict(dict)
        for p in matches:
            ranks[RANK[p.kind]].setdefault((p.kind, p.id), p)
        skipped: list[_Place] = []
        for rank in sorted(ranks):
            level = list(ranks[rank].values())
            reachable = [p for p in level if p.target is not None]
            if len(reachable) > 1:
                raise Ambiguous(query, [p.candidate for p in reachable], path=path)
            if reachable:
                return self._answer(query, reachable[0], reachable[0].kind, skipped, path=path)
            skipped += level
        for rank in sorted(ranks):  # none reachable by sea: a mainland district's depot
            by_land = [p for p in ranks[rank].values() if p.nearest is not None]
            if len(by_land) > 1:
                raise Ambiguous(query, [p.candidate for p in by_land], path=path)
            if by_land:
                others = [p for p in skipped if p is not by_land[0]]
                return self._answer(query, by_land[0], by_land[0].kind, others, path=path)
        first = list(ranks[min(ranks)].values())
        if len(first) > 1:
            raise Ambiguous(query, [p.candidate for p in first], path=path)
        raise NoSeaPath.unreachable(query, first[0].unreachable, path=path)

    def suggest(self, query: str, limit: int = SUGGESTIONS) -> list[Candidate]:
        """Up to ``limit`` places whose names are nearest to ``query`` (rapidfuzz ``WRatio`` on
        normalised names, at least 75 of 100), best first, depots and landings before districts,
        islands and villages at equal score."""
        key = normalise(bare_name(query)) or normalise(query)
        if not key:
            return []
        scored: dict[tuple[str, str], tuple[float, _Place]] = {}
        hits = process.extract(
            key, self._choices, scorer=fuzz.WRatio, limit=None, score_cutoff=SCORE_CUTOFF
        )
        for choice, score, _ in hits:
            for p in self._names[choice]:
                best = scored.get((p.kind, p.id))
                if best is None or score > best[0]:
                    scored[p.kind, p.id] = (score, p)
        ranked = sorted(scored.values(), key=lambda sp: (-sp[0], RANK[sp[1].kind], sp[1].name))
        return [p.candidate for _, p in ranked[:limit]]

    def _answer(
        self,
        query: str,
        place: _Place,
        matched: str,
        skipped: Iterable[_Place] = (),
        *,
        path: str = "",
    ) -> Resolved:
        goal = place.target or place.nearest
        if goal is None:
            raise NoSeaPath.unreachable(query.strip(), place.unreachable, path=path)
        arch = self._arch
        target = arch.depots.get(goal) or arch.landing_points[goal]
        what = f"{place.kind} {place.name}"
        if place.kind == "village":
            what += f" ({place.district})"
        if place.alias:
            what += f" (spelled {place.alias})"
        if place.kind == "regency":
            what += f" (seat: district {place.district}): depot nearest the seat "
            what += f"{target.name} ({target.id})"
        elif place.target is None:
            what += f" (no village served by sea): nearest depot {target.name} ({target.id})"
        elif place.kind in ("district", "island"):
            what += f": main landing {target.name} ({target.id})"
        elif place.kind == "village":
            what += f": landing {target.name} ({target.id})"
        else:
            what += f" ({target.id})"
        note = f"{query.strip()} → {what}"
        others = [
            f"{p.kind} {p.name}" + (f" ({p.district})" if p.district else "") for p in skipped
        ]
        if others:
            note += "; not reachable by sea: " + ", ".join(others)
        return Resolved(
            place_id=target.id,
            place_name=target.name,
            query=query,
            matched=matched,
            matched_id=place.id,
            matched_name=place.name,
            note=note,
        )


def place_index(arch: Archipelago) -> PlaceIndex:
    """The place index of a dataset, built on first use and kept with it."""
    found = arch.__dict__.get("_place_index")
    if found is None:
        found = PlaceIndex(arch)
        arch.__dict__["_place_index"] = found  # the frozen dataset's own cache slot
    return found


def resolve_place(arch: Archipelago, query: str, *, path: str = "") -> Resolved:
    """The depot or landing point a place id or name stands for, and how it was matched.

    A district or island resolves to its main landing, a village to its landing point. Raises
    ``NotFound`` (with "did you mean" candidates), ``Ambiguous`` or ``NoSeaPath``; each
    ``NotFound`` and ``Ambiguous`` carries ``path``.
    """
    return place_index(arch).resolve(query, path=path)
