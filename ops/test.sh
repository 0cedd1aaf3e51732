#!/usr/bin/env bash
# Set up, then lint, type-check and run the whole test suite (SQLite and PostgreSQL).
# PostgreSQL: JIEBANG_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
# under CI=true a missing server fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/setup.sh
.venv/bin/ruff check src projections api tests ops
.venv/bin/ruff format --check src projections api tests ops
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
