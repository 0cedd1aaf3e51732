"""SQLite: the online backup API (``sqlite3.Connection.backup``) — a consistent copy of the
whole file (events, seals, checkpoints, keys and the read models) while the service runs — and
the documents' folder beside it (its index by the same API, its objects as files: each is
written once under its digest and never changed)."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from jiebang_es.audit.raw_store import RawStore
from jiebang_es.backup.manifest import Manifest, file_sha256
from jiebang_es.config import Settings
from jiebang_es.errors import InvalidValueError

DATA_FILE = "store.sqlite"
DOCUMENTS_FOLDER = "documents"
DOCUMENTS_INDEX = "index.sqlite"


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


def restore(manifest: Manifest, folder: Path, store_path: str, documents: Path) -> tuple[int, str]:
    """Copy the backup into a new store file (never over an existing one, nor its documents
    over others: ``documents`` is where they will go); its last seal."""
    if store_path.startswith("file:") or store_path == ":memory:":
        raise InvalidValueError("JIEBANG_DATABASE_URL", "restore into a plain file path")
    target = Path(store_path)
    if target.exists() and target.stat().st_size > 0:
        raise InvalidValueError(
            "JIEBANG_DATABASE_URL", f"{target} exists: restore into a new file, never over a store"
        )
    check_documents_target(manifest, documents)
    target.parent.mkdir(parents=True, exist_ok=True)
    copy(str(manifest.check_file(folder)), target)
    return _last_seal(target)


def copy_documents(source: Path, folder: Path) -> str:
    """Copy the documents' folder into the backup (after the store: every document its log
    keeps was kept before the event); the folder's name in the backup, "" when there is none."""
    if not (source / DOCUMENTS_INDEX).is_file():
        return ""
    target = folder / DOCUMENTS_FOLDER
    target.mkdir()
    copy(str(source / DOCUMENTS_INDEX), target / DOCUMENTS_INDEX)
    if (source / "objects").is_dir():
        shutil.copytree(source / "objects", target / "objects")
    return DOCUMENTS_FOLDER


def check_documents_target(manifest: Manifest, target: Path) -> None:
    """Refuse before anything is restored when the documents would land on others."""
    if manifest.documents and (target / DOCUMENTS_INDEX).exists():
        raise InvalidValueError(
            "JIEBANG_DOCUMENTS_DIR", f"{target} holds documents: restore into a new folder"
        )


def check_documents_source(manifest: Manifest, folder: Path) -> None:
    """Refuse before anything is restored when the backup lacks the documents it names."""
    if manifest.documents and not (folder / manifest.documents / DOCUMENTS_INDEX).is_file():
        source = folder / manifest.documents
        raise InvalidValueError("PATH", f"{source} is missing: the backup lacks its documents")


def restore_documents(manifest: Manifest, folder: Path, target: Path) -> None:
    """Copy the backup's documents into the restored store's folder."""
    if not manifest.documents:
        return
    check_documents_source(manifest, folder)
    shutil.copytree(folder / manifest.documents, target, dirs_exist_ok=True)
