"""The read side's connection for queries: cheap to open, safe in a threadpool.

PostgreSQL: a psycopg connection pool. SQLite: one connection per thread. Opening it creates
the read tables if no runner has yet, so a query is answered (empty) rather than failing.
``caught_up`` / ``wait_until`` give the API read-your-writes: a command's receipt carries the
log position it reached; a query may wait (bounded) until every read model has reached it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool, PoolTimeout

from jiebang_es.config import Settings
from jiebang_es.errors import StoreUnavailableError
from projections import models as read_models
from projections.db import ReadDB, sqlite_connect, target_of
from projections.projector import prepare

log = structlog.get_logger("jiebang_es.projections")


class ReadStore:
    """Where queries read the read models from."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.target = target_of(settings)
        self.names = read_models.NAMES
        self._local = threading.local()
        self._pool: ConnectionPool[Any] | None = None
        if self.target.kind == "postgres":
            self._pool = ConnectionPool(
                self.target.conninfo,
                min_size=1,
                max_size=max(2, settings.pool_size),
                kwargs={"autocommit": True},
                open=True,
                timeout=settings.connect_timeout,
                # A connection that died with a database restart is replaced, not handed out.
                check=ConnectionPool.check_connection,
            )

    @classmethod
    def open(cls, settings: Settings) -> ReadStore:
        """Open the read store, creating the read tables if they do not exist yet."""
        store = cls(settings)
        try:
            with store.db() as db:
                prepare(db, read_models.build(settings=settings))
        except (sqlite3.OperationalError, psycopg.errors.ReadOnlySqlTransaction) as e:
            if isinstance(e, sqlite3.OperationalError) and "readonly" not in str(e):
                raise
            # A store that takes no writes (read-only file or database) is still served: its
            # read models are read as they are, and prepared (renewed where this code's shape
            # differs) the next time it is opened with writes.
            log.warning("read_models_not_prepared", error=str(e), reason="the store is read-only")
        return store

    @contextmanager
    def db(self) -> Iterator[ReadDB]:
        """A connection for one query (borrowed from the pool, or this thread's own).

        A database that cannot be reached is a 503 for the reader, never a 500."""
        if self._pool is not None:
            try:
                with self._pool.connection() as conn:
                    yield ReadDB(self.target, conn)
            except (psycopg.OperationalError, PoolTimeout) as e:
                raise StoreUnavailableError(f"the read store is unavailable: {e}") from e
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite_connect(self.target.sqlite_path)
            self._local.conn = conn
        yield ReadDB(self.target, conn)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def positions(self) -> dict[str, int]:
        """Each read model's tracking position."""
        with self.db() as db:
            return db.positions(self.names)

    def position(self, names: Sequence[str] | None = None) -> int:
        """The position every (named) read model has reached."""
        positions = self.positions()
        return min(positions[n] for n in (names or self.names))

    def caught_up(self, position: int, names: Sequence[str] | None = None) -> bool:
        """Whether the read models reflect every event up to ``position``."""
        return self.position(names) >= position

    def wait_until(
        self, position: int, timeout_s: float, names: Sequence[str] | None = None
    ) -> bool:
        """Wait (at most ``timeout_s``) until the read models reached ``position``."""
        deadline = time.monotonic() + timeout_s
        pause = 0.002
        while not self.caught_up(position, names):
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        return True
