"""Direct, read-mostly access to the stored events, seals and checkpoints, for the verifier.

The verifier reads the tables with its own connection and its own SQL, not through the
library's recorder: it must see exactly what is stored, rows the recorder would never write
included, and stream a million rows without holding them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from queue import Full, Queue
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from jiebang_es.config import Settings, make_sqlite_folder, store_env
from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.store_mode import STORE_TABLE, StoreMode, resolve
from jiebang_es.recorders import CHECKPOINTS_TABLE, KEYS_MARKER, KEYS_TABLE, SEALS_TABLE
from jiebang_es.sealing import canonical_originator_id

# (position, originator id, version, topic, state)
EventRow = tuple[int, str, int, str, bytes]
# (position, originator id, version, previous position, digest, seal)
SealTuple = tuple[int, str, int, int, bytes, bytes]
# an event with its seal row, if it has one: EventRow + SealTuple without its position
JoinedRow = tuple[
    int, str, int, str, bytes, str | None, int | None, int | None, bytes | None, bytes | None
]

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
_JOINED = (
    "SELECT e.{pos}, e.originator_id{cast}, e.originator_version, e.topic, e.state, "
    "s.originator_id, s.originator_version, s.previous_id, s.digest, s.seal "
    "FROM {events} e LEFT JOIN {seals} s ON s.notification_id = e.{pos} "
    "WHERE e.{pos} > {mark} ORDER BY e.{pos}"
)
_SQLITE_HAS_TABLE = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?"
_SQLITE_ANY_EVENT = f"SELECT 1 FROM {SQLITE_EVENTS_TABLE} LIMIT 1"  # noqa: S608
_KEY_ROWS = (
    "SELECT notification_id, key FROM {table} WHERE notification_id <= {mark} "
    "ORDER BY notification_id"
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


def connect_postgres(
    env: dict[str, str], *, autocommit: bool = False, timeout: int = 10
) -> psycopg.Connection[Any]:
    """A connection of its own to the configured PostgreSQL database."""
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=timeout,
        autocommit=autocommit,
    )


class RawStore:
    """The store's tables as stored, on SQLite or PostgreSQL."""

    def __init__(self, settings: Settings) -> None:
        env = make_sqlite_folder(store_env(settings.database_url))
        self.is_postgres = env["PERSISTENCE_MODULE"].endswith("postgres")
        self._env = env
        self.schema = env.get("POSTGRES_SCHEMA", "public")

    # ---- connections -------------------------------------------------------------------
    def _sqlite(self) -> sqlite3.Connection:
        path = self._env["SQLITE_DBNAME"]
        return sqlite3.connect(path, timeout=10, uri=path.startswith("file:"))

    def _postgres(self) -> psycopg.Connection[Any]:
        return connect_postgres(self._env)

    def _table(self, name: str) -> psycopg.sql.Composed:
        return SQL("{}.{}").format(Identifier(self.schema), Identifier(name))

    # ---- reading -----------------------------------------------------------------------
    def crypto_mode(self, setting: CryptoMode) -> CryptoMode:
        """The store's cryptography, as it records it (docs/cryptography.md); an error when
        ``setting`` disagrees. Read only: a new store records its mode when the application
        first opens it."""
        modes = StoreMode(postgres=self.is_postgres, schema=self.schema)
        if self.is_postgres:
            with self._postgres() as pg, pg.cursor() as cur:
                recorded = modes.read(cur)
                has_events = _fetch_one(
                    cur, "SELECT to_regclass(%s) IS NOT NULL", (self._regclass(),)
                ) and _fetch_one(
                    cur, SQL("SELECT 1 FROM {} LIMIT 1").format(
                        self._table(POSTGRES_EVENTS_TABLE)), ()
                )  # fmt: skip
        else:
            with closing(self._sqlite()) as lite:
                lite_cur = lite.cursor()
                recorded = modes.read(lite_cur)
                has_events = bool(
                    _fetch_one(lite_cur, _SQLITE_HAS_TABLE, (SQLITE_EVENTS_TABLE,))
                    and _fetch_one(lite_cur, _SQLITE_ANY_EVENT, ())
                )
        return resolve(recorded, bool(has_events), setting)

    def _regclass(self, table: str = POSTGRES_EVENTS_TABLE) -> str:
        return f'"{self.schema}".{table}'

    def events(self, after: int = 0) -> Iterator[EventRow]:
        """Every stored event after a position, in position order."""
        if self.is_postgres:
            query = SQL(
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                "FROM {} WHERE notification_id > %s ORDER BY notification_id"
            ).format(self._table(POSTGRES_EVENTS_TABLE))
            yield from self._stream_postgres(query, after)
            return
        for row in self._stream_sqlite(_SQLITE_EVENTS, after):
            yield row[0], canonical_originator_id(row[1]), row[2], row[3], row[4]

    def events_at(self, positions: Sequence[int]) -> Iterator[EventRow]:
        """The stored events at these positions (in the order given, which should be sorted)."""
        for start in range(0, len(positions), _BATCH):
            chunk = list(positions[start : start + _BATCH])
            if self.is_postgres:
                query = SQL(
                    "SELECT notification_id, originator_id::text, originator_version, topic, "
                    "state FROM {} WHERE notification_id = ANY(%s) ORDER BY notification_id"
                ).format(self._table(POSTGRES_EVENTS_TABLE))
                with self._postgres() as conn:
                    yield from conn.execute(query, (chunk,)).fetchall()
                continue
            marks = ", ".join("?" for _ in chunk)
            with closing(self._sqlite()) as conn:
                rows = conn.execute(
                    "SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
                    f"FROM {SQLITE_EVENTS_TABLE} WHERE rowid IN ({marks}) ORDER BY rowid",
                    chunk,
                ).fetchall()
            for row in rows:
                yield row[0], canonical_originator_id(row[1]), row[2], row[3], row[4]

    def sealed_events(self, after: int = 0) -> Iterator[list[JoinedRow]]:
        """Every stored event after a position with its seal row, in batches, in position order.

        On PostgreSQL the next batch is fetched by a second thread while this one is checked:
        the driver waits for the server without holding the interpreter."""
        if self.is_postgres:
            query = SQL(
                _JOINED.format(
                    events="{}", seals="{}", mark="%s", pos="notification_id", cast="::text"
                )
            )
            composed = query.format(self._table(POSTGRES_EVENTS_TABLE), self._table(SEALS_TABLE))
            yield from _prefetched(self._batches_postgres(composed, after))
            return
        statement = _JOINED.format(
            events=SQLITE_EVENTS_TABLE, seals=SEALS_TABLE, mark="?", pos="rowid", cast=""
        )
        for batch in self._batches_sqlite(statement, after):
            yield [(r[0], canonical_originator_id(r[1]), *r[2:]) for r in batch]

    def seal_after(self, position: int) -> SealTuple | None:
        """The first seal row after a position."""
        for row in self.seals(position):
            return row
        return None

    def seals(self, after: int = 0) -> Iterator[SealTuple]:
        """Every seal row after a position, in position order."""
        if self.is_postgres:
            query = SQL(_SEAL_SELECT.format(table="{}", mark="%s")).format(self._table(SEALS_TABLE))
            yield from self._stream_postgres(query, after)
        else:
            yield from self._stream_sqlite(_SEAL_SELECT.format(table=SEALS_TABLE, mark="?"), after)

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

    def last_checkpoint(self) -> tuple[int, str] | None:
        """The position and signing time of the latest checkpoint kept in the database."""
        for row in self._query(
            "SELECT notification_id, taken_at FROM {table} "
            "ORDER BY notification_id DESC, taken_at DESC LIMIT 1",
            CHECKPOINTS_TABLE,
        ):
            return int(row[0]), str(row[1])
        return None

    def keys_complete(self, version: str) -> bool:
        """Whether the store says every event has the log's keys of ``version`` (event_keys.py):
        its keys table is there and ``jiebang_store`` holds the keys' marker."""
        marker = KEYS_MARKER.format(version=version)
        if self.is_postgres:
            with self._postgres() as pg, pg.cursor() as cur:
                if not _fetch_one(
                    cur, "SELECT to_regclass(%s) IS NOT NULL", (self._regclass(KEYS_TABLE),)
                ):
                    return False
                query = SQL("SELECT 1 FROM {} WHERE name = %s").format(self._table(STORE_TABLE))
                return bool(_fetch_one(cur, query, (marker,)))
        with closing(self._sqlite()) as lite:
            lite_cur = lite.cursor()
            if not (_fetch_one(lite_cur, _SQLITE_HAS_TABLE, (KEYS_TABLE,))
                    and _fetch_one(lite_cur, _SQLITE_HAS_TABLE, (STORE_TABLE,))):  # fmt: skip
                return False
            statement = f"SELECT 1 FROM {STORE_TABLE} WHERE name = ?"  # noqa: S608
            return bool(_fetch_one(lite_cur, statement, (marker,)))

    def event_keys(self, upto: int) -> Iterator[tuple[int, str]]:
        """Every row of the log's keys up to a position, as (position, key), in position
        order."""
        if self.is_postgres:
            query = SQL(_KEY_ROWS.format(table="{}", mark="%s")).format(self._table(KEYS_TABLE))
            yield from self._stream_postgres(query, upto)
            return
        yield from self._stream_sqlite(_KEY_ROWS.format(table=KEYS_TABLE, mark="?"), upto)

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
        for batch in self._batches_postgres(query, after):
            yield from batch

    def _stream_sqlite(self, statement: str, after: int) -> Iterator[Any]:
        for batch in self._batches_sqlite(statement, after):
            yield from batch

    def _batches_postgres(self, query: psycopg.sql.Composed, after: int) -> Iterator[list[Any]]:
        # Binary rows: ids, versions and bytes arrive as they are, already canonical.
        with self._postgres() as conn, conn.cursor(name="jiebang_audit_stream", binary=True) as cur:
            cur.execute(query, (after,))
            while batch := cur.fetchmany(_BATCH):
                yield batch

    def _batches_sqlite(self, statement: str, after: int) -> Iterator[list[Any]]:
        with closing(self._sqlite()) as conn:
            cur = conn.execute(statement, (after,))
            while batch := cur.fetchmany(_BATCH):
                yield batch


def _fetch_one(cursor: Any, statement: Any, params: tuple[Any, ...]) -> Any:
    """The first column of the first row, or None."""
    row = cursor.execute(statement, params).fetchone()
    return row[0] if row else None


def _prefetched(batches: Iterator[list[Any]], depth: int = 4) -> Iterator[list[Any]]:
    """Batches produced by a background thread, a few ahead of the consumer."""
    queue: Queue[list[Any] | BaseException | None] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: list[Any] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(None)
        except BaseException as e:  # handed to the consumer, raised there
            put(e)

    worker = threading.Thread(target=produce, name="jiebang-verify-fetch", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=30)
