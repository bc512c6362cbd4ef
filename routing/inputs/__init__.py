"""The planning inputs: the dataset, places, fleet, kit, hazards, depths, sea areas, climate
and scenarios."""
