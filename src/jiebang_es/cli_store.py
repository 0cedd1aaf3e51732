"""The settings every `jiebang` command starts from, and the one check a command that only
reads a store makes first: on SQLite, that the file is there. Opening a store creates it, so a
mistyped path would otherwise show a new, empty store — "last position 0", "every rule holds" —
instead of saying that there is none."""

from __future__ import annotations

from pathlib import Path

import typer

from jiebang_es.config import Settings, store_env
from jiebang_es.logging_setup import configure_logging


def cli_settings(*, existing: bool = False) -> Settings:
    """The configured settings, logging set up; with ``existing``, the store must exist."""
    settings = Settings()
    configure_logging(settings.log_level)
    if existing:
        require_store(settings)
    return settings


def store_exists(settings: Settings) -> bool:
    """Whether there is a store to read (PostgreSQL: assumed, the server says otherwise)."""
    env = store_env(settings.database_url)
    if env["PERSISTENCE_MODULE"] != "eventsourcing.sqlite":
        return True
    path = env["SQLITE_DBNAME"]
    return path == ":memory:" or path.startswith("file:") or Path(path).is_file()


def require_store(settings: Settings) -> None:
    """Exit 2 naming the path when a SQLite store's file does not exist (PostgreSQL: the
    server says so of a database that does not exist)."""
    if store_exists(settings):
        return
    path = store_env(settings.database_url)["SQLITE_DBNAME"]
    typer.echo(
        f"jiebang: JIEBANG_DATABASE_URL: no store at {path}: this command reads a store and "
        "never creates one (check the path)",
        err=True,
    )
    raise typer.Exit(2)
