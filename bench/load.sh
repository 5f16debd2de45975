#!/usr/bin/env bash
# One load through the API into a fresh SQLite server, for before/after comparisons of writes and
# memory (docs/benchmarks.md, "Memory at 1M"): the server gets a fresh data dir with an already built
# IPADIC dictionary copied in (so its one-time build is not measured), kumiki-bench loads RECORDS
# records (bulkRequest 20 × 100, 2 threads) and runs a short query round; prints the load rate and the
# server's memory (VmRSS, VmHWM, RssAnon, RssFile) after the load and at the end.
#
#   bench/load.sh RECORDS [VAR=value ...]      # e.g. _RJEM_MALLOC_CONF=dirty_decay_ms:0
#
# Environment: KUMIKI_BIN (server binary, default target/release/kumiki), DICTIONARY (a built
# dictionary dir, default: built once into /tmp/kumiki-dictionary by a first server start).
set -euo pipefail
RECORDS=${1:?records}
shift
cd "$(dirname "$0")/.."
BIN=${KUMIKI_BIN:-$PWD/target/release/kumiki}
DICTIONARY=${DICTIONARY:-/tmp/kumiki-dictionary}
PORT=$((19000 + RANDOM % 1000))
wait_up() {
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
if [ ! -d "$DICTIONARY/ipadic" ]; then
  D=$(mktemp -d /tmp/kumiki-load.XXXXXX)
  KUMIKI_ADMIN_PASSWORD=bench-password-1 "$BIN" --data-dir "$D" serve --port "$PORT" --no-examples >/dev/null 2>&1 &
  P=$!
  wait_up
  mkdir -p "$DICTIONARY" && cp -r "$D/dictionary/ipadic" "$DICTIONARY/"
  kill "$P"; wait "$P" 2>/dev/null || true
  rm -rf "$D"
fi
D=$(mktemp -d /tmp/kumiki-load.XXXXXX)
mkdir -p "$D/dictionary" && cp -r "$DICTIONARY/ipadic" "$D/dictionary/"
env "$@" KUMIKI_ADMIN_PASSWORD=bench-password-1 "$BIN" --data-dir "$D" serve --port "$PORT" --no-examples \
  >"$D/server.log" 2>&1 &
P=$!
trap 'kill "$P" 2>/dev/null; wait "$P" 2>/dev/null; rm -rf "$D"' EXIT
wait_up
target/release/kumiki-bench --url "http://127.0.0.1:$PORT" --password bench-password-1 \
  --records "$RECORDS" --threads 2 --pid "$P" --runs 20 >"$D/bench.log" 2>&1
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); $*"
grep -E "bulk add|server memory|RssAnon" "$D/bench.log"
