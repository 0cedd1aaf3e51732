"""The read models' database: the same store as the events, SQLite or PostgreSQL.

On PostgreSQL the read tables live in a schema of their own, named after the events' schema
(``<schema>_read``, or ``jiebang_read`` for the default), so a test's schema and its read
schema stay together. On SQLite they are tables of the same file, prefixed ``read_``.
SQL is written once with ``?`` placeholders; PostgreSQL gets ``%s``.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus

from jiebang_es.config import Settings, read_schema_of, store_env
from jiebang_es.store_faults import is_store_fault
from projections.schema import Row, Table, to_python, to_stored

TRACKING = "tracking"
SHAPES = "model_shapes"  # per read model, the shape its rows were written under (shape_of)
BULK = 200  # rows from which an upsert on PostgreSQL goes through COPY
# Statements bound on this side, sent together as one message (see ReadDB.one_message).
ONE_MESSAGE_MAX_BYTES = 4 * 1024 * 1024
WRITES_SAVEPOINT = "jiebang_read_writes"
SQLITE_PREFIX = "read_"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WritesRefusedError(Exception):
    """The server refused one of the writes sent as one message; all of them were undone."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"a write of the batch was refused: {cause}")
        self.cause = cause


@dataclass(frozen=True)
class Target:
    """Where the read models of one store live."""

    kind: Literal["sqlite", "postgres"]
    sqlite_path: str = ""
    conninfo: str = ""
    events_schema: str = "public"
    read_schema: str = ""

    @property
    def notify_channel(self) -> str:
        """The LISTEN/NOTIFY channel on which new events are announced (PostgreSQL)."""
        return f"{self.read_schema}_events"


def target_of(settings: Settings) -> Target:
    """The read store that belongs to the configured event store."""
    env = store_env(settings.database_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return Target(kind="sqlite", sqlite_path=env["SQLITE_DBNAME"])
    schema = env.get("POSTGRES_SCHEMA", "public")
    read_schema = read_schema_of(schema)
    for ident in (schema, read_schema):
        if not _IDENT.match(ident) or len(ident) > 50:
            raise ValueError(f"JIEBANG_DATABASE_URL: schema {ident!r} is not a plain identifier")
    conninfo = make_conninfo(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=str(settings.connect_timeout),
        application_name="jiebang-projections",
    )
    return Target(kind="postgres", conninfo=conninfo, events_schema=schema, read_schema=read_schema)


def sqlite_connect(path: str) -> sqlite3.Connection:
    """A connection to the SQLite file, transactions managed explicitly."""
    # A file: URI (e.g. ``?mode=ro``) is opened as one, as the event store's recorder does.
    conn = sqlite3.connect(
        path,
        timeout=10,
        isolation_level=None,
        check_same_thread=False,
        uri=path.startswith("file:"),
    )
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _sql_type(kind: str, col_type: str) -> str:
    if kind == "postgres":
        return {
            "text": "text",
            "int": "bigint",
            "money": "numeric(18,2)",
            "bool": "boolean",
            "json": "text",
        }[col_type]
    return {"text": "TEXT", "int": "INTEGER", "money": "TEXT", "bool": "INTEGER", "json": "TEXT"}[
        col_type
    ]


class ReadDB:
    """One connection to the read models' tables, with the few operations they need."""

    def __init__(self, target: Target, conn: Any) -> None:
        self.target = target
        self.conn = conn
        self.postgres = target.kind == "postgres"
        self._scratch: set[str] = set()  # temporary tables of bulk upserts on this connection
        self._pending: list[str] | None = None  # statements held for one message, if gathering
        self._pending_bytes = 0
        self._in_transaction = False  # PostgreSQL: inside transaction()
        self._begin_held = False  # PostgreSQL: BEGIN to be sent with the next statement
        self._binder: psycopg.ClientCursor[Any] | None = None

    @classmethod
    def connect(cls, target: Target) -> ReadDB:
        if target.kind == "postgres":
            return cls(target, psycopg.connect(target.conninfo, autocommit=True))
        return cls(target, sqlite_connect(target.sqlite_path))

    def close(self) -> None:
        self.conn.close()

    # ---- names and statements -----------------------------------------------------------
    def name(self, table_name: str, suffix: str = "") -> str:
        """The table's qualified, quoted name."""
        if self.postgres:
            return f'"{self.target.read_schema}"."{table_name}{suffix}"'
        return f'"{SQLITE_PREFIX}{table_name}{suffix}"'

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        if self._begin_held:
            # The transaction's BEGIN goes with its first statement: one round trip, not two.
            self._begin_held = False
            bound = self._bind(self.sql(text), self._params(params)) if params else text
            cursor = self.conn.execute(f"BEGIN;\n{bound}")
            cursor.nextset()  # to the statement's own result
            return cursor
        return self.conn.execute(self.sql(text), self._params(params))

    def _bind(self, statement: str, params: Sequence[Any]) -> str:
        """The statement with its parameters as literals, quoted by the connection's adapters."""
        if self._binder is None:
            self._binder = psycopg.ClientCursor(self.conn)
        return self._binder.mogrify(statement, params)

    def _begin_now(self) -> None:
        """Send a held BEGIN by itself, before a statement that cannot carry it (COPY, many)."""
        if self._begin_held:
            self._begin_held = False
            self.conn.execute("BEGIN")

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(text, params).fetchall())

    def _params(self, params: Sequence[Any]) -> tuple[Any, ...]:
        if self.postgres:
            return tuple(params)
        return tuple(_sqlite_value(v) for v in params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: everything inside commits together or not at all."""
        if self.postgres:
            yield from self._postgres_transaction()
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _postgres_transaction(self) -> Iterator[None]:
        """BEGIN held until the first statement, which carries it; COMMIT unless the last
        writes carried it (``one_message(commit=True)``); ROLLBACK on any error."""
        if self._in_transaction:
            raise RuntimeError("read-model transactions do not nest")
        self._in_transaction, self._begin_held = True, True
        try:
            yield
        except BaseException:
            self._begin_held = False
            if not self.conn.closed and self.conn.info.transaction_status != TransactionStatus.IDLE:
                with suppress(psycopg.Error):  # a broken connection: the error that broke it
                    self.conn.execute("ROLLBACK")
            raise
        else:
            if not self._begin_held and self.conn.info.transaction_status != TransactionStatus.IDLE:
                self.conn.execute("COMMIT")
        finally:
            self._in_transaction, self._begin_held = False, False

    @contextmanager
    def one_message(self, *, commit: bool = False) -> Iterator[None]:
        """Gather the writes made inside into one message to the server (PostgreSQL).

        A live batch writes a few rows into many tables: sent statement by statement that is
        a dozen round trips, most of a small batch's time. Inside, each row's statement is
        bound on this side (with the connection's own adapters and quoting, so a value the
        server would refuse is refused here, by the model that wrote it) and held; at the end
        they go as one simple-protocol message, executed in order in the open transaction. A
        bulk write (``COPY``) first sends what is held, so the order of the writes is kept.

        The writes run under a savepoint: when the server refuses one (its error names no
        statement of the message), they are all undone and ``WritesRefusedError`` is raised,
        for the caller to make them again one by one and learn which failed. SQLite, in
        process, has no round trips to save: there this does nothing.
        """
        if not self.postgres or self._pending is not None:
            yield
            return
        self._pending, self._pending_bytes = [f"SAVEPOINT {WRITES_SAVEPOINT}"], 0
        try:
            yield
            self._pending.append(f"RELEASE SAVEPOINT {WRITES_SAVEPOINT}")
            if commit and self._in_transaction:
                self._pending.append("COMMIT")
            self._send_pending()
        finally:
            self._pending = None

    def _hold(self, pending: list[str], statement: str, params: Sequence[Sequence[Any]]) -> None:
        bind = self._bind
        for values in params:
            bound = bind(statement, values)
            pending.append(bound)
            self._pending_bytes += len(bound)
        if self._pending_bytes > ONE_MESSAGE_MAX_BYTES:
            self._send_pending()

    def _send_pending(self) -> None:
        """Send the statements held so far, if any, as one message (at the end, or before a
        write that cannot wait). A statement the server refuses undoes all the held writes
        since the savepoint, whichever message carried them: ``WritesRefusedError``."""
        if not self._pending:
            return
        if self._begin_held:
            self._begin_held = False
            self._pending.insert(0, "BEGIN")
        script = ";\n".join(self._pending)
        self._pending[:], self._pending_bytes = [], 0
        try:
            self.conn.execute(script)
        except psycopg.Error as e:
            # The savepoint is the first statement held: a later one failed, so it exists.
            if is_store_fault(e) or self.conn.info.transaction_status != TransactionStatus.INERROR:
                raise
            self.conn.execute(f"ROLLBACK TO SAVEPOINT {WRITES_SAVEPOINT}")
            raise WritesRefusedError(e) from e

    # ---- tables -------------------------------------------------------------------------
    @contextmanager
    def ddl(self) -> Iterator[None]:
        """A transaction for schema changes, one process at a time (PostgreSQL's catalog
        refuses concurrent CREATE OR REPLACE of the same object)."""
        with self.transaction():
            if self.postgres:
                lock = "SELECT pg_advisory_xact_lock(hashtext(?))"
                self.execute(lock, (self.target.read_schema,))
            yield

    def ensure_schema(self) -> None:
        """The read schema and the tracking table (one position per read model)."""
        # Asked first: a role that owns the schema but may not create schemas in the database
        # (ops/postgres-harden.sh) is refused even CREATE SCHEMA IF NOT EXISTS.
        if self.postgres and not self.query(
            "SELECT 1 FROM pg_namespace WHERE nspname = ?", (self.target.read_schema,)
        ):
            self.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.target.read_schema}"')
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {self.name(TRACKING)} "
            f"(model {_sql_type(self.target.kind, 'text')} PRIMARY KEY, "
            f"position {_sql_type(self.target.kind, 'int')} NOT NULL)"
        )
        # Stores made before shapes were kept have none: each model is then replayed once.
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {self.name(SHAPES)} "
            f"(model {_sql_type(self.target.kind, 'text')} PRIMARY KEY, "
            f"shape {_sql_type(self.target.kind, 'text')} NOT NULL)"
        )

    def create_table(self, t: Table, suffix: str = "", *, indexes: bool = True) -> None:
        """Create the table and (unless told not to) its indexes, unless it exists."""
        if self.table_exists(t, suffix):
            if indexes:
                self.ensure_indexes(t, suffix)
            return
        cols = ", ".join(f'"{c.name}" {_sql_type(self.target.kind, c.type)}' for c in t.columns)
        key = ", ".join(f'"{k}"' for k in t.key)
        self.execute(f"CREATE TABLE {self.name(t.name, suffix)} ({cols}, PRIMARY KEY ({key}))")
        if indexes:
            self.create_indexes(t, suffix)

    def create_indexes(
        self, t: Table, suffix: str = "", *, only: Sequence[tuple[str, ...]] | None = None
    ) -> None:
        """The table's secondary indexes (a rebuild adds them once its rows are in: faster)."""
        for index in t.indexes if only is None else only:
            # Index names are unique per database (SQLite) or schema: a token keeps the names
            # of a rebuild's indexes apart from the live ones they replace.
            ix = f"ix_{t.name}_{'_'.join(index)}_{secrets.token_hex(3)}"
            on = ", ".join(f'"{c}"' for c in index)
            self.execute(f'CREATE INDEX "{ix}" ON {self.name(t.name, suffix)} ({on})')

    def ensure_indexes(self, t: Table, suffix: str = "") -> None:
        """Bring an existing table's secondary indexes to those declared (a store made by an
        earlier version gets the new ones; ones no longer declared are dropped). Idempotent."""
        existing = self.index_columns(t, suffix)
        wanted = set(t.indexes)
        for name, columns in existing.items():
            if columns not in wanted and name.startswith(f"ix_{t.name}_"):
                self.execute(
                    f'DROP INDEX "{self.target.read_schema}"."{name}"'
                    if self.postgres
                    else f'DROP INDEX "{name}"'
                )
        have = set(existing.values())
        missing = [index for index in t.indexes if index not in have]
        if missing:
            self.create_indexes(t, suffix, only=missing)

    def index_columns(self, t: Table, suffix: str = "") -> dict[str, tuple[str, ...]]:
        """The table's secondary indexes (not its primary key): name → columns."""
        if self.postgres:
            rows = self.query(
                "SELECT ic.relname, array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i "
                "JOIN pg_class ic ON ic.oid = i.indexrelid "
                "JOIN pg_class tc ON tc.oid = i.indrelid "
                "JOIN pg_namespace n ON n.oid = tc.relnamespace "
                "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                "JOIN pg_attribute a ON a.attrelid = tc.oid AND a.attnum = k.attnum "
                "WHERE n.nspname = ? AND tc.relname = ? AND NOT i.indisprimary "
                "GROUP BY ic.relname",
                (self.target.read_schema, t.name + suffix),
            )
            return {str(name): tuple(columns) for name, columns in rows}
        table_name = SQLITE_PREFIX + t.name + suffix
        found = {}
        for row in self.query(f'PRAGMA index_list("{table_name}")'):
            name, origin = str(row[1]), str(row[3])
            if origin == "c":  # made by CREATE INDEX (not the primary key's own)
                info = self.query(f'PRAGMA index_info("{name}")')
                found[name] = tuple(str(r[2]) for r in sorted(info))
        return found

    def table_exists(self, t: Table, suffix: str = "") -> bool:
        if self.postgres:
            rows = self.query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                (self.target.read_schema, t.name + suffix),
            )
        else:
            rows = self.query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (SQLITE_PREFIX + t.name + suffix,),
            )
        return bool(rows)

    def drop_table(self, t: Table, suffix: str = "") -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.name(t.name, suffix)}")

    def rename_table(self, t: Table, from_suffix: str) -> None:
        new = f"{t.name}" if self.postgres else f"{SQLITE_PREFIX}{t.name}"
        self.execute(f'ALTER TABLE {self.name(t.name, from_suffix)} RENAME TO "{new}"')

    # ---- rows ---------------------------------------------------------------------------
    def select_rows(self, t: Table, suffix: str = "", *, ordered: bool = False) -> list[Row]:
        cols = ", ".join(f'"{c}"' for c in t.column_names)
        order = ""
        if ordered:
            collate = ' COLLATE "C"' if self.postgres else ""
            order = " ORDER BY " + ", ".join(
                f'"{k}"' + (collate if _is_text(t, k) else "") for k in t.key
            )
        rows = self.query(f"SELECT {cols} FROM {self.name(t.name, suffix)}{order}")
        return [t.normalise(dict(zip(t.column_names, r, strict=True))) for r in rows]

    def select_row(self, t: Table, key: tuple[Any, ...], suffix: str = "") -> Row | None:
        """One row by its key, or None."""
        cols = ", ".join(f'"{c}"' for c in t.column_names)
        where = " AND ".join(f'"{k}" = ?' for k in t.key)
        found = self.query(f"SELECT {cols} FROM {self.name(t.name, suffix)} WHERE {where}", key)
        return t.normalise(dict(zip(t.column_names, found[0], strict=True))) if found else None

    def count_rows(self, t: Table, suffix: str = "") -> int:
        return int(self.query(f"SELECT count(*) FROM {self.name(t.name, suffix)}")[0][0])

    def select_keys(self, t: Table, suffix: str = "") -> Iterator[tuple[Any, ...]]:
        """Every key of the table, streamed."""
        cols = ", ".join(f'"{k}"' for k in t.key)
        types = {c.name: c.type for c in t.columns}
        cursor = self.execute(f"SELECT {cols} FROM {self.name(t.name, suffix)}")
        while batch := cursor.fetchmany(10_000):
            for values in batch:
                yield tuple(to_python(types[k], v) for k, v in zip(t.key, values, strict=True))

    def upsert(self, t: Table, rows: Iterable[Row], suffix: str = "") -> None:
        rows = list(rows)
        if not rows:
            return
        if self.postgres and len(rows) >= BULK:
            self._bulk_upsert(t, rows, suffix)
            return
        names = t.column_names
        cols = ", ".join(f'"{c}"' for c in names)
        marks = ", ".join("?" for _ in names)
        others = [c for c in names if c not in t.key]
        key = ", ".join(f'"{k}"' for k in t.key)
        action = (
            "DO UPDATE SET " + ", ".join(f'"{c}" = excluded."{c}"' for c in others)
            if others
            else "DO NOTHING"
        )
        statement = self.sql(
            f"INSERT INTO {self.name(t.name, suffix)} ({cols}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) {action}"
        )
        self._many(statement, _stored_rows(t, rows))

    def _bulk_upsert(self, t: Table, rows: list[Row], suffix: str) -> None:
        """Many rows on PostgreSQL: COPY into a scratch table, then one INSERT … ON CONFLICT.

        The scratch table empties itself at commit; each table is upserted once per batch.
        """
        self._send_pending()  # the writes held before this one go first
        scratch = f"upsert_{t.name}{suffix}"
        if scratch not in self._scratch:
            self.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{scratch}" '
                f"(LIKE {self.name(t.name, suffix)}) ON COMMIT DELETE ROWS"
            )
            self._scratch.add(scratch)
        else:
            self.execute(f'DELETE FROM "{scratch}"')  # rows of an earlier upsert in this batch
        copy = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(scratch),
            pgsql.SQL(", ").join(pgsql.Identifier(c) for c in t.column_names),
        )
        self._begin_now()
        with self.conn.cursor() as cur, cur.copy(copy) as writer:
            for values in _stored_rows(t, rows):
                writer.write_row(values)
        cols = ", ".join(f'"{c}"' for c in t.column_names)
        key = ", ".join(f'"{k}"' for k in t.key)
        others = [c for c in t.column_names if c not in t.key]
        action = (
            "DO UPDATE SET " + ", ".join(f'"{c}" = excluded."{c}"' for c in others)
            if others
            else "DO NOTHING"
        )
        self.execute(
            f'INSERT INTO {self.name(t.name, suffix)} ({cols}) SELECT {cols} FROM "{scratch}" '
            f"ON CONFLICT ({key}) {action}"
        )

    def delete(self, t: Table, keys: Iterable[tuple[Any, ...]], suffix: str = "") -> None:
        keys = list(keys)
        if not keys:
            return
        where = " AND ".join(f'"{k}" = ?' for k in t.key)
        self._many(self.sql(f"DELETE FROM {self.name(t.name, suffix)} WHERE {where}"), keys)

    def insert(self, t: Table, rows: Sequence[Row], suffix: str = "") -> None:
        """Append rows; on PostgreSQL by COPY, the fastest way in."""
        if not rows:
            return
        names = t.column_names
        if self.postgres and (self._pending is None or len(rows) >= BULK):
            self._send_pending()
            self._begin_now()
            copy = pgsql.SQL("COPY {}.{} ({}) FROM STDIN").format(
                pgsql.Identifier(self.target.read_schema),
                pgsql.Identifier(t.name + suffix),
                pgsql.SQL(", ").join(pgsql.Identifier(c) for c in names),
            )
            with self.conn.cursor() as cur, cur.copy(copy) as writer:
                for values in _stored_rows(t, rows):
                    writer.write_row(values)
            return
        cols = ", ".join(f'"{c}"' for c in names)
        marks = ", ".join("?" for _ in names)
        self._many(
            self.sql(f"INSERT INTO {self.name(t.name, suffix)} ({cols}) VALUES ({marks})"),
            _stored_rows(t, rows),
        )

    def _many(self, statement: str, params: Sequence[Sequence[Any]]) -> None:
        if self._pending is not None:
            self._hold(self._pending, statement, params)
        elif self.postgres:
            self._begin_now()
            with self.conn.cursor() as cur:
                cur.executemany(statement, params)
        else:
            self.conn.executemany(statement, [[_sqlite_value(v) for v in p] for p in params])

    # ---- tracking -----------------------------------------------------------------------
    def positions(self, models: Iterable[str], *, lock: bool = False) -> dict[str, int]:
        """Each model's tracking position (0 when it has none); locked for this transaction."""
        names = list(models)
        marks = ", ".join("?" for _ in names)
        lock_clause = " FOR UPDATE" if lock and self.postgres else ""
        rows = self.query(
            f"SELECT model, position FROM {self.name(TRACKING)} WHERE model IN ({marks})"
            f"{lock_clause}",
            names,
        )
        found = {str(m): int(p) for m, p in rows}
        return {n: found.get(n, 0) for n in names}

    def set_positions(self, positions: dict[str, int]) -> None:
        statement = self.sql(
            f"INSERT INTO {self.name(TRACKING)} (model, position) VALUES (?, ?) "
            "ON CONFLICT (model) DO UPDATE SET position = excluded.position"
        )
        self._many(statement, list(positions.items()))

    def shapes(self) -> dict[str, str]:
        """The shape each model's rows were written under, by model name."""
        rows = self.query(f"SELECT model, shape FROM {self.name(SHAPES)}")
        return {str(m): str(s) for m, s in rows}

    def set_shapes(self, shapes: dict[str, str]) -> None:
        statement = self.sql(
            f"INSERT INTO {self.name(SHAPES)} (model, shape) VALUES (?, ?) "
            "ON CONFLICT (model) DO UPDATE SET shape = excluded.shape"
        )
        self._many(statement, list(shapes.items()))

    def forget(self, models: Sequence[str]) -> None:
        """Remove tracking rows (those of an abandoned or finished rebuild)."""
        self._many(
            self.sql(f"DELETE FROM {self.name(TRACKING)} WHERE model = ?"), [(m,) for m in models]
        )


def _stored_rows(t: Table, rows: Sequence[Row]) -> list[list[Any]]:
    names = t.column_names
    stored = [list(map(r.get, names)) for r in rows]  # missing columns as NULL
    json_at = [i for i, c in enumerate(t.columns) if c.type == "json"]
    for values in stored if json_at else ():
        for i in json_at:
            values[i] = to_stored("json", values[i])
    return stored


def _is_text(t: Table, column: str) -> bool:
    return any(c.name == column and c.type == "text" for c in t.columns)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value
