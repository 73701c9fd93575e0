# Shared by the bench/*.sh scripts of issue 15 (sourced, not run).
# Env: SCALE_DATA (where large databases live, default /work/scale-data), KEURMERK_BENCH_PG
# (a PostgreSQL server URL, e.g. postgres://postgres@127.0.0.1:5432/test), DURATION (wrk, 20s),
# THREADS (2), CONNECTIONS (64), BIN (a keurmerk binary; default: built here, release), FILTERS
# (the search filters a request picks from, space-separated, `-` for none; default the seven of
# `lua_filters`), PG_DATABASE (the PostgreSQL database of the N-certificate registry, default
# keurmerk_scale_N: a copy of one registry for the runs of another binary).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
SCALE_DATA="${SCALE_DATA:-/work/scale-data}"
DURATION="${DURATION:-20s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
mkdir -p "$SCALE_DATA"
if [ -z "${BIN:-}" ]; then
  cargo build --release --workspace --bin keurmerk >&2
  BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/keurmerk"
fi
WORK="$(mktemp -d)"
# nginx's workers run as another user: a private (0700) directory made every nginx answer a 403
# error page, the baseline of every ratio measured before 2026-12-03 (tenth session).
chmod 755 "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

load() { echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# db_url BACKEND N -> the database URL of the N-certificate registry
db_url() {
  case "$1" in
    sqlite) echo "sqlite:$SCALE_DATA/scale-$2.db" ;;
    pg) : "${KEURMERK_BENCH_PG:?set KEURMERK_BENCH_PG to a PostgreSQL URL}"; echo "${KEURMERK_BENCH_PG%/*}/${PG_DATABASE:-keurmerk_scale_$2}" ;;
    *) echo "backend is sqlite or pg, not $1" >&2; exit 2 ;;
  esac
}
keys_dir() { echo "$SCALE_DATA/keys-$1-$2"; }

# sql BACKEND N QUERY -> one value
sql() {
  case "$1" in
    sqlite) sqlite3 "$SCALE_DATA/scale-$2.db" "$3" ;;
    pg) psql "$(db_url pg "$2")" -Atqc "$3" ;;
  esac
}

# start_serve BACKEND N PORT -> pid in PIDS; waits until healthy, the log queue and the outbox
# are empty, a status list is published and no scheduler pass is computing due times (the
# background work a fresh registry does once: a lookup run during it measures both, as runs on
# 2026-12-03 did; the scheduler's catch-up took 23 % of the server's CPU in one)
start_serve() {
  local url; url="$(db_url "$1" "$2")"
  # The log key lives with the registry it signs for (never in the working tree).
  (cd "$WORK" && KEURMERK_KEYS_DIR="$(keys_dir "$1" "$2")" KEURMERK_LOG_KEY="$(keys_dir "$1" "$2")/log.key" \
    KEURMERK_LOG=warn exec "$BIN" --db "$url" serve --addr "127.0.0.1:$3" >"$WORK/serve-$3.log" 2>&1) &
  PIDS+=($!)
  for _ in $(seq 1 3000); do curl -fs "http://127.0.0.1:$3/healthz" >/dev/null && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$3/healthz" >/dev/null || { echo "keurmerk did not start on $3" >&2; cat "$WORK/serve-$3.log" >&2; exit 1; }
  # Stopped at the end even when BIN wraps `keurmerk` and runs it as a child (bench/first-start.sh).
  PIDS+=("$(serve_pid "$3")")
  local unknown="" before
  for _ in $(seq 1 6000); do
    # Open certificates whose next due time the scheduler has yet to compute: a running pass
    # lowers the count; once it stays put, no pass is running (those left wait for the next one).
    before="$unknown"
    unknown="$(sql "$1" "$2" "SELECT COUNT(*) FROM certificates WHERE next_due IS NULL AND state NOT IN ('withdrawn', 'expired', 'superseded')")"
    [ "$(sql "$1" "$2" 'SELECT COUNT(*) FROM log_queue')" = 0 ] &&
      [ "$(sql "$1" "$2" 'SELECT COUNT(*) FROM outbox')" = 0 ] &&
      [ "$(sql "$1" "$2" 'SELECT COUNT(*) FROM status_lists')" != 0 ] &&
      [ "$unknown" = "$before" ] && break
    sleep 5
  done
  await_words "$1" "$3"
  return 0
}

# await_words BACKEND PORT: the first search reads the search's words into memory (sql::words)
# on a thread of its own, and searches meanwhile use the full-text index alone; figures are taken
# with the words read.
await_words() {
  local backend="$1" port="$2"
  grep -q keurmerk_search_words_covered "$BIN" || return 0 # a binary from before sql::words
  # PostgreSQL's words came in the twentieth session (their reading asks `pg_xact_status`).
  [ "$backend" = pg ] && ! grep -q pg_xact_status "$BIN" && return 0
  curl -fs "http://127.0.0.1:$port/api/v1/labels?q=camera&limit=1" >/dev/null
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/metrics" | grep -q '^keurmerk_search_words_covered' && return 0
    sleep 1
  done
  echo "the search's words were not read in 10 minutes" >&2
}

# serve_pid PORT -> the keurmerk process listening there
serve_pid() { ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }

# ids.lua BACKEND N -> a wrk script choosing a uniformly random certificate of the whole set for
# every request. Ids are KM-<year>-<n>, numbered from 1 per year without gaps (ARCHITECTURE.md),
# so the script needs only the count per year.
# lua_filters -> the search filters a request picks from, as a Lua list: FILTERS (space-separated,
# `-` for none) or the bench's own seven
lua_filters() {
  local f out="" list
  read -ra list <<<"${FILTERS:-- &scheme=eu-iot &scheme=eucc &state=active &state=suspended &member_state=NL &level=basic}"
  for f in "${list[@]}"; do
    [ "$f" = - ] && f=""
    out+="\"$f\", "
  done
  echo "${out%, }"
}
write_lua() { # backend n path-template(with ID) out
  local ranges
  ranges="$(sql "$1" "$2" "SELECT substr(id, 4, 4) || ' ' || COUNT(*) FROM certificates GROUP BY substr(id, 4, 4) ORDER BY 1" |
    awk '{printf "{%s,%s},", $1, $2}')"
  cat > "$4" <<LUA
local ranges = {$ranges}
local total = 0
for _, r in ipairs(ranges) do total = total + r[2] end
local words = {"camera","router","plug","lock","speaker","thermostat","alarm","monitor","holland","rheinwerk","maison","casa","nordhem","alpenhaus","dansk","emerald","smart","baby","mini","1","2","3"}
local schemes = {$(lua_filters)}
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) math.randomseed(os.time() * 1000 + (tid or 0)) end
local function pick()
  local k = math.random(total)
  for _, r in ipairs(ranges) do
    if k <= r[2] then return string.format("KM-%d-%06d", r[1], k) end
    k = k - r[2]
  end
end
request = function()
  local path = "$3"
  if path:find("SEARCH") then
    local q = words[math.random(#words)]
    if math.random(2) == 1 then q = q .. "+" .. words[math.random(#words)] end
    path = path:gsub("SEARCH", q .. schemes[math.random(#schemes)])
  else
    path = path:gsub("ID", pick())
  end
  return wrk.format("GET", path)
end
LUA
}

# cpu_ticks PID -> user + system time the process has used, in clock ticks (getconf CLK_TCK)
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
# duration_secs -> DURATION (wrk's 10s, 2m, 1h) in seconds
duration_secs() { python3 -c "import sys; d = sys.argv[1]; print(int(d[:-1]) * {'s': 1, 'm': 60, 'h': 3600}[d[-1]] if d[-1] in 'smh' else int(d))" "$DURATION"; }

run_wrk() { # url [lua] -> "rps p50 p99 errors"
  local out; out="$(mktemp -p "$WORK")"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency ${2:+-s "$2"} "$1" > "$out"
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
       /Non-2xx/ {err+=$NF} /Socket errors/ {gsub(",", ""); err+=$4+$6+$8+$10}
       END {print rps, p50, p99, err+0}' "$out"
}

start_nginx() { # port, serving $WORK/www, and $WORK/www/body at every path under /x/
  mkdir -p "$WORK/nginx"
  cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$1; root $WORK/www; location /x/ { try_files /body =404; } }
}
NGINX
  "$(command -v nginx || echo /usr/sbin/nginx)" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
  PIDS+=($!)
  for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$1/" -o /dev/null 2>/dev/null && break; sleep 0.1; done
}

# nginx_check PORT PATH FILE: fails unless nginx answers PATH with 200 and exactly FILE's bytes
nginx_check() {
  curl -fs "http://127.0.0.1:$1$2" | cmp -s - "$3" ||
    { echo "nginx does not serve $3 at $2: no baseline" >&2; cat "$WORK/nginx/error.log" >&2; exit 1; }
}
