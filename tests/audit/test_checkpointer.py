"""While serving, checkpoints are taken every N events or every M seconds with new events."""

from __future__ import annotations

import time
from datetime import date

import pytest

from jiebang_es.audit.checkpoints import Checkpointer, generate_keys, read_file
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify_store import verify_store
from tests.audit.attacker import collect, settings_for

pytestmark = pytest.mark.usefixtures("crypto_mode")


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_checkpoint_every_n_events(app, clock, store_url, tmp_path):
    clock.on(date(2026, 2, 24))
    settings = settings_for(store_url, tmp_path).model_copy(
        update={"checkpoint_every_events": 3, "checkpoint_every_seconds": 3600.0}
    )
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=settings.crypto)
    checkpointer = Checkpointer(settings)
    checkpointer.start()
    try:
        collect(app, 2)
        time.sleep(1.5)  # below N events and before M seconds: nothing yet
        assert RawStore(settings).checkpoints() == []
        collect(app, 1)
        assert _wait_for(lambda: len(RawStore(settings).checkpoints()) == 1)
    finally:
        checkpointer.stop()
    (taken,) = RawStore(settings).checkpoints()
    assert taken.position == 3
    assert read_file(settings.audit_checkpoint_file) == [taken]
    assert verify_store(settings).last_checkpoint == 3


def test_checkpoint_every_m_seconds_only_when_there_is_something_new(
    app, clock, store_url, tmp_path
):
    clock.on(date(2026, 2, 24))
    settings = settings_for(store_url, tmp_path).model_copy(
        update={"checkpoint_every_events": 1000, "checkpoint_every_seconds": 0.3}
    )
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=settings.crypto)
    checkpointer = Checkpointer(settings)
    checkpointer.start()
    try:
        collect(app, 1)
        assert _wait_for(lambda: len(RawStore(settings).checkpoints()) == 1)
        time.sleep(1.0)  # several periods with nothing new: no new checkpoint
        assert len(RawStore(settings).checkpoints()) == 1
        collect(app, 1)
        assert _wait_for(lambda: len(RawStore(settings).checkpoints()) == 2)
    finally:
        checkpointer.stop()
    assert [c.position for c in RawStore(settings).checkpoints()] == [1, 2]


def test_without_a_key_the_checkpointer_stays_off(app, clock, store_url, tmp_path):
    clock.on(date(2026, 2, 24))
    settings = settings_for(store_url, tmp_path).model_copy(
        update={"checkpoint_every_events": 1, "checkpoint_every_seconds": 0.1}
    )
    checkpointer = Checkpointer(settings)
    checkpointer.start()
    try:
        collect(app, 2)
        time.sleep(0.5)
    finally:
        checkpointer.stop()
    assert RawStore(settings).checkpoints() == []
    assert not settings.audit_checkpoint_file.exists()
