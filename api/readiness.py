"""Whether this process can serve: the store answers and takes writes, and the read models
are within the configured lag of the log (shared by the health routes and the metrics)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field

import psycopg
from psycopg_pool import PoolTimeout

from jiebang_es.audit.raw_store import connect_postgres
from jiebang_es.config import Settings, store_env
from jiebang_es.domain.values import Audit
from jiebang_es.errors import StoreUnavailableError
from jiebang_es.service import JiebangApp
from jiebang_es.store_faults import fault_of
from projections.readstore import ReadStore
from projections.status import STATUS

READ_ERRORS = (psycopg.Error, sqlite3.Error, PoolTimeout)


@dataclass
class Readiness:
    """What readiness found; ``problems`` is empty when the process is ready."""

    position: int = 0
    store: str = "writable"
    read_position: int = 0
    read_models: str = "current"
    lag_events: int = 0
    lag_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems


def oldest_unapplied_age(app: JiebangApp, read_position: int) -> float:
    """Seconds since the first event the read models lack was recorded (0: they lack none)."""
    notifications = app.recorder.select_notifications(read_position, 1, inclusive_of_start=False)
    if not notifications:
        return 0.0
    event = app.mapper.to_domain_event(notifications[0])
    audit = getattr(event, "audit", None)
    if not isinstance(audit, Audit):
        return 0.0
    return max(0.0, time.time() - audit.recorded_at.timestamp())


def unreachable(settings: Settings) -> StoreUnavailableError | None:
    """Whether a PostgreSQL store refuses a connection, found with one attempt bounded by
    ``JIEBANG_CONNECT_TIMEOUT`` (None: it answers; SQLite: a file, always at hand).

    The library retries a failed read ten times, each waiting for the pool: a probe through it
    would answer after about ten connect timeouts (40–50 s by default), after a monitor has
    given up, so the ``jiebang_store_up 0`` alert could never fire."""
    env = store_env(settings.database_url)
    if not env["PERSISTENCE_MODULE"].endswith("postgres"):
        return None
    try:
        with connect_postgres(env, autocommit=True, timeout=settings.connect_timeout) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as e:
        fault = fault_of(e)
        return StoreUnavailableError(f"{fault.sentence}: {e}".strip(), fault.value)
    return None


def assess(
    app: JiebangApp, reads: ReadStore, settings: Settings, *, reachable: bool = False
) -> Readiness:
    """Probe the store (a write rolled back) and measure the read models' lag; ``reachable``:
    the caller has just found the store answering (``unreachable``), not asked again."""
    found = Readiness()
    refused = None if reachable else unreachable(settings)
    if refused is not None:
        found.store = refused.fault
        found.problems.append(str(refused))
        return found
    try:
        found.position = app.position()
    except StoreUnavailableError as e:
        found.store = e.fault
        found.problems.append(str(e))
        return found
    fault = app.probe_write()
    if fault is not None:
        found.store = fault.value
        found.problems.append(f"{fault.sentence}: commands are refused (503)")
    try:
        found.read_position = reads.position()
    except READ_ERRORS as e:
        found.read_models = "unreadable"
        found.problems.append(f"the read models cannot be read ({fault_of(e).value}): {e}")
        return found
    found.lag_events = max(0, found.position - found.read_position)
    if found.lag_events:
        found.lag_seconds = round(oldest_unapplied_age(app, found.read_position), 3)
    stopped = STATUS.stopped
    if stopped is not None:
        found.read_models = "stopped"
        found.problems.append(
            f"read model {stopped.model} stopped at position {stopped.position}: {stopped.error}"
        )
    elif (
        found.lag_events > settings.ready_max_lag_events
        or found.lag_seconds > settings.ready_max_lag_seconds
    ):
        found.read_models = "behind"
        found.problems.append(
            f"the read models are {found.lag_events} events and {found.lag_seconds:.0f} s "
            f"behind the log (allowed: {settings.ready_max_lag_events} events, "
            f"{settings.ready_max_lag_seconds:.0f} s)"
        )
    return found
