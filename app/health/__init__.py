"""Health: liveness and the size of the loaded dataset."""
