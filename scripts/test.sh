#!/usr/bin/env bash
# Runs every check and test: formatting, lints, the dependency rule of the engine, the whole Rust suite
# on SQLite and again on PostgreSQL, the real kintone npm clients and the browser tests (headless
# Chromium) against a running server on both backends. After one build the suites run in three lanes
# side by side. Under CI=true a missing PostgreSQL, Node.js or Chromium fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${KUMIKI_TEST_PG:-postgres://postgres@127.0.0.1:5432/}"
# The servers and commands the tests start read no /etc/kumiki/kumiki.toml (the package test installs
# one while the other lanes run; it starts its server with the unit's own environment).
export KUMIKI_CONFIG=/dev/null
# libpq would otherwise load Kerberos to try a GSS-encrypted connection first; a test binary whose
# threads still held such connections at exit was seen aborting in krb5's teardown
# (`krb5int_getspecific` assertion). The server here uses trust auth over plain TCP.
export PGGSSENCMODE=disable
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }
missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: $1 is required under CI=true" >&2
    exit 1
  fi
  echo "WARNING: $1 is missing; skipping: $2" >&2
}

step "rustfmt"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the engine knows nothing of HTTP"
if cargo tree -p kumiki-engine -e normal --prefix none | grep -E '^(actix-web|handlebars|jsonwebtoken) ' ; then
  echo "ERROR: kumiki-engine depends on an HTTP/UI crate" >&2
  exit 1
fi

step "build"
cargo build --workspace --all-targets --locked

have_pg=false
if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then
  have_pg=true
else
  missing "PostgreSQL at 127.0.0.1:5432" "PostgreSQL tests"
fi
have_node=false
if command -v node >/dev/null && command -v npm >/dev/null; then
  have_node=true
else
  missing "Node.js and npm" "kintone client tests"
fi
have_chromium=false
if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && $have_node; then
  have_chromium=true
else
  missing "Chromium (apt-get install chromium chromium-driver) and Node.js" "browser tests"
fi

# Everything is built; the suites now run in three lanes side by side. The Rust suites keep both
# cores busy, while the browser and client suites mostly wait on their server and Chromium, so
# running them beside each other takes the time of the longest lane instead of the sum
# (measured in docs/benchmarks.md "The test run"). Each suite starts its own servers on free ports
# with its own databases, so the lanes share nothing. A lane stops at its first failing suite.
LOGS=target/test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"

lane_rust() {
  step "Rust tests on SQLite"
  cargo test --workspace --locked
  if $have_pg; then
    step "integration tests on PostgreSQL"
    KUMIKI_TEST_DATABASE_URL="$PG_URL" cargo test -p kumiki-tests --locked
    step "kill-and-restart search catch-up on PostgreSQL"
    KUMIKI_TEST_DATABASE_URL="$PG_URL" cargo test -p kumiki-platform --test search_restart --locked
  fi
}

lane_browser_sqlite() {
  # Installs the package on this machine (as root) and removes it again; needs no browser.
  if command -v dpkg-deb >/dev/null && [ "$(id -u)" -eq 0 ]; then
    step "Debian package: build, install, start, sign in"
    tests/package/run.sh target/debug/kumiki
  else
    missing "dpkg-deb and root (dpkg -i)" "the Debian package test"
  fi
  if $have_chromium; then
    step "browser tests (headless Chromium) against SQLite"
    tests/browser/run.sh target/debug/kumiki sqlite
  fi
}

lane_clients_and_browser_pg() {
  if $have_node; then
    step "kintone npm clients against SQLite"
    tests/kintone-clients/run.sh target/debug/kumiki sqlite
    if $have_pg; then
      step "kintone npm clients against PostgreSQL"
      tests/kintone-clients/run.sh target/debug/kumiki postgres
    fi
  fi
  if $have_chromium && $have_pg; then
    step "browser tests (headless Chromium) against PostgreSQL"
    tests/browser/run.sh target/debug/kumiki postgres
  fi
}

# npm ci once, before the lanes, so two lanes never install into the same folder at once.
if $have_node; then
  if [ ! -d tests/kintone-clients/node_modules/@kintone/cli ] || [ ! -d tests/kintone-clients/node_modules/@kintone/rest-api-client ]; then
    (cd tests/kintone-clients && npm ci --no-audit --no-fund)
  fi
  # The kintone export script (tools/kintone-export) runs in the client tests (kintone-export.test.mjs).
  if [ ! -d tools/kintone-export/node_modules/@kintone/rest-api-client ]; then
    (cd tools/kintone-export && npm ci --no-audit --no-fund)
  fi
  if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund)
  fi
fi

lanes=(lane_rust lane_browser_sqlite lane_clients_and_browser_pg)
pids=()
for lane in "${lanes[@]}"; do
  ( set -euo pipefail; started=$(date +%s); "$lane"; echo "==> $lane passed in $(( $(date +%s) - started )) s" ) \
    >"$LOGS/$lane.log" 2>&1 &
  pids+=($!)
done
step "running ${lanes[*]} side by side (logs in $LOGS/)"
failed=()
for i in "${!lanes[@]}"; do
  if wait "${pids[$i]}"; then rc=0; else rc=$?; fi
  printf '\n======== %s (exit %s) ========\n' "${lanes[$i]}" "$rc"
  cat "$LOGS/${lanes[$i]}.log"
  [ "$rc" -eq 0 ] || failed+=("${lanes[$i]}")
done
if [ "${#failed[@]}" -ne 0 ]; then
  echo "ERROR: failed: ${failed[*]}" >&2
  exit 1
fi

step "all checks passed"
