"""The data subjects' keys, never in the events: a table of the same PostgreSQL database, or a
folder beside the SQLite file on the embedded default (``<database>.keys``).

A key is made the first time a subject's datum is recorded, and destroyed by erasure: then the
subject is remembered as erased (the PostgreSQL row keeps no key, the folder keeps a tombstone
file), so that nothing can record that subject's data in clear or under a new key again.
Keys are cached for ``CACHE_SECONDS`` in the process that reads them: an erasure made by another
process (the CLI while a server runs) is seen there within that time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from jiebang_es.audit.raw_store import connect_postgres
from jiebang_es.config import Settings, store_env
from jiebang_es.errors import RuleViolationError, StoreUnavailableError

CACHE_SECONDS = 2.0


class SubjectErasedError(RuleViolationError):
    """A datum of an erased subject cannot be recorded again."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(
            "R-ERASURE",
            f"the personal information of data subject {subject_id} was erased; it is not "
            "recorded again (个人信息已删除)",
        )


class SubjectKeys(Protocol):
    def key(self, subject_id: str) -> bytes | None:
        """The subject's key, or None when it was destroyed or never made."""

    def ensure(self, subject_id: str, new_key: bytes) -> bytes:
        """The subject's key, made from ``new_key`` if it has none; SubjectErasedError when
        the subject was erased."""

    def erased(self, subject_id: str) -> bool: ...

    def destroy(self, subject_id: str) -> bool:
        """Destroy the key and remember the subject as erased; whether a key existed."""


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, bytes | None]] = {}

    def get(self, subject_id: str) -> tuple[bool, bytes | None]:
        with self._lock:
            entry = self._entries.get(subject_id)
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return False, None
        return True, entry[1]

    def put(self, subject_id: str, key: bytes | None) -> None:
        with self._lock:
            self._entries[subject_id] = (time.monotonic(), key)

    def drop(self, subject_id: str) -> None:
        with self._lock:
            self._entries.pop(subject_id, None)


class FolderKeys:
    """One file per subject, named by the SHA-256 of its id (ids never appear as file names);
    ``.erased`` tombstones for the erased."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._cache = _Cache()

    def _path(self, subject_id: str, suffix: str = ".key") -> Path:
        return self.folder / (hashlib.sha256(subject_id.encode()).hexdigest() + suffix)

    def key(self, subject_id: str) -> bytes | None:
        hit, cached = self._cache.get(subject_id)
        if hit:
            return cached
        try:
            found: bytes | None = self._path(subject_id).read_bytes()
        except FileNotFoundError:
            found = None
        self._cache.put(subject_id, found)
        return found

    def erased(self, subject_id: str) -> bool:
        return self._path(subject_id, ".erased").exists()

    def ensure(self, subject_id: str, new_key: bytes) -> bytes:
        existing = self.key(subject_id)
        if existing is not None:
            return existing
        if self.erased(subject_id):
            raise SubjectErasedError(subject_id)
        path = self._path(subject_id)
        fd, spool = tempfile.mkstemp(dir=self.folder, prefix=".new-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(new_key)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(spool, path)  # never overwrites: a concurrent maker's key wins
        finally:
            os.unlink(spool)
        kept = path.read_bytes()
        self._cache.put(subject_id, kept)
        return kept

    def destroy(self, subject_id: str) -> bool:
        path = self._path(subject_id)
        tombstone = self._path(subject_id, ".erased")
        tombstone.write_text(datetime.now(UTC).isoformat(), encoding="utf-8")
        existed = path.exists()
        if existed:
            # Overwritten before unlinking; a journaling or copy-on-write file system and any
            # backup may still hold the old bytes (docs/personal-information.md).
            size = path.stat().st_size
            with path.open("r+b") as f:
                f.write(os.urandom(size))
                f.flush()
                os.fsync(f.fileno())
            path.unlink()
        self._cache.drop(subject_id)
        return existed


class PostgresKeys:
    """The table ``jiebang_subject_keys`` of the events' schema: a row per subject; erasure
    sets its key to NULL and records when."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        create: bool = True,
        datastore: PostgresDatastore | None = None,
    ) -> None:
        self._env = env
        # The event store's pool, where there is one: a lookup that misses the cache borrows a
        # pooled connection instead of opening one of its own (a rebuild reads many subjects).
        self._datastore = datastore
        schema = Identifier(env.get("POSTGRES_SCHEMA", "public"))
        self._table = SQL("{}.{}").format(schema, Identifier("jiebang_subject_keys"))
        self._cache = _Cache()
        if create:
            with self._connect() as conn:
                conn.execute(
                    SQL(
                        "CREATE TABLE IF NOT EXISTS {} (subject_id text PRIMARY KEY, key bytea,"
                        " created_at timestamptz NOT NULL DEFAULT now(), erased_at timestamptz)"
                    ).format(self._table)
                )

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor for one statement or two, committed together: on a connection borrowed
        from the event store's pool, or else on one of its own; an unreachable database or a
        lost connection is a 503, as for the events."""
        try:
            if self._datastore is not None:
                with self._datastore.get_connection() as conn, conn.transaction():
                    yield conn.cursor(row_factory=tuple_row)
                return
            with closing(connect_postgres(self._env, autocommit=True)) as own:
                yield own.cursor(row_factory=tuple_row)
        except (psycopg.OperationalError, PersistenceError) as e:
            if isinstance(e, PersistenceError) and not _unavailable(e):
                raise
            raise StoreUnavailableError(f"the key table is unavailable: {e}") from e

    def _row(self, subject_id: str) -> tuple[bytes | None, bool] | None:
        with self._connect() as conn:
            row = conn.execute(
                SQL("SELECT key, erased_at IS NOT NULL FROM {} WHERE subject_id = %s").format(
                    self._table
                ),
                (subject_id,),
            ).fetchone()
        return None if row is None else (None if row[0] is None else bytes(row[0]), row[1])

    def key(self, subject_id: str) -> bytes | None:
        hit, cached = self._cache.get(subject_id)
        if hit:
            return cached
        row = self._row(subject_id)
        found = None if row is None else row[0]
        self._cache.put(subject_id, found)
        return found

    def erased(self, subject_id: str) -> bool:
        row = self._row(subject_id)
        return row is not None and row[1]

    def ensure(self, subject_id: str, new_key: bytes) -> bytes:
        existing = self.key(subject_id)
        if existing is not None:
            return existing
        with self._connect() as conn:
            conn.execute(
                SQL(
                    "INSERT INTO {} (subject_id, key) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                ).format(self._table),
                (subject_id, new_key),
            )
        row = self._row(subject_id)
        if row is None or row[0] is None:
            raise SubjectErasedError(subject_id)
        self._cache.put(subject_id, row[0])
        return row[0]

    def destroy(self, subject_id: str) -> bool:
        with self._connect() as conn:
            existed = conn.execute(
                SQL("SELECT 1 FROM {} WHERE subject_id = %s AND key IS NOT NULL").format(
                    self._table
                ),
                (subject_id,),
            ).fetchone()
            conn.execute(
                SQL(
                    "INSERT INTO {} (subject_id, key, erased_at) VALUES (%s, NULL, now()) "
                    "ON CONFLICT (subject_id) DO UPDATE SET key = NULL, erased_at = now()"
                ).format(self._table),
                (subject_id,),
            )
        self._cache.drop(subject_id)
        return existed is not None


def keys_dir(settings: Settings) -> Path:
    """Where the SQLite store keeps its subjects' keys: beside the database file."""
    if settings.personal_keys_dir is not None:
        return settings.personal_keys_dir
    path = store_env(settings.database_url)["SQLITE_DBNAME"]
    if path == ":memory:" or path.startswith("file:"):
        # An in-memory store lives as long as the process: so do its keys.
        return Path(tempfile.mkdtemp(prefix="jiebang-keys-"))
    return Path(path + ".keys")


def _unavailable(error: PersistenceError) -> bool:
    """The library's names for a database that cannot be reached or has gone away."""
    from eventsourcing.persistence import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


def open_subject_keys(
    settings: Settings, datastore: PostgresDatastore | None = None
) -> SubjectKeys:
    """The key store of the configured event store (on PostgreSQL, borrowing from the event
    store's pool when it is given)."""
    env = store_env(settings.database_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return PostgresKeys(env, create=settings.create_tables, datastore=datastore)
    return FolderKeys(keys_dir(settings))
