#!/usr/bin/env bash
# Figure: `keurmerk certificate verify --search --repair` after about COUNT search documents of a
# seeded registry were rewritten by hand (every document whose number is RESIDUE modulo
# N / COUNT, RESIDUE random unless given: a repair gives documents new numbers): its time,
# its peak RSS, and for how long a writer was held off (a write tried every 0.2 s without waiting:
# SQLite's write lock; PostgreSQL's lock on `certificates`). The documents are repaired afterwards.
#   bench/search-repair.sh 1000000 sqlite        (after bench/seed.sh 1000000 sqlite)
#   KEURMERK_BENCH_PG=... bench/search-repair.sh 1000000 pg
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"; COUNT="${COUNT:-1000}"
URL="$(db_url "$BACKEND" "$N")"
EVERY=$(( N / COUNT )); RESIDUE="${RESIDUE:-$(( RANDOM % EVERY ))}"
case "$BACKEND" in
  sqlite)
    sql sqlite "$N" "UPDATE certificate_fts SET body = 'forged' WHERE rowid IN (SELECT rowid FROM certificate_fts WHERE rowid % $EVERY = $RESIDUE)"
    forged() { sql sqlite "$N" "SELECT COUNT(*) FROM certificate_fts WHERE certificate_fts MATCH 'forged'"; }
    write() { sqlite3 "$SCALE_DATA/scale-$N.db" ".timeout 0" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; } ;;
  pg)
    sql pg "$N" "UPDATE certificate_search SET doc = to_tsvector('simple', 'forged') WHERE seq % $EVERY = $RESIDUE" >/dev/null
    forged() { sql pg "$N" "SELECT COUNT(*) FROM certificate_search WHERE doc @@ to_tsquery('simple', 'forged')"; }
    write() { psql "$URL" -qtAc "BEGIN; SET LOCAL lock_timeout = '1ms'; LOCK TABLE certificates IN ROW EXCLUSIVE MODE; ROLLBACK;" >/dev/null 2>&1; } ;;
esac
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates, $(forged) documents forged; before: $(load)"
KEURMERK_KEYS_DIR="$(keys_dir "$BACKEND" "$N")" /usr/bin/time -f "# %e s, peak RSS %M KB" \
  "$BIN" --db "$URL" certificate verify --search --repair 2>&1 | grep -v ' WARN ' &
CHECK=$!
TAKEN=0; REFUSED=0
while kill -0 "$CHECK" 2>/dev/null; do
  sleep 0.2
  if write; then TAKEN=$((TAKEN + 1)); else REFUSED=$((REFUSED + 1)); fi
done
wait "$CHECK" || true  # the check exits 1: it found the forged documents
echo "# a writer was held off $REFUSED time(s) and went ahead $TAKEN time(s) (tried every 0.2 s)"
echo "# documents still forged: $(forged); after: $(load)"
