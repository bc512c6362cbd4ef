"""Capacity answers from a plan solved with a fixed cost per vessel used."""

from __future__ import annotations

from collections import Counter
from typing import Any

from routing.domain import Plan
from routing.schedule import kpis


def capacity_report(plan: Plan) -> dict[str, Any]:
    """Vessels needed per class, utilisation (kg and m3) per vessel and trip, slack per deadline."""
    classes = plan.problem.classes
    names = plan.problem.names
    trips = []
    vessels = []
    for v in plan.voyages:
        vc = classes[v.class_id]
        loads = [s for s in v.stops if s.kind == "depot" and s.consignments]
        for s in loads:
            trips.append(
                {
                    "vessel_id": v.vessel_id,
                    "vessel_name": names.vessel(v.vessel_id),
                    "vessel_class": v.class_id,
                    "trip": s.trip,
                    "depot": s.id,
                    "depot_name": names.place(s.id),
                    "load_kg": round(s.load_kg, 1),
                    "load_m3": round(s.load_m3, 3),
                    "kg_utilisation": round(s.load_kg / vc.capacity_kg, 3),
                    "m3_utilisation": round(s.load_m3 / vc.capacity_m3, 3),
                }
            )
        vessels.append(
            {
                "vessel_id": v.vessel_id,
                "vessel_name": names.vessel(v.vessel_id),
                "vessel_class": v.class_id,
                "trips": v.trips,
                "load_kg": round(sum(s.load_kg for s in loads), 1),
                "peak_kg_utilisation": round(
                    max((s.load_kg for s in loads), default=0) / vc.capacity_kg, 3
                ),
                "peak_m3_utilisation": round(
                    max((s.load_m3 for s in loads), default=0) / vc.capacity_m3, 3
                ),
            }
        )
    k = kpis(plan)
    return {
        "status": plan.status,
        "vessels_needed": dict(sorted(Counter(v.class_id for v in plan.voyages).items())),
        "vessels_available": dict(
            sorted(Counter(v.class_id for v in plan.problem.vessels).items())
        ),
        "vessels": vessels,
        "trips": trips,
        "deadlines": [
            {
                "district_code": d["district_code"],
                "district_name": names.district(d["district_code"]),
                "deadline": d["deadline"].isoformat(),
                "delivered_by": d["delivered_by"].isoformat() if d["delivered_by"] else None,
                "slack_h": d["margin_h"],
            }
            for d in k["districts"]
        ],
        "unassigned": [u.village_code for u in plan.unassigned],
        "ship_hours": k["ship_hours"],
        "distance_nm": k["distance_nm"],
    }
