#!/usr/bin/env bash
# examples/python/claimdesk_client.py and webhook_receiver.py against a live server: stubs
# generated from proto/ with grpcio-tools, in a venv of its own. A fresh SQLite database, free ports; the script's exit
# code is the check's.
#   CLAIMDESK_BIN  binary to run (default: target/debug/claimdesk)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CLAIMDESK_BIN:-target/debug/claimdesk}"
VENV="${PY_EXAMPLE_VENV:-${TMPDIR:-/tmp}/claimdesk-python-example-venv}"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import grpc_tools, grpc_status, standardwebhooks" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r examples/python/requirements.txt
fi
WORK="$(mktemp -d)"
TOKEN="cdk_example_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CLAIMDESK_HTTP_ADDR=127.0.0.1:0 CLAIMDESK_GRPC_ADDR=127.0.0.1:0 RUST_LOG=info CLAIMDESK_WEBHOOK_ALLOWED_HOSTS=127.0.0.1 \
    CLAIMDESK_DATABASE_URL="sqlite://$WORK/claimdesk.db" CLAIMDESK_BOOTSTRAP_TOKEN="$TOKEN" \
    "$BIN" serve >"$WORK/serve.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ADDR=""
for _ in $(seq 1 100); do
    ADDR="$(sed -n 's/.*core gRPC listening addr=\([0-9.:]*\).*/\1/p' "$WORK/serve.log" | head -1)"
    [[ -n "$ADDR" ]] && break
    sleep 0.1
done
if [[ -z "$ADDR" ]]; then
    echo "claimdesk serve did not start:" >&2
    cat "$WORK/serve.log" >&2
    exit 1
fi
# Twice: a second run meets the source the first created (ALREADY_EXISTS, decoded).
for run in 1 2; do
    echo "-- run $run"
    CLAIMDESK_TOKEN="$TOKEN" "$VENV/bin/python" examples/python/claimdesk_client.py "$ADDR"
done
echo "-- webhook receiver"
CLAIMDESK_TOKEN="$TOKEN" "$VENV/bin/python" examples/python/webhook_receiver.py "$ADDR"
