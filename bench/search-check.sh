#!/usr/bin/env bash
# Figure: `keurmerk certificate verify --search` on a seeded registry — the search documents
# against their certificates' rows and (SQLite) FTS5's index against the documents — its time and
# peak RSS, and (SQLite) whether a writer could take the write lock while it ran.
#   bench/search-check.sh 1000000 sqlite        (after bench/seed.sh 1000000 sqlite)
#   KEURMERK_BENCH_PG=... bench/search-check.sh 1000000 pg
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
URL="$(db_url "$BACKEND" "$N")"
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; before: $(load)"
KEURMERK_KEYS_DIR="$(keys_dir "$BACKEND" "$N")" /usr/bin/time -f "# %e s, peak RSS %M KB" \
  "$BIN" --db "$URL" certificate verify --search &
CHECK=$!
if [ "$BACKEND" = sqlite ]; then
  # Once a second while the check runs: can a writer take the write lock at once?
  TAKEN=0; REFUSED=0
  while kill -0 "$CHECK" 2>/dev/null; do
    sleep 1
    if sqlite3 "$SCALE_DATA/scale-$N.db" ".timeout 0" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; then
      TAKEN=$((TAKEN + 1))
    else
      REFUSED=$((REFUSED + 1))
    fi
  done
  echo "# write lock taken at once $TAKEN time(s), refused $REFUSED time(s) while the check ran"
fi
RC=0; wait "$CHECK" || RC=$?
echo "# exit $RC; after: $(load)"
