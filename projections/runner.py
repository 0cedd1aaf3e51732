"""The runner: catch the read models up from their tracking positions, then follow new events.

PostgreSQL: it LISTENs on the read schema's channel (announced by a statement trigger of our
own, see ``projector.announce_new_events``) and also polls, so nothing waits for a lost
notification longer than the poll interval. SQLite: it polls.
``jiebang projections run`` runs it as a process; ``start_runner`` in a thread of ``serve``.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import structlog

from jiebang_es.config import Settings
from jiebang_es.store_faults import fault_of
from projections import models as read_models
from projections.db import Target, target_of
from projections.projector import Projector
from projections.status import STATUS, ProjectionStoppedError

log = structlog.get_logger("jiebang_es.projections")
STOP_CHECK_SECONDS = 0.5  # the longest a listening runner waits before it looks at stop()


class RunnerBusyError(Exception):
    """Another runner already follows this store: one runner per store, never two."""


class RunnerLock:
    """Held by the one runner that follows a store, for as long as it runs.

    PostgreSQL: a session advisory lock named after the read schema, on a connection of its
    own (released by the server if the process dies). SQLite: an exclusive ``flock`` on a
    file beside the database (released by the kernel if the process dies). An in-memory
    SQLite store is private to its process: nothing to lock."""

    def __init__(self, target: Target) -> None:
        self.conn: psycopg.Connection[Any] | None = None
        self.fd: int | None = None
        if target.kind == "postgres":
            self.conn = psycopg.connect(target.conninfo, autocommit=True)
            name = f"jiebang-runner:{target.read_schema}"
            row = self.conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (name,)).fetchone()
            if not (row and row[0]):
                self.close()
                raise RunnerBusyError(
                    f"another runner follows the read models in schema {target.read_schema}"
                )
        elif target.sqlite_path and not _in_memory(target.sqlite_path):
            path = f"{target.sqlite_path}.runner.lock"
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.close()
                raise RunnerBusyError(f"another runner follows this store ({path})") from None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.fd is not None:
            os.close(self.fd)  # closing the file releases its lock
            self.fd = None


def _in_memory(path: str) -> bool:
    return path == ":memory:" or "mode=memory" in path


class Waiter:
    """Waits for news of committed events, at most the poll interval.

    PostgreSQL: it listens on the runner lock's connection (``RunnerLock.conn``, idle
    otherwise): one connection fewer per runner, and a lost lock connection ends the wait with
    an error instead of going unnoticed. SQLite (``conn`` None): it sleeps the interval."""

    def __init__(
        self, target: Target, interval: float, conn: psycopg.Connection[Any] | None
    ) -> None:
        self.interval = interval
        self.conn = conn
        if conn is not None:
            conn.execute(f'LISTEN "{target.notify_channel}"')

    @property
    def listens(self) -> bool:
        """Whether new events are announced (PostgreSQL), not only found by polling."""
        return self.conn is not None

    def wait(self, stop: threading.Event) -> None:
        if self.conn is None:
            stop.wait(self.interval)
            return
        # In slices, so that stop() ends a runner within half a second whatever the interval.
        deadline = time.monotonic() + self.interval
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            slice_s = min(remaining, STOP_CHECK_SECONDS)
            if any(True for _ in self.conn.notifies(timeout=slice_s, stop_after=1)):
                break
        # Several commits may have been announced: one batch reads them all.
        for _ in self.conn.notifies(timeout=0):
            continue


def run(
    settings: Settings,
    *,
    names: Sequence[str] | None = None,
    until_caught_up: bool = False,
    stop: threading.Event | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Run the read models: catch up, then (unless ``until_caught_up``) follow until stopped.

    Returns the number of events applied. ``on_batch(count, position)`` after each commit.
    A runner that follows holds the store's ``RunnerLock``: a second one is refused
    (``RunnerBusyError``) before it reads anything.
    """
    stop = stop or threading.Event()
    lock = None if until_caught_up else RunnerLock(target_of(settings))
    try:
        listen_on = lock.conn if lock is not None else None
        # The lock's connection is closed with the lock, which ends its LISTEN too.
        return _run(settings, names, until_caught_up, stop, on_batch, listen_on)
    finally:
        if lock is not None:
            lock.close()


def _run(
    settings: Settings,
    names: Sequence[str] | None,
    until_caught_up: bool,
    stop: threading.Event,
    on_batch: Callable[[int, int], None] | None,
    listen_on: psycopg.Connection[Any] | None,
) -> int:
    projector = Projector(settings, read_models.build(names, settings))
    waiter: Waiter | None = None
    applied = 0
    try:
        projector.prepare()
        while not stop.is_set():
            try:
                count = projector.step()
            except ProjectionStoppedError as e:
                raise projector.pinpoint(e) from e.cause
            applied += count
            if count and on_batch is not None:
                on_batch(count, max(projector.positions.values()) if projector.positions else 0)
            if count and (count >= projector.batch_size or waiter is None or not waiter.listens):
                continue  # more may be waiting, and no notification would say so
            # PostgreSQL, a batch short of full: every event committed since it was read has
            # been announced to the waiter, which listens: no confirming empty batch needed.
            if until_caught_up:
                break
            if waiter is None:
                waiter = Waiter(projector.db.target, settings.projection_poll_interval, listen_on)
            waiter.wait(stop)
    finally:
        projector.close()
    return applied


class RunnerHandle:
    """A runner in a thread of this process; ``stop()`` ends it and waits for it."""

    def __init__(self, settings: Settings, names: Sequence[str] | None = None) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._names = names
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="jiebang-projections", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        # A database that goes away for a while must not end the runner: retry after a pause.
        # An event a read model cannot write ends it: retrying would spin on it for ever.
        standby = False
        while not self._stop.is_set():
            try:
                run(self.settings, names=self._names, stop=self._stop)
            except RunnerBusyError as e:  # stand by: take over when the other one ends
                if not standby:
                    log.warning("projection_runner_standby", reason=str(e))
                    standby = True
                self._stop.wait(max(1.0, self.settings.projection_poll_interval))
            except ProjectionStoppedError as e:
                self.error = e
                STATUS.stop(e)
                log.error(
                    "projection_stopped",
                    model=e.model,
                    position=e.position,
                    error=str(e.cause),
                    error_type=type(e.cause).__name__,
                )
                return
            except Exception as e:  # logged, then retried; only stop() ends the loop
                self.error = e
                log.error(
                    "projection_runner_failed",
                    fault=fault_of(e).value,
                    error=str(e),
                    error_type=type(e).__name__,
                )
                self._stop.wait(max(1.0, self.settings.projection_poll_interval))

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_runner(settings: Settings, names: Sequence[str] | None = None) -> RunnerHandle:
    """Start the read models' runner in this process (``jiebang serve``, embedded default)."""
    return RunnerHandle(settings, names)
