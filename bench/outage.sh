#!/usr/bin/env bash
# Figure: how long requests wait during a database outage. `serve` (with the demo) runs as a
# PostgreSQL role of its own with a request wait of WAIT seconds; the role's CONNECTION LIMIT is
# then set to 0 and its sessions ended (PostgreSQL refusing it, as when other instances crowd the
# limit or it restarts), and N requests are sent at once: searches, or with WHAT=status signed
# status lookups, or WHAT=page certificate pages (of the demo's certificates in turn). Prints how
# they were answered and how long the fastest, the median and the slowest took, then how soon
# one is answered 200 once the role may connect again.
#   KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres BIN=… bench/outage.sh 40
#   WAIT=10 WHAT=status … bench/outage.sh 200
set -euo pipefail
N="${1:?give N, the searches sent at once}"
BIN="${BIN:?set BIN to a keurmerk binary}"
ADMIN="${KEURMERK_BENCH_PG:?set KEURMERK_BENCH_PG to a PostgreSQL URL that may create roles}"
WAIT="${WAIT:-1}"; PORT="${PORT:-18099}"; WHAT="${WHAT:-search}"; ROLE=km_outage
host="${ADMIN#*://}"; host="${host#*@}"; host="${host%%/*}"
sql() { PGOPTIONS="-c client_min_messages=warning" psql -qAt "$ADMIN" "$@" > /dev/null; }
DIR="$(mktemp -d)"
cleanup() {
  [ -n "${SERVE:-}" ] && kill "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
  sql -c "DROP DATABASE IF EXISTS $ROLE WITH (FORCE)" -c "DROP ROLE IF EXISTS $ROLE" || true
  rm -rf "$DIR"
}
trap cleanup EXIT
sql -c "DROP DATABASE IF EXISTS $ROLE WITH (FORCE)" -c "DROP ROLE IF EXISTS $ROLE" \
  -c "CREATE ROLE $ROLE LOGIN" -c "CREATE DATABASE $ROLE OWNER $ROLE"
cd "$DIR"
KEURMERK_DATABASE_WAIT_SECS="$WAIT" "$BIN" --db "postgres://$ROLE@$host/$ROLE" serve --demo \
  --addr "127.0.0.1:$PORT" > serve.log 2>&1 &
SERVE=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)" = 200 ] && break
  sleep 0.5
done
IDS=($(curl -fs "$BASE/api/v1/labels?limit=50" | grep -o '"certificate":"[^"]*"' | cut -d'"' -f4)) \
  || { echo "serve did not answer a search; its log:" >&2; cat serve.log >&2; exit 1; }
[ "${#IDS[@]}" -gt 0 ] || { echo "the demo has no certificates" >&2; exit 1; }
url() { # the i-th request's URL
  local id="${IDS[$(( $1 % ${#IDS[@]} ))]}"
  case "$WHAT" in
    search) echo "$BASE/api/v1/labels?q=camera&n=$1" ;;
    status) echo "$BASE/api/v1/certificates/$id/status?signed=true" ;;
    page) echo "$BASE/c/$id" ;;
    *) echo "WHAT is search, status or page" >&2; exit 2 ;;
  esac
}
curl -fs -o /dev/null "$(url 0)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $WHAT ×$N; wait ${WAIT}s; $("$BIN" --version)"
sql -c "ALTER ROLE $ROLE CONNECTION LIMIT 0" \
  -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '$ROLE'"
# Past the trust list's reuse and the status lookups' memory (1 s each): each request must read
# the database.
sleep 1.5
CURLS=()
for i in $(seq 1 "$N"); do
  curl -s -o /dev/null -m 600 -w '%{http_code} %{time_total}\n' "$(url "$i")" >> times.txt &
  CURLS+=($!)
done
wait "${CURLS[@]}"
sort -k2 -n times.txt | awk '{c[$1]++; t[NR]=$2} END {
  for (k in c) printf "%s ×%d; ", k, c[k];
  printf "fastest %.2f s, median %.2f s, slowest %.2f s\n", t[1], t[int((NR+1)/2)], t[NR]}'
sql -c "ALTER ROLE $ROLE CONNECTION LIMIT -1"
for _ in $(seq 1 100); do
  a="$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$(url 0)")"
  [ "${a%% *}" = 200 ] && { echo "the role may connect again: 200 in ${a#* } s"; break; }
  sleep 0.1
done
