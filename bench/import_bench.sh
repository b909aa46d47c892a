#!/usr/bin/env bash
# Bulk import benchmark (docs/benchmarks.md, "Bulk import"): COUNT generated claims streamed
# through gRPC ImportClaims into a fresh database, against the anchor: the very rows that import
# wrote, loaded the fastest way each database offers (PostgreSQL: COPY of every table; SQLite:
# one transaction of INSERTs through the sqlite3 CLI), in the same run. Prints both rates, their
# ratio and core's peak memory (VmHWM).
#
#   bash bench/import_bench.sh [COUNT] [postgres|sqlite|both]
#
# The claims carry claimdesk's own ids (UUIDv7, in creation order, as `claimdesk export` writes
# them); RANDOM_IDS=1 gives them random (version 4) ids instead. WORK keeps the file between runs.
set -euo pipefail
COUNT=${1:-1000000}
BACKENDS=${2:-both}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/target/release/claimdesk
BENCH=$ROOT/target/release/claimdesk-bench
WORK=${WORK:-$(mktemp -d /tmp/claimdesk-import.XXXXXX)}
PG=postgres://postgres@127.0.0.1:5432
TOKEN=cdk_import_bench_token_0123456789abcdef0123456789
TABLES="sources source_names source_terms claims claim_tags attributions claim_events search_docs search_postings search_stats change_counters"
export RUST_LOG=warn

cargo build --release -q -p claimdesk -p claimdesk-bench --manifest-path "$ROOT/Cargo.toml"
[ -s "$WORK/lines.jsonl" ] || "$BENCH" import-lines --out "$WORK/lines.jsonl" --count "$COUNT" ${RANDOM_IDS:+--random-ids}
LINES=$(wc -l < "$WORK/lines.jsonl")
echo "file: $WORK/lines.jsonl, $LINES lines, $(du -h "$WORK/lines.jsonl" | cut -f1)"

# Starts core on $1, streams the file, prints the rate and core's peak memory.
run_import() {
    local url=$1 log=$WORK/core.log
    CLAIMDESK_DATABASE_URL=$url CLAIMDESK_BOOTSTRAP_TOKEN=$TOKEN CLAIMDESK_GRPC_ADDR=127.0.0.1:0 \
        RUST_LOG=info "$BIN" core > "$log" 2>&1 &
    local pid=$!
    local addr=""
    for _ in $(seq 1 600); do
        addr=$(grep -o 'core gRPC listening addr=[0-9.:]*' "$log" | head -1 | sed 's/.*addr=//') || true
        [ -n "$addr" ] && break
        sleep 0.1
    done
    "$BENCH" import-grpc --addr "http://$addr" --token "$TOKEN" --file "$WORK/lines.jsonl" | tee "$WORK/import.out"
    echo "core peak memory: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MB"}')"
    kill -TERM $pid; wait $pid || true
}

rate_of() { sed 's/.*secs=\([0-9.]*\).*/\1/' "$WORK/import.out"; }

if [ "$BACKENDS" = postgres ] || [ "$BACKENDS" = both ]; then
    echo "== PostgreSQL"
    for db in claimdesk_import_bench claimdesk_import_anchor; do
        psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    done
    run_import "$PG/claimdesk_import_bench"
    import_secs=$(rate_of)
    "$BIN" migrate --database-url "$PG/claimdesk_import_anchor" > /dev/null 2>&1
    rm -rf "$WORK/copy" && mkdir -p "$WORK/copy" && chmod 777 "$WORK/copy"
    for t in $TABLES; do
        psql -q "$PG/claimdesk_import_bench" -c "COPY $t TO '$WORK/copy/$t.copy'"
    done
    {
        echo "TRUNCATE $(echo $TABLES | tr ' ' ','), api_tokens CASCADE;"
        echo "\\timing on"
        echo "BEGIN;"
        for t in $TABLES; do echo "COPY $t FROM '$WORK/copy/$t.copy';"; done
        echo "COMMIT;"
    } > "$WORK/copy.sql"
    start=$(date +%s.%N)
    psql -q "$PG/claimdesk_import_anchor" -f "$WORK/copy.sql" > /dev/null
    end=$(date +%s.%N)
    anchor_secs=$(echo "$end - $start" | bc)
    echo "postgres: import ${import_secs}s, COPY of the same rows ${anchor_secs}s, ratio $(echo "scale=3; $anchor_secs / $import_secs" | bc)"
fi

if [ "$BACKENDS" = sqlite ] || [ "$BACKENDS" = both ]; then
    echo "== SQLite"
    rm -f "$WORK"/bench.db* "$WORK"/anchor.db*
    run_import "sqlite://$WORK/bench.db"
    import_secs=$(rate_of)
    "$BIN" migrate --database-url "sqlite://$WORK/anchor.db" > /dev/null 2>&1
    {
        echo "PRAGMA journal_mode=WAL;"
        echo "BEGIN;"
        for t in $TABLES api_tokens; do echo "DELETE FROM $t;"; done
        for t in $TABLES; do sqlite3 "$WORK/bench.db" ".mode insert $t" "SELECT * FROM $t"; done
        echo "COMMIT;"
    } > "$WORK/inserts.sql"
    start=$(date +%s.%N)
    sqlite3 "$WORK/anchor.db" < "$WORK/inserts.sql" > /dev/null
    end=$(date +%s.%N)
    anchor_secs=$(echo "$end - $start" | bc)
    echo "sqlite: import ${import_secs}s, one-transaction INSERT of the same rows (sqlite3 CLI) ${anchor_secs}s, ratio $(echo "scale=3; $anchor_secs / $import_secs" | bc)"
fi
