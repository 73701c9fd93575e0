#!/usr/bin/env bash
# Figure: CPU instructions `serve` executes per lookup (user space: our code, axum, hyper, SQLite;
# not the kernel), counted by callgrind around REQUESTS lookups of uniformly random certificates
# on one keep-alive connection. Unlike req/s on a shared 2-core VM (steal time made rates of the
# same binary vary by 30 % between runs on 2026-12-03), the count is nearly the same run to run,
# so it compares two builds. Background work in those seconds (the trust list rebuilt every
# second, scheduler ticks) is counted too.
#   bench/instructions.sh 100000 sqlite '/api/v1/certificates/ID/status' [REQUESTS]
#   BIN=/tmp/old-keurmerk bench/instructions.sh 100000 sqlite '/c/ID'
#   KEEP=/tmp/search.out bench/instructions.sh 100000 sqlite '/api/v1/labels?q=SEARCH&limit=20' 500
#     (keeps callgrind's profile for callgrind_annotate)
source "$(dirname "$0")/lib/common.sh"
N="${1:?give N}"; BACKEND="${2:-sqlite}"; TMPL="${3:?give a path template with ID or SEARCH}"; REQUESTS="${4:-2000}"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
PORT="$(free_port)"
OUT="$WORK/callgrind.out"
(cd "$WORK" && KEURMERK_KEYS_DIR="$(keys_dir "$BACKEND" "$N")" KEURMERK_LOG_KEY="$(keys_dir "$BACKEND" "$N")/log.key" \
  KEURMERK_LOG=warn exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" \
  "$BIN" --db "$(db_url "$BACKEND" "$N")" serve --addr "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1) &
VG=$!
PIDS+=("$VG")
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "keurmerk did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
await_words "$BACKEND" "$PORT"
sleep 5
mapfile -t RANGES < <(sql "$BACKEND" "$N" "SELECT substr(id, 4, 4) || ' ' || COUNT(*) FROM certificates GROUP BY substr(id, 4, 4) ORDER BY 1")
python3 bench/lib/requests.py "$PORT" "$REQUESTS" "$TMPL" "$VG" "${RANGES[@]}"
[ -n "${KEEP:-}" ] && cp "$OUT".1 "$KEEP"
IR="$(awk '/^(summary|totals):/ {print $2}' "$OUT".1 | sort -n | tail -1)"
# The binary by path and content (its version number names no commit).
echo "# $(date -u +%FT%TZ) $BACKEND, $N certificates; $(load); $BIN sha256 $(sha256sum "$BIN" | cut -c1-12)"
echo "| $TMPL | $REQUESTS lookups | $IR instructions | $((IR / REQUESTS)) per lookup |"
