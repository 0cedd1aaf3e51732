"""One runner per store, never two: a runner that follows the log holds the store's lock
(PostgreSQL: an advisory lock; SQLite: a lock file); a second one is refused, or, inside
``jiebang serve``, stands by and takes over when the first ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from projections.db import target_of
from projections.runner import RunnerBusyError, RunnerLock, start_runner
from tests.support import Journey

JIEBANG = str(Path(sys.executable).with_name("jiebang"))


def test_a_second_runner_lock_on_the_same_store_is_refused_until_the_first_is_released(settings):
    first = RunnerLock(target_of(settings))
    try:
        with pytest.raises(RunnerBusyError, match="another runner"):
            RunnerLock(target_of(settings))
    finally:
        first.close()
    RunnerLock(target_of(settings)).close()


def test_projections_run_refuses_to_follow_a_store_another_runner_follows(settings):
    held = RunnerLock(target_of(settings))
    try:
        second = subprocess.run(  # noqa: S603 - our own CLI
            [JIEBANG, "projections", "run"],
            env={**os.environ, "JIEBANG_DATABASE_URL": settings.database_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        held.close()
    assert second.returncode == 2
    assert "one runner per store" in second.stdout


def test_catching_up_needs_no_lock(settings):
    """``--until-caught-up`` (reports, checks) runs beside the one that follows."""
    held = RunnerLock(target_of(settings))
    try:
        caught_up = subprocess.run(  # noqa: S603 - our own CLI
            [JIEBANG, "projections", "run", "--until-caught-up"],
            env={**os.environ, "JIEBANG_DATABASE_URL": settings.database_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        held.close()
    assert caught_up.returncode == 0, caught_up.stderr


def test_a_standing_by_runner_takes_over_when_the_first_ends(app, clock, settings, read_store):
    held = RunnerLock(target_of(settings))
    handle = start_runner(settings.model_copy(update={"projection_poll_interval": 0.05}))
    try:
        Journey(app, clock).draft()
        assert not read_store.wait_until(app.position(), timeout_s=1.5)  # standing by
        assert handle.alive
        held.close()
        assert read_store.wait_until(app.position(), timeout_s=20)  # took over
    finally:
        held.close()
        handle.stop()
    assert handle.error is None


def _lock_holder(settings) -> tuple[int, str] | None:
    """The backend holding the runner's advisory lock on this store: (pid, its last query)."""
    target = target_of(settings)
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT a.pid, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objid::int4 = hashtext(%s)",
            (f"jiebang-runner:{target.read_schema}",),
        ).fetchone()
    return (row[0], row[1]) if row else None


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_a_following_runner_listens_on_its_lock_connection_and_retakes_a_lost_lock(
    app, clock, settings, read_store
):
    """One connection holds the lock and listens (one fewer per runner); when it is lost the
    runner notices at its next wait, takes the lock again and goes on following."""
    handle = start_runner(settings.model_copy(update={"projection_poll_interval": 0.05}))
    try:
        journey = Journey(app, clock)
        journey.draft(confirm=False)
        assert read_store.wait_until(app.position(), timeout_s=20)
        first = _lock_holder(settings)
        assert first is not None
        assert first[1].startswith("LISTEN"), first  # the lock's connection is the listener
        with psycopg.connect(target_of(settings).conninfo, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first[0],))
        deadline = time.monotonic() + 20
        while (again := _lock_holder(settings)) is None or again[0] == first[0]:
            assert time.monotonic() < deadline, "the runner did not take its lock again"
            time.sleep(0.05)
        assert handle.error is not None  # logged as a failed run, then retried
        journey.confirm()
        assert read_store.wait_until(app.position(), timeout_s=20)
        assert handle.alive
    finally:
        handle.stop()
