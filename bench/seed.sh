#!/usr/bin/env bash
# Figure: `keurmerk demo --scale N` seeding time and rate, and database bytes per certificate.
#   bench/seed.sh 1000000 sqlite
#   KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test bench/seed.sh 1000000 pg
# Seeds a fresh registry under $SCALE_DATA (SQLite file) or database keurmerk_scale_N (PostgreSQL),
# replacing one left by an earlier run; the other bench scripts use it.
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
URL="$(db_url "$BACKEND" "$N")"
rm -rf "$(keys_dir "$BACKEND" "$N")"
case "$BACKEND" in
  sqlite) rm -f "$SCALE_DATA/scale-$N.db" "$SCALE_DATA/scale-$N.db-wal" "$SCALE_DATA/scale-$N.db-shm" ;;
  pg) psql "$KEURMERK_BENCH_PG" -qc "DROP DATABASE IF EXISTS keurmerk_scale_$N WITH (FORCE)" -c "CREATE DATABASE keurmerk_scale_$N" >/dev/null ;;
esac
echo "# $(date -u +%FT%TZ) before: $(load)"
START=$(date +%s.%N)
KEURMERK_KEYS_DIR="$(keys_dir "$BACKEND" "$N")" /usr/bin/time -f "peak RSS %M KB" "$BIN" --db "$URL" demo --scale "$N"
END=$(date +%s.%N)
echo "# after: $(load)"
case "$BACKEND" in
  sqlite) sqlite3 "$SCALE_DATA/scale-$N.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null; BYTES=$(stat -c %s "$SCALE_DATA/scale-$N.db") ;;
  pg) BYTES=$(psql "$URL" -Atqc "SELECT pg_database_size(current_database())") ;;
esac
python3 - "$N" "$START" "$END" "$BYTES" "$BACKEND" <<'PY'
import sys
n, s, e, b, backend = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
t = e - s
print(f"| {backend} | {n:,} | {t:.0f} s | {n/t:,.0f} certificates/s | {b/1e6:,.0f} MB | {b/n:,.0f} bytes/certificate |")
PY
