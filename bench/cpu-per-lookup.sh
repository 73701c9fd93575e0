#!/usr/bin/env bash
# Figure: CPU time `serve` spends per lookup, natively (user and system time from /proc, around
# REQUESTS lookups of uniformly random certificates on one keep-alive connection). Unlike
# bench/instructions.sh it runs the binary at full speed with the CPU's own instructions (SHA
# extensions, for one: callgrind's CPU has none, so it counts SHA-256 in software), and unlike
# wrk's req/s it needs only one core for the server. Background work in those seconds is counted
# too, so compare builds in alternating runs on a settled registry.
#   bench/cpu-per-lookup.sh 100000 sqlite '/api/v1/certificates/ID/status' [REQUESTS]
#   BIN=/tmp/old-keurmerk bench/cpu-per-lookup.sh 100000 sqlite '/api/v1/certificates/ID/status?signed=true'
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"; TMPL="${3:?give a path template with ID or SEARCH}"; REQUESTS="${4:-20000}"
PORT="$(free_port)"
start_serve "$BACKEND" "$N" "$PORT"
mapfile -t RANGES < <(sql "$BACKEND" "$N" "SELECT substr(id, 4, 4) || ' ' || COUNT(*) FROM certificates GROUP BY substr(id, 4, 4) ORDER BY 1")
RESULT="$(python3 bench/lib/requests.py "$PORT" "$REQUESTS" "$TMPL" "cpu:$(serve_pid "$PORT")" "${RANGES[@]}")"
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load); $BIN sha256 $(sha256sum "$BIN" | cut -c1-12)"
echo "| $TMPL | $RESULT |"
