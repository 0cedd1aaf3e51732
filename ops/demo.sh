#!/usr/bin/env bash
# The run command: set up, serve the HTTP API on the embedded SQLite store (./var/jiebang.db),
# fill it with one simulated year (`jiebang demo`, another process writing the same file), print
# the public listing, then keep serving in the foreground until Ctrl-C.
#   bash ops/demo.sh           # everything, then keeps serving on http://127.0.0.1:8000
#   bash ops/demo.sh --exit    # everything, then stops the server (non-interactive runs)
# Without a configured token key the server runs in dev mode: it generates a secret into ./var
# (JIEBANG_DEV_MODE=true); `jiebang token issue` uses the same one. The server's JSON request
# log goes to var/api.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/setup.sh
export JIEBANG_DEV_MODE="${JIEBANG_DEV_MODE:-true}"
PORT="${JIEBANG_PORT:-8000}"
mkdir -p var
# The audit checkpoints' signing key (kept in ./var/audit here; in production off the database
# host): with it, the server signs a checkpoint every 1,000 events or 60 s.
[ -f "${JIEBANG_AUDIT_KEY_FILE:-var/audit/checkpoint.key}" ] || .venv/bin/jiebang audit keygen
.venv/bin/jiebang serve --port "$PORT" 2>>var/api.log &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
.venv/bin/python ops/public_listing.py "http://127.0.0.1:$PORT" --wait-only
.venv/bin/jiebang demo
.venv/bin/python ops/public_listing.py "http://127.0.0.1:$PORT"
# Tamper evidence: sign the log's end now, then recompute the whole seal chain.
.venv/bin/jiebang audit checkpoint >/dev/null
.venv/bin/jiebang audit verify
if [ "${1:-}" = "--exit" ]; then
    exit 0
fi
echo "serving on http://127.0.0.1:$PORT (OpenAPI at /docs); Ctrl-C stops"
wait "$SERVER"
