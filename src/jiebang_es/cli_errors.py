"""What `jiebang` says when a command fails in a way it did not handle itself: one line naming
what to fix, exit status 2 — never a traceback. A setting that does not parse is named by its
environment variable; a store that cannot be reached or read, a file that cannot be opened,
by what the error says of them."""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Callable

import psycopg
from pydantic import ValidationError
from pydantic_settings import SettingsError

from jiebang_es.audit.raw_store import connect_postgres
from jiebang_es.config import Settings, store_env
from jiebang_es.errors import JiebangError, StoreUnavailableError

EXIT_REFUSED = 2
ENV_PREFIX = "JIEBANG_"


def settings_problem(error: ValidationError) -> str:
    """Each invalid setting by its environment variable, and why."""
    parts = []
    for e in error.errors():
        loc = e.get("loc") or ("?",)
        parts.append(f"{ENV_PREFIX}{str(loc[0]).upper()}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


def problem_of(error: BaseException) -> str | None:
    """The one line to say for an error a command did not handle; None: not one of those."""
    if isinstance(error, ValidationError):
        return f"a setting is not valid: {settings_problem(error)}"
    if isinstance(error, SettingsError):
        # pydantic-settings names the field, not the variable the operator set.
        field = re.search(r'field "(\w+)"', str(error))
        name = f"{ENV_PREFIX}{field.group(1).upper()}" if field else "a setting"
        cause = error.__cause__
        return f"{name} does not parse" + (f": {cause}" if cause else "")
    if isinstance(error, JiebangError):
        return str(error)
    if isinstance(error, psycopg.Error | sqlite3.Error):
        return f"the store cannot be read: {error}".strip()
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror or type(error).__name__}{where}"
    if isinstance(error, UnicodeDecodeError):
        return f"a file is not text of the expected kind ({error.reason})"
    return None


def server_says() -> str | None:
    """What the configured PostgreSQL server answers a connection of its own: the reason a
    pool hides behind its timeout (no such database, a refused password, no server)."""
    try:
        env = store_env(Settings().database_url)
        if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
            return None
        connect_postgres(env).close()
    except psycopg.Error as e:
        return str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    except Exception:  # a second opinion only: the first error is said anyway
        return None
    return None


def run_cli(command: Callable[[], object]) -> None:
    """Run the command line; an unhandled error of the kinds above is said in one line."""
    try:
        command()
    except Exception as e:
        problem = problem_of(e)
        if problem is None:
            raise
        if isinstance(e, StoreUnavailableError) and (reason := server_says()):
            problem = f"{problem} — the server says: {reason}"
        sys.stderr.write(f"jiebang: {problem}\n")
        sys.exit(EXIT_REFUSED)
