#!/usr/bin/env bash
# The run command: set up, serve the HTTP API on the embedded SQLite store (./var/jiebang.db),
# fill it with one simulated year (`jiebang demo`, another process writing the same file), print
# the public listing, then keep serving in the foreground until Ctrl-C.
#   bash ops/demo.sh                # everything, then keeps serving on http://127.0.0.1:8000
#   bash ops/demo.sh --port 8081    # the same on another port (or JIEBANG_PORT=8081)
#   bash ops/demo.sh --exit         # everything, then stops the server (non-interactive runs)
# Without a configured token key the server runs in dev mode: it generates a secret beside the
# store, var/dev-jwt-secret (JIEBANG_DEV_MODE=true); `jiebang token issue` uses the same one.
# The server's JSON request log goes to var/api.log; if the server cannot start (the port is
# taken, say), its own error is printed at once and the script stops.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${JIEBANG_PORT:-8000}"
EXIT_AFTER=false
while [ $# -gt 0 ]; do
    case "$1" in
        --port) PORT="${2:?--port needs a number}"; shift 2 ;;
        --port=*) PORT="${1#--port=}"; shift ;;
        --exit) EXIT_AFTER=true; shift ;;
        *) echo "usage: bash ops/demo.sh [--port N] [--exit]" >&2; exit 2 ;;
    esac
done
case "$PORT" in
    ''|*[!0-9]*) echo "demo.sh: --port takes a number, not '$PORT'" >&2; exit 2 ;;
esac
# Set up (again) only when the environment is missing or older than pyproject.toml.
if [ ! -x .venv/bin/jiebang ] || [ pyproject.toml -nt .venv/bin/jiebang ]; then
    bash ops/setup.sh --no-browser
fi
export JIEBANG_DEV_MODE="${JIEBANG_DEV_MODE:-true}"
mkdir -p var
# The audit checkpoints' signing key (kept in ./var/audit here; in production off the database
# host): with it, the server signs a checkpoint every 1,000 events or 60 s.
[ -f "${JIEBANG_AUDIT_KEY_FILE:-var/audit/checkpoint.key}" ] || .venv/bin/jiebang audit keygen
LOG_START=$(($(stat -c %s var/api.log 2>/dev/null || echo 0) + 1))
.venv/bin/jiebang serve --port "$PORT" 2>>var/api.log &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
# `jiebang serve` says "jiebang API on …" once it holds the port (until then another server on
# that port must not be mistaken for this one), then answers /v1/health/live once started.
# If it exits first, its own error is shown at once.
for attempt in $(seq 600); do
    if ! kill -0 "$SERVER" 2>/dev/null; then
        echo "demo.sh: the server could not start:" >&2
        tail -c "+$LOG_START" var/api.log >&2
        exit 1
    fi
    if tail -c "+$LOG_START" var/api.log | grep -q "jiebang API on" \
        && curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v1/health/live" 2>/dev/null; then
        break
    fi
    if [ "$attempt" = 600 ]; then
        echo "demo.sh: the server did not answer within 60 s; see var/api.log" >&2
        exit 1
    fi
    sleep 0.1
done
.venv/bin/jiebang demo
.venv/bin/python ops/public_listing.py "http://127.0.0.1:$PORT"
# Tamper evidence: sign the log's end now, then recompute the whole seal chain.
.venv/bin/jiebang audit checkpoint >/dev/null
.venv/bin/jiebang audit verify
if [ "$EXIT_AFTER" = true ]; then
    exit 0
fi
echo "serving on http://127.0.0.1:$PORT (OpenAPI at /docs); Ctrl-C stops"
wait "$SERVER"
