"""The fleet as the service sees it: the scenario's vessels and their availability."""
