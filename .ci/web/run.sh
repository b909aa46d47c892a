#!/usr/bin/env bash
# The desk in a real browser: Debian's Chromium driven by Playwright (PyPI), axe-core (npm) run
# in every page. Starts its own server (the binary `cargo test` built) on a fresh SQLite
# database; screenshots go to $CLAIMDESK_ARTEFACTS/web (target/ci-artefacts/web by default).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null; then
    apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi
WEB_VENV="${WEB_VENV:-${TMPDIR:-/tmp}/claimdesk-web-venv}"
if [[ ! -x "$WEB_VENV/bin/python" ]] || ! "$WEB_VENV/bin/python" -c "import playwright" 2>/dev/null; then
    python3 -m venv "$WEB_VENV"
    # Only the driver: its own browser download does not work here; Debian's Chromium is used.
    "$WEB_VENV/bin/pip" install --quiet "playwright==1.56.0"
fi
AXE_DIR="${AXE_DIR:-${TMPDIR:-/tmp}/claimdesk-axe}"
if [[ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]]; then
    mkdir -p "$AXE_DIR"
    npm install --silent --prefix "$AXE_DIR" "axe-core@4.10.3" >/dev/null
fi

ARTEFACTS="${CLAIMDESK_ARTEFACTS:-$PWD/target/ci-artefacts}/web"
rm -rf "$ARTEFACTS" && mkdir -p "$ARTEFACTS"
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
GRPC="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ADMIN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
CLAIMDESK_BOOTSTRAP_TOKEN="$ADMIN" CLAIMDESK_HTTP_ADDR="127.0.0.1:$PORT" CLAIMDESK_GRPC_ADDR="127.0.0.1:$GRPC" \
    target/debug/claimdesk serve --database-url "sqlite://$WORK/desk.db" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done

if ! "$WEB_VENV/bin/python" .ci/web/desk.py "http://127.0.0.1:$PORT" "$ADMIN" \
    "$AXE_DIR/node_modules/axe-core/axe.min.js" "$ARTEFACTS" "$(command -v chromium)"; then
    echo "== server log (last 40 lines)"; tail -40 "$WORK/server.log"
    exit 1
fi
