#!/usr/bin/env bash
# Figure: two `keurmerk serve` instances on one PostgreSQL serving random unsigned status lookups
# (two wrk targets at once), against one instance alone; errors must be 0.
#   KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test bench/two-instances.sh 1000000
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"
A="$(free_port)"; B="$(free_port)"
start_serve pg "$N" "$A"
write_lua pg "$N" "/api/v1/certificates/ID/status" "$WORK/req.lua"
echo "# $(date -u +%FT%TZ) PostgreSQL, $N certificates; $(load); wrk -t$THREADS -c$CONNECTIONS -d$DURATION per target"
read -r R1 P50 P99 E1 <<<"$(run_wrk "http://127.0.0.1:$A/" "$WORK/req.lua")"
echo "| one instance | $R1 req/s | p50 $P50 | p99 $P99 | errors $E1 |"
start_serve pg "$N" "$B"
# Wait for this wrk by its pid: `wait %1` would be the first server (a job of its own), which
# never ends — the script hung there.
run_wrk "http://127.0.0.1:$A/" "$WORK/req.lua" > "$WORK/a.txt" &
WRK_A=$!
run_wrk "http://127.0.0.1:$B/" "$WORK/req.lua" > "$WORK/b.txt"
wait "$WRK_A"
read -r RA PA50 PA99 EA < "$WORK/a.txt"; read -r RB PB50 PB99 EB < "$WORK/b.txt"
echo "| two instances | $(python3 -c "print(f'{$RA+$RB:.0f}')") req/s ($RA + $RB) | p50 $PA50 / $PB50 | p99 $PA99 / $PB99 | errors $((EA + EB)) |"
echo "| growth | $(python3 -c "print(f'{($RA+$RB)/$R1:.2f}')")x |"
echo "# end: $(load)"
