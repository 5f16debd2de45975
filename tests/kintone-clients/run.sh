#!/usr/bin/env bash
# Runs the official kintone npm clients (@kintone/rest-api-client, @kintone/cli) against a real Kumiki.
#
#   tests/kintone-clients/run.sh [KUMIKI_BINARY] [sqlite|postgres]
#
# Builds nothing: pass a built binary (default target/debug/kumiki, relative to the current directory
# or to the repository root). Starts the server on a free port with a fresh data directory (and, for
# postgres, a fresh database on postgres://postgres@127.0.0.1:5432/, dropped at the end), seeds users,
# tokens and apps, runs `node --test`, stops the server. Exits non-zero when anything fails.
# Installs node_modules with `npm ci` when they are missing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-target/debug/kumiki}
BACKEND=${2:-sqlite}
PG_ADMIN_URL=${KUMIKI_CLIENTS_PG_URL:-postgres://postgres@127.0.0.1:5432}

if [[ ! -x $BIN && $BIN != /* && -x $ROOT/$BIN ]]; then BIN=$ROOT/$BIN; fi
[[ -x $BIN ]] || { echo "run.sh: no kumiki binary at $BIN (build it first: cargo build -p kumiki-platform)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
case $BACKEND in sqlite | postgres) ;; *) echo "run.sh: backend must be sqlite or postgres" >&2; exit 2 ;; esac

if [[ ! -d $HERE/node_modules/@kintone/rest-api-client || ! -d $HERE/node_modules/@kintone/cli ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kumiki-clients.XXXXXX")
DATA=$WORK/data
LOG=$WORK/server.log
SERVER_PID=
DB_NAME=
DB_URL=

cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n $DB_NAME ]]; then
    psql "$PG_ADMIN_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null || true
  fi
  if [[ $rc -ne 0 && -f $LOG ]]; then
    echo "---- last lines of the server log ($BACKEND) ----" >&2
    tail -n 40 "$LOG" >&2 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB_ARGS=()
if [[ $BACKEND == postgres ]]; then
  DB_NAME=kumiki_clients_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  psql "$PG_ADMIN_URL/postgres" -qAtc "CREATE DATABASE $DB_NAME" >/dev/null
  DB_URL=$PG_ADMIN_URL/$DB_NAME
  DB_ARGS=(--database-url "$DB_URL")
fi

export KUMIKI_ADMIN_PASSWORD="admin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# The CLI and the server read these too; make sure nothing from the caller's environment leaks in.
unset KUMIKI_DATA_DIR KUMIKI_DATABASE_URL KUMIKI_PORT KUMIKI_HOST
RUST_LOG=${RUST_LOG:-warn} "$BIN" --data-dir "$DATA" "${DB_ARGS[@]}" serve --port 0 --no-examples >"$LOG" 2>&1 &
SERVER_PID=$!

PORT=
for _ in $(seq 1 300); do
  PORT=$(sed -n 's#^Kumiki is listening on http://localhost:\([0-9]*\)/.*#\1#p' "$LOG" | head -n 1)
  [[ -n $PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "run.sh: the server exited during startup" >&2; exit 1; }
  sleep 0.1
done
[[ -n $PORT ]] || { echo "run.sh: the server did not report its port" >&2; exit 1; }
BASE_URL=http://localhost:$PORT
for _ in $(seq 1 100); do
  curl -fsS "$BASE_URL/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$BASE_URL/healthz" >/dev/null

export KUMIKI_BIN=$BIN KUMIKI_BASE_URL=$BASE_URL KUMIKI_FIXTURE=$WORK/fixture.json
KUMIKI_DATA_DIR=$DATA KUMIKI_DATABASE_URL=$DB_URL node "$HERE/seed.mjs"

echo "kintone client tests: backend=$BACKEND server=$BASE_URL"
cd "$HERE"
# Test files share one server but each uses its own apps; run them one at a time for stable timings.
# KUMIKI_CLIENTS_DB: the database (sqlite file or PostgreSQL URL) for tests that must set up what
# no API makes yet (issue 13, guests: a guest space).
KUMIKI_CLIENTS_DB=${DB_URL:-$DATA/kumiki.db} KUMIKI_CLIENTS_WORK=$WORK node --test --test-concurrency=1 ${KUMIKI_CLIENTS_TESTS:-test/*.test.mjs}
