#!/usr/bin/env bash
# Figure: search latency per query class without load — each of bench/lookup.sh's search words
# alone with each filter, and 150 random pairs, one request at a time; p50/p90/p99/max and the
# ten slowest (which classes are slow, where wrk's figure only says that some are).
#   bench/search-classes.sh 1000000 sqlite        (after bench/seed.sh 1000000 sqlite)
#   KEURMERK_BENCH_PG=... bench/search-classes.sh 100000 pg
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
KPORT="$(free_port)"
start_serve "$BACKEND" "$N" "$KPORT"
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load)"
python3 "$(dirname "$0")/lib/search_classes.py" "http://127.0.0.1:$KPORT"
