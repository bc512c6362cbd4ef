"""A plan as the files people read: the plan document's formats, papers, GeoPackage, the sea
network."""
