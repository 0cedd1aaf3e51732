#!/usr/bin/env bash
# Set up, then run the demo on the embedded default store (SQLite file ./var/jiebang.db).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/setup.sh
exec .venv/bin/jiebang demo "$@"
