"""The ``ballot-routing`` command line: one module per command group (``base`` holds the root
and the shared helpers); importing this package registers every command on ``cli``."""

from __future__ import annotations

# The order of these imports is the order of the commands in --help.
# isort: off
from app.cli import serve, data, planning, timetables, admin  # noqa: F401  (registers their commands)

# isort: on
from app.cli.base import cli, main

__all__ = ["cli", "main"]
