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
# The words in memory are read on a thread after the first search; until then every search asks
# the full-text index (two common words no label has together took up to 82 ms at 1,000,000 on
# PostgreSQL), so the classes are timed once they cover the registry.
curl -fs "http://127.0.0.1:$KPORT/api/v1/labels?q=camera&limit=1" >/dev/null
covered() { curl -fs "http://127.0.0.1:$KPORT/metrics" | awk '/^keurmerk_search_words_covered / {print $2}'; }
T0=$(date +%s)
while :; do
  C="$(covered)"
  [ "${C:-0}" -gt 0 ] 2>/dev/null && break
  [ $(($(date +%s) - T0)) -lt 600 ] || { echo "the words in memory were not read within 600 s" >&2; exit 1; }
  sleep 1
  curl -fs "http://127.0.0.1:$KPORT/api/v1/labels?q=camera&limit=1" >/dev/null
done
echo "# the words in memory cover $C documents ($(($(date +%s) - T0)) s after the first search)"
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load)"
python3 "$(dirname "$0")/lib/search_classes.py" "http://127.0.0.1:$KPORT"
