"""Direct, read-mostly access to the stored events, seals and checkpoints, for the verifier.

The verifier reads the tables with its own connection and its own SQL, not through the
library's recorder: it must see exactly what is stored, rows the recorder would never write
included, and stream a million rows without holding them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from jiebang_es.config import Settings, store_env
from jiebang_es.recorders import CHECKPOINTS_TABLE, SEALS_TABLE
from jiebang_es.sealing import canonical_originator_id

# (position, originator id, version, topic, state)
EventRow = tuple[int, str, int, str, bytes]
# (position, originator id, version, previous position, digest, seal)
SealTuple = tuple[int, str, int, int, bytes, bytes]

SQLITE_EVENTS_TABLE = "stored_events"
POSTGRES_EVENTS_TABLE = "jiebang_events"  # the library names it after the application
_BATCH = 10_000
# Table names are this module's constants, never input.
_SQLITE_EVENTS = (
    "SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
    f"FROM {SQLITE_EVENTS_TABLE} WHERE rowid > ? ORDER BY rowid"
)
_SEAL_SELECT = (
    "SELECT notification_id, originator_id, originator_version, previous_id, digest, seal "
    "FROM {table} WHERE notification_id > {mark} ORDER BY notification_id"
)
_SQLITE_ADD_CHECKPOINT = f"INSERT OR IGNORE INTO {CHECKPOINTS_TABLE} VALUES (?,?,?,?,?)"  # noqa: S608


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed statement: the chain had this seal at this position at this time."""

    position: int
    seal: bytes
    taken_at: str
    key_id: str
    signature: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "seal": self.seal.hex(),
            "taken_at": self.taken_at,
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredCheckpoint:
        return cls(
            position=int(data["position"]),
            seal=bytes.fromhex(str(data["seal"])),
            taken_at=str(data["taken_at"]),
            key_id=str(data["key_id"]),
            signature=bytes.fromhex(str(data["signature"])),
        )


class RawStore:
    """The store's tables as stored, on SQLite or PostgreSQL."""

    def __init__(self, settings: Settings) -> None:
        env = store_env(settings.database_url)
        self.is_postgres = env["PERSISTENCE_MODULE"].endswith("postgres")
        self._env = env
        self.schema = env.get("POSTGRES_SCHEMA", "public")

    # ---- connections -------------------------------------------------------------------
    def _sqlite(self) -> sqlite3.Connection:
        return sqlite3.connect(self._env["SQLITE_DBNAME"], timeout=10)

    def _postgres(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            dbname=self._env["POSTGRES_DBNAME"],
            host=self._env["POSTGRES_HOST"],
            port=self._env["POSTGRES_PORT"],
            user=self._env["POSTGRES_USER"],
            password=self._env["POSTGRES_PASSWORD"] or None,
            connect_timeout=10,
        )

    def _table(self, name: str) -> psycopg.sql.Composed:
        return SQL("{}.{}").format(Identifier(self.schema), Identifier(name))

    # ---- reading -----------------------------------------------------------------------
    def events(self, after: int = 0) -> Iterator[EventRow]:
        """Every stored event after a position, in position order."""
        if self.is_postgres:
            query = SQL(
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                "FROM {} WHERE notification_id > %s ORDER BY notification_id"
            ).format(self._table(POSTGRES_EVENTS_TABLE))
            for row in self._stream_postgres(query, after):
                yield row[0], canonical_originator_id(row[1]), row[2], row[3], bytes(row[4])
            return
        for row in self._stream_sqlite(_SQLITE_EVENTS, after):
            yield row[0], canonical_originator_id(row[1]), row[2], row[3], bytes(row[4])

    def seals(self, after: int = 0) -> Iterator[SealTuple]:
        """Every seal row after a position, in position order."""
        if self.is_postgres:
            query = SQL(_SEAL_SELECT.format(table="{}", mark="%s")).format(self._table(SEALS_TABLE))
            rows: Iterator[tuple[Any, ...]] = self._stream_postgres(query, after)
        else:
            rows = self._stream_sqlite(_SEAL_SELECT.format(table=SEALS_TABLE, mark="?"), after)
        for r in rows:
            yield r[0], r[1], r[2], r[3], bytes(r[4]), bytes(r[5])

    def last_seal(self) -> tuple[int, bytes] | None:
        """The position and seal of the last sealed event."""
        for row in self._query(
            "SELECT notification_id, seal FROM {table} ORDER BY notification_id DESC LIMIT 1",
            SEALS_TABLE,
        ):
            return int(row[0]), bytes(row[1])
        return None

    def checkpoints(self) -> list[StoredCheckpoint]:
        """The checkpoints kept in the database, oldest first."""
        return [
            StoredCheckpoint(int(r[0]), bytes(r[1]), str(r[2]), str(r[3]), bytes(r[4]))
            for r in self._query(
                "SELECT notification_id, seal, taken_at, key_id, signature FROM {table} "
                "ORDER BY notification_id, key_id",
                CHECKPOINTS_TABLE,
            )
        ]

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        c = checkpoint
        params = (c.position, c.seal, c.taken_at, c.key_id, c.signature)
        if self.is_postgres:
            with self._postgres() as pg:
                pg.execute(
                    SQL("INSERT INTO {} VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING").format(
                        self._table(CHECKPOINTS_TABLE)
                    ),
                    params,
                )
            return
        with closing(self._sqlite()) as lite, lite:
            lite.execute(_SQLITE_ADD_CHECKPOINT, params)

    # ---- machinery ---------------------------------------------------------------------
    def _query(self, template: str, table: str) -> list[tuple[Any, ...]]:
        if self.is_postgres:
            with self._postgres() as pg:
                query = SQL(template.format(table="{}")).format(self._table(table))
                return list(pg.execute(query).fetchall())
        with closing(self._sqlite()) as lite:
            return list(lite.execute(template.format(table=table)).fetchall())

    def _stream_postgres(self, query: psycopg.sql.Composed, after: int) -> Iterator[Any]:
        with self._postgres() as conn, conn.cursor(name="jiebang_audit_stream") as cur:
            cur.itersize = _BATCH
            cur.execute(query, (after,))
            yield from cur

    def _stream_sqlite(self, statement: str, after: int) -> Iterator[Any]:
        with closing(self._sqlite()) as conn:
            cur = conn.execute(statement, (after,))
            while batch := cur.fetchmany(_BATCH):
                yield from batch
