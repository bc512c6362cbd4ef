#!/usr/bin/env bash
# Install the project with its test and docs tools into .venv (and Debian's chromium for the
# browser test) and run every check: lint, format, types, the Dockerfile lint, the documentation
# build, and the test suite
# (which needs PostgreSQL on 127.0.0.1:5432: started here when it is down, its role and
# database created when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# The dashboard test drives Debian's chromium (Playwright uses it as the browser executable).
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# The copy detector of tests/app/test_pages.py (jscpd, fetched from the npm registry by npx)
# runs on Node.js.
if ! command -v npx >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# PostgreSQL on 127.0.0.1:5432 with a role `root` and a database `test` (the tests' URL): started
# when it is installed but down, the role and database created when missing; else stop at once
# saying what is missing.
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "scripts/test.sh: PostgreSQL's client tools are missing (apt-get install postgresql)" >&2
  exit 1
fi
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 30); do pg_up && break; sleep 1; done
fi
if ! pg_up; then
  echo "scripts/test.sh: no PostgreSQL answers on 127.0.0.1:5432; start it" \
    "(pg_ctlcluster --skip-systemctl-redirect <version> main start) and run this again" >&2
  exit 1
fi
as_admin() {  # psql as the server's superuser, reading SQL from stdin: the postgres account
  # where this user may become it, else the postgres role over TCP (trust auth)
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -d postgres"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres
  fi
}
if ! psql -X -q -h 127.0.0.1 -U root -d test -c 'select 1' >/dev/null 2>&1; then
  echo "scripts/test.sh: creating PostgreSQL role root and database test for the tests" >&2
  as_admin <<'SQL' || { echo "scripts/test.sh: could not create role root and database test" \
    "(as the postgres superuser); create them by hand and run this again" >&2; exit 1; }
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'root') THEN
    CREATE ROLE root LOGIN CREATEDB;
  END IF;
END $$;
SELECT 'CREATE DATABASE test OWNER root'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'test') \gexec
SQL
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test,docs]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/hadolint Dockerfile
# The documentation site, every warning an error (a broken link, a page left out of the nav, a
# setting of app/config.py the settings page does not name).
.venv/bin/mkdocs build --strict --site-dir test-output/site
# The wheel, installed outside the checkout, plans and serves from its embedded data.
bash scripts/check_wheel.sh
.venv/bin/python -m pytest "$@"
