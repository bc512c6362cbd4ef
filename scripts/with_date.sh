#!/usr/bin/env bash
# Run a command with the wall clock moved to another date, for it and every process it starts:
#   bash scripts/with_date.sh 2027-05-14 bash scripts/test.sh
# The date is a day (the time of day stays today's) or anything `date -d` reads. Only the wall
# clock moves (scripts/clockshift.c, built here with the machine's C compiler into
# test-output/); sleeps and timeouts keep their real length. Servers already running (PostgreSQL)
# keep the real date; the service reads the time only from its own processes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: scripts/with_date.sh DATE COMMAND [ARG...]" >&2
  exit 2
fi
target=$(date -d "$1" +%s) || { echo "scripts/with_date.sh: cannot read the date '$1'" >&2; exit 2; }
shift
now=$(date +%s)
# A bare day keeps the time of day: move by whole days (a time of exactly 00:00 reads as a bare
# day too).
day_start=$(date -d "$(date -d "@$target" +%F)" +%s)
today_start=$(date -d "$(date +%F)" +%s)
shift_s=$(( target == day_start ? day_start - today_start : target - now ))
mkdir -p test-output
lib="$PWD/test-output/clockshift.so"
if [ ! -e "$lib" ] || [ scripts/clockshift.c -nt "$lib" ]; then
  cc -O2 -shared -fPIC -o "$lib" scripts/clockshift.c -ldl
fi
export CLOCKSHIFT_S=$shift_s
export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
exec "$@"
