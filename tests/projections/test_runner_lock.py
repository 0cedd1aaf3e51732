"""One runner per store, never two: a runner that follows the log holds the store's lock
(PostgreSQL: an advisory lock; SQLite: a lock file); a second one is refused, or, inside
``jiebang serve``, stands by and takes over when the first ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
