#!/usr/bin/env bash
# Figure: where the gap to nginx is. In one run, with the same wrk Lua script (a uniformly random
# certificate id in every request's path, so wrk does the same work for every row): nginx serving
# a 1,000-byte file at every path; hyper alone and an axum router with no middleware answering
# 1,000 bytes (the `http_ceiling` example, on the runtime `keurmerk serve` uses); `keurmerk serve`
# answering its style sheet (the whole middleware stack, no database) and the unsigned status of
# the random certificate (middleware, handler, database).
#   bench/ceiling.sh 1000000 sqlite        (after bench/seed.sh 1000000 sqlite)
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"
cargo build --release -p keurmerk-server --example http_ceiling >&2
EXAMPLE="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/http_ceiling"
KPORT="$(free_port)"; NPORT="$(free_port)"; HPORT="$(free_port)"; APORT="$(free_port)"
start_serve "$BACKEND" "$N" "$KPORT"
mkdir -p "$WORK/www"
head -c 1000 /dev/zero | tr '\0' a > "$WORK/www/body"
start_nginx "$NPORT"
nginx_check "$NPORT" /x/KM-2026-000001 "$WORK/www/body"
"$EXAMPLE" hyper "$HPORT" & PIDS+=($!)
"$EXAMPLE" axum "$APORT" & PIDS+=($!)
for p in "$HPORT" "$APORT"; do
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$p/x/1" -o /dev/null && break; sleep 0.1; done
done
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, random id in every path"
echo "| server | path | body | req/s | ÷ nginx | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|---|---|"
NR=""
row() { # name port path-template(with ID)
  local sample="${3/ID/KM-2026-000001}" size
  size="$(curl -fs "http://127.0.0.1:$2$sample" | wc -c)"
  write_lua "$BACKEND" "$N" "$3" "$WORK/ceiling.lua"
  read -r R P50 P99 E <<<"$(run_wrk "http://127.0.0.1:$2/" "$WORK/ceiling.lua")"
  [ -n "$NR" ] || NR="$R"
  echo "| $1 | \`$3\` | $size B | $R | $(python3 -c "print(f'{$R/$NR:.2f}')") | $P50 | $P99 | $E |"
}
row "nginx (static file)" "$NPORT" "/x/ID"
row "hyper alone" "$HPORT" "/x/ID"
row "axum, one route, no middleware" "$APORT" "/x/ID"
row "keurmerk serve, style sheet (no database)" "$KPORT" "/static/style.css?v=ID"
row "keurmerk serve, unsigned status" "$KPORT" "/api/v1/certificates/ID/status"
echo "# end: $(load)"
