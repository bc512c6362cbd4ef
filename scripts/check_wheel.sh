#!/usr/bin/env bash
# The package as users install it: a wheel built from this checkout, installed into a fresh
# virtual environment outside it, plans the bundled 2024 scenario and serves /healthz from
# its embedded data (nothing read from the checkout). Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
.venv/bin/pip wheel --quiet --no-deps --wheel-dir "$work/dist" . 2>&1 | grep -v '^WARNING: Location' || true
wheel="$(ls "$work"/dist/*.whl)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$wheel" 2>&1 | grep -v '^WARNING: Location' || true
cd "$work"  # outside the checkout: only the installed package is importable
unset BALLOT_DATA_DIR
"$work/venv/bin/python" - <<'PY'
import routing, app
from routing import bundled_data_dir
here = bundled_data_dir()
assert "site-packages" in str(here), here
print("wheel: data from", here)
PY
"$work/venv/bin/ballot-routing" plan --bundled pemilu2024 --iterations 200 --seed 1 \
  --out "$work/plan" --lang en
test -s "$work/plan/plan.json"
port="$("$work/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BALLOT_PORT="$port" "$work/venv/bin/ballot-routing" serve > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 120); do
  if "$work/venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=2); sys.exit(0)" 2>/dev/null; then
    echo "wheel: serve answered /healthz on port $port"
    exit 0
  fi
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; echo "wheel: serve exited" >&2; exit 1; }
  sleep 1
done
cat "$work/serve.log" >&2
echo "wheel: serve did not answer /healthz in 120 s" >&2
exit 1
