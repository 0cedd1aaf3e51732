#!/usr/bin/env bash
# Make a PostgreSQL event store append-only for the application's role (see docs/audit.md, "PostgreSQL, append-only for the application").
#   ops/postgres-harden.sh OWNER_URL APP_ROLE [SCHEMA]
# OWNER_URL: a connection as the role that owns (or will own) the tables, e.g.
#   postgresql://jiebang_owner@127.0.0.1:5432/jiebang
# APP_ROLE: the role the application connects as (created beforehand, LOGIN, not the owner).
# Creates the tables as the owner if they do not exist yet, then runs ops/postgres/harden.sql.
set -euo pipefail
cd "$(dirname "$0")/.."
owner_url=${1:?owner URL}
app_role=${2:?application role}
schema=${3:-public}
url="$owner_url"
if [ "$schema" != public ]; then url="$owner_url?schema=$schema"; fi
# The tables are created by the owner, with the application's own definitions.
JIEBANG_DATABASE_URL="$url" .venv/bin/jiebang info >/dev/null
psql "$owner_url" -q -v app_role="$app_role" -v schema="$schema" -f ops/postgres/harden.sql
echo "hardened schema $schema for role $app_role: run the application with JIEBANG_CREATE_TABLES=false"
