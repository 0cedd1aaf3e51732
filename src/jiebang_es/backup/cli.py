"""`jiebang backup create PATH` / `jiebang backup restore PATH`: a folder with the copy of the
whole store and its manifest; restored only into a new file or database, then checked against
the manifest (the restored chain must end at its last position and seal)."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from jiebang_es.backup import postgres, sqlite
from jiebang_es.backup.manifest import Manifest
from jiebang_es.cli_store import cli_settings
from jiebang_es.config import Settings, store_env
from jiebang_es.documents.store import documents_dir
from jiebang_es.errors import InvalidValueError, JiebangError
from jiebang_es.logging_setup import configure_logging
from jiebang_es.privacy.keys import keys_dir

backup_cli = typer.Typer(
    help="Backups of the whole store (database tools), and their restore.", no_args_is_help=True
)
KEYS_FOLDER = "keys"
PathArg = Annotated[Path, typer.Argument(help="the backup's folder")]


def _sqlite_path(settings: Settings) -> str | None:
    env = store_env(settings.database_url)
    return env["SQLITE_DBNAME"] if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite" else None


def create_backup(settings: Settings, folder: Path) -> Manifest:
    """Back the configured store up into ``folder`` (new or empty)."""
    if folder.exists() and any(folder.iterdir()):
        raise InvalidValueError("PATH", f"{folder} is not empty: back up into a new folder")
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _fill(settings, folder)
    except BaseException:
        # A backup that failed is not left half-made: the same PATH can be tried again.
        for child in list(folder.iterdir()):
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        if made:
            folder.rmdir()
        raise


def _fill(settings: Settings, folder: Path) -> Manifest:
    path = _sqlite_path(settings)
    manifest = sqlite.create(path, folder) if path else postgres.create(settings, folder)
    if path:
        # The data subjects' keys live beside the SQLite file (PostgreSQL: in the dump); copied
        # after the file, so every key its events need is there (docs/personal-information.md).
        keys = keys_dir(settings)
        if keys.is_dir():
            shutil.copytree(keys, folder / KEYS_FOLDER)
        # The documents' folder likewise (PostgreSQL keeps them in tables of the dump).
        manifest = replace(
            manifest, documents=sqlite.copy_documents(documents_dir(settings), folder)
        )
    manifest.write(folder)
    return manifest


def restore_backup(settings: Settings, folder: Path) -> Manifest:
    """Restore ``folder`` into the configured store (a new file or database)."""
    manifest = Manifest.read(folder)
    path = _sqlite_path(settings)
    if (manifest.store == "sqlite") != (path is not None):
        raise InvalidValueError(
            "JIEBANG_DATABASE_URL", f"the backup is of a {manifest.store} store; configure one"
        )
    if path:
        _restore_sqlite(settings, manifest, folder, path)
    else:
        _check_restored(manifest, postgres.restore(manifest, folder, settings))
    return manifest


def _check_restored(manifest: Manifest, restored: tuple[int, str]) -> None:
    if restored != (manifest.last_position, manifest.last_seal):
        raise InvalidValueError(
            "PATH",
            f"the restored log ends at {restored[0]}, the manifest says {manifest.last_position}",
        )


def _restore_sqlite(settings: Settings, manifest: Manifest, folder: Path, path: str) -> None:
    """All or nothing: what the backup lacks is found before anything is written, and a
    restore that fails part-way takes away what it wrote, so that it can simply be run again."""
    documents = documents_dir(settings)
    sqlite.check_documents_source(manifest, folder)
    written = [Path(path), Path(f"{path}-wal"), Path(f"{path}-shm"), keys_dir(settings), documents]
    new = [p for p in written if not p.exists() or (p.is_file() and p.stat().st_size == 0)]
    try:
        restored = sqlite.restore(manifest, folder, path, documents)
        if (folder / KEYS_FOLDER).is_dir():
            shutil.copytree(folder / KEYS_FOLDER, keys_dir(settings), dirs_exist_ok=True)
        sqlite.restore_documents(manifest, folder, documents)
        _check_restored(manifest, restored)
    except BaseException:
        for p in new:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        raise


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level)
    return settings


@backup_cli.command("create")
def create(path: PathArg) -> None:
    """Copy the whole store (SQLite backup API, or pg_dump) into PATH, with a manifest."""
    try:
        manifest = create_backup(cli_settings(existing=True), path)
    except JiebangError as e:
        typer.echo(f"jiebang backup create: {e}", err=True)
        raise typer.Exit(2) from e
    sys.stdout.write(
        f"backed up {manifest.store} store up to position {manifest.last_position} "
        f"(seal {manifest.last_seal[:16] or '-'}) into {path}\n"
    )


@backup_cli.command("restore")
def restore(path: PathArg) -> None:
    """Restore PATH into the configured store, which must be a new file or database; then run
    `jiebang audit verify` and `jiebang projections rebuild`."""
    try:
        manifest = restore_backup(_settings(), path)
    except JiebangError as e:
        typer.echo(f"jiebang backup restore: {e}", err=True)
        raise typer.Exit(2) from e
    sys.stdout.write(
        f"restored {manifest.store} store up to position {manifest.last_position}; "
        "next: jiebang audit verify\n"
    )
