#!/usr/bin/env bash
# Figure: what the event-append lock costs a PostgreSQL write. Every write transaction of the
# registry takes `pg_advisory_xact_lock_shared` in the message that begins it (SqlStore::write),
# so the status list's watermark can wait for the writes under way. pgbench runs, in turn, ROUNDS times
# each, a write transaction shaped like the registry's smallest (BEGIN, one INSERT of a row the
# size of an event, COMMIT) without and with that statement, on CLIENTS connections for SECONDS
# each, in a database of its own (dropped afterwards). Prints transactions per second and mean
# latency of each run.
#   KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres bench/append-lock.sh
#   CLIENTS=8 SECONDS=20 ROUNDS=3 … bench/append-lock.sh
set -euo pipefail
ADMIN="${KEURMERK_BENCH_PG:?set KEURMERK_BENCH_PG to a PostgreSQL URL that may create databases}"
CLIENTS="${CLIENTS:-4}"; SECONDS_EACH="${SECONDS:-10}"; ROUNDS="${ROUNDS:-3}"; DB=km_append_lock
base="${ADMIN%/*}"
sql() { PGOPTIONS="-c client_min_messages=warning" psql -qAt "$ADMIN" "$@" > /dev/null; }
DIR="$(mktemp -d)"
cleanup() { sql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true; rm -rf "$DIR"; }
trap cleanup EXIT
sql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -qAt "$base/$DB" -c "CREATE TABLE events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  certificate_id TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL)" > /dev/null
insert="INSERT INTO events (certificate_id, at, payload) VALUES ('KM-2026-000001', \
'2026-12-06T10:00:00.000000Z', repeat('x', 600));"
printf 'BEGIN;\n%s\nCOMMIT;\n' "$insert" > "$DIR/without.sql"
# As SqlStore::write sends it: BEGIN and the lock in one message (one round trip).
printf 'BEGIN\\; SELECT pg_advisory_xact_lock_shared(1263355222);\n%s\nCOMMIT;\n' "$insert" \
  > "$DIR/with.sql"
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  for script in without with; do
    out="$(pgbench -n -c "$CLIENTS" -j 1 -T "$SECONDS_EACH" -f "$DIR/$script.sql" "$base/$DB" 2>&1)"
    tps="$(grep -o 'tps = [0-9.]*' <<< "$out" | head -1 | cut -d' ' -f3)"
    lat="$(grep -o 'latency average = [0-9.]* ms' <<< "$out" | cut -d' ' -f4)"
    [ -n "$tps" ] || { echo "pgbench failed:" >&2; echo "$out" >&2; exit 1; }
    printf 'round %s  %-8s %10s tps  %8s ms mean latency\n' "$round" "$script" "$tps" "$lat"
  done
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
