#!/usr/bin/env bash
# The desk's pages, timed: `claimdesk serve` (release) on a fresh database of each backend, a
# claim with 50 attributions, then its page, the claims list and a search page read one at a
# time and CONNS at once for SECS seconds each (bench/src/deskload.rs). One JSON line per backend.
#
#   cargo build --release -p claimdesk -p claimdesk-bench
#   bash bench/desk_bench.sh [SECS] [CONNS] [BACKENDS]      # 10, 4, "sqlite postgres"
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-10}"
CONNS="${2:-4}"
BACKENDS="${3:-sqlite postgres}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PGDB=claimdesk_desk_bench
TOKEN="cdk_desk_bench_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
for backend in $BACKENDS; do
    WORK="$(mktemp -d)"
    if [[ "$backend" == sqlite ]]; then
        URL="sqlite://$WORK/desk.db"
    else
        PGOPTIONS="--client-min-messages=warning" psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $PGDB" \
            -c "CREATE DATABASE $PGDB" >/dev/null
        URL="$PGURL/$PGDB"
    fi
    CLAIMDESK_HTTP_ADDR=127.0.0.1:0 CLAIMDESK_GRPC_ADDR=127.0.0.1:0 \
        CLAIMDESK_DATABASE_URL="$URL" CLAIMDESK_BOOTSTRAP_TOKEN="$TOKEN" CLAIMDESK_RATE_LIMIT_PER_MINUTE=0 \
        RUST_LOG=info ./target/release/claimdesk serve >"$WORK/serve.log" 2>&1 &
    PID=$!
    ADDR=""
    for _ in $(seq 1 200); do
        ADDR="$(sed -n 's/.*gateway HTTP listening addr=\([0-9.:]*\).*/\1/p' "$WORK/serve.log" | head -1)"
        [[ -n "$ADDR" ]] && break
        sleep 0.1
    done
    [[ -n "$ADDR" ]] || { cat "$WORK/serve.log" >&2; exit 1; }
    echo -n "$backend: "
    ./target/release/claimdesk-bench desk --url "http://$ADDR" --token "$TOKEN" --conns "$CONNS" --secs "$SECS"
    kill "$PID"; wait "$PID" || true
    rm -rf "$WORK"
done
