"""Pages of read-model rows: an opaque cursor over a stable order, bounded limits, typed rows.

A cursor encodes the last value of the order column (a log position); a bad one, or a limit
out of range, raises ``InvalidValueError`` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jiebang_es.errors import InvalidValueError
from projections.db import ReadDB
from projections.readstore import ReadStore
from projections.schema import Table
from projections.views import Page

T = TypeVar("T")
MAX_LIMIT = 500
MAX_POSITION = 2**62  # beyond any log, within a PostgreSQL bigint


class CursorState(BaseModel):
    """What a cursor holds: the last position of the page before. Strict, so that a forged
    cursor (``{"after": true}``, a string, a float, a number past any log) is refused as a bad
    cursor instead of reaching the database."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    after: int = Field(ge=0, le=MAX_POSITION)


def encode_cursor(after: int) -> str:
    state = CursorState(after=after).model_dump_json()
    return base64.urlsafe_b64encode(state.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position after which a page starts; 0 for the first page."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return CursorState.model_validate_json(base64.urlsafe_b64decode(padded.encode())).after
    except (binascii.Error, ValueError, ValidationError):
        raise InvalidValueError("cursor", "not a cursor returned by this list") from None


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidValueError("limit", f"between 1 and {MAX_LIMIT}")


def build_view(cls: type[T], row: dict[str, Any]) -> T:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in row.items() if k in names})


class _TableNames(dict[str, str]):
    """Qualified table names for ``str.format_map``, looked up as they are asked for."""

    def __init__(self, db: ReadDB) -> None:
        super().__init__()
        self.db = db

    def __missing__(self, key: str) -> str:
        return self.db.name(key)


def select(
    db: ReadDB,
    t: Table,
    where: dict[str, Any],
    *,
    order: str,
    extra: str = "",
    params: tuple[Any, ...] = (),
    after: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    clauses = [f'"{k}" = ?' for k, v in where.items() if v is not None]
    values: list[Any] = [v for v in where.values() if v is not None]
    if extra:
        # ``{table}`` in a condition names another read-model table (e.g. a subquery).
        clauses.append(extra.format_map(_TableNames(db)))
        values.extend(params)
    if after is not None:
        clauses.append(f'"{order}" > ?')
        values.append(after)
    columns = ", ".join(f'"{c}"' for c in t.column_names)
    sql = f"SELECT {columns} FROM {db.name(t.name)}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f' ORDER BY "{order}"'
    if limit is not None:
        sql += " LIMIT ?"
        values.append(limit)
    return [t.normalise(dict(zip(t.column_names, r, strict=True))) for r in db.query(sql, values)]


def page(
    store: ReadStore,
    t: Table,
    cls: type[T],
    where: dict[str, Any],
    *,
    order: str,
    cursor: str | None,
    limit: int,
    extra: str = "",
    params: tuple[Any, ...] = (),
    convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Page[T]:
    check_limit(limit)
    after = decode_cursor(cursor)
    with store.db() as db:
        rows = select(
            db, t, where, order=order, extra=extra, params=params, after=after, limit=limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[build_view(cls, convert(r) if convert else r) for r in rows],
        next_cursor=encode_cursor(rows[-1][order]) if more else None,
    )


def one(store: ReadStore, t: Table, cls: type[T], column: str, value: str) -> T | None:
    with store.db() as db:
        rows = select(db, t, {column: value}, order=column)
    return build_view(cls, rows[0]) if rows else None
