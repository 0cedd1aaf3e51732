"""Rebuilds give the live digests; the runner follows new events, in a thread or a process;
a runner killed mid-batch and restarted gives the digests of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiebang_es.cli import cli
from jiebang_es.config import Settings
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from projections import models as read_models
from projections import queries as q
from projections.db import ReadDB, target_of
from projections.projector import Projector
from projections.readstore import ReadStore
from projections.rebuild import RebuildInProgressError, rebuild
from projections.runner import start_runner
from projections.schema import table
from tests.conftest import new_postgres_schema
from tests.projections.conftest import catch_up, live_digests
from tests.support import Journey, collect

JIEBANG = str(Path(sys.executable).with_name("jiebang"))


def test_rebuild_after_the_demo_gives_the_live_digests(demo_app, demo_settings):
    catch_up(demo_settings)
    live = live_digests(demo_settings)
    assert rebuild(demo_settings) == demo_app.position()
    assert live_digests(demo_settings) == live


def test_rebuild_of_one_model_leaves_the_others_alone(app, clock, settings):
    Journey(app, clock).to_published()
    catch_up(settings)
    before = live_digests(settings)
    rebuild(settings, ["catalogue"])
    assert live_digests(settings) == before


def test_runner_thread_follows_new_events(app, clock, settings, read_store):
    handle = start_runner(settings.model_copy(update={"projection_poll_interval": 0.05}))
    try:
        j = Journey(app, clock).draft()
        assert read_store.wait_until(app.position(), timeout_s=10)
        assert q.get_challenge(read_store, j.challenge_id) is not None
        j.argue()
        assert read_store.wait_until(app.position(), timeout_s=10)
        challenge = q.get_challenge(read_store, j.challenge_id)
        assert challenge is not None
        assert challenge.status == "reviewed"
    finally:
        handle.stop()
    assert not handle.alive
    assert handle.error is None


@pytest.mark.postgres
def test_runner_on_postgres_is_woken_by_every_commit_without_polling(postgres_db, clock):
    """Events committed while the runner applies a batch are announced to it, so it needs no
    confirming batch after a short one: with polling all but off (60 s), bursts of commands
    from four threads are all applied within seconds."""
    settings = Settings(database_url=new_postgres_schema(postgres_db))
    app = JiebangApp(settings, clock=clock)
    read_store = ReadStore.open(settings)
    handle = start_runner(settings.model_copy(update={"projection_poll_interval": 60.0}))
    try:
        collect(app, clock, END_USER_EQUIPMENT, "智能科技")
        assert read_store.wait_until(app.position(), timeout_s=10)  # the runner listens now
        for _ in range(5):
            with ThreadPoolExecutor(4) as pool:
                for _ in range(12):
                    pool.submit(collect, app, clock, END_USER_EQUIPMENT, "智能科技")
            assert read_store.wait_until(app.position(), timeout_s=10)
        assert len(q.list_demands(read_store, limit=100).items) == 61
    finally:
        stopping = time.monotonic()
        handle.stop()
        read_store.close()
        app.close()
    assert handle.error is None
    assert not handle.alive
    assert time.monotonic() - stopping < 3  # stop() is heard while it listens, not after 60 s


def test_live_runner_survives_a_rebuild_switching_under_it(app, clock, settings, read_store):
    handle = start_runner(settings.model_copy(update={"projection_poll_interval": 0.05}))
    try:
        Journey(app, clock, tag="a").to_published()
        assert read_store.wait_until(app.position(), timeout_s=10)
        rebuild(settings)
        Journey(app, clock, tag="b").draft()
        assert read_store.wait_until(app.position(), timeout_s=10)
    finally:
        handle.stop()
    assert handle.error is None
    live = live_digests(settings)
    rebuild(settings)
    assert live_digests(settings) == live


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {**os.environ, "JIEBANG_DATABASE_URL": settings.database_url, **extra}


def test_runner_killed_mid_batch_then_restarted_applies_each_event_once(demo_app, demo_settings):
    settings = demo_settings
    head = demo_app.position()
    ReadStore.open(settings).close()  # the tracking table exists before the runner starts
    db = ReadDB.connect(target_of(settings))
    slow = _env(settings, JIEBANG_PROJECTION_BATCH_SIZE="40", JIEBANG_PROJECTION_MAX_RATE="150")
    runner = subprocess.Popen(  # noqa: S603 - our own CLI
        [JIEBANG, "projections", "run"], env=slow, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        committed = 0
        while committed == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
            committed = min(db.positions(["catalogue", "compliance"]).values())
        # The first batch is committed; the second is being applied (40 events at 150/s).
        time.sleep(0.12)
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
    killed_at = db.positions(["catalogue"])["catalogue"]
    assert 0 < killed_at < head, "the runner was not killed in the middle of the log"
    db.close()
    restarted = subprocess.run(  # noqa: S603 - our own CLI
        [JIEBANG, "projections", "run", "--until-caught-up"],
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restarted.returncode == 0, restarted.stderr
    after_restart = live_digests(settings)
    rebuild(settings)  # an uninterrupted run from position 0
    assert live_digests(settings) == after_restart
    assert len(q_audit_positions(settings)) == head


def q_audit_positions(settings: Settings) -> list[int]:
    store = ReadStore.open(settings)
    try:
        return [e.position for e in q.audit_events(store, limit=500).items]
    finally:
        store.close()


def test_cli_rebuild_then_checksum_equals_the_live_digests_after_the_demo(settings):
    runner = CliRunner()
    env = {"JIEBANG_DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    for args in (["demo"], ["projections", "run", "--until-caught-up"]):
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
    live = runner.invoke(cli, ["projections", "checksum"], env=env)
    rebuilt = runner.invoke(cli, ["projections", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    again = runner.invoke(cli, ["projections", "checksum"], env=env)
    assert live.exit_code == 0
    assert again.exit_code == 0
    assert live.output == again.output
    assert len(live.output.splitlines()) == len(read_models.NAMES)


def test_cli_refuses_an_unknown_read_model(settings):
    result = CliRunner().invoke(
        cli,
        ["projections", "rebuild", "nonsense"],
        env={"JIEBANG_DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == 2
    assert "unknown read model" in result.output


@pytest.fixture(autouse=True)
def _quiet_logs(monkeypatch):
    monkeypatch.setenv("JIEBANG_LOG_LEVEL", "error")


def test_a_small_cache_and_small_batches_give_the_same_digests(demo_app, demo_settings):
    """Rows evicted from the cache are read back from the database, never lost."""
    app, settings = demo_app, demo_settings
    tiny = Projector(
        settings.model_copy(update={"projection_batch_size": 7}),
        read_models.build(settings=settings),
        cache_rows=3,
    )
    try:
        tiny.prepare()
        assert tiny.catch_up() == app.position()
    finally:
        tiny.close()
    evicted_and_reloaded = live_digests(settings)
    rebuild(settings)
    assert live_digests(settings) == evicted_and_reloaded


def test_bulk_upserts_write_and_rewrite_many_rows(settings):
    db = ReadDB.connect(target_of(settings))
    t = table("bulk_probe", "k, n:int, m:money, b:bool, j:json", key=("k",))
    try:
        db.ensure_schema()
        db.create_table(t)
        rows = [{"k": f"{i:04d}", "n": i, "m": Decimal(i) / 4, "b": i % 2 == 0} for i in range(450)]
        with db.transaction():
            db.upsert(t, rows)
        changed = [{**r, "n": -r["n"], "j": {"i": r["n"]}} for r in rows[::2]]
        with db.transaction():
            db.upsert(t, changed)
        stored = {r["k"]: r for r in db.select_rows(t, ordered=True)}
        assert len(stored) == 450
        assert stored["0002"] == {
            "k": "0002",
            "n": -2,
            "m": Decimal("0.50"),
            "b": True,
            "j": {"i": 2},
        }
        assert stored["0003"]["n"] == 3
        assert stored["0003"]["j"] is None
    finally:
        db.drop_table(t)
        db.close()


@pytest.mark.postgres
def test_a_second_rebuild_at_the_same_time_is_refused_on_postgres(postgres_db):
    settings = Settings(database_url=new_postgres_schema(postgres_db))
    target = target_of(settings)
    holder = ReadDB.connect(target)
    try:
        key = f"{target.read_schema}:rebuild"
        holder.query("SELECT pg_advisory_lock(hashtext(?))", (key,))
        with pytest.raises(RebuildInProgressError):
            rebuild(settings)
    finally:
        holder.close()
    assert rebuild(settings) == 0
