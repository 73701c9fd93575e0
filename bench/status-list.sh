#!/usr/bin/env bash
# Figure: building and publishing the status list of the whole registry (issue 15 item 6,
# "building it <= 1 s"): `keurmerk status-list publish` three times on the seeded registry,
# each reading every certificate's stored status, packing, compressing, signing, storing and
# queueing the list for the log; the command prints the two parts, this script the wall time.
#   bench/status-list.sh 1000000 sqlite        (after bench/seed.sh 1000000 sqlite)
#   KEURMERK_BENCH_PG=... bench/status-list.sh 1000000 pg
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
URL="$(db_url "$BACKEND" "$N")"
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load)"
for run in 1 2 3; do
  START=$(date +%s.%N)
  OUT="$(KEURMERK_KEYS_DIR="$(keys_dir "$BACKEND" "$N")" KEURMERK_LOG=warn "$BIN" --db "$URL" status-list publish)"
  END=$(date +%s.%N)
  echo "run $run: $(python3 -c "print(f'{$END - $START:.2f} s')") wall (process start included): $OUT"
done
echo "# end: $(load)"
