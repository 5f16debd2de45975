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
# Every test file starts a server on a fresh data directory, which would compile the IPADIC
# dictionary again each time (~3 s of CPU in a debug build): compile it once for the run and let
# every server use it (the same dictionary `auto` would make, so whole-word ranking stays on).
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kumiki-browser-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [[ -z ${KUMIKI_SEARCH_DICTIONARY:-} && -f /usr/share/mecab/dic/ipadic/matrix.def ]]; then
  KUMIKI_CONFIG=/dev/null "$BIN" --data-dir "$WORK" index build-dictionary --out "$WORK/ipadic" >/dev/null
  export KUMIKI_SEARCH_DICTIONARY=$WORK/ipadic
fi
cd "$HERE"
node --test --test-concurrency=1 test/
