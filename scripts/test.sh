#!/usr/bin/env bash
# Install the project with its test tools into .venv and run every check: lint, format,
# types, the Dockerfile lint, and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/hadolint Dockerfile
.venv/bin/python -m pytest "$@"
