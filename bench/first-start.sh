#!/usr/bin/env bash
# Figure: `keurmerk serve`'s resident memory while a freshly seeded registry does its own work
# (logging the seeded statements, the scheduler's due events, telling dependents), sampled every
# 15 s with the outbox, log queue and newest event, until both queues are empty (or LIMIT
# samples, default 80: 20 minutes).
#   bench/first-start.sh 1000000 sqlite        (right after bench/seed.sh 1000000 sqlite)
#   LOOKUPS=1 bench/first-start.sh 1000000 sqlite   the same while wrk runs random lookups the
#     whole time (unsigned and signed status, page, search in turn, DURATION each): the peak
#     resident memory of the first start's work and lookups together
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
PORT="$(free_port)"
URL="$(db_url "$BACKEND" "$N")"
(cd "$WORK" && KEURMERK_KEYS_DIR="$(keys_dir "$BACKEND" "$N")" KEURMERK_LOG_KEY="$(keys_dir "$BACKEND" "$N")/log.key" \
  KEURMERK_LOG=warn exec "$BIN" --db "$URL" serve --addr "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1) &
PIDS+=($!)
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
PID="$(serve_pid "$PORT")"
# The listening process itself is stopped at the end too: a BIN that wraps `keurmerk` (heaptrack,
# perf) runs it as a child, which outlived the wrapper and kept writing to the registry a next
# run replaced (a corrupted copy, 2026-12-03).
PIDS+=("$PID")
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load)"
if [ -n "${LOOKUPS:-}" ]; then
  (
    i=0
    for t in "/api/v1/certificates/ID/status" "/api/v1/certificates/ID/status?signed=true" "/c/ID" "/api/v1/labels?q=SEARCH&limit=20"; do
      i=$((i + 1)); write_lua "$BACKEND" "$N" "$t" "$WORK/req$i.lua"
    done
    while [ ! -e "$WORK/stop" ]; do
      for i in 1 2 3 4; do
        [ -e "$WORK/stop" ] && break
        echo "# lookups $i: $(run_wrk "http://127.0.0.1:$PORT/" "$WORK/req$i.lua") (req/s p50 p99 errors)"
      done
    done
  ) &
  LOOP=$!; PIDS+=("$LOOP")
fi
echo "| time | VmRSS | VmHWM | outbox | log queue | newest event | load |"
echo "|---|---|---|---|---|---|---|"
for i in $(seq 1 "${LIMIT:-80}"); do
  sleep 15
  O="$(sql "$BACKEND" "$N" 'SELECT COUNT(*) FROM outbox')"
  Q="$(sql "$BACKEND" "$N" 'SELECT COUNT(*) FROM log_queue')"
  E="$(sql "$BACKEND" "$N" 'SELECT MAX(seq) FROM events')"
  echo "| $(date -u +%T) | $(awk '/VmRSS/ {printf "%d MB", $2/1024}' "/proc/$PID/status") | $(awk '/VmHWM/ {printf "%d MB", $2/1024}' "/proc/$PID/status") | $O | $Q | $E | $(cut -d' ' -f1 /proc/loadavg) |"
  if [ "$O" = 0 ] && [ "$Q" = 0 ] && [ "$i" -gt 4 ]; then break; fi
done
touch "$WORK/stop"; [ -n "${LOOP:-}" ] && { wait "$LOOP" 2>/dev/null || true; }
echo "serve VmHWM: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$PID/status")"
echo "# end: $(load)"
