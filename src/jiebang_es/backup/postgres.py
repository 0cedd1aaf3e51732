"""PostgreSQL: ``pg_dump --format=custom`` of the store's schemas, and ``pg_restore`` into a
database that does not hold them yet, with the installed server tools and the credentials of
the database URL (passed in the environment, never on a command line).

The dump and the manifest's last seal come from one exported snapshot, so the manifest says
exactly where the dumped log ends even while commands are recorded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.sql import SQL, Identifier

from jiebang_es.backup.manifest import Manifest, file_sha256
from jiebang_es.config import Settings, read_schema_of, store_env
from jiebang_es.errors import InvalidValueError
from jiebang_es.recorders import SEALS_TABLE

DATA_FILE = "store.pgdump"


class _Store:
    """The database URL's parts, as the tools and psycopg take them."""

    def __init__(self, settings: Settings) -> None:
        env = store_env(settings.database_url)
        self.schema = env.get("POSTGRES_SCHEMA", "public")
        self.dbname = env["POSTGRES_DBNAME"]
        self.tool_env = {
            **os.environ,
            "PGHOST": env["POSTGRES_HOST"],
            "PGPORT": env["POSTGRES_PORT"],
            "PGUSER": env["POSTGRES_USER"],
            "PGDATABASE": self.dbname,
            "PGCONNECT_TIMEOUT": str(settings.connect_timeout),
        }
        self.tool_env.pop("PGPASSWORD", None)
        if env["POSTGRES_PASSWORD"]:
            self.tool_env["PGPASSWORD"] = env["POSTGRES_PASSWORD"]

    @property
    def schemas(self) -> list[str]:
        """The events schema and its read models' schema (a whole database for public)."""
        if self.schema == "public":
            return []
        return [self.schema, read_schema_of(self.schema)]

    def connect(self) -> psycopg.Connection[Any]:
        e = self.tool_env
        return psycopg.connect(
            host=e["PGHOST"],
            port=e["PGPORT"],
            user=e["PGUSER"],
            password=e.get("PGPASSWORD"),
            dbname=self.dbname,
            connect_timeout=int(e["PGCONNECT_TIMEOUT"]),
        )

    def last_seal(self, conn: psycopg.Connection[Any]) -> tuple[int, str]:
        row = conn.execute(
            SQL(
                "SELECT notification_id, seal FROM {}.{} ORDER BY notification_id DESC LIMIT 1"
            ).format(Identifier(self.schema), Identifier(SEALS_TABLE))
        ).fetchone()
        return (int(row[0]), bytes(row[1]).hex()) if row else (0, "")

    def run(self, tool: str, *args: str) -> None:
        path = shutil.which(tool)
        if path is None:
            raise InvalidValueError(tool, f"{tool} not found: install the PostgreSQL client tools")
        done = subprocess.run(  # noqa: S603 - the installed server tool, arguments are ours
            [path, *args], env=self.tool_env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            # One line: the tool's first error (pg_restore adds the statement it ran after it).
            lines = [" ".join(line.split()) for line in done.stderr.splitlines() if line.strip()]
            first = next((line for line in lines if "error" in line.lower()), "")
            raise InvalidValueError(tool, f"{tool} failed: {first or (lines or ['?'])[0]}")


def create(settings: Settings, folder: Path) -> Manifest:
    """Dump the store into ``folder``; the manifest of the dump."""
    store = _Store(settings)
    target = folder / DATA_FILE
    with store.connect() as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert snapshot is not None  # noqa: S101 - the function always returns one row
        position, seal = store.last_seal(conn)
        schemas = [f"--schema={s}" for s in store.schemas]
        # pg_dump reads the very snapshot this transaction holds open.
        store.run("pg_dump", "--format=custom", f"--snapshot={snapshot[0]}", *schemas,
                  f"--file={target}")  # fmt: skip
        conn.rollback()
    return Manifest(
        store="postgresql",
        file=DATA_FILE,
        sha256=file_sha256(target),
        last_position=position,
        last_seal=seal,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        schema=store.schema,
    )


def restore(manifest: Manifest, folder: Path, settings: Settings) -> tuple[int, str]:
    """Restore the dump into the configured database, which must not hold the store yet;
    the restored log's last seal."""
    store = _Store(settings)
    if store.schema != manifest.schema:
        raise InvalidValueError(
            "JIEBANG_DATABASE_URL",
            f"the backup holds schema {manifest.schema!r}; name it with ?schema={manifest.schema}",
        )
    dump = manifest.check_file(folder)
    with store.connect() as conn:
        conn.autocommit = True
        _check_empty(conn, store)
    # One transaction: a restore that fails part-way leaves nothing, and can be run again.
    store.run("pg_restore", "--single-transaction", "--exit-on-error", "--no-owner",
              "--no-privileges", f"--dbname={store.dbname}", str(dump))  # fmt: skip
    with store.connect() as conn:
        return store.last_seal(conn)


def _check_empty(conn: psycopg.Connection[Any], store: _Store) -> None:
    """Refuse a database that holds the store already; drop its schemas if they are empty
    (pg_restore creates them)."""
    found = conn.execute("SELECT to_regclass(%s)", (f'"{store.schema}".{SEALS_TABLE}',)).fetchone()
    if found is not None and found[0] is not None:
        raise InvalidValueError(
            "JIEBANG_DATABASE_URL",
            f"{store.dbname} already holds a store in schema {store.schema}: "
            "restore into a new database, never over a store",
        )
    for schema in store.schemas:
        objects = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s",
            (schema,),
        ).fetchone()
        if objects is not None and objects[0] > 0:
            raise InvalidValueError(
                "JIEBANG_DATABASE_URL",
                f"schema {schema} of {store.dbname} holds {objects[0]} tables or other objects: "
                "restore into a new database, whose schemas the restore creates",
            )
    for schema in store.schemas:
        conn.execute(SQL("DROP SCHEMA IF EXISTS {}").format(Identifier(schema)))
