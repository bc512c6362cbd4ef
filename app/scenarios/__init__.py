"""Scenarios stored in the service and the ones it carries."""
