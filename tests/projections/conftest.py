"""Read-model fixtures: settings on the test's store, catching up, a read store; the same on a
store that holds the demo's year (copied from the session's template: ``demo_settings``, …)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jiebang_es.config import Settings
from jiebang_es.service import JiebangApp
from projections import models as read_models
from projections.checksum import digests
from projections.db import ReadDB, target_of
from projections.readstore import ReadStore
from projections.runner import run
from tests.support import ScriptedClock


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(database_url=store_url)


@pytest.fixture
def demo_settings(demo_store_url: str) -> Settings:
    """Settings on a store of the test's own that already holds the demo's year."""
    return Settings(database_url=demo_store_url)


@pytest.fixture
def demo_app(demo_settings: Settings, clock: ScriptedClock) -> Iterator[JiebangApp]:
    """An application on the demo's store (what playing the demo into a fresh store leaves)."""
    app = JiebangApp(demo_settings, clock=clock)
    yield app
    app.close()


@pytest.fixture
def demo_read_store(demo_settings: Settings) -> Iterator[ReadStore]:
    store = ReadStore.open(demo_settings)
    yield store
    store.close()


@pytest.fixture
def read_store(settings: Settings) -> Iterator[ReadStore]:
    store = ReadStore.open(settings)
    yield store
    store.close()


def catch_up(settings: Settings) -> int:
    """Run every read model until it has applied every event."""
    return run(settings, until_caught_up=True)


def live_digests(settings: Settings) -> dict[str, str]:
    db = ReadDB.connect(target_of(settings))
    try:
        return digests(db, read_models.build(settings=settings))
    finally:
        db.close()
