#!/usr/bin/env bash
# Figure: SQLite's full-text index alone, per search query class (every word of the search row
# and every ordered pair), both query flows on one registry in alternation: what the index costs
# without the server, and that both flows find the same (the digests).
#   bench/search-index.sh 1000000 sqlite         (after bench/seed.sh 1000000 sqlite)
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; [ "${2:-sqlite}" = sqlite ] || { echo "SQLite only" >&2; exit 2; }
DB="$SCALE_DATA/scale-$N.db"
[ -f "$DB" ] || { echo "no $DB: run bench/seed.sh $N sqlite first" >&2; exit 1; }
echo "# $(date -u +%FT%TZ) sqlite, $N certificates; $(load); $(sqlite3 "$DB" "SELECT 'migration ' || MAX(version) FROM _sqlx_migrations")"
cat "$DB" >/dev/null  # read into the OS cache first
for flow in two-probes prefix-first two-probes prefix-first; do
  python3 "$(dirname "$0")/lib/search_index.py" "$DB" "$flow"
done
echo "# end: $(load)"
