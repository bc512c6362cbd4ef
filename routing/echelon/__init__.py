"""Two echelons: scheduled sailings to the island hubs, then the district offices' local boats
or roads; dispatched vessels for the rest (``make_two_echelon_plan``)."""

from routing.echelon.plan import make_two_echelon_plan

__all__ = ["make_two_echelon_plan"]
