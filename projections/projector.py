"""Applying the log to read models exactly once.

Each batch is one transaction: lock the models' tracking rows, read the next events after the
lowest position, apply each event to every model not yet past it, write the changed rows and
the new positions, commit. A crash anywhere before the commit leaves rows and positions as they
were; after it, both moved together. So no event is lost or applied twice, whenever the
process dies. The tracking rows are read under lock at the start of every batch: when another
process (a rebuild's switch-over, a second runner) moved them, the in-memory rows are reloaded.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import structlog

from jiebang_es.config import Settings
from jiebang_es.recorders import SealingPostgresRecorder
from jiebang_es.service import JiebangApp
from jiebang_es.store_faults import is_store_fault
from projections.db import ReadDB, Target, WritesRefusedError, target_of
from projections.decode import FastDecoder
from projections.model import CACHE_ROWS, ReadModel, Rows, shape_of
from projections.schema import Row, Table
from projections.status import ProjectionStoppedError

log = structlog.get_logger("jiebang_es.projections")
ONE_MESSAGE_EVENTS = 100  # batches of up to this many events write in one message (PostgreSQL)


class EventSource:
    """The log, read through the application's recorder, decoded by the fast decoder.

    With ``prefetch`` (a rebuild, which reads the log straight through), the batch after the
    one just returned is read and decoded in a second thread while this one applies it; every
    read runs in that one thread, so the recorder's connection is only ever used by it.
    """

    def __init__(self, settings: Settings, *, prefetch: bool = False) -> None:
        # One reader, one batch at a time: one connection, never a pool's worth.
        self.app = JiebangApp(settings.model_copy(update={"pool_size": 1, "pool_max_overflow": 0}))
        self.decoder = FastDecoder(self.app.mapper)
        self.reader = ThreadPoolExecutor(1, "jiebang-log-reader") if prefetch else None
        self.ahead: tuple[tuple[int, int], Future[list[tuple[int, Any]]]] | None = None

    def read(self, after: int, limit: int) -> list[tuple[int, Any]]:
        """Up to ``limit`` events after position ``after``, decoded, in log order."""
        if self.reader is None:
            return self._read(after, limit)
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] != (after, limit):
            ahead[1].cancel()
            ahead = None
        batch = (ahead[1] if ahead else self.reader.submit(self._read, after, limit)).result()
        if len(batch) == limit:
            following = (batch[-1][0], limit)
            self.ahead = (following, self.reader.submit(self._read, *following))
        return batch

    def _read(self, after: int, limit: int) -> list[tuple[int, Any]]:
        decode = self.decoder.decode
        recorder = self.app.recorder
        if isinstance(recorder, SealingPostgresRecorder):
            return [
                (position, decode(originator_id, version, topic, state))
                for position, originator_id, version, topic, state in recorder.select_log(
                    after, limit
                )
            ]
        notifications = recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [
            (n.id, decode(n.originator_id, n.originator_version, n.topic, n.state))
            for n in notifications
        ]

    def head(self) -> int:
        if self.reader is not None:
            return int(self.reader.submit(self.app.position).result())
        return int(self.app.position())

    def close(self) -> None:
        if self.reader is not None:
            self.reader.shutdown(wait=True, cancel_futures=True)
        self.app.close()


def prepare(
    db: ReadDB,
    models: Sequence[ReadModel],
    suffix: str = "",
    *,
    announce: bool = False,
    indexes: bool = True,
) -> None:
    """The read schema, tracking table and the models' tables, created if missing; with
    ``announce``, the PostgreSQL trigger that announces new events (runners only: the events
    table exists once their application is open).

    A live model whose rows were written under another shape than this code's (an earlier
    release's columns or handlers, see ``shape_of``) is emptied first: its tables dropped and
    made anew, its position back to 0, so the runner replays it from the start of the log. Its
    old rows could not be read by these queries, nor equal what this code would write."""
    with db.ddl():
        db.ensure_schema()
        renewed, replayed = renew_out_of_date(db, models) if not suffix else ([], [])
        for m in models:
            for t in m.tables:
                db.create_table(t, suffix, indexes=indexes)
        if renewed:
            db.set_shapes({m.name: shape_of(m) for m in renewed})
        if announce and db.postgres:
            announce_new_events(db)
    if replayed:
        log.warning(
            "read models written by an earlier version: emptied, replayed from the log's start",
            models=replayed,
        )


def renew_out_of_date(db: ReadDB, models: Sequence[ReadModel]) -> tuple[list[ReadModel], list[str]]:
    """Drop the tables and reset the position of every model whose stored shape is not
    this code's (inside the caller's DDL transaction). Those models, and the names of those
    among them that had rows or a position (not merely new to this store)."""
    renewed = out_of_date(db, models)
    if not renewed:
        return [], []
    positions = db.positions([m.name for m in renewed])
    replayed = [
        m.name for m in renewed if positions[m.name] or any(db.table_exists(t) for t in m.tables)
    ]
    for m in renewed:
        for t in m.tables:
            db.drop_table(t)
    # Back to 0, the rows kept: a runner's batch locks them, so a second projector starting
    # at the same time (a report's catch-up beside `serve`'s runner) waits instead of writing
    # the same first rows.
    db.set_positions({m.name: 0 for m in renewed})
    return renewed, replayed


def out_of_date(db: ReadDB, models: Sequence[ReadModel]) -> list[ReadModel]:
    """The models whose stored shape is not this code's (none stored counts as another)."""
    stored = db.shapes()
    return [m for m in models if stored.get(m.name) != shape_of(m)]


class ShapeChangedError(RuntimeError):
    """Another version of the code took the read models over: this one stops writing them."""


def check_shapes(db: ReadDB, models: Sequence[ReadModel]) -> None:
    """The stored shapes are this code's own (inside the caller's transaction), or stop."""
    other = [m.name for m in out_of_date(db, models)]
    if other:
        raise ShapeChangedError(
            f"read models {', '.join(other)} are now written by another version of jiebang "
            "(their stored shape is not this code's): this process stops writing them; run "
            "one version per store"
        )


def announce_new_events(db: ReadDB) -> None:
    """NOTIFY on the read schema's channel when events are committed (PostgreSQL).

    The library's recorder is used as it is (no POSTGRES_ENABLE_DB_FUNCTIONS): a statement
    trigger of our own on the events table announces each committed insert; NOTIFY is
    transactional, so listeners hear of events only once they are visible. Runners also poll,
    so a missed notification only delays, never loses, an event.
    """
    t = db.target
    # A store hardened for an append-only role (ops/postgres-harden.sh) has the trigger
    # installed by the tables' owner; that role may not create triggers on the events table.
    installed = db.query(
        "SELECT 1 FROM pg_trigger WHERE tgname = 'jiebang_read_announce' "
        "AND tgrelid = to_regclass(?)",
        (f'"{t.events_schema}".jiebang_events',),
    )
    if installed:
        return
    db.execute(
        f'CREATE OR REPLACE FUNCTION "{t.read_schema}".announce_events() RETURNS trigger '
        f"LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('{t.notify_channel}', ''); "
        "RETURN NULL; END $$"
    )
    db.execute(
        "CREATE OR REPLACE TRIGGER jiebang_read_announce AFTER INSERT ON "
        f'"{t.events_schema}".jiebang_events FOR EACH STATEMENT '
        f'EXECUTE FUNCTION "{t.read_schema}".announce_events()'
    )


class Projector:
    """A set of read models kept up to date from the log, batch by batch, exactly once."""

    def __init__(
        self,
        settings: Settings,
        models: Sequence[ReadModel],
        *,
        suffix: str = "",
        source: EventSource | None = None,
        target: Target | None = None,
        cache_rows: int = CACHE_ROWS,
    ) -> None:
        self.settings = settings
        self.models = list(models)
        self.suffix = suffix
        self.source = source or EventSource(settings)
        self.db = ReadDB.connect(target or target_of(settings))
        self.cache_rows = cache_rows
        self.rows = {m.name: Rows(m.tables, self.load_row, cache_rows) for m in self.models}
        self.positions: dict[str, int] | None = None  # as committed; None: reload first
        self.batch_size = settings.projection_batch_size
        self.batch_span = (0, 0)  # the first and last position of the batch being applied
        self.batch_events = 0  # how many events it holds
        self.max_rate = settings.projection_max_rate

    def tracking_name(self, model: ReadModel) -> str:
        return model.name + self.suffix

    @property
    def tracking_names(self) -> list[str]:
        return [self.tracking_name(m) for m in self.models]

    def prepare(self, *, indexes: bool = True) -> None:
        prepare(self.db, self.models, self.suffix, announce=True, indexes=indexes)

    def close(self) -> None:
        self.db.close()
        self.source.close()

    def position(self) -> int:
        """The lowest position the models have reached (committed)."""
        return min(self.db.positions(self.tracking_names).values(), default=0)

    def step(self) -> int:
        """Apply one batch in one transaction; the number of events read (0: caught up)."""
        try:
            with self.db.transaction():
                committed = self.lock()
                count, positions = self.advance(committed, self.batch_size)
                if count:
                    self.flush(positions, commit=True)
        except BaseException:
            self.positions = None  # the rows in memory may hold what was rolled back
            raise
        self.positions = positions
        self.clear()
        if any(rows.crowded for rows in self.rows.values()):
            self.positions = None  # the next batch reloads: key filters sized to the tables
        return count

    def lock(self) -> dict[str, int]:
        """Lock the tracking rows for this transaction; reload rows if another process moved
        them since this one last committed."""
        committed = self.db.positions(self.tracking_names, lock=True)
        if committed != self.positions:
            self.reload()
        return committed

    def reload(self) -> None:
        """Start the cache afresh: empty, knowing only which keys each table holds. The
        positions moved under this process: first make sure no other version of the code
        moved them (``check_shapes``)."""
        check_shapes(self.db, self.models)
        for m in self.models:
            rows = Rows(m.tables, self.load_row, self.cache_rows)
            for t in m.tables:
                if not t.append_only:
                    count = self.db.count_rows(t, self.suffix)
                    rows.know(t.name, self.db.select_keys(t, self.suffix), count)
            self.rows[m.name] = rows

    def load_row(self, t: Table, key: tuple[Any, ...]) -> Row | None:
        return self.db.select_row(t, key, self.suffix)

    def advance(self, committed: dict[str, int], limit: int) -> tuple[int, dict[str, int]]:
        """Apply the next events (in memory) to every model behind them."""
        start = min(committed.values(), default=0)
        try:
            batch = self.source.read(start, limit)
        except Exception as e:
            if is_store_fault(e):
                raise
            raise ProjectionStoppedError("(log)", start + 1, e, exact=limit == 1) from e
        began = time.monotonic()
        for i, (position, event) in enumerate(batch, 1):
            for m in self.models:
                if position > committed[self.tracking_name(m)]:
                    try:
                        m.apply(event, position, self.rows[m.name])
                    except Exception as e:
                        if is_store_fault(e):
                            raise
                        raise ProjectionStoppedError(m.name, position, e) from e
            if self.max_rate:
                # Throttled: a busy production database is spared a rebuild's full speed.
                delay = began + i / self.max_rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        if not batch:
            return 0, committed
        last = batch[-1][0]
        self.batch_span = (batch[0][0], last)
        self.batch_events = len(batch)
        return len(batch), {name: max(p, last) for name, p in committed.items()}

    def flush(self, positions: dict[str, int], *, commit: bool = False) -> None:
        """Write the batch's changed rows and the new positions (inside the transaction).

        A small batch (a live runner's usual one) goes to PostgreSQL as one message, with the
        COMMIT if ``commit`` (the transaction's last writes): its time is round trips. When the
        server refuses it, the writes are made again statement by statement, so that the one
        that fails names its model. A large batch (a rebuild's, a runner catching up) keeps
        the statements and ``COPY``: there the rows' cost outweighs the round trips, and
        binding every row on the client would cost more than it saves.
        """
        if self.batch_events > ONE_MESSAGE_EVENTS:
            self._write(positions)
            return
        try:
            with self.db.one_message(commit=commit):
                self._write(positions)
        except WritesRefusedError:
            self._write(positions)

    def _write(self, positions: dict[str, int]) -> None:
        for m in self.models:
            try:
                self.write_rows(m)
            except WritesRefusedError:
                raise  # held writes of earlier models, refused when sent before this one's
            except Exception as e:
                if is_store_fault(e):
                    raise
                # Which event of the batch it was is found by replaying it one by one.
                first, last = self.batch_span
                raise ProjectionStoppedError(m.name, last, e, exact=first == last) from e
        self.db.set_positions(positions)

    def write_rows(self, m: ReadModel) -> None:
        rows = self.rows[m.name]
        for t in m.tables:
            if t.append_only:
                self.db.insert(t, rows.appended[t.name], self.suffix)
                continue
            self.db.delete(t, sorted(rows.deleted[t.name]), self.suffix)
            self.db.upsert(t, rows.changed(t.name), self.suffix)

    def clear(self) -> None:
        for rows in self.rows.values():
            rows.settle()

    def pinpoint(self, error: ProjectionStoppedError) -> ProjectionStoppedError:
        """The exact event a batch failed on: its events applied again one per transaction
        (those before it are committed, as they would have been in smaller batches)."""
        if error.exact:
            return error
        size, self.batch_size = self.batch_size, 1
        try:
            while self.step():
                continue
        except ProjectionStoppedError as exact:
            return exact
        finally:
            self.batch_size = size
        return error

    def catch_up(self) -> int:
        """Apply batches until no event is left; the number applied."""
        total = 0
        while count := self.step():
            total += count
        return total
