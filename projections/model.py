"""What a read model is: tables, and a function from one event to changes of their rows.

A model changes rows in memory (``Rows``): a bounded cache of its state tables, filled from the
database on a miss, written back with the batch's tracking position in one transaction. A Bloom
filter of each table's keys answers "no such row" without a query, so creating a row costs no
read. Append-only tables (the audit index, the ledger of payments) only grow: never read back.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, ClassVar

from jiebang_es.domain.base import JiebangAggregate
from projections.schema import Row, Table

Event = JiebangAggregate.Event
Handler = Callable[[Any, int, "Rows"], None]


Loader = Callable[[Table, tuple[Any, ...]], "Row | None"]
CACHE_ROWS = 5_000  # rows kept per table between batches (the working set of a log is small)


class KeyFilter:
    """A Bloom filter over a table's keys: ``key not in f`` means the table has no such row.

    Sized to the keys it is meant to hold (ten bits and four probes a key: about 1 % false
    positives); ``crowded`` once it holds more than that, when the owner builds a larger one
    from the table's keys (``Projector.reload``), so the rate stays low as a log grows."""

    MIN_BITS = 1 << 21  # 256 KiB: room for about 200,000 keys
    BITS_PER_KEY = 10
    PROBES = 4

    def __init__(self, capacity: int = 0) -> None:
        bits = self.MIN_BITS
        while bits < capacity * self.BITS_PER_KEY:
            bits <<= 1
        self.mask = bits - 1
        self.capacity = bits // self.BITS_PER_KEY
        self.count = 0
        self.bits = bytearray(bits // 8)

    def _slots(self, key: tuple[Any, ...]) -> tuple[int, int, int, int]:
        # Double hashing over the two halves of one 64-bit hash (PROBES slots, unrolled).
        h = hash(key)
        step, mask = (h >> 32) | 1, self.mask
        return (h & mask, (h + step) & mask, (h + 2 * step) & mask, (h + 3 * step) & mask)

    def add(self, key: tuple[Any, ...]) -> None:
        bits = self.bits
        for slot in self._slots(key):
            bits[slot >> 3] |= 1 << (slot & 7)
        self.count += 1

    def __contains__(self, key: tuple[Any, ...]) -> bool:
        # Asked for every row a batch reads: unrolled, and most answers are "no" at the first.
        h = hash(key)
        step, mask, bits = (h >> 32) | 1, self.mask, self.bits
        for i in range(self.PROBES):
            slot = (h + i * step) & mask
            if not bits[slot >> 3] & 1 << (slot & 7):
                return False
        return True

    @property
    def crowded(self) -> bool:
        return self.count > self.capacity


class Rows:
    """A model's rows during a batch: cached state rows, and the changes to write."""

    def __init__(
        self, tables: tuple[Table, ...], loader: Loader | None = None, capacity: int = CACHE_ROWS
    ) -> None:
        self.tables = {t.name: t for t in tables}
        self.loader = loader
        self.capacity = capacity
        self.data: dict[str, dict[tuple[Any, ...], Row]] = {
            t.name: {} for t in tables if not t.append_only
        }
        self.keys = {n: KeyFilter() for n in self.data}
        self.dirty: dict[str, set[tuple[Any, ...]]] = {n: set() for n in self.data}
        self.deleted: dict[str, set[tuple[Any, ...]]] = {n: set() for n in self.data}
        self.appended: dict[str, list[Row]] = {t.name: [] for t in tables if t.append_only}

    def know(self, table_name: str, keys: Iterable[tuple[Any, ...]], count: int = 0) -> None:
        """Keys the table holds in the database (read when the cache starts), ``count`` of
        them: the filter is sized for twice as many, room for the table to grow."""
        self.keys[table_name] = f = KeyFilter(2 * count)
        for key in keys:
            f.add(key)

    @property
    def crowded(self) -> bool:
        """A key filter holds more keys than it was sized for (its false positives grow)."""
        return any(f.crowded for f in self.keys.values())

    def get(self, table_name: str, *key: Any) -> Row | None:
        row = self.data[table_name].get(key)
        if row is not None or self.loader is None:
            return row
        if key not in self.keys[table_name] or key in self.deleted[table_name]:
            return None
        row = self.loader(self.tables[table_name], key)
        if row is not None:
            self.data[table_name][key] = row
        return row

    def put(self, table_name: str, row: Row) -> Row:
        """Insert or replace a whole row."""
        t = self.tables[table_name]
        if len(row) != len(t.column_names):
            row = t.complete(row)
        key = t.key_of(row)
        self.data[table_name][key] = row
        self.keys[table_name].add(key)
        self.dirty[table_name].add(key)
        self.deleted[table_name].discard(key)
        return row

    def update(self, table_name: str, key: tuple[Any, ...], **changes: Any) -> Row | None:
        """Change some columns of an existing row; None when there is no such row."""
        row = self.get(table_name, *key)
        if row is None:
            return None
        row.update(changes)
        self.dirty[table_name].add(key)
        return row

    def delete(self, table_name: str, *key: Any) -> None:
        if self.get(table_name, *key) is not None:
            del self.data[table_name][key]
            self.dirty[table_name].discard(key)
            self.deleted[table_name].add(key)

    def append(self, table_name: str, row: Row) -> None:
        # Written by column name, missing columns as NULL: no need to complete the row here.
        self.appended[table_name].append(row)

    def changed(self, table_name: str) -> list[Row]:
        """The rows to write for a table, in key order."""
        data = self.data[table_name]
        return [data[k] for k in sorted(self.dirty[table_name])]

    def settle(self) -> None:
        """After a commit: forget the changes, and the oldest rows beyond the cache's size."""
        for name, data in self.data.items():
            self.dirty[name].clear()
            self.deleted[name].clear()
            if self.loader is not None and len(data) > self.capacity:
                for key in list(itertools.islice(data, len(data) - self.capacity // 2)):
                    del data[key]
        for rows in self.appended.values():
            rows.clear()


class ReadModel(ABC):
    """One read model: its name, its tables, and a handler per event class."""

    name: ClassVar[str]
    title: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    # Raised when the handlers come to write other rows from the same events (a table's
    # columns are part of the shape already): the stored rows were then written by an earlier
    # version and the model is replayed from the start of the log (see ``shape_of``).
    version: ClassVar[int] = 1

    def __init__(self) -> None:
        self.handlers: dict[type, Handler] = self.handle()

    @abstractmethod
    def handle(self) -> dict[type, Handler]:
        """The event classes this model reads, each with its handler."""

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(event, position, rows)


def shape_of(model: ReadModel | type[ReadModel]) -> str:
    """A digest of what the model writes: its version and each table's name, columns, types,
    key and kind. Stored beside the rows; a store whose rows were written under another shape
    has its model emptied and replayed (``projector.prepare``). Secondary indexes are left
    out: they are brought up to date in place."""
    described = {
        "version": model.version,
        "tables": [
            [t.name, [[c.name, c.type] for c in t.columns], list(t.key), t.append_only]
            for t in model.tables
        ],
    }
    text = json.dumps(described, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def iso(value: datetime | date | None) -> str | None:
    """Times and dates as ISO text: exact, sortable and the same on both stores."""
    return None if value is None else value.isoformat()


def event_type(event: Any) -> str:
    """``Challenge.Drafted``: the aggregate and the event, as stored in the audit index."""
    return type(event).__qualname__


def aggregate_type(event: Any) -> str:
    return type(event).__qualname__.split(".", 1)[0]


def days_between(start: str | None, end: str | None) -> int | None:
    """Whole calendar days between two ISO times (business time)."""
    if start is None or end is None:
        return None
    return (datetime.fromisoformat(end).date() - datetime.fromisoformat(start).date()).days
