#!/usr/bin/env bash
# REST read benchmark through both hops (gateway -> gRPC -> core -> SQLite).
# Builds the release binary, starts `claimdesk serve` on a temporary database, seeds claims,
# then drives the gateway with wrk and prints requests per second and latencies.
#
#   bash bench/run.sh              # defaults: 1000 claims, 32 connections, 15 s per run
#   CLAIMS=5000 CONNS=64 SECS=30 bash bench/run.sh
#
# Needs wrk (Debian: apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
CLAIMS=${CLAIMS:-1000}
CONNS=${CONNS:-32}
SECS=${SECS:-15}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

cargo build --release -q
dir=$(mktemp -d)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
http_port=$(free_port)
grpc_port=$(free_port)
CLAIMDESK_HTTP_ADDR=127.0.0.1:$http_port CLAIMDESK_GRPC_ADDR=127.0.0.1:$grpc_port \
  CLAIMDESK_DATABASE_URL="sqlite://$dir/bench.db" RUST_LOG=warn \
  ./target/release/claimdesk serve >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base=http://127.0.0.1:$http_port
for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done

echo "== seeding $CLAIMS claims"
start=$(date +%s.%N)
for i in $(seq 1 "$CLAIMS"); do
  printf '{"text":"Claim %d: les États-Unis déploieront huit navires de guerre","language":"fr","claimant":"CSIS","claimed_at":"2025-10","tags":["venezuela","usa"]}' "$i"
  echo
done | while read -r body; do
  curl -fs -o /dev/null "$base/v1/claims" -H 'content-type: application/json' -d "$body"
done
end=$(date +%s.%N)
python3 -c "print(f'   {int($CLAIMS)/($end-$start):.0f} sequential creates/s (curl per request, fsync per commit)')"

id=$(curl -fs "$base/v1/claims?page_size=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["claims"][0]["id"])')

echo "== GET /v1/claims/{id}: $CONNS connections, $SECS s"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$base/v1/claims/$id" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
echo "== GET /v1/claims?page_size=20: $CONNS connections, $SECS s"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$base/v1/claims?page_size=20" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
