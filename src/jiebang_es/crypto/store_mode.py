"""Which cryptography a store is written with, fixed when the store is created.

The mode is a row of the store's own table ``jiebang_store`` (name ``crypto``), written once, in
the same database as the events (so a backup carries it) and before the first event is sealed:

- a new store (no events yet, no row) takes the configured ``JIEBANG_CRYPTO`` and records it;
- a store that has a row is opened in that mode; a setting that disagrees is refused at startup;
- a store created before modes existed (events, no row) is ``intl``: its seals are SHA-256.

A store is never mixed: nothing writes the row again, and on a hardened PostgreSQL store the
application's role may only read it (ops/postgres/harden.sql).
"""

from __future__ import annotations

from psycopg.sql import SQL, Identifier

from jiebang_es.crypto import CRYPTO_MODES, CryptoMode
from jiebang_es.errors import InvalidValueError

STORE_TABLE = "jiebang_store"
MODE_NAME = "crypto"
SQLITE_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {STORE_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
)
POSTGRES_CREATE = "CREATE TABLE IF NOT EXISTS {}.{} (name text PRIMARY KEY, value text NOT NULL)"


class CryptoModeMismatchError(InvalidValueError):
    """JIEBANG_CRYPTO names another mode than the store was created with."""

    def __init__(self, recorded: CryptoMode, setting: CryptoMode, why: str) -> None:
        super().__init__(
            "JIEBANG_CRYPTO",
            f"the store is written with {recorded!r} cryptography ({why}) but JIEBANG_CRYPTO is "
            f"{setting!r}: a store's mode is fixed when it is created and never mixed; set "
            f"JIEBANG_CRYPTO={recorded} for this store",
        )
        self.recorded = recorded
        self.setting = setting


def parse_mode(value: str) -> CryptoMode:
    for mode in CRYPTO_MODES:
        if value == mode:
            return mode
    raise InvalidValueError("crypto", f"unknown cryptography mode {value!r} in the store")


def resolve(recorded: str | None, has_events: bool, setting: CryptoMode) -> CryptoMode:
    """The store's mode from what it records, or an error when the setting disagrees."""
    if recorded is not None:
        mode = parse_mode(recorded)
        if mode != setting:
            raise CryptoModeMismatchError(mode, setting, "as it records")
        return mode
    if has_events and setting != "intl":
        raise CryptoModeMismatchError("intl", setting, "it was created before modes existed")
    return setting


class StoreMode:
    """Reads and records the mode on one connection's cursor (SQLite or PostgreSQL)."""

    def __init__(self, *, postgres: bool, schema: str = "public") -> None:
        self.postgres = postgres
        self._table = SQL("{}.{}").format(Identifier(schema), Identifier(STORE_TABLE))
        self._regclass = f'"{schema}".{STORE_TABLE}'

    def read(self, cursor: object) -> str | None:
        """The recorded mode; None when the store has no row (or no table: an older store)."""
        c: object = cursor
        if self.postgres:
            row = _fetch(c, SQL("SELECT to_regclass(%s) IS NOT NULL"), (self._regclass,))
            if not row or not row[0]:
                return None
            row = _fetch(c, SQL("SELECT value FROM {} WHERE name = %s").format(self._table),
                         (MODE_NAME,))  # fmt: skip
        else:
            if not _fetch(c, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                          (STORE_TABLE,)):  # fmt: skip
                return None
            row = _fetch(c, f"SELECT value FROM {STORE_TABLE} WHERE name = ?", (MODE_NAME,))  # noqa: S608
        return str(row[0]) if row else None

    def record(self, cursor: object, mode: CryptoMode) -> None:
        """Record the mode unless a row is there already (the first writer wins)."""
        if self.postgres:
            statement: object = SQL(
                "INSERT INTO {} (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING"
            ).format(self._table)
        else:
            statement = f"INSERT OR IGNORE INTO {STORE_TABLE} (name, value) VALUES (?, ?)"  # noqa: S608
        cursor.execute(statement, (MODE_NAME, mode))  # type: ignore[attr-defined]


def _fetch(
    cursor: object, statement: object, params: tuple[object, ...]
) -> tuple[object, ...] | None:
    cursor.execute(statement, params)  # type: ignore[attr-defined]
    row = cursor.fetchone()  # type: ignore[attr-defined]
    if row is None:
        return None
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
