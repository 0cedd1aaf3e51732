"""Read-model fixtures: settings on the test's store, catching up, a read store, the demo."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from rich.console import Console

from jiebang_es.config import Settings
from jiebang_es.demo import run_demo
from jiebang_es.service import JiebangApp
from projections import models as read_models
from projections.checksum import digests
from projections.db import ReadDB, target_of
from projections.readstore import ReadStore
from projections.runner import run


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(database_url=store_url)


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


def play_demo(app: JiebangApp) -> None:
    run_demo(app, Console(file=io.StringIO(), width=200))
