#!/usr/bin/env bash
# Builds, starts `kumiki serve` on a fresh database, runs kumiki-bench against it, stops the server and
# drops the database. See docs/benchmarks.md.
#
#   bench/run.sh sqlite   [RECORDS] [-- extra kumiki-bench args]
#   bench/run.sh postgres [RECORDS] [-- extra kumiki-bench args]
#
# Environment: PORT (default 18080), SKIP_BUILD=1, KEEP=1 (keep the data dir / database for a later
# queries-only run), REUSE=<data dir or database name> with APP=<app id> (queries only, no load;
# on PostgreSQL also REUSE_DIR=<the data dir KEEP=1 kept>, which holds the database's signing key),
# OUT=<results json>, KUMIKI_BIN=<server binary> (default target/release/kumiki; e.g. an older build
# for before/after comparisons on the same data).
set -euo pipefail
BACKEND=${1:-sqlite}
RECORDS=${2:-1000000}
shift $(( $# >= 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${PORT:-18080}
export KUMIKI_ADMIN_PASSWORD=${KUMIKI_ADMIN_PASSWORD:-bench-password-1}
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release -p kumiki-platform -p kumiki-bench
fi

if [ "$BACKEND" = sqlite ] && [ -n "${REUSE:-}" ]; then DATA=$REUSE
# PostgreSQL: the kept data dir of the loading run holds the signing key the database was used with.
elif [ -n "${REUSE_DIR:-}" ]; then DATA=$REUSE_DIR
else DATA=$(mktemp -d /tmp/kumiki-bench.XXXXXX); CREATED=1; fi
DB_ARGS=()
DBNAME=
case "$BACKEND" in
  sqlite) ;;
  postgres)
    if [ -n "${REUSE:-}" ]; then DBNAME=$REUSE
    else DBNAME=kumiki_bench_$$; "${PSQL[@]}" -c "CREATE DATABASE $DBNAME"; fi
    DB_ARGS=(--database-url "postgres://postgres@127.0.0.1:5432/$DBNAME") ;;
  *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
esac

echo "backend $BACKEND, data dir $DATA${DBNAME:+, database $DBNAME}, $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
"${KUMIKI_BIN:-$ROOT/target/release/kumiki}" --data-dir "$DATA" "${DB_ARGS[@]}" serve --port "$PORT" --no-examples \
  >"$DATA/server.log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  if [ -z "${KEEP:-}" ] && [ -z "${REUSE:-}" ]; then
    [ -n "$DBNAME" ] && "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DBNAME"
    rm -rf "$DATA"
  else
    echo "kept: ${DBNAME:+database $DBNAME, data dir }$DATA"
    # A PostgreSQL run's data dir only holds the log; drop it unless asked to keep everything.
    if [ -n "$DBNAME" ] && [ -n "${CREATED:-}" ] && [ -z "${KEEP:-}" ]; then rm -rf "$DATA"; fi
  fi
}
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

BENCH_ARGS=(--url "http://127.0.0.1:$PORT" --records "$RECORDS" --threads 2 --pid "$PID")
[ -n "${APP:-}" ] && BENCH_ARGS+=(--app "$APP")
[ -n "${OUT:-}" ] && BENCH_ARGS+=(--out "$OUT")
"$ROOT/target/release/kumiki-bench" "${BENCH_ARGS[@]}" "$@"

if [ "$BACKEND" = sqlite ]; then
  # Checkpoint so the size is the database file, not a WAL still waiting to be folded in.
  kill "$PID" && wait "$PID" 2>/dev/null || true
  echo "database size on disk: $(du -cb "$DATA"/kumiki.db* | awk 'END{printf "%.0f MB", $1/1048576}') ($(ls "$DATA"))"
else
  kill "$PID" && wait "$PID" 2>/dev/null || true
  echo "database size on disk: $("${PSQL[@]}" -c "SELECT pg_size_pretty(pg_database_size('$DBNAME'))")"
  "${PSQL[@]}" -d "$DBNAME" -c "SELECT relname || ' ' || pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class WHERE relkind = 'r' AND relname LIKE 'record%' ORDER BY 1"
fi
echo "search index on disk: $(du -sm "$DATA/search-index" | cut -f1) MB"
