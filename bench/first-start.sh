#!/usr/bin/env bash
# Figure: `keurmerk serve`'s resident memory while a freshly seeded registry does its own work
# (logging the seeded statements, the scheduler's due events, telling dependents), sampled every
# 15 s with the outbox, log queue and newest event, until both queues are empty (or LIMIT
# samples, default 80: 20 minutes).
#   bench/first-start.sh 1000000 sqlite        (right after bench/seed.sh 1000000 sqlite)
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
PORT="$(free_port)"
URL="$(db_url "$BACKEND" "$N")"
(cd "$WORK" && KEURMERK_KEYS_DIR="$(keys_dir "$BACKEND" "$N")" KEURMERK_LOG_KEY="$(keys_dir "$BACKEND" "$N")/log.key" \
  KEURMERK_LOG=warn exec "$BIN" --db "$URL" serve --addr "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1) &
PIDS+=($!)
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
PID="$(serve_pid "$PORT")"
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load)"
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
echo "# end: $(load)"
