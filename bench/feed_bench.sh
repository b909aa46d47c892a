#!/usr/bin/env bash
# The change feed's latency from commit to watcher, and events per second to one watcher, on
# each backend: `claimdesk serve` (release) on a fresh database, 4 writers creating claims over
# gRPC for SECS seconds while one watcher follows WatchEvents, then one watcher reading the whole
# feed from its beginning (bench/src/feedload.rs). Prints one JSON line per backend.
#
#   cargo build --release -p claimdesk -p claimdesk-bench
#   bash bench/feed_bench.sh [SECS] [BACKENDS]      # 20, "sqlite postgres"
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-20}"
BACKENDS="${2:-sqlite postgres}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PGDB=claimdesk_feed_bench
TOKEN="cdk_feed_bench_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
for backend in $BACKENDS; do
    WORK="$(mktemp -d)"
    if [[ "$backend" == sqlite ]]; then
        URL="sqlite://$WORK/feed.db"
    else
        PGOPTIONS="--client-min-messages=warning" psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $PGDB" \
            -c "CREATE DATABASE $PGDB" >/dev/null
        URL="$PGURL/$PGDB"
    fi
    CLAIMDESK_HTTP_ADDR=127.0.0.1:0 CLAIMDESK_GRPC_ADDR=127.0.0.1:0 RUST_LOG=info \
        CLAIMDESK_DATABASE_URL="$URL" CLAIMDESK_BOOTSTRAP_TOKEN="$TOKEN" CLAIMDESK_RATE_LIMIT_PER_MINUTE=0 \
        ./target/release/claimdesk serve >"$WORK/serve.log" 2>&1 &
    PID=$!
    ADDR=""
    for _ in $(seq 1 200); do
        ADDR="$(sed -n 's/.*core gRPC listening addr=\([0-9.:]*\).*/\1/p' "$WORK/serve.log" | head -1)"
        [[ -n "$ADDR" ]] && break
        sleep 0.1
    done
    [[ -n "$ADDR" ]] || { cat "$WORK/serve.log" >&2; exit 1; }
    echo -n "$backend: "
    ./target/release/claimdesk-bench feed --addr "http://$ADDR" --token "$TOKEN" --writers 4 --secs "$SECS"
    kill "$PID"; wait "$PID" || true
    rm -rf "$WORK"
done
