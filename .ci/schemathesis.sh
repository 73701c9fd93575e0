#!/usr/bin/env bash
# The API contract in CI (issue 14 item 7): Schemathesis, pinned, with every check, against
# `keurmerk serve --demo` on an embedded SQLite database in a temporary directory, as anonymous
# and as each role. Any failure fails CI; so does a failed install.
#
# Usage: .ci/schemathesis.sh [KEURMERK_BINARY]   (default: the debug binary `cargo test` built)
# Settings: SCHEMATHESIS_SEED (default 20261201), SCHEMATHESIS_MAX_EXAMPLES (default 5),
#           SCHEMATHESIS_VENV (default ~/.cache/keurmerk/schemathesis-<version>).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
SEED="${SCHEMATHESIS_SEED:-20261201}"
EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-5}"
VENV="${SCHEMATHESIS_VENV:-${HOME}/.cache/keurmerk/schemathesis-${VERSION}}"
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/keurmerk}"
CONFIG="$(pwd)/.ci/schemathesis.toml"

if [ ! -x "$BIN" ]; then
  echo "error: $BIN does not exist; build it first (cargo test --workspace builds it)" >&2
  exit 1
fi
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

# Install (once per machine) into a virtualenv of its own; an install that fails stops CI here.
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version ${VERSION}"; then
  echo "Installing schemathesis ${VERSION} into ${VENV}"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==${VERSION}"
fi
"$VENV/bin/schemathesis" --version

WORK="$(mktemp -d)"
SERVER_PID=""
stop() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap stop EXIT INT TERM

export KEURMERK_DATABASE_URL="sqlite:${WORK}/keurmerk.db"
export KEURMERK_KEYS_DIR="${WORK}/keys"
export KEURMERK_LOG_FORMAT=text
export KEURMERK_LOG=warn
unset KEURMERK_CONFIG KEURMERK_SCHEMES
cd "$WORK"

# The demo registry, and one API token per role (`keurmerk token create` prints the secret).
"$BIN" demo >/dev/null
token() { "$BIN" token create --org "$1" --name schemathesis; }
MANUFACTURER="$(token holland-home)"
ASSESSMENT_BODY="$(token delta-testlab)"
AUTHORITY="$(token nl-rdi)"
OPERATOR="$(token enisa)"

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:${PORT}"
# Rate limits off the path of the test (their 429 is documented and tested in cargo tests):
# a run must give the same result every time. Webhooks are not delivered from CI.
"$BIN" serve --demo --addr "127.0.0.1:${PORT}" --log-key "${WORK}/log.key" \
  --writes-per-minute 1000000 --complaints-per-hour 1000000 --webhooks-enabled false \
  >"${WORK}/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "${BASE}/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "error: keurmerk serve stopped:" >&2
    cat "${WORK}/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS "${BASE}/healthz" >/dev/null

failed=0
run() {
  local who="$1"
  shift
  echo "== Schemathesis as ${who} (seed ${SEED}, at most ${EXAMPLES} examples per operation)"
  if ! "$VENV/bin/schemathesis" --config-file "$CONFIG" run "${BASE}/api/openapi.json" \
    --url "$BASE" --checks all --seed "$SEED" --max-examples "$EXAMPLES" \
    --generation-database none --workers 1 --no-color --request-timeout 20 \
    --suppress-health-check all "$@"; then
    echo "error: Schemathesis found failures as ${who}" >&2
    failed=1
  fi
}
run anonymous
run manufacturer -H "Authorization: Bearer ${MANUFACTURER}"
run assessment_body -H "Authorization: Bearer ${ASSESSMENT_BODY}"
run national_authority -H "Authorization: Bearer ${AUTHORITY}"
run registry_operator -H "Authorization: Bearer ${OPERATOR}"

if [ "$failed" -ne 0 ]; then
  echo "--- server log" >&2
  tail -n 50 "${WORK}/server.log" >&2
  exit 1
fi
echo "Schemathesis: no failures as anonymous, manufacturer, assessment_body, national_authority, registry_operator"
