"""What a read model is: tables, and a function from one event to changes of their rows.

A model never reads the database while it applies events: its state tables are held in memory
(``Rows``), loaded once, changed by events, and written back with the batch's tracking position
in one transaction. Append-only tables (the audit index, the ledger of payments) only grow, so
they are never loaded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, ClassVar

from jiebang_es.domain.base import JiebangAggregate
from projections.schema import Row, Table

Event = JiebangAggregate.Event
Handler = Callable[[Any, int, "Rows"], None]


class Rows:
    """A model's rows during a batch: the state tables in memory, the changes to write."""

    def __init__(self, tables: tuple[Table, ...]) -> None:
        self.tables = {t.name: t for t in tables}
        self.data: dict[str, dict[tuple[Any, ...], Row]] = {
            t.name: {} for t in tables if not t.append_only
        }
        self.dirty: dict[str, set[tuple[Any, ...]]] = {n: set() for n in self.data}
        self.deleted: dict[str, set[tuple[Any, ...]]] = {n: set() for n in self.data}
        self.appended: dict[str, list[Row]] = {t.name: [] for t in tables if t.append_only}

    def load(self, table_name: str, rows: list[Row]) -> None:
        t = self.tables[table_name]
        self.data[table_name] = {t.key_of(r): r for r in rows}

    def get(self, table_name: str, *key: Any) -> Row | None:
        return self.data[table_name].get(key)

    def put(self, table_name: str, row: Row) -> Row:
        """Insert or replace a whole row."""
        t = self.tables[table_name]
        row = t.complete(row)
        key = t.key_of(row)
        self.data[table_name][key] = row
        self.dirty[table_name].add(key)
        self.deleted[table_name].discard(key)
        return row

    def update(self, table_name: str, key: tuple[Any, ...], **changes: Any) -> Row | None:
        """Change some columns of an existing row; None when there is no such row."""
        row = self.data[table_name].get(key)
        if row is None:
            return None
        row.update(changes)
        self.dirty[table_name].add(key)
        return row

    def delete(self, table_name: str, *key: Any) -> None:
        if self.data[table_name].pop(key, None) is not None:
            self.dirty[table_name].discard(key)
            self.deleted[table_name].add(key)

    def where(self, table_name: str, **match: Any) -> Iterator[Row]:
        """Rows of a state table whose columns equal the given values."""
        for row in list(self.data[table_name].values()):
            if all(row.get(k) == v for k, v in match.items()):
                yield row

    def append(self, table_name: str, row: Row) -> None:
        # Written by column name, missing columns as NULL: no need to complete the row here.
        self.appended[table_name].append(row)

    def clear_changes(self) -> None:
        for n in self.dirty:
            self.dirty[n].clear()
            self.deleted[n].clear()
        for rows in self.appended.values():
            rows.clear()


class ReadModel(ABC):
    """One read model: its name, its tables, and a handler per event class."""

    name: ClassVar[str]
    title: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]

    def __init__(self) -> None:
        self.handlers: dict[type, Handler] = self.handle()

    @abstractmethod
    def handle(self) -> dict[type, Handler]:
        """The event classes this model reads, each with its handler."""

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(event, position, rows)


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
