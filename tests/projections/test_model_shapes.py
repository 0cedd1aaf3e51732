"""Read models written under another shape (an earlier release's columns or handlers) are
emptied and replayed from the start of the log, never read or written as they are."""

from __future__ import annotations

import pytest

from jiebang_es.config import Settings
from jiebang_es.service import JiebangApp
from projections import models as read_models
from projections import queries as q
from projections.db import SHAPES, SQLITE_PREFIX, TRACKING, ReadDB, target_of
from projections.model import shape_of
from projections.models.catalogue import Catalogue
from projections.projector import Projector, ShapeChangedError
from projections.readstore import ReadStore
from projections.rebuild import rebuild
from projections.schema import table
from tests.projections.conftest import catch_up, live_digests
from tests.support import Journey, ScriptedClock, first_release_store


def _positions(settings: Settings) -> dict[str, int]:
    db = ReadDB.connect(target_of(settings))
    try:
        return db.positions(read_models.NAMES)
    finally:
        db.close()


def _execute(settings: Settings, statement: str) -> None:
    db = ReadDB.connect(target_of(settings))
    try:
        with db.transaction():
            db.execute(statement.replace("{shapes}", db.name(SHAPES)))
    finally:
        db.close()


def _query(settings: Settings, statement: str) -> list[tuple[object, ...]]:
    db = ReadDB.connect(target_of(settings))
    try:
        return [tuple(r) for r in db.query(statement.replace("{t}", db.name(TRACKING)))]
    finally:
        db.close()


def test_the_shape_changes_with_a_column_or_the_version_and_nothing_else():
    class Wider(Catalogue):
        tables = (*Catalogue.tables[:-1], table(Catalogue.tables[-1].name, "a, b", key=("a",)))

    class Later(Catalogue):
        version = Catalogue.version + 1

    assert shape_of(Catalogue) == shape_of(Catalogue())  # the class or a model built from it
    assert len({shape_of(Catalogue), shape_of(Wider), shape_of(Later)}) == 3
    assert len({shape_of(m) for m in read_models.MODEL_CLASSES}) == len(read_models.NAMES)


def test_read_models_of_the_first_release_are_replayed_under_this_code(tmp_path, caplog):
    settings = first_release_store(tmp_path, "demo-2026-read-models.sqlite")
    # Its portfolio had no district number column: these queries would fail on its tables.
    store = ReadStore.open(settings)
    try:
        assert set(_positions(settings).values()) == {0}  # emptied, to be replayed
        assert catch_up(settings) == 117
        assert set(_positions(settings).values()) == {117}
        projects = q.list_projects(store).items
        assert projects
        assert all(q.get_project(store, p.project_id) is not None for p in projects)
    finally:
        store.close()
    live = live_digests(settings)
    assert rebuild(settings) == 117
    assert live_digests(settings) == live


def _published(
    app: JiebangApp, clock: ScriptedClock, settings: Settings
) -> tuple[dict[str, str], int]:
    """A challenge published, every model caught up: their digests and position."""
    Journey(app, clock).to_published()
    catch_up(settings)
    return live_digests(settings), app.position()


def test_read_models_without_a_shape_are_replayed_once_and_equal_a_rebuild(app, clock, settings):
    """A store whose read models were written before shapes were kept (the second release)."""
    before, head = _published(app, clock, settings)
    _execute(settings, "DELETE FROM {shapes}")
    ReadStore.open(settings).close()
    assert set(_positions(settings).values()) == {0}
    catch_up(settings)
    assert set(_positions(settings).values()) == {head}
    assert live_digests(settings) == before
    ReadStore.open(settings).close()  # the shapes are kept now: nothing is replayed again
    assert set(_positions(settings).values()) == {head}


def test_only_the_model_of_another_shape_is_replayed(app, clock, settings):
    before, head = _published(app, clock, settings)
    _execute(settings, "UPDATE {shapes} SET shape = 'of an earlier release' WHERE model = 'ledger'")
    ReadStore.open(settings).close()
    # Its tracking row is kept at 0 (not deleted), so a batch has a row to lock.
    assert ["ledger", 0] in [list(r) for r in _query(settings, "SELECT model, position FROM {t}")]
    positions = _positions(settings)
    assert positions.pop("ledger") == 0
    assert set(positions.values()) == {head}
    catch_up(settings)
    assert live_digests(settings) == before


def test_a_rebuild_puts_no_tables_in_place_once_another_version_took_the_store_over(
    app, clock, settings
):
    before, _ = _published(app, clock, settings)

    def newer_version_opens_the_store(reached: int, head: int) -> None:
        _execute(settings, "UPDATE {shapes} SET shape = 'of a later release'")

    with pytest.raises(ShapeChangedError, match="another version"):
        rebuild(settings, progress=newer_version_opens_the_store)
    assert live_digests(settings) == before  # the live tables were left alone


def test_a_runner_stops_when_another_version_takes_the_store_over(app, clock, settings):
    Journey(app, clock).draft()
    projector = Projector(settings, read_models.build(settings=settings))
    try:
        projector.prepare()
        assert projector.step()
        # A later release empties a model (its shape changed) and sets it back to 0.
        _execute(
            settings, "UPDATE {shapes} SET shape = 'of a later release' WHERE model = 'ledger'"
        )
        db = ReadDB.connect(target_of(settings))
        try:
            with db.transaction():
                db.set_positions({"ledger": 0})
        finally:
            db.close()
        with pytest.raises(ShapeChangedError, match="ledger"):
            projector.step()
    finally:
        projector.close()


def test_a_read_only_store_of_another_shape_is_still_opened_and_read(tmp_path):
    """An upgrade meeting a store that takes no writes (a read-only file or replica): the read
    models cannot be renewed now, so they are read as they are (the server answers 503 to
    commands, not exit), and renewed once the store is opened with writes."""
    import sqlite3

    path = tmp_path / "store.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    JiebangApp(settings).close()
    ReadStore.open(settings).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE {SQLITE_PREFIX}{SHAPES} SET shape = 'an earlier version'")  # noqa: S608
    read_only = Settings(database_url=f"sqlite:///file:{path}?mode=ro", create_tables=False)
    store = ReadStore.open(read_only)
    try:
        assert store.positions()  # read as they are
    finally:
        store.close()
    ReadStore.open(settings).close()  # with writes: renewed to this code's shape
    with sqlite3.connect(path) as conn:
        assert "an earlier version" not in {
            r[0]
            for r in conn.execute(f"SELECT shape FROM {SQLITE_PREFIX}{SHAPES}")  # noqa: S608
        }
