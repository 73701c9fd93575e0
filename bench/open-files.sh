#!/usr/bin/env bash
# Figure: `keurmerk serve` started under a soft open-files limit of 1,024 (as many systems start a
# process; the hard limit as it is) and flooded with more HTTP connections than that: its soft
# limit once listening, searches/s, p99, wrk's errors and the accept failures (out of file
# descriptors) in its log. On the demo registry (SQLite), in a directory of its own.
#   BIN=… bench/open-files.sh           # SOFT (1024), CONNECTIONS (1200), DURATION (10s)
set -euo pipefail
BIN="${BIN:?set BIN to a keurmerk binary}"
SOFT="${SOFT:-1024}"; CONNECTIONS="${CONNECTIONS:-1200}"; DURATION="${DURATION:-10s}"
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SERVE=""
trap 'cd /; [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null; rm -rf "$WORK"' EXIT
# The demo first, under no lower limit; then `serve` alone under it. Run in $WORK, with the log
# key there too: nothing is written where the script is started.
cd "$WORK"
"$BIN" --db "sqlite:$WORK/k.db" --keys "$WORK/keys" demo > /dev/null
(ulimit -Sn "$SOFT" && KEURMERK_LOG_KEY="$WORK/log.key" exec "$BIN" --db "sqlite:$WORK/k.db" \
  --keys "$WORK/keys" serve --addr "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1) &
SERVE=$!
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT/api/v1/labels?q=camera&limit=20"
curl -fs "$URL" > /dev/null
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c$CONNECTIONS -d$DURATION"
# wrk itself needs a descriptor per connection.
(ulimit -n "$(ulimit -Hn)" && wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency "$URL") > "$WORK/wrk.txt" 2>&1
echo "| soft limit at start $SOFT, once listening $(awk '/Max open files/ {print $4}' "/proc/$SERVE/limits") | $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt") searches/s | p99 $(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt") | wrk errors: $(grep -E 'Socket errors|Non-2xx' "$WORK/wrk.txt" | tr -s ' ' | tr '\n' ' ' || true)| accept failures $(grep -c 'accept failed' "$WORK/serve.log" || true) |"
