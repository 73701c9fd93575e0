#!/usr/bin/env bash
# HTTP status lookups (the QR hot path) against nginx serving a static file of the same size, in
# the same run, from the same machine.
#
#   bench/http.sh                      # SQLite (a fresh demo database)
#   KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test bench/http.sh   # also PostgreSQL
#
# Needs: wrk, nginx (Debian packages), a release build (built here, or BIN).
# Env: DURATION (default 20s, bench/lib/common.sh), THREADS (2), CONNECTIONS (64).
# Besides the one-certificate run (the ratio the issue asks for), a second keurmerk run spreads the
# requests round-robin over every demo certificate (a wrk Lua script), closer to real QR scans.
# Shares nginx's setup, its byte check and wrk's parsing with the issue-15 scripts.
source "$(dirname "$0")/lib/common.sh"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$(command -v nginx || echo /usr/sbin/nginx)" ] || { echo "nginx is missing: apt-get install -y nginx-light" >&2; exit 1; }

start_keurmerk() { # db-url port
  (cd "$WORK" && KEURMERK_KEYS_DIR="$WORK/keys-$2" KEURMERK_LOG=warn exec "$BIN" --db "$1" serve --demo --addr "127.0.0.1:$2" >/dev/null 2>&1) &
  PIDS+=($!)
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "keurmerk did not start on $2" >&2; exit 1
}

suspended_id() { # port
  curl -fs "http://127.0.0.1:$1/api/v1/certificates?limit=200" |
    python3 -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin)["items"] if c["state"]=="suspended"))'
}

KPORT="$(free_port)"
start_keurmerk "sqlite:$WORK/bench.db" "$KPORT"
ID="$(suspended_id "$KPORT")"
URL="http://127.0.0.1:$KPORT/api/v1/certificates/$ID/status"
curl -fs "$URL" > "$WORK/status.json"
SIZE="$(wc -c < "$WORK/status.json")"

NPORT="$(free_port)"
mkdir -p "$WORK/www"
cp "$WORK/status.json" "$WORK/www/status.json"
start_nginx "$NPORT"
nginx_check "$NPORT" /status.json "$WORK/www/status.json"

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNECTIONS -d$DURATION; body $SIZE bytes"
read -r NRPS NP50 NP99 _ <<<"$(run_wrk "http://127.0.0.1:$NPORT/status.json")"
read -r KRPS KP50 KP99 KERR <<<"$(run_wrk "$URL")"
RATIO="$(python3 -c "print(f'{100*$KRPS/$NRPS:.0f}%')")"
echo "| target | rps | p50 | p99 | errors |"
echo "|---|---|---|---|---|"
echo "| nginx static file ($SIZE B) | $NRPS | $NP50 | $NP99 | 0 |"
echo "| keurmerk status, SQLite | $KRPS | $KP50 | $KP99 | $KERR |"
echo "ratio keurmerk/nginx (SQLite): $RATIO"

# Every certificate in turn.
curl -fs "http://127.0.0.1:$KPORT/api/v1/certificates?limit=200" |
  python3 -c 'import json,sys; print("\n".join(c["id"] for c in json.load(sys.stdin)["items"]))' > "$WORK/ids.txt"
N_IDS="$(wc -l < "$WORK/ids.txt")"
{
  echo "ids = {}"
  while read -r i; do echo "table.insert(ids, \"$i\")"; done < "$WORK/ids.txt"
  echo 'n = 0'
  echo 'request = function() n = n + 1; return wrk.format("GET", "/api/v1/certificates/" .. ids[(n % #ids) + 1] .. "/status") end'
} > "$WORK/rotate.lua"
read -r RRPS RP50 RP99 RERR <<<"$(run_wrk "http://127.0.0.1:$KPORT/" "$WORK/rotate.lua")"
echo "| keurmerk status, SQLite, $N_IDS certificates in turn | $RRPS | $RP50 | $RP99 | $RERR |"

if [ -n "${KEURMERK_BENCH_PG:-}" ]; then
  DB="keurmerk_bench_$$"
  PPORT="$(free_port)"
  psql "$KEURMERK_BENCH_PG" -qc "CREATE DATABASE $DB" >/dev/null
  start_keurmerk "${KEURMERK_BENCH_PG%/*}/$DB" "$PPORT"
  PID_="$(suspended_id "$PPORT")"
  read -r PRPS PP50 PP99 PERR <<<"$(run_wrk "http://127.0.0.1:$PPORT/api/v1/certificates/$PID_/status")"
  echo "| keurmerk status, PostgreSQL | $PRPS | $PP50 | $PP99 | $PERR |"
  echo "ratio keurmerk/nginx (PostgreSQL): $(python3 -c "print(f'{100*$PRPS/$NRPS:.0f}%')")"
  kill "${PIDS[-1]}" 2>/dev/null || true; sleep 0.5
  psql "$KEURMERK_BENCH_PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
fi
