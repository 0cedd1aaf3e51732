"""The library's application recorders, extended to seal every event and to keep idempotency
keys, each in the same transaction as the events they belong to.

Both stores serialise writers before the seal is computed (PostgreSQL: the library's
``LOCK TABLE … IN EXCLUSIVE MODE``; SQLite: the write lock taken by the first insert), so
reading the last seal inside the transaction gives the one commit order that the notification
ids already follow (DESIGN.md §2, §3).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.digests import hash_function
from jiebang_es.crypto.store_mode import POSTGRES_CREATE, SQLITE_CREATE, STORE_TABLE
from jiebang_es.group_commit import GroupCommit, Ticket
from jiebang_es.sealing import (
    GENESIS,
    SEAL_TAG,
    SealRow,
    canonical_originator_id,
    chain,
    event_digest,
    seal_rows,
)

# (notification id, originator id, originator version, topic, state): one event of the log.
LogRow = tuple[int, uuid.UUID, int, str, bytes]
SEALS_TABLE = "jiebang_seals"
REQUESTS_TABLE = "jiebang_requests"
CHECKPOINTS_TABLE = "jiebang_checkpoints"
# jiebang_store's row that says every event has the keys of a version (event_keys.KEYS_VERSION):
# one row per version, only ever added, as the append-only store table allows (harden.sql).
KEYS_MARKER = "event_keys/{version}"
KEYS_TABLE = "jiebang_event_keys"  # the events a question needs, by key (event_keys.py)


@dataclass(frozen=True)
class RequestToKeep:
    """An idempotency key with its request's fingerprint and the receipt to replay."""

    key: str
    fingerprint: str
    receipt: dict[str, Any]


@dataclass
class SaveNote:
    """Passed with a save: what to keep beside the events, and what the recorder sealed."""

    request: RequestToKeep | None = None
    # (originator id, originator version, key) of each key of the events saved (event_keys.py)
    keys: list[tuple[uuid.UUID, int, str]] = field(default_factory=list)
    seals: list[SealRow] = field(default_factory=list)


def _kept_request(
    fingerprint: str, receipt: str, position: int, seal: bytes
) -> tuple[str, dict[str, Any]]:
    """A kept request as both stores read it back: the receipt is completed with the position
    and seal of its last event, which live in the seal table, not twice."""
    return fingerprint, json.loads(receipt) | {"position": position, "seal": bytes(seal).hex()}


def _sealed(
    note: SaveNote | None,
    stored_events: Sequence[StoredEvent],
    positions: Sequence[int],
    last: tuple[int, bytes] | None,
    mode: CryptoMode = "intl",
) -> list[SealRow]:
    previous_position, previous_seal = last or (0, GENESIS)
    rows = seal_rows(
        previous_position,
        previous_seal,
        [
            (p, s.originator_id, s.originator_version, s.topic, s.state)
            for p, s in zip(positions, stored_events, strict=True)
        ],
        mode,
    )
    if note is not None:
        note.seals = rows
    return rows


def _key_rows(
    note: SaveNote | None, stored_events: Sequence[StoredEvent], positions: Sequence[int]
) -> list[tuple[str, int]]:
    """(key, position) of each key the save's note names for its events."""
    if note is None or not note.keys:
        return []
    at = {
        (canonical_originator_id(s.originator_id), s.originator_version): p
        for p, s in zip(positions, stored_events, strict=True)
    }
    return [(key, at[canonical_originator_id(i), v]) for i, v, key in note.keys]


def _notification(row: Sequence[Any], originator_id: Any) -> Notification:
    """An event read by key: (position, originator id, version, topic, state)."""
    return Notification(
        id=int(row[0]),
        originator_id=originator_id,
        originator_version=int(row[2]),
        topic=row[3],
        state=bytes(row[4]),
    )


def _has_keys(cursor: Any, statement: Any, version: str) -> bool:
    """Whether jiebang_store says every event has the keys of ``version``."""
    cursor.execute(statement, (KEYS_MARKER.format(version=version),))
    return cursor.fetchone() is not None


# The table names are constants of this module, never input: the f-strings below are safe.
_SQLITE_LAST_SEAL = (
    f"SELECT notification_id, seal FROM {SEALS_TABLE} ORDER BY notification_id DESC LIMIT 1"  # noqa: S608
)
_SQLITE_INSERT_SEAL = f"INSERT INTO {SEALS_TABLE} VALUES (?,?,?,?,?,?)"  # noqa: S608
_SQLITE_INSERT_REQUEST = f"INSERT INTO {REQUESTS_TABLE} VALUES (?,?,?,?)"  # noqa: S608
_SQLITE_PROBE_WRITE = f"INSERT INTO {REQUESTS_TABLE} VALUES (?, '', '{{}}', 0)"  # noqa: S608
_SQLITE_SELECT_REQUEST = (
    "SELECT r.fingerprint, r.receipt, r.notification_id, s.seal "  # noqa: S608
    f"FROM {REQUESTS_TABLE} r JOIN {SEALS_TABLE} s USING (notification_id) "
    "WHERE r.request_key=?"
)
_SQLITE_INSERT_KEY = f"INSERT OR IGNORE INTO {KEYS_TABLE} VALUES (?,?)"  # noqa: S608
_SQLITE_HAS_KEYS = f"SELECT value FROM {STORE_TABLE} WHERE name = ?"  # noqa: S608
_SQLITE_RECORD_HAS_KEYS = f"INSERT OR IGNORE INTO {STORE_TABLE} VALUES (?, 'complete')"  # noqa: S608
_SQLITE_KEYS_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
_SQLITE_SELECT_SEAL = (
    f"SELECT notification_id, seal FROM {SEALS_TABLE} "  # noqa: S608
    "WHERE originator_id=? AND originator_version=?"
)


class _GroupCommitting(ApplicationRecorder):
    """Both recorders: concurrent commands saved in shared transactions when enabled."""

    group_commit: GroupCommit | None = None
    # The keys of a stored event (event_keys.py), set by the application that writes them.
    event_keys: Callable[[StoredEvent], tuple[str, ...]] | None = None

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.event_keys is not None:
            # Found before the table lock is taken: reading the bytes is the application's work.
            keys = [
                (s.originator_id, s.originator_version, key)
                for s in stored_events
                for key in self.event_keys(s)
            ]
            if keys:
                note = kwargs.get("note") or SaveNote()
                note.keys = keys
                kwargs["note"] = note
        if self.group_commit is None or not stored_events or kwargs.get("tracking"):
            return super().insert_events(stored_events, **kwargs)  # type: ignore[safe-super]
        return self.group_commit.insert(stored_events, kwargs)

    def enable_group_commit(self, max_batch: int) -> None:
        """Save concurrent commands in shared transactions of at most ``max_batch`` (1: off)."""
        self.group_commit = (
            GroupCommit(self._insert_batch, self._insert_alone, max_batch)
            if max_batch > 1
            else None
        )

    def _insert_alone(
        self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> Sequence[int] | None:
        return super().insert_events(stored_events, **kwargs)  # type: ignore[safe-super]

    @abstractmethod
    def _insert_batch(self, tickets: list[Ticket]) -> None:
        """Save the tickets' events in one transaction, each checked and answered on its own
        ticket (the SQLite and PostgreSQL recorders below)."""


class SealingSQLiteRecorder(_GroupCommitting, SQLiteApplicationRecorder):
    """SQLite: events, their seals and idempotency keys in one transaction."""

    crypto_mode: CryptoMode = "intl"  # the store's recorded mode, set when the store is opened

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {SEALS_TABLE} ("
            "notification_id INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, previous_id INTEGER NOT NULL, "
            "digest BLOB NOT NULL, seal BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {REQUESTS_TABLE} ("
            "request_key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "receipt TEXT NOT NULL, notification_id INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS_TABLE} ("
            "notification_id INTEGER NOT NULL, seal BLOB NOT NULL, taken_at TEXT NOT NULL, "
            "key_id TEXT NOT NULL, signature BLOB NOT NULL, "
            "PRIMARY KEY (notification_id, key_id))",
            f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} ("
            "key TEXT NOT NULL, notification_id INTEGER NOT NULL, "
            "PRIMARY KEY (key, notification_id)) WITHOUT ROWID",
            SQLITE_CREATE,
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if not stored_events or positions is None:
            return positions
        note: SaveNote | None = kwargs.get("note")
        # The write lock is held since the first insert: no other writer can seal in between.
        c.execute(_SQLITE_LAST_SEAL)
        row = c.fetchone()
        last = (row[0], bytes(row[1])) if row else None
        rows = _sealed(note, stored_events, positions, last, self.crypto_mode)
        values = [
            (r.position, r.originator_id, r.originator_version, r.previous_position,
             r.digest, r.seal)
            for r in rows
        ]  # fmt: skip
        if len(values) == 1:  # most commands record one event; execute() is the cheaper call
            c.execute(_SQLITE_INSERT_SEAL, values[0])
        else:
            c.executemany(_SQLITE_INSERT_SEAL, values)
        if note is not None and note.request is not None:
            c.execute(
                _SQLITE_INSERT_REQUEST,
                (note.request.key, note.request.fingerprint, json.dumps(note.request.receipt),
                 rows[-1].position),
            )  # fmt: skip
        keys = _key_rows(note, stored_events, positions)
        if keys:
            c.executemany(_SQLITE_INSERT_KEY, keys)
        return positions

    def _insert_batch(self, tickets: list[Ticket]) -> None:
        """Several commands in one transaction and one commit, each in a savepoint: a command
        the store refuses (its aggregate version taken) is rolled back alone and left unsaved,
        to be saved alone; the others' events are sealed in arrival order."""
        found: list[tuple[Ticket, Sequence[int] | None]] = []
        with self.datastore.transaction(commit=True) as c:
            for t in tickets:
                c.execute("SAVEPOINT jiebang_command")
                try:
                    positions = self._insert_events(c, t.events, **t.kwargs)
                except sqlite3.IntegrityError:
                    c.execute("ROLLBACK TO jiebang_command")
                    c.execute("RELEASE jiebang_command")
                    continue
                c.execute("RELEASE jiebang_command")
                found.append((t, positions))
        for t, positions in found:
            t.positions, t.saved = positions, True

    def probe_write(self) -> None:
        """Write one row and roll it back: raises when the store cannot take writes."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(_SQLITE_PROBE_WRITE, (_probe_key(),))

    def select_request(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """The fingerprint and receipt kept under an idempotency key."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(_SQLITE_SELECT_REQUEST, (key,))
            row = c.fetchone()
        return _kept_request(row[0], row[1], row[2], row[3]) if row else None

    def select_seal(self, originator_id: str, version: int) -> tuple[int, bytes] | None:
        """The log position and seal of one stored event, if it is stored."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(_SQLITE_SELECT_SEAL, (canonical_originator_id(originator_id), version))
            row = c.fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def select_keyed(self, key: str, after: int, limit: int) -> list[Notification]:
        """Up to ``limit`` events recorded under a key (event_keys.py), after a position."""
        statement = (
            "SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state "  # noqa: S608
            f"FROM {KEYS_TABLE} k JOIN {self.events_table_name} e ON e.rowid = k.notification_id "
            "WHERE k.key = ? AND k.notification_id > ? ORDER BY k.notification_id LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, (key, after, limit))
            return [_notification(row, self.convert_originator_id(row[1])) for row in c.fetchall()]

    def has_keys(self, version: str) -> bool:
        """Whether every event of the log has the keys of ``version``."""
        with self.datastore.transaction(commit=False) as c:
            return _has_keys(c, _SQLITE_HAS_KEYS, version)

    def keys_writable(self) -> bool:
        """Whether the keys table is there to be written (not when tables are not created)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(_SQLITE_KEYS_TABLE, (KEYS_TABLE,))
            return c.fetchone() is not None

    def record_keys(self, keys: Sequence[tuple[str, int]], version: str | None = None) -> None:
        """Keys of events already stored (kept once), and then, given, that every event has
        the keys of ``version``."""
        with self.datastore.transaction(commit=True) as c:
            if keys:
                c.executemany(_SQLITE_INSERT_KEY, keys)
            if version is not None:
                c.execute(_SQLITE_RECORD_HAS_KEYS, (KEYS_MARKER.format(version=version),))


class SealingPostgresRecorder(_GroupCommitting, PostgresApplicationRecorder):
    """PostgreSQL: events, their seals and idempotency keys in one transaction."""

    crypto_mode: CryptoMode = "intl"  # the store's recorded mode, set when the store is opened

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        seals, requests, checkpoints, keys = (
            Identifier(t) for t in (SEALS_TABLE, REQUESTS_TABLE, CHECKPOINTS_TABLE, KEYS_TABLE)
        )
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                "notification_id bigint PRIMARY KEY, originator_id text NOT NULL, "
                "originator_version bigint NOT NULL, previous_id bigint NOT NULL, "
                "digest bytea NOT NULL, seal bytea NOT NULL)"
            ).format(schema, seals),
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                "request_key text PRIMARY KEY, fingerprint text NOT NULL, "
                "receipt text NOT NULL, notification_id bigint NOT NULL)"
            ).format(schema, requests),
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                "notification_id bigint NOT NULL, seal bytea NOT NULL, taken_at text NOT NULL, "
                "key_id text NOT NULL, signature bytea NOT NULL, "
                "PRIMARY KEY (notification_id, key_id))"
            ).format(schema, checkpoints),
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                "key text NOT NULL, notification_id bigint NOT NULL, "
                "PRIMARY KEY (key, notification_id))"
            ).format(schema, keys),
            SQL(POSTGRES_CREATE).format(schema, Identifier(STORE_TABLE)),
        ]
        # One statement inserts the events, seals them (the chain computed by the database from
        # the last seal, in notification order) and keeps the idempotency key: sealing adds no
        # round trip, and if anything in it fails, the whole statement fails with that error.
        template = (
            "WITH RECURSIVE "
            "ins AS (INSERT INTO {s}.{events} (originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%(events)s::{s}.{event_type}[]) "
            "RETURNING notification_id, originator_id, originator_version), "
            "numbered AS (SELECT i.notification_id, i.originator_id, i.originator_version, "
            "d.digest, row_number() OVER (ORDER BY i.notification_id) AS n FROM ins i "
            "JOIN unnest(%(ids)s::{id_type}[], %(versions)s::bigint[], %(digests)s::bytea[]) "
            "AS d(originator_id, originator_version, digest) "
            "ON d.originator_id = i.originator_id "
            "AND d.originator_version = i.originator_version), "
            "last AS (SELECT notification_id, seal FROM {s}.{seals} "
            "ORDER BY notification_id DESC LIMIT 1), "
            "chain AS (SELECT n.n, n.notification_id, "
            "COALESCE((SELECT notification_id FROM last), 0) AS previous_id, "
            "sha256(%(tag)s || COALESCE((SELECT seal FROM last), %(genesis)s) || n.digest) AS seal "
            "FROM numbered n WHERE n.n = 1 "
            "UNION ALL SELECT n.n, n.notification_id, c.notification_id, "
            "sha256(%(tag)s || c.seal || n.digest) FROM chain c JOIN numbered n ON n.n = c.n + 1), "
            "sealed AS (INSERT INTO {s}.{seals} (notification_id, originator_id, "
            "originator_version, previous_id, digest, seal) "
            "SELECT c.notification_id, n.originator_id::text, n.originator_version, "
            "c.previous_id, n.digest, c.seal FROM chain c JOIN numbered n ON n.n = c.n "
            "RETURNING notification_id, previous_id, digest, seal){request}{keyed} "
            "SELECT notification_id, previous_id, digest, seal FROM sealed ORDER BY notification_id"
        )
        names = {
            "s": schema,
            "events": Identifier(self.events_table_name),
            "event_type": Identifier(self.stored_event_type_name),
            "id_type": SQL(self.datastore.originator_id_type),
            "seals": seals,
        }
        keep_request = SQL(
            ", req AS (INSERT INTO {s}.{requests} (request_key, fingerprint, receipt, "
            "notification_id) SELECT %(key)s, %(fingerprint)s, %(receipt)s, "
            "MAX(notification_id) FROM ins)"
        ).format(s=schema, requests=requests)
        # One event (most commands): the same, without the recursion over several.
        single = (
            "WITH ins AS (INSERT INTO {s}.{events} (originator_id, originator_version, topic, "
            "state) SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%(events)s::{s}.{event_type}[]) RETURNING notification_id), "
            "last AS (SELECT notification_id, seal FROM {s}.{seals} "
            "ORDER BY notification_id DESC LIMIT 1), "
            "sealed AS (INSERT INTO {s}.{seals} (notification_id, originator_id, "
            "originator_version, previous_id, digest, seal) "
            "SELECT ins.notification_id, %(id)s, %(version)s, "
            "COALESCE((SELECT notification_id FROM last), 0), %(digest)s, "
            "sha256(%(tag)s || COALESCE((SELECT seal FROM last), %(genesis)s) || %(digest)s) "
            "FROM ins RETURNING notification_id, previous_id, digest, seal){request}{keyed} "
            "SELECT notification_id, previous_id, digest, seal FROM sealed"
        )
        # The keys of the events (event_keys.py), when any has some: in the same statement.
        keep_keys = {
            True: SQL(
                ", keyed AS (INSERT INTO {s}.{keys} (key, notification_id) "
                "SELECT k.key, i.notification_id FROM ins i "
                "JOIN unnest(%(key_ids)s::{id_type}[], %(key_versions)s::bigint[], "
                "%(keys)s::text[]) AS k(originator_id, originator_version, key) "
                "ON k.originator_id = i.originator_id "
                "AND k.originator_version = i.originator_version)"
            ).format(s=schema, keys=keys, id_type=names["id_type"]),
            False: SQL(
                ", keyed AS (INSERT INTO {s}.{keys} (key, notification_id) "
                "SELECT k.key, ins.notification_id FROM ins, unnest(%(keys)s::text[]) AS k(key))"
            ).format(s=schema, keys=keys),
        }
        self._insert_sealed = {
            (many, keep, mode, keyed): SQL(
                _seals_given(template if many else single) if mode == "sm" else
                (template if many else single)
            ).format(
                request=keep_request if keep else SQL(""),
                keyed=keep_keys[many] if keyed else SQL(""),
                **names,
            )
            for many in (True, False)
            for keep in (True, False)
            for mode in ("intl", "sm")
            for keyed in (True, False)
        }  # fmt: skip
        self._last_seal = SQL(
            "SELECT seal FROM {s}.{seals} ORDER BY notification_id DESC LIMIT 1"
        ).format(s=schema, seals=seals)
        self._probe_write = SQL("INSERT INTO {s}.{requests} VALUES (%s, '', '{{}}', 0)").format(
            s=schema, requests=requests
        )
        self._select_request = SQL(
            "SELECT r.fingerprint, r.receipt, r.notification_id, s.seal FROM {s}.{requests} r "
            "JOIN {s}.{seals} s USING (notification_id) WHERE r.request_key = %s"
        ).format(s=schema, seals=seals, requests=requests)
        self._select_seal = SQL(
            "SELECT notification_id, seal FROM {s}.{seals} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(s=schema, seals=seals)
        self._select_keyed = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM {s}.{keys} k JOIN {s}.{events} e USING (notification_id) "
            "WHERE k.key = %s AND k.notification_id > %s ORDER BY k.notification_id LIMIT %s"
        ).format(s=schema, keys=keys, events=Identifier(self.events_table_name))
        self._insert_key = SQL(
            "INSERT INTO {s}.{keys} (key, notification_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
        ).format(s=schema, keys=keys)
        store = SQL("{}.{}").format(schema, Identifier(STORE_TABLE))
        self._has_keys = SQL("SELECT value FROM {} WHERE name = %s").format(store)
        self._record_has_keys = SQL(
            "INSERT INTO {} (name, value) VALUES (%s, 'complete') ON CONFLICT DO NOTHING"
        ).format(store)
        # An application role on a hardened store (ops/postgres/harden.sql) may lack the table
        # or the right to add to it.
        self._keys_writable = SQL(
            "SELECT to_regclass(%(t)s) IS NOT NULL AND has_table_privilege(%(t)s, 'INSERT')"
        )
        self._keys_regclass = f'"{self.datastore.schema}".{KEYS_TABLE}'
        self._select_log = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {s}.{events} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(s=schema, events=Identifier(self.events_table_name))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # As the library does: the table lock first (commit order = notification order).
        self._lock_table(curs)
        self._notify_channel(curs)
        self._insert_sealed_events(curs, stored_events, kwargs.get("note"))

    def _insert_sealed_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], note: SaveNote | None
    ) -> None:
        """One command's events, their seals (computed by the database from the last seal in
        this transaction; in `sm` mode here, under the same lock) and its idempotency key: one
        statement, the lock held."""
        h = hash_function(self.crypto_mode)
        digests = [
            event_digest(s.originator_id, s.originator_version, s.topic, s.state, h)
            for s in stored_events
        ]
        params: dict[str, Any] = {
            "events": [
                self.construct_pg_stored_event(
                    s.originator_id, s.originator_version, s.topic, s.state
                )
                for s in stored_events
            ],
            "tag": SEAL_TAG,
            "genesis": GENESIS,
        }
        many = len(stored_events) > 1
        if many:
            params |= {
                "ids": [s.originator_id for s in stored_events],
                "versions": [s.originator_version for s in stored_events],
                "digests": digests,
            }
        else:
            first = stored_events[0]
            params |= {
                "id": canonical_originator_id(first.originator_id),
                "version": first.originator_version,
                "digest": digests[0],
            }
        request = note.request if note is not None else None
        if request is not None:
            params |= {
                "key": request.key,
                "fingerprint": request.fingerprint,
                "receipt": json.dumps(request.receipt),
            }
        keys = note.keys if note is not None else []
        if keys and many:
            params |= {
                "key_ids": [i for i, _, _ in keys],
                "key_versions": [v for _, v, _ in keys],
                "keys": [k for _, _, k in keys],
            }
        elif keys:
            params["keys"] = [k for _, _, k in keys]
        if self.crypto_mode == "sm":
            params |= self._seals_under_lock(curs, digests, many)
        statement = self._insert_sealed[many, request is not None, self.crypto_mode, bool(keys)]
        curs.execute(statement, params)

    def _seals_under_lock(
        self, curs: Cursor[DictRow], digests: list[bytes], many: bool
    ) -> dict[str, Any]:
        """SM3 seals, computed here: PostgreSQL has no SM3 without the pgcrypto extension
        (docs/cryptography.md). The table lock is held, so the last seal cannot change before
        the insert that follows, in the same transaction."""
        curs.execute(self._last_seal)
        row = curs.fetchone()
        seal = bytes(row["seal"]) if row else GENESIS
        seals = []
        for digest in digests:
            seal = chain(seal, digest, hash_function("sm"))
            seals.append(seal)
        return {"seals": seals} if many else {"seal": seals[0]}

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        rows = curs.fetchall()
        if len(rows) != len(stored_events):
            raise ProgrammingError(f"sealed {len(rows)} of {len(stored_events)} events")
        note: SaveNote | None = kwargs.get("note")
        if note is not None:
            note.seals = [
                SealRow(
                    position=int(r["notification_id"]),
                    originator_id=canonical_originator_id(s.originator_id),
                    originator_version=s.originator_version,
                    previous_position=int(r["previous_id"]),
                    digest=bytes(r["digest"]),
                    seal=bytes(r["seal"]),
                )
                for r, s in zip(rows, stored_events, strict=True)
            ]
        return [int(r["notification_id"]) for r in rows]

    def _insert_batch(self, tickets: list[Ticket]) -> None:
        """Several commands in one transaction: one lock, one NOTIFY, one commit; each
        command's statement seals its events after the previous command's, in arrival order."""
        error: Exception | None = None
        found: list[Sequence[int] | None] = []
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.pipeline() as pipeline:
                try:
                    with conn.cursor() as curs:
                        self._lock_table(curs)
                        self._notify_channel(curs)
                    cursors = []
                    for t in tickets:
                        curs = conn.cursor()
                        cursors.append(curs)
                        self._insert_sealed_events(curs, t.events, t.kwargs.get("note"))
                    pipeline.sync()
                    for t, curs in zip(tickets, cursors, strict=True):
                        ids = self._fetch_ids_after_insert_events(curs, t.events, **t.kwargs)
                        found.append(ids)
                        curs.close()
                except Exception as e:
                    error = e
            if error is not None:
                raise error  # inside the transaction: nothing of the batch is kept
        for t, positions in zip(tickets, found, strict=True):
            t.positions, t.saved = positions, True

    def probe_write(self) -> None:
        """Write one row and roll it back: raises when the store cannot take writes."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._probe_write, (_probe_key(),))

    def select_request(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """The fingerprint and receipt kept under an idempotency key."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_request, (key,), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return _kept_request(
            row["fingerprint"], row["receipt"], row["notification_id"], row["seal"]
        )

    def select_seal(self, originator_id: str, version: int) -> tuple[int, bytes] | None:
        """The log position and seal of one stored event, if it is stored."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_seal, (canonical_originator_id(originator_id), version))
            row = curs.fetchone()
        return (int(row["notification_id"]), bytes(row["seal"])) if row else None

    def select_keyed(self, key: str, after: int, limit: int) -> list[Notification]:
        """Up to ``limit`` events recorded under a key (event_keys.py), after a position."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._select_keyed, (key, after, limit), prepare=True)
            return [_notification(row, row[1]) for row in curs.fetchall()]

    def has_keys(self, version: str) -> bool:
        """Whether every event of the log has the keys of ``version``."""
        with self.datastore.transaction(commit=False) as curs:
            return _has_keys(curs, self._has_keys, version)

    def keys_writable(self) -> bool:
        """Whether the keys table is there and this role may add to it."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._keys_writable, {"t": self._keys_regclass})
            row = curs.fetchone()
        return bool(row and next(iter(row.values())))

    def record_keys(self, keys: Sequence[tuple[str, int]], version: str | None = None) -> None:
        """Keys of events already stored (kept once), and then, given, that every event has
        the keys of ``version``."""
        with self.datastore.transaction(commit=True) as curs:
            if keys:
                curs.executemany(self._insert_key, keys)
            if version is not None:
                curs.execute(self._record_has_keys, (KEYS_MARKER.format(version=version),))

    def select_log(self, after: int, limit: int) -> list[LogRow]:
        """Up to ``limit`` events after position ``after``, in log order, as plain tuples
        (``select_notifications`` without its dictionary rows and notification objects: the
        read models' rebuild reads every event of the log through this)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._select_log, (after, limit), prepare=True, binary=True)
            return curs.fetchall()


# In `sm` mode the seals come computed (_seals_under_lock): the SQL takes them as given.
_SHA256_SEALS = {
    "sha256(%(tag)s || COALESCE((SELECT seal FROM last), %(genesis)s) || n.digest) AS seal ":
        "(%(seals)s::bytea[])[n.n::int] AS seal ",
    "sha256(%(tag)s || c.seal || n.digest) FROM": "(%(seals)s::bytea[])[n.n::int] FROM",
    "sha256(%(tag)s || COALESCE((SELECT seal FROM last), %(genesis)s) || %(digest)s) ":
        "%(seal)s ",
}  # fmt: skip


def _seals_given(statement: str) -> str:
    """The sealing statement with every SHA-256 seal replaced by the one computed for it."""
    replaced = statement
    for computed, given in _SHA256_SEALS.items():
        replaced = replaced.replace(computed, given)
    if "sha256(" in replaced:
        raise ProgrammingError("a seal of the statement is still computed with SHA-256")
    return replaced


def _probe_key() -> str:
    # Unique per probe, so that two probes never wait on each other's uncommitted row.
    return f"write-probe/{uuid.uuid4()}"


SealingRecorder = SealingSQLiteRecorder | SealingPostgresRecorder
