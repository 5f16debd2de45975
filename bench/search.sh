#!/usr/bin/env bash
# The full-text search benchmark (docs/benchmarks.md, "Full-text search"): builds kumiki-search-bench,
# indexes RECORDS synthetic archive records without the database and runs the latency cases and the
# judged query set on them (`full`), then the DB-backed sample of SAMPLE records on SQLite and on a
# fresh PostgreSQL database (`sample`).
#
#   bench/search.sh [RECORDS (default 1000000)] [SAMPLE (default 20000)]
#
# Environment: SKIP_BUILD=1, KEEP=1 (keep the work directory), NO_PG=1 (skip PostgreSQL),
# RUNS (timed calls per latency case, default 500).
set -euo pipefail
RECORDS=${1:-1000000}
SAMPLE=${2:-20000}
RUNS=${RUNS:-500}
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release -p kumiki-bench
fi
BIN=target/release/kumiki-search-bench
WORK=$(mktemp -d /tmp/kumiki-search-bench.XXXXXX)
PGDB=kumiki_search_bench_$$
cleanup() {
  if [ -z "${NO_PG:-}" ]; then dropdb -h 127.0.0.1 -U postgres --if-exists "$PGDB" || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT

echo "# kumiki-search-bench, $(date -u +%FT%TZ), nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" full --dir "$WORK/full" --records "$RECORDS" --runs "$RUNS"
echo
"$BIN" sample --dir "$WORK/sample-sqlite" --records "$SAMPLE" --runs "$RUNS"
if [ -z "${NO_PG:-}" ]; then
  createdb -h 127.0.0.1 -U postgres "$PGDB"
  echo
  "$BIN" sample --dir "$WORK/sample-pg" --records "$SAMPLE" --runs "$RUNS" \
    --database-url "postgres://postgres@127.0.0.1:5432/$PGDB"
fi
