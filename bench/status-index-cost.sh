#!/usr/bin/env bash
# Figure: what migration 0044's unique index on `label_status.idx` costs on SQLite. Inserts
# N (default 1,000,000) rows shaped like `label_status` rows (in issue order, as the registry
# writes them) into a fresh file with the status list's covering index (migration 0031), ROUNDS
# times without and with the unique partial index, in turn; prints the seconds each insert took
# and the file's size. Needs the sqlite3 command.
#   bench/status-index-cost.sh
#   N=100000 ROUNDS=5 bench/status-index-cost.sh
set -euo pipefail
N="${N:-1000000}"; ROUNDS="${ROUNDS:-3}"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
one() {
  local db="$DIR/$1.db"
  rm -f "$db"
  sqlite3 "$db" "PRAGMA journal_mode=WAL;" > /dev/null
  sqlite3 "$db" "CREATE TABLE label_status (certificate_id TEXT PRIMARY KEY,
      gen BIGINT NOT NULL DEFAULT 0, seq BIGINT, report TEXT, computed_at TEXT, stale_after TEXT,
      policy TEXT, trust TEXT, status TEXT, idx BIGINT);
    CREATE INDEX label_status_list ON label_status
      (idx, certificate_id, status, policy, trust, computed_at, stale_after)
      WHERE idx IS NOT NULL;"
  if [ "$1" = unique ]; then
    sqlite3 "$db" "CREATE UNIQUE INDEX label_status_one_per_index ON label_status (idx)
      WHERE idx IS NOT NULL;"
  fi
  local start end
  start=$(date +%s.%N)
  sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $N - 1)
    INSERT INTO label_status (certificate_id, gen, seq, report, computed_at, stale_after, policy,
      trust, status, idx)
    SELECT printf('KM-2026-%07d', i), 1, i, '{}', '2026-12-06T10:00:00.000000Z',
      '2026-12-07T10:00:00.000000Z', 'p', 't', 'valid', i FROM n;"
  end=$(date +%s.%N)
  printf '%-7s %6.2f s  %d bytes\n' "$1" "$(echo "$end - $start" | bc)" "$(stat -c %s "$db")"
}
echo "N=$N, load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$ROUNDS"); do one plain; one unique; done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
