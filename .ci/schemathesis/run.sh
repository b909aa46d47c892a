#!/usr/bin/env bash
# Contract fuzzing of the REST API with schemathesis, against one database backend.
#
#   .ci/schemathesis/run.sh sqlite|postgres
#
# Starts `claimdesk serve` on free ports in a temporary directory (for postgres, on a fresh
# database it creates and drops), with a random bootstrap admin token and no rate limit, then
# runs every schemathesis check in positive and negative mode over the examples, coverage,
# fuzzing and stateful phases against the served /openapi.json. Exits non-zero when
# schemathesis reports a failure (or the server cannot start). schemathesis.toml, next to this
# script, narrows output sanitization and declares, with its reason, each documented answer that
# random data cannot avoid (a stale If-Match is 412...).
#
# Environment:
#   CLAIMDESK_BIN     binary to test (default: target/debug/claimdesk)
#   ST                schemathesis CLI (default: st on PATH, else /tmp/st-venv/bin/st)
#   ST_SEED           hypothesis seed (default: 20251129)
#   ST_MAX_EXAMPLES   test cases per operation and phase (default: 200, about 30 s per backend)
#   ST_TIMEOUT        hard limit in seconds for the schemathesis run (default: 600)
#   ST_WORKERS        concurrent schemathesis workers (default: 1: with 2, schemathesis 4.32 itself
#                     sometimes fails with a KeyError in its coverage phase)
#   ST_REPORT_DIR     when set, junit + ndjson reports and the server log are written there
#   PGHOST, PGPORT, PGUSER  PostgreSQL server for the postgres backend (127.0.0.1, 5432, postgres)
set -euo pipefail

BACKEND="${1:-}"
case "$BACKEND" in
    sqlite | postgres) ;;
    *) echo "usage: $0 sqlite|postgres" >&2; exit 2 ;;
esac

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${CLAIMDESK_BIN:-$ROOT/target/debug/claimdesk}"
[[ "$BIN" == /* ]] || BIN="$ROOT/$BIN"
if [[ -z "${ST:-}" ]]; then
    if command -v st >/dev/null 2>&1; then ST=st; else ST=/tmp/st-venv/bin/st; fi
fi
SEED="${ST_SEED:-20251129}"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-200}"
ST_TIMEOUT="${ST_TIMEOUT:-600}"
WORKERS="${ST_WORKERS:-1}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"

[[ -x "$BIN" ]] || { echo "no claimdesk binary at $BIN (set CLAIMDESK_BIN)" >&2; exit 2; }
command -v "$ST" >/dev/null 2>&1 || { echo "schemathesis CLI not found: $ST (set ST)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/claimdesk-st-$BACKEND.XXXXXX")"
SERVER_PID=""
ST_PID=""
DB_NAME=""

cleanup() {
    local rc=$?
    set +e
    if [[ -n "$ST_PID" ]] && kill -0 "$ST_PID" 2>/dev/null; then
        kill -TERM "$ST_PID"
        wait "$ST_PID" 2>/dev/null
    fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [[ -n "${ST_REPORT_DIR:-}" && -f "$WORK/server.log" ]]; then
        cp "$WORK/server.log" "$ST_REPORT_DIR/server-$BACKEND.log"
    fi
    if [[ -n "$DB_NAME" ]]; then
        psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -v ON_ERROR_STOP=1 -qc \
            "drop database if exists \"$DB_NAME\" with (force)" >/dev/null
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
HTTP_PORT="$(free_port)"
GRPC_PORT="$(free_port)"
while [[ "$GRPC_PORT" == "$HTTP_PORT" ]]; do GRPC_PORT="$(free_port)"; done
BASE="http://127.0.0.1:$HTTP_PORT"

# 40 characters of random text (bootstrap needs at least 32).
TOKEN="cdk_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"

case "$BACKEND" in
    sqlite)
        DATABASE_URL="sqlite://$WORK/claimdesk.db"
        ;;
    postgres)
        DB_NAME="claimdesk_st_$(date +%s)_$$"
        psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -v ON_ERROR_STOP=1 -qc \
            "create database \"$DB_NAME\"" >/dev/null
        DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB_NAME"
        ;;
esac

echo "== claimdesk serve ($BACKEND) on $BASE, gRPC 127.0.0.1:$GRPC_PORT, binary $BIN"
(
    cd "$WORK"
    export CLAIMDESK_HTTP_ADDR="127.0.0.1:$HTTP_PORT"
    export CLAIMDESK_GRPC_ADDR="127.0.0.1:$GRPC_PORT"
    export CLAIMDESK_DATABASE_URL="$DATABASE_URL"
    export CLAIMDESK_BOOTSTRAP_TOKEN="$TOKEN"
    export CLAIMDESK_RATE_LIMIT_PER_MINUTE=0
    export RUST_LOG="${RUST_LOG:-info}"
    exec "$BIN" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 120); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "claimdesk exited before becoming ready:" >&2
        tail -n 50 "$WORK/server.log" >&2
        exit 1
    fi
    if curl -fsS -o /dev/null --max-time 2 "$BASE/readyz" 2>/dev/null; then ready=1; break; fi
    sleep 0.5
done
if [[ -z "$ready" ]]; then
    echo "claimdesk not ready after 60 s:" >&2
    tail -n 50 "$WORK/server.log" >&2
    exit 1
fi
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/v1/tokens" \
    || { echo "the bootstrap token is not accepted" >&2; exit 1; }

report_args=()
if [[ -n "${ST_REPORT_DIR:-}" ]]; then
    mkdir -p "$ST_REPORT_DIR"
    ST_REPORT_DIR="$(cd "$ST_REPORT_DIR" && pwd)"
    report_args=(--report junit,ndjson --report-dir "$ST_REPORT_DIR"
        --report-junit-path "$ST_REPORT_DIR/junit-$BACKEND.xml"
        --report-ndjson-path "$ST_REPORT_DIR/events-$BACKEND.ndjson")
fi

# DELETE /v1/tokens/{id} is left out: it could revoke the token the run authenticates with.
# GET /v1/events is left out: a well-formed request opens an endless event stream, which the
# run's request timeout would count as a failure; tests/tests/e2e/feed.rs covers it, its 400s
# included.
cmd=("$ST" --config-file "$HERE/schemathesis.toml" run "$BASE/openapi.json"
    --url "$BASE"
    --header "Authorization: Bearer $TOKEN"
    --checks all
    --mode all
    --phases examples,coverage,fuzzing,stateful
    --seed "$SEED"
    --max-examples "$MAX_EXAMPLES"
    --workers "$WORKERS"
    --exclude-operation-id revoke_token
    --exclude-operation-id watch_events
    --continue-on-failure
    --generation-database none
    --request-timeout 10
    --no-color
    "${report_args[@]}")
echo "== ${cmd[*]}" | sed "s/$TOKEN/\$TOKEN/g"

st_rc=0
start=$SECONDS
# From the work directory, with a fresh cache (schemathesis.toml), so that nothing is written to
# the repository and no earlier run's crashes are replayed. In the background, so that a TERM or
# INT reaches the trap (and the cleanup) at once.
export ST_CACHE_DIR="$WORK/st-cache"
(cd "$WORK" && exec timeout "$ST_TIMEOUT" "${cmd[@]}") &
ST_PID=$!
wait "$ST_PID" || st_rc=$?
ST_PID=""
[[ $st_rc -ne 124 ]] || echo "schemathesis did not finish within $ST_TIMEOUT s" >&2
echo "== schemathesis ($BACKEND) exited $st_rc after $((SECONDS - start)) s"

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "claimdesk died during the run:" >&2
    tail -n 50 "$WORK/server.log" >&2
    [[ $st_rc -ne 0 ]] || st_rc=1
fi
# Informational: panics and ERROR lines of the server (schemathesis' NUL-in-header probe makes
# actix log one "invalid Header provided" line on every run). The level is matched as written
# (upper case): webhook attempts that fail are logged at INFO with an `error=` field.
if grep -Eq 'panick|\bERROR\b' "$WORK/server.log"; then
    echo "== server log errors ($BACKEND):"
    grep -E 'panick|\bERROR\b' "$WORK/server.log" | head -n 40 || true
fi
exit "$st_rc"
