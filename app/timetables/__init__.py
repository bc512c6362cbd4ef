"""Timetables of the regular sailings: GTFS feeds uploaded as zip files, checked against the
dataset, stored, listed, and read with their dated sailings."""
