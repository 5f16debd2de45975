#!/usr/bin/env bash
# Runs the browser tests in headless Chromium against a real Kumiki.
#   tests/browser/run.sh [KUMIKI_BINARY] [sqlite|postgres]
# Needs Debian's chromium (`apt-get install chromium chromium-driver`); installs node_modules with
# `npm ci` when missing. Each test file starts its own server with a fresh database.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-target/debug/kumiki}
if [[ $BIN != /* ]]; then BIN=$ROOT/$BIN; fi
[[ -x $BIN ]] || { echo "run.sh: no kumiki binary at $BIN" >&2; exit 2; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { echo "run.sh: Chromium is missing (apt-get install chromium)" >&2; exit 2; }
if [[ ! -d $HERE/node_modules/playwright-core || ! -d $HERE/node_modules/axe-core ]]; then (cd "$HERE" && npm ci --no-audit --no-fund); fi
export KUMIKI_BIN=$BIN KUMIKI_BACKEND=${2:-sqlite}
cd "$HERE"
exec node --test --test-concurrency=1 test/
