#!/usr/bin/env bash
# Figure: how full the request pool is under load. Runs bench/lookup.sh (all its rows, or ONLY=…)
# and meanwhile reads `/metrics` of every `keurmerk serve` listening, every 0.25 s; then counts the
# samples taken under load (connections in use above 0) and how many had every connection in use.
#   KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test BIN=… bench/pool-use.sh 100000 pg
#   KEURMERK_DATABASE_CONNECTIONS=4 … bench/pool-use.sh 100000 pg   # another pool size
set -euo pipefail
N="${1:?give N}"; BACKEND="${2:?give pg}"
# SQLite's lookups read on the calling thread and hold no pool connection: nothing to count.
[ "$BACKEND" = pg ] || { echo "bench/pool-use.sh: PostgreSQL only (pg); SQLite's lookups use no pool connection" >&2; exit 2; }
SAMPLES="$(mktemp)"
trap 'rm -f "$SAMPLES"' EXIT
sample() {
  while true; do
    for port in $(ss -ltnpH | grep keurmerk | sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p'); do
      m="$(curl -fs --max-time 1 "http://127.0.0.1:$port/metrics")" || continue
      in_use="$(sed -n 's/^keurmerk_database_connections{pool="requests",use="in_use"} //p' <<<"$m")"
      max="$(sed -n 's/^keurmerk_database_connections_max{pool="requests"} //p' <<<"$m")"
      [ -n "$in_use" ] && [ -n "$max" ] && echo "$in_use $max"
    done
    sleep 0.25
  done
}
sample >> "$SAMPLES" &
SAMPLER=$!
"$(dirname "$0")/lookup.sh" "$N" "$BACKEND"
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
python3 - "$SAMPLES" <<'PY'
import collections, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
loaded = [(u, m) for u, m in rows if u > 0]
if not loaded:
    sys.exit("no sample was taken under load: is `serve` new enough to show its pool in /metrics?")
full = sum(1 for u, m in loaded if u >= m)
spread = collections.Counter(u for u, _ in loaded)
print(f"| pool of {loaded[0][1]} | {len(loaded)} samples under load | every connection in use in {full} ({100 * full / len(loaded):.0f} %) | in use: "
      + " ".join(f"{u}×{c}" for u, c in sorted(spread.items())) + " |")
PY
