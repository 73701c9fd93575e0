#!/usr/bin/env bash
# Regenerates docs/screens/: full-page screenshots of the English certificate page of the demo
# registry in every status, at 320 px (small phone), 390 px (phone) and 1280 px (desktop), taken by the browser test
# (crates/keurmerk-server/tests/browser.rs) in headless Chromium. Needs chromium, chromedriver and
# axe-core (npm install in .ci/axe), as CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .ci/axe/node_modules/axe-core/axe.min.js ]; then
  (cd .ci/axe && npm ci --no-audit --no-fund)
fi
rm -f docs/screens/certificate-*.png
mkdir -p docs/screens
KEURMERK_SCREENS_DIR="$PWD/docs/screens" cargo test --workspace --test browser -- --nocapture
ls -l docs/screens
