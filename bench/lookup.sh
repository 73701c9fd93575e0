#!/usr/bin/env bash
# Figure: random lookups over the whole set against nginx serving a static file of the same size,
# in one run: unsigned status, signed status, certificate page, search (FTS, random words and
# filters); req/s, ratio to nginx, p50, p99, errors, `serve`'s CPU time (user and system) per
# answer during its wrk run; then `serve`'s peak resident memory (VmHWM).
#   bench/lookup.sh 1000000 sqlite        (after bench/seed.sh 1000000 sqlite)
#   KEURMERK_BENCH_PG=... bench/lookup.sh 1000000 pg
#   ONLY=search bench/lookup.sh 1000000 sqlite   (only the rows whose name starts so)
#   FILTERS='&state=suspended' ONLY=search bench/lookup.sh 1000000 pg   (searches of one filter)
# Every request asks for a uniformly random certificate of the N (wrk Lua), so no cache helps.
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
KPORT="$(free_port)"; NPORT="$(free_port)"
start_serve "$BACKEND" "$N" "$KPORT"
PID="$(serve_pid "$KPORT")"
mkdir -p "$WORK/www"
one="$(sql "$BACKEND" "$N" "SELECT id FROM certificates ORDER BY status_index LIMIT 1 OFFSET $((N / 2))")"
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load); wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
echo "| request | body | keurmerk req/s | nginx req/s | ratio | p50 | p99 | nginx p99 | errors | serve CPU per answer |"
echo "|---|---|---|---|---|---|---|---|---|---|"
start_nginx "$NPORT"
row() { # name path-template sample-path [header]
  local name="$1" tmpl="$2" sample="$3"
  case "$name" in ${ONLY:-*}*) ;; *) return ;; esac
  curl -fs "http://127.0.0.1:$KPORT$sample" -o "$WORK/www/body" || { echo "| $name | request failed: $sample |"; return; }
  local size; size=$(stat -c %s "$WORK/www/body")
  write_lua "$BACKEND" "$N" "$tmpl" "$WORK/req.lua"
  nginx_check "$NPORT" /body "$WORK/www/body"
  read -r NR NP50 NP99 NE <<<"$(run_wrk "http://127.0.0.1:$NPORT/body")"
  [ "$NE" = 0 ] || { echo "| $name | nginx answered $NE errors: no baseline |"; return; }
  local t0; t0="$(cpu_ticks "$PID")"
  read -r KR KP50 KP99 KE <<<"$(run_wrk "http://127.0.0.1:$KPORT/" "$WORK/req.lua")"
  local cpu; cpu="$(python3 -c "print(f'{($(cpu_ticks "$PID") - $t0) / $(getconf CLK_TCK) * 1e6 / ($KR * $(duration_secs)):.0f} µs')")"
  echo "| $name | $size B | $KR | $NR | $(python3 -c "print(f'{$KR/$NR:.2f}')") | $KP50 | $KP99 | $NP99 | $KE | $cpu |"
}
row "status (unsigned)" "/api/v1/certificates/ID/status" "/api/v1/certificates/$one/status"
row "status (signed)" "/api/v1/certificates/ID/status?signed=true" "/api/v1/certificates/$one/status?signed=true"
row "certificate page" "/c/ID" "/c/$one"
row "search" "/api/v1/labels?q=SEARCH&limit=20" "/api/v1/labels?q=camera&limit=20"
echo "serve VmHWM: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$PID/status"), VmRSS: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$PID/status")"
echo "# end: $(load)"
