#!/usr/bin/env bash
# Figure: what upgrading a seeded registry to software list records costs (migration 0047, and
# the read model's format `label-status-3`, under which every stored status is folded again).
# OLD_BIN (a build before 0047) seeds N certificates; then BIN opens the registry (`org list`:
# the migration runs) and publishes the status list three times: the first publication folds
# every certificate again (each software list without its record now reads as not monitored),
# the next ones read the stored statuses.
#   OLD_BIN=… BIN=… bench/upgrade-0047.sh 100000 sqlite
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
: "${OLD_BIN:?set OLD_BIN to a keurmerk binary built before migration 0047}"
URL="$(db_url "$BACKEND" "$N")"
KEYS="$(keys_dir "$BACKEND" "$N")"
BIN="$OLD_BIN" "$(dirname "$0")/seed.sh" "$N" "$BACKEND"
echo "# $(date -u +%FT%TZ) upgrade of $BACKEND, $N certificates; $(load)"
START=$(date +%s.%N)
KEURMERK_KEYS_DIR="$KEYS" KEURMERK_LOG=warn "$BIN" --db "$URL" org list >/dev/null
END=$(date +%s.%N)
echo "migration: $(python3 -c "print(f'{$END - $START:.2f} s')") wall (process start included)"
for run in 1 2 3; do
  START=$(date +%s.%N)
  OUT="$(KEURMERK_KEYS_DIR="$KEYS" KEURMERK_LOG=warn /usr/bin/time -f "peak RSS %M KB" "$BIN" --db "$URL" status-list publish 2>&1)"
  END=$(date +%s.%N)
  echo "publication $run: $(python3 -c "print(f'{$END - $START:.2f} s')") wall: $OUT"
done
echo "# end: $(load)"
