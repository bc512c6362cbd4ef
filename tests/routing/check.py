"""check_plan: the invariants every plan must hold, asserted on every plan the tests make,
and its plan.json valid against the plan document's JSON Schema."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from datetime import timedelta
from functools import cache

import shapely
from jsonschema import Draft202012Validator
from shapely.geometry import LineString

from routing.domain import Plan
from routing.inputs.demand import Kit, demand_for
from routing.inputs.geodata import Archipelago
from routing.outputs.export import plan_json
from routing.plandoc import PlanDocument, plan_schema
from routing.schedule import Daylight


@cache
def plan_validator() -> Draft202012Validator:
    """A validator of plan.json against ``plan_schema()`` (itself checked as draft 2020-12)."""
    schema = plan_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(validator: Draft202012Validator, document: object) -> list[str]:
    """Where and why a document breaks a schema (empty when it is valid)."""
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def check_document(plan: Plan) -> None:
    """plan.json of ``plan``, as written, is valid against the schema and reads back to itself."""
    written = json.loads(json.dumps(plan_json(plan, input_hash="0" * 64, versions={"x": "1"})))
    errors = schema_errors(plan_validator(), written)
    assert not errors, errors[:10]
    assert PlanDocument.from_json(written).to_json() == written


def check_plan(
    plan: Plan, *, arch: Archipelago | None = None, kit: Kit | None = None, land=None
) -> None:
    check_document(plan)
    problem = plan.problem
    by_id = {c.id: c for c in problem.consignments}
    vessels = {v.id: v for v in problem.vessels}
    unassigned = {u.village_code for u in plan.unassigned}
    for u in plan.unassigned:
        assert u.reasons and all(r.code and r.message for r in u.reasons), u

    # Each consignment handed over exactly once, or its village listed unassigned with reasons.
    handed = Counter(
        cid for v in plan.voyages for s in v.stops if s.kind == "landing" for cid in s.consignments
    )
    handed.update(o.consignment for o in plan.onward)  # by road, or at the hub
    assert all(n == 1 for n in handed.values()), [c for c, n in handed.items() if n > 1]
    for c in problem.consignments:
        assert (c.id in handed) != (
            c.village_code in unassigned and c.id in _unassigned_ids(plan)
        ), c.id
    assert set(plan.delivered) == set(handed)

    # The consignments of a split village (a district office, returning) add up to its demand.
    back = problem.direction == "return"
    if arch is not None and kit is not None:
        parts: dict[str, list] = defaultdict(list)
        for c in problem.consignments:
            parts[c.district_code if back else c.village_code].append(c)
        for code, cons in parts.items():
            villages = [
                v for v in arch.villages.values() if (v.district_code if back else v.code) == code
            ]
            tps, voters = sum(v.tps for v in villages), sum(v.voters_est for v in villages)
            whole = demand_for(tps, voters, kit)
            assert sum(c.tps for c in cons) == tps
            assert sum(c.ballot_boxes for c in cons) == whole.ballot_boxes
            assert abs(sum(c.weight_kg for c in cons) - whole.weight_kg) <= 0.01 * len(cons) + 0.5
    for cid, when in plan.delivered.items():  # delivered (or back at the depot) by the deadline
        assert when <= by_id[cid].deadline, (cid, when)

    light = Daylight.of(problem)
    check_sailings(plan)
    for v in plan.voyages:
        vessel = vessels[v.vessel_id]
        vc = problem.classes[v.class_id]
        resumed = v.stops[0].kind == "start"  # a re-plan: the vessel was under way
        assert v.stops[0].kind in ("depot", "start") and v.stops[-1].kind == "depot"
        assert resumed or v.stops[0].work_start >= vessel.available_from
        assert v.stops[-1].arrival <= vessel.available_until, v.vessel_id
        # Trips run depot to depot, and the load of each trip fits the vessel.
        trip_kg: Counter = Counter()
        trip_m3: Counter = Counter()
        loaded: Counter = Counter()
        for s in v.stops:
            assert s.arrival <= s.work_start <= s.work_end <= s.departure
            if s.kind == "depot":
                loaded[s.trip] += s.load_kg  # a trip's loading (returning: its unloading)
            elif s.kind == "landing":
                trip_kg[s.trip] += s.load_kg
                trip_m3[s.trip] += s.load_m3
                for cid in s.consignments:
                    c = by_id[cid]
                    assert c.landing_id == s.id
                    assert s.work_end <= c.deadline, (cid, s.work_end, c.deadline)
                    assert c.ready is None or s.work_start >= c.ready
                # Handover in daylight only: it starts inside the window.
                start_s = problem.seconds(s.work_start)
                assert light.next_open(start_s) == start_s, (v.vessel_id, s.id, s.work_start)
        # Trips are numbered from 1, in order, with no gap; the sail home is no trip of its own.
        numbers = [s.trip for s in v.stops]
        assert numbers[0] == 1 and numbers == sorted(numbers), numbers
        assert set(numbers) == set(range(1, max(numbers) + 1)), numbers
        assert v.trips == len(trip_kg) and set(trip_kg) <= set(numbers)
        # A re-planned voyage that starts at sea with cargo on board: trip 1 loaded it earlier.
        onboard = resumed and any(s.kind == "landing" for s in before_depot(v.stops))
        for trip, kg in trip_kg.items():
            assert kg <= vc.capacity_kg + 1e-6 and trip_m3[trip] <= vc.capacity_m3 + 1e-6
            if not (onboard and trip == 1):  # what is loaded is what is handed over
                assert abs(loaded[trip] - kg) < 1e-3, (v.vessel_id, trip, loaded[trip], kg)
        # Legs connect the stops in order, and never cross land.
        stops = list(v.stops)
        assert len(v.legs) == len(stops) - 1 - sum(
            1 for a, b in itertools.pairwise(stops) if a.id == b.id
        )
        for leg in v.legs:
            assert leg.arrive >= leg.depart and leg.distance_m > 0
        seq = [s.id for s in stops]
        path = [v.legs[0].origin] + [leg.destination for leg in v.legs] if v.legs else []
        assert _dedupe(seq) == _dedupe(path), (v.vessel_id, seq, path)
        if land is not None:
            tree = shapely.STRtree(land)
            lines = [LineString(leg.coords) for leg in v.legs if len(leg.coords) >= 2]
            assert len(lines) == len(v.legs)
            assert len(tree.query(lines, predicate="intersects")[0]) == 0


def check_sailings(plan: Plan) -> None:
    """Two echelons: a booked sailing is one of the problem's (its timetable's), loads no more
    than its cargo space and nothing after its cut-off, lands each consignment at its hub; a
    consignment rides at most one sailing and goes on from its hub by exactly one way (a local
    boat of that hub leaving no earlier than the sailing's arrival plus the transfer, the road or
    the hub itself); a consignment on no sailing is not handed over by a hub's boat."""
    problem = plan.problem
    by_id = {c.id: c for c in problem.consignments}
    hubs = {h.landing_id: h for h in problem.hubs}
    known = {s.key for s in problem.sailings}
    rides: dict[str, tuple] = {}
    for b in plan.sailings:
        s = b.sailing
        assert s.key in known, s.key
        assert b.weight_kg <= s.cargo.capacity_kg.value + 1e-6, (s.key, b.weight_kg)
        assert b.volume_m3 <= s.cargo.capacity_m3.value + 1e-6, (s.key, b.volume_m3)
        depot = next(c for c in s.calls if c.stop_id in problem.depots)
        assert depot.departure - timedelta(hours=s.cargo.cutoff_h.value) >= problem.start, s.key
        stops = [c.stop_id for c in s.calls]
        for load in b.loads:
            assert load.stop_id in hubs and load.stop_id in stops[stops.index(depot.stop_id) + 1 :]
            kg = sum(by_id[c].weight_kg for c in load.consignments)
            assert abs(kg - load.weight_kg) < 1e-3
            arrival = next(c.arrival for c in s.calls if c.stop_id == load.stop_id)
            for cid in load.consignments:
                assert cid not in rides, f"{cid} rides two sailings"
                assert by_id[cid].district_code in hubs[load.stop_id].districts
                rides[cid] = (
                    load.stop_id,
                    arrival + timedelta(seconds=hubs[load.stop_id].transfer_s),
                )
    ways: Counter = Counter(o.consignment for o in plan.onward)
    for o in plan.onward:
        hub, ready = rides[o.consignment]
        assert o.hub == hub and o.depart >= ready and o.arrive >= o.depart, o
    for v in plan.voyages:
        home = next(x.home_depot for x in problem.vessels if x.id == v.vessel_id)
        for n, s in enumerate(v.stops):
            if s.kind != "landing":
                continue
            for cid in s.consignments:
                ways[cid] += 1
                if home in hubs:  # a local boat: its cargo came by sailing to its hub
                    hub, ready = rides[cid]
                    assert hub == home, (cid, hub, home)
                    loaded = next(x for x in reversed(v.stops[:n]) if x.kind == "depot")
                    assert loaded.work_start >= ready, (cid, loaded.work_start, ready)
                else:
                    assert cid not in rides, f"{cid} rides a sailing and a dispatched vessel"
    assert all(n == 1 for n in ways.values()), [c for c, n in ways.items() if n > 1]
    assert set(rides) <= set(ways), set(rides) - set(ways)


def _unassigned_ids(plan: Plan) -> set[str]:
    return {cid for u in plan.unassigned for cid in u.consignments}


def _dedupe(seq: list[str]) -> list[str]:
    out: list[str] = []
    for x in seq:
        if not out or out[-1] != x:
            out.append(x)
    return out


def check_weather(plan: Plan, samples: int = 400) -> int:
    """No vessel sails any part of a leg inside a sea area while the forecast there exceeds its
    class's wave limit (legs sampled along their path, times interpolated). Returns how many
    leg samples lay inside a forecast area during a forecast that did not stop that vessel."""
    problem = plan.problem
    areas = {a.id: a.geometry for a in problem.sea_areas}
    passed = 0
    for v in plan.voyages:
        limit = problem.classes[v.class_id].max_wave_m
        for leg in v.legs:
            line = LineString(leg.coords)
            span = leg.arrive - leg.depart
            for k in range(samples + 1):
                f = k / samples
                point = line.interpolate(f, normalized=True)
                when = leg.depart + span * f
                for w in problem.forecast:
                    if w.start < when < w.end and areas[w.area_id].contains(point):
                        assert w.wave_m <= limit, (v.vessel_id, leg.origin, leg.destination, when)
                        passed += 1
    return passed


def before_depot(stops):
    """The stops before a voyage's first depot call."""
    for s in stops:
        if s.kind == "depot":
            return
        yield s
