#!/usr/bin/env bash
# Install the project with its test tools into .venv (and Debian's chromium for the browser
# test) and run every check: lint, format, types, the Dockerfile lint, and the test suite
# (which needs the machine's PostgreSQL on 127.0.0.1:5432; .ci/run starts it if it is down).
set -euo pipefail
cd "$(dirname "$0")/.."
# The dashboard test drives Debian's chromium (Playwright uses it as the browser executable).
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/hadolint Dockerfile
.venv/bin/python -m pytest "$@"
