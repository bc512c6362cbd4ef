"""Health and the service's limits."""
