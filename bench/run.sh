#!/usr/bin/env bash
# REST read benchmark through both hops (with token authentication on every request) (gateway -> gRPC -> core -> database).
# Builds the release binary, starts `claimdesk serve` on a fresh database, seeds claims with
# attributions, then drives the gateway with wrk and prints requests per second and latencies.
# With BACKEND=postgres it also runs pgbench with the SQL a claim read issues, for comparison.
#
#   bash bench/run.sh                              # SQLite, 1000 claims, 32 connections, 15 s
#   BACKEND=postgres bash bench/run.sh             # PostgreSQL at $PGURL (database claimdesk_bench)
#   CLAIMS=5000 CONNS=64 SECS=30 bash bench/run.sh
#
# Needs wrk (Debian: apt-get install wrk), curl, python3; pgbench and psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
CLAIMS=${CLAIMS:-1000}
CONNS=${CONNS:-32}
SECS=${SECS:-15}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

cargo build --release -q
dir=$(mktemp -d)
case $BACKEND in
  sqlite) db_url="sqlite://$dir/bench.db" ;;
  postgres)
    psql "$PGURL/postgres" -qc 'DROP DATABASE IF EXISTS claimdesk_bench' -c 'CREATE DATABASE claimdesk_bench'
    db_url="$PGURL/claimdesk_bench" ;;
  *) echo "BACKEND is sqlite or postgres" >&2; exit 2 ;;
esac
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
http_port=$(free_port)
grpc_port=$(free_port)
token=cdk_bench_$(python3 -c 'import secrets;print(secrets.token_hex(24))')
auth="Authorization: Bearer $token"
# The rate limit is off: the benchmark is one token asking as fast as it can.
CLAIMDESK_HTTP_ADDR=127.0.0.1:$http_port CLAIMDESK_GRPC_ADDR=127.0.0.1:$grpc_port \
  CLAIMDESK_DATABASE_URL="$db_url" RUST_LOG=warn CLAIMDESK_BOOTSTRAP_TOKEN=$token CLAIMDESK_RATE_LIMIT_PER_MINUTE=0 \
  ./target/release/claimdesk serve >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base=http://127.0.0.1:$http_port
for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done

echo "== $BACKEND: seeding $CLAIMS claims"
source_id=$(curl -fs -H "$auth" "$base/v1/sources" -H 'content-type: application/json' \
  -d '{"name": "CSIS", "kind": "organization"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
start=$(date +%s.%N)
for i in $(seq 1 "$CLAIMS"); do
  printf '{"text":"Claim %d: les États-Unis déploieront huit navires de guerre","language":"fr","claimant_id":"%s","claimed_at":"2025-10","tags":["venezuela","usa"]}\n' "$i" "$source_id"
done | while read -r body; do
  curl -fs -o /dev/null -H "$auth" "$base/v1/claims" -H 'content-type: application/json' -d "$body"
done
end=$(date +%s.%N)
python3 -c "print(f'   {int($CLAIMS)/($end-$start):.0f} sequential creates/s (one curl process per request)')"

id=$(curl -fs -H "$auth" "$base/v1/claims?page_size=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["claims"][0]["id"])')
for stance in asserts context; do
  version=$(curl -fs -H "$auth" "$base/v1/claims/$id" | python3 -c 'import json,sys;print(json.load(sys.stdin)["version"])')
  curl -fs -o /dev/null -H "$auth" "$base/v1/claims/$id/attributions" -H 'content-type: application/json' \
    -H "if-match: \"$version\"" -d "{\"speaker_id\": \"$source_id\", \"stance\": \"$stance\"}"
done

echo "== REST GET /v1/claims/{id} (claim, claimant, 2 attributions, sourcing): $CONNS connections, $SECS s"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "$auth" "$base/v1/claims/$id" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
echo "== REST GET /v1/claims?page_size=20: $CONNS connections, $SECS s"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "$auth" "$base/v1/claims?page_size=20" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'

if [ "$BACKEND" = postgres ]; then
  # The statements core runs for one claim read (no transaction on PostgreSQL: see ARCHITECTURE.md).
  cat >"$dir/read.sql" <<SQL
SELECT id, text, language, context, claimed_at, claimed_start, claimed_end, tags, status, version, created_at, updated_at, claimant_id FROM claims WHERE id = '$id' LIMIT 1;
SELECT id, name, kind FROM sources WHERE id = ANY(ARRAY['$source_id']);
SELECT attributions.claim_id, attributions.stance, attributions.published_at, sources.id, sources.name, sources.kind FROM attributions INNER JOIN sources ON attributions.speaker_id = sources.id WHERE attributions.claim_id = ANY(ARRAY['$id']);
SQL
  echo "== pgbench, the same SQL: $CONNS clients, $SECS s"
  pgbench -n -M prepared -c "$CONNS" -j 2 -T "$SECS" -f "$dir/read.sql" "$PGURL/claimdesk_bench" | grep -E 'tps|latency average'
fi
