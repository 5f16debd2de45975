#!/usr/bin/env bash
# Runs every check and test: formatting, lints, the dependency rule of the engine, the whole Rust suite
# on SQLite and again on PostgreSQL, and the real kintone npm clients against a running server on both
# backends. Under CI=true a missing PostgreSQL or Node.js fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${KUMIKI_TEST_PG:-postgres://postgres@127.0.0.1:5432/}"
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

step "Rust tests on SQLite"
cargo test --workspace --locked

have_pg=false
if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then
  have_pg=true
fi

if $have_pg; then
  step "integration tests on PostgreSQL"
  KUMIKI_TEST_DATABASE_URL="$PG_URL" cargo test -p kumiki-tests --locked
  step "kill-and-restart search catch-up on PostgreSQL"
  KUMIKI_TEST_DATABASE_URL="$PG_URL" cargo test -p kumiki-platform --test search_restart --locked
else
  missing "PostgreSQL at 127.0.0.1:5432" "PostgreSQL tests"
fi

if command -v node >/dev/null && command -v npm >/dev/null; then
  step "kintone npm clients against SQLite"
  tests/kintone-clients/run.sh target/debug/kumiki sqlite
  if $have_pg; then
    step "kintone npm clients against PostgreSQL"
    tests/kintone-clients/run.sh target/debug/kumiki postgres
  fi
else
  missing "Node.js and npm" "kintone client tests"
fi

if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && command -v node >/dev/null; then
  step "browser tests (headless Chromium) against SQLite"
  tests/browser/run.sh target/debug/kumiki sqlite
  if $have_pg; then
    step "browser tests (headless Chromium) against PostgreSQL"
    tests/browser/run.sh target/debug/kumiki postgres
  fi
else
  missing "Chromium (apt-get install chromium chromium-driver) and Node.js" "browser tests"
fi

step "all checks passed"
