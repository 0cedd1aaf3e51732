"""What is wrong with a store that refused a read or a write: read-only, disk full, unreachable.

The library wraps the driver's error (``PersistenceError`` … ``from e``); the driver's own
error code under it says what is true, so an operator reads "read-only" where it is read-only
and the client's 503 does not claim the store "cannot be reached" when it answered.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterator

import psycopg
from psycopg_pool import PoolTimeout


class StoreFault(enum.StrEnum):
    """Why the store cannot take a write (or answer at all)."""

    READ_ONLY = "read-only"
    DISK_FULL = "disk-full"
    UNREACHABLE = "unreachable"
    FAILED = "failed"

    @property
    def sentence(self) -> str:
        """The fault as a client reads it in a 503."""
        return _SENTENCES[self]


_SENTENCES = {
    StoreFault.READ_ONLY: "the event store is read-only",
    StoreFault.DISK_FULL: "the event store's disk is full",
    StoreFault.UNREACHABLE: "the event store cannot be reached",
    StoreFault.FAILED: "the event store failed",
}
# PostgreSQL SQLSTATEs: 25006 read_only_sql_transaction (also a hot standby), 53100 disk_full,
# class 08 connection exceptions, 57P01-57P03 shutdown / cannot connect now.
_PG_READ_ONLY = {"25006"}
_PG_DISK_FULL = {"53100"}
_PG_GONE = {"57P01", "57P02", "57P03"}


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def fault_of(error: BaseException) -> StoreFault:
    """The fault the driver's error under ``error`` names (``FAILED`` when none is known)."""
    for e in _chain(error):
        if isinstance(e, sqlite3.Error):
            name = getattr(e, "sqlite_errorname", "") or ""
            message = str(e)
            if name.startswith("SQLITE_READONLY") or "readonly database" in message:
                return StoreFault.READ_ONLY
            if name == "SQLITE_FULL" or "database or disk is full" in message:
                return StoreFault.DISK_FULL
            if name.startswith("SQLITE_CANTOPEN") or "unable to open" in message:
                return StoreFault.UNREACHABLE
        if isinstance(e, psycopg.Error):
            state = e.sqlstate or ""
            if state in _PG_READ_ONLY:
                return StoreFault.READ_ONLY
            if state in _PG_DISK_FULL:
                return StoreFault.DISK_FULL
            if state.startswith("08") or state in _PG_GONE:
                return StoreFault.UNREACHABLE
            if isinstance(e, psycopg.OperationalError | psycopg.InterfaceError) and not state:
                return StoreFault.UNREACHABLE  # raised by the client: no server answered
        if isinstance(e, PoolTimeout | ConnectionError):
            return StoreFault.UNREACHABLE
    return StoreFault.FAILED


def is_store_fault(error: BaseException) -> bool:
    """Whether ``error`` is the store's state (it passes; retry) rather than the data's."""
    if fault_of(error) is not StoreFault.FAILED:
        return True
    for e in _chain(error):
        # Lock waits, serialisation failures, deadlocks, a busy SQLite file: a retry succeeds.
        if isinstance(e, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
            return True
    return False
