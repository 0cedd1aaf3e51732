"""SQLite: the online backup API (``sqlite3.Connection.backup``) — a consistent copy of the
whole file (events, seals, checkpoints, keys and the read models) while the service runs."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from jiebang_es.audit.raw_store import RawStore
from jiebang_es.backup.manifest import Manifest, file_sha256
from jiebang_es.config import Settings
from jiebang_es.errors import InvalidValueError

DATA_FILE = "store.sqlite"


def _connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=30, uri=path.startswith("file:"))


def _last_seal(path: Path) -> tuple[int, str]:
    last = RawStore(Settings(database_url=f"sqlite:///{path}")).last_seal()
    return (last[0], last[1].hex()) if last else (0, "")


def copy(source: str, target: Path) -> None:
    with closing(_connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def create(store_path: str, folder: Path) -> Manifest:
    """Copy the store into ``folder``; the manifest of the copy."""
    target = folder / DATA_FILE
    copy(store_path, target)
    position, seal = _last_seal(target)
    return Manifest(
        store="sqlite",
        file=DATA_FILE,
        sha256=file_sha256(target),
        last_position=position,
        last_seal=seal,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def restore(manifest: Manifest, folder: Path, store_path: str) -> tuple[int, str]:
    """Copy the backup into a new store file (never over an existing one); its last seal."""
    if store_path.startswith("file:") or store_path == ":memory:":
        raise InvalidValueError("JIEBANG_DATABASE_URL", "restore into a plain file path")
    target = Path(store_path)
    if target.exists() and target.stat().st_size > 0:
        raise InvalidValueError(
            "JIEBANG_DATABASE_URL", f"{target} exists: restore into a new file, never over a store"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    copy(str(manifest.check_file(folder)), target)
    return _last_seal(target)
