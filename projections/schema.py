"""How a read model's tables are declared: columns with one of four portable types.

Types are kept to what SQLite and PostgreSQL both store exactly: text, integers, money
(NUMERIC on PostgreSQL, decimal text on SQLite — never floats), booleans, and JSON documents
(a model's working state, stored as canonical text: sorted keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from operator import itemgetter
from typing import Any, Literal

ColumnType = Literal["text", "int", "money", "bool", "json"]
Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """One column: its name and its portable type."""

    name: str
    type: ColumnType


@dataclass(frozen=True)
class Table:
    """A read model's table: state tables are updated in place, append-only ones only grow."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    append_only: bool = False
    indexes: tuple[tuple[str, ...], ...] = ()

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def complete(self, row: Row) -> Row:
        """Every column present (missing ones None); values as given."""
        return {name: row.get(name) for name in self.column_names}

    @cached_property
    def key_of(self) -> Callable[[Row], tuple[Any, ...]]:
        """The row's key: ``key_of(row)``, one C-level lookup per column (called per change)."""
        if len(self.key) == 1:
            (name,) = self.key
            return lambda row: (row[name],)
        return itemgetter(*self.key)

    def normalise(self, row: Row) -> Row:
        """Every column present (missing ones None), values in their Python types."""
        return {c.name: to_python(c.type, row.get(c.name)) for c in self.columns}


def table(
    name: str,
    spec: str,
    *,
    key: tuple[str, ...],
    append_only: bool = False,
    indexes: tuple[tuple[str, ...], ...] = (),
) -> Table:
    """Declare a table from ``"a, b:int, c:money, d:bool"`` (untyped columns are text)."""
    columns = []
    for part in spec.split(","):
        col_name, _, col_type = part.strip().partition(":")
        columns.append(Column(col_name, _column_type(col_type or "text")))
    t = Table(name, tuple(columns), key, append_only, indexes)
    unknown = set(key) - set(t.column_names)
    if unknown:
        raise ValueError(f"table {name}: key columns {sorted(unknown)} are not declared")
    return t


def _column_type(value: str) -> ColumnType:
    if value == "text":
        return "text"
    if value == "int":
        return "int"
    if value == "money":
        return "money"
    if value == "bool":
        return "bool"
    if value == "json":
        return "json"
    raise ValueError(f"unknown column type {value!r}")


def to_python(col_type: ColumnType, value: Any) -> Any:
    """A stored value as the Python value it stands for (Decimal for money, bool for bool)."""
    if value is None:
        return None
    if col_type == "money":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if col_type == "bool":
        return bool(value)
    if col_type == "int":
        return int(value)
    if col_type == "json":
        return json.loads(value) if isinstance(value, str) else value
    return str(value)


def to_stored(col_type: ColumnType, value: Any) -> Any:
    """A Python value as written: JSON documents as canonical text, the rest as they are."""
    if col_type == "json" and value is not None:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return value


def canonical(col_type: ColumnType, value: Any) -> str | int | bool | None:
    """The form a value takes in a checksum: the same for both stores and for live or rebuilt."""
    python = to_python(col_type, value)
    if col_type == "json":
        return to_stored(col_type, python)  # type: ignore[no-any-return]
    if isinstance(python, Decimal):
        return f"{python:.2f}"
    return python  # type: ignore[no-any-return]
