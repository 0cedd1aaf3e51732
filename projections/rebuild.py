"""Rebuilding read models from position 0 into fresh tables while the live ones keep serving.

The rebuild fills ``<table>__rebuild`` tables with its own tracking rows, batch by batch. Then,
in one transaction that holds the live tracking rows (so no live runner writes meanwhile), it
applies the last events that arrived, drops the live tables, renames the fresh ones into their
place and hands its position to the live tracking rows. A live runner notices at its next
batch that its position moved and reloads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jiebang_es.config import Settings
from projections import models as read_models
from projections.projector import EventSource, Projector, check_shapes, prepare
from projections.status import ProjectionStoppedError

SUFFIX = "__rebuild"
# A rebuild writes tables nobody reads yet: larger transactions rewrite each row fewer times.
REBUILD_BATCH = 10_000
Progress = Callable[[int, int], None]  # (position reached, head of the log)


class RebuildInProgressError(RuntimeError):
    """Another rebuild of these read models is running (they share the fresh tables)."""


def rebuild(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    progress: Progress | None = None,
) -> int:
    """Rebuild the named read models (all when none are named); the position they reached."""
    models = read_models.build(names, settings)
    fresh = Projector(settings, models, suffix=SUFFIX, source=EventSource(settings, prefetch=True))
    fresh.batch_size = max(fresh.batch_size, REBUILD_BATCH)
    try:
        if (
            fresh.db.postgres
            and not fresh.db.query(
                "SELECT pg_try_advisory_lock(hashtext(?))",
                (f"{fresh.db.target.read_schema}:rebuild",),
            )[0][0]
        ):
            raise RebuildInProgressError("another rebuild is running on this store; wait for it")
        prepare(fresh.db, models)  # the live tables, if this is the very first run
        with fresh.db.ddl():
            for m in models:
                for t in m.tables:
                    fresh.db.drop_table(t, SUFFIX)
            fresh.db.forget(fresh.tracking_names)
        fresh.prepare(indexes=False)
        head = fresh.source.head()
        while _step(fresh):
            reached = max(fresh.positions.values()) if fresh.positions else 0
            head = max(head, reached)
            if progress is not None:
                progress(reached, head)
        # Indexes once the bulk of the rows is in (faster than maintaining them row by row),
        # before the switch, so the live runner is held only for the last few events.
        with fresh.db.ddl():
            for m in models:
                for t in m.tables:
                    fresh.db.create_indexes(t, SUFFIX)
        return switch_over(fresh, [m.name for m in models])
    finally:
        fresh.close()  # ends the session: its advisory lock goes with it


def _step(fresh: Projector) -> int:
    """One batch; an event a model cannot write stops the rebuild, naming that very event."""
    try:
        return fresh.step()
    except ProjectionStoppedError as e:
        raise fresh.pinpoint(e) from e.cause


def switch_over(fresh: Projector, names: list[str]) -> int:
    """Catch up the last events and put the fresh tables in place of the live ones, atomically."""
    db = fresh.db
    with db.transaction():
        db.positions(names, lock=True)  # live runners wait until the switch is done
        # A rebuild is long: another version of the code may have taken the store over since
        # it began. Its tables are then not to be put in place.
        check_shapes(db, fresh.models)
        committed = fresh.lock()
        while True:
            count, positions = fresh.advance(committed, fresh.batch_size)
            if not count:
                break
            committed = positions
        fresh.flush(committed)
        for m in fresh.models:
            for t in m.tables:
                db.drop_table(t)
                db.rename_table(t, SUFFIX)
        db.set_positions({m.name: committed[fresh.tracking_name(m)] for m in fresh.models})
        db.forget(fresh.tracking_names)
    fresh.positions = None
    fresh.clear()
    return min(committed.values(), default=0)


def rebuild_after_erasure(settings: Settings) -> int:
    """Rebuild the read models that show personal fields, after an erasure destroyed a key."""
    return rebuild(settings, read_models.PERSONAL)
