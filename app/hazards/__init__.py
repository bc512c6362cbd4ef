"""Hazards to navigation in force: data/hazards.geojson with the changes planners make here,
and their history."""
