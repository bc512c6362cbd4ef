"""Helpers for the tests and benchmarks (not shipped): a local server, synthetic archipelagos,
VRPLIB."""
