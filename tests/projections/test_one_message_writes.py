"""A batch's writes to the read models go to PostgreSQL as one message: the same rows as
statement by statement, in the same order; a write the server refuses undoes them all and is
found again one by one, so the runner still stops naming the model and the event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from jiebang_es.config import Settings
from jiebang_es.domain.demand import Demand
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from projections import models as read_models
from projections.db import ReadDB, WritesRefusedError, target_of
from projections.model import Handler, ReadModel, Rows
from projections.projector import Projector
from projections.runner import run
from projections.schema import Row, table
from projections.status import ProjectionStoppedError
from tests.conftest import new_postgres_schema
from tests.support import ScriptedClock, collect

STATE = table("one_message_state", "k, n:int, m:money, b:bool, j:json, t", key=("k",))
LOG = table("one_message_log", "position:int, note", key=("position",), append_only=True)
# Values a hand-made literal would get wrong: quotes, backslashes, placeholders, non-ASCII.
AWKWARD = ["it's", "back\\slash", "50% of ?", "%s %(x)s", "揭榜挂帅 “引号”", "", "a\nb\tc"]


def _state_rows() -> list[Row]:
    return [
        {
            "k": f"{i:03d}",
            "n": (2**62 if i == 3 else -i),
            "m": Decimal(i) / 8 if i % 3 else None,
            "b": i % 2 == 0,
            "j": {"text": AWKWARD[i % len(AWKWARD)], "i": i},
            "t": AWKWARD[i % len(AWKWARD)],
        }
        for i in range(40)
    ]


@contextmanager
def _batch(db: ReadDB, *, gathered: bool) -> Iterator[None]:
    with db.transaction(), db.one_message() if gathered else nullcontext():
        yield


def _write(db: ReadDB, suffix: str, *, gathered: bool) -> None:
    rows = _state_rows()
    with _batch(db, gathered=gathered):
        db.upsert(STATE, rows, suffix)
        notes = [{"position": i, "note": AWKWARD[i % len(AWKWARD)]} for i in range(12)]
        db.insert(LOG, notes, suffix)
    with _batch(db, gathered=gathered):
        db.delete(STATE, [("001",), ("002",)], suffix)
        db.upsert(STATE, [{**rows[1], "t": "back again"}, {**rows[5], "n": 5}], suffix)


def _connect(url: str) -> ReadDB:
    database = ReadDB.connect(target_of(Settings(database_url=url)))
    database.ensure_schema()
    for suffix in ("", "_plain"):
        database.create_table(STATE, suffix)
        database.create_table(LOG, suffix)
    return database


@pytest.fixture
def db(store_url: str) -> Iterator[ReadDB]:
    database = _connect(store_url)
    yield database
    database.close()


@pytest.fixture
def pg(postgres_db: str) -> Iterator[ReadDB]:
    database = _connect(new_postgres_schema(postgres_db))
    yield database
    database.close()


def test_writes_in_one_message_equal_the_writes_statement_by_statement(db: ReadDB) -> None:
    _write(db, "_plain", gathered=False)
    _write(db, "", gathered=True)
    for t in (STATE, LOG):
        assert db.select_rows(t, ordered=True) == db.select_rows(t, "_plain", ordered=True)
    state = {r["k"]: r for r in db.select_rows(STATE)}
    assert state["001"]["t"] == "back again"
    assert "002" not in state
    assert state["003"]["n"] == 2**62
    assert state["005"]["n"] == 5
    assert state["010"]["j"] == {"text": AWKWARD[3], "i": 10}


@pytest.mark.postgres
def test_a_transaction_of_writes_in_one_message_is_one_round_trip(pg: ReadDB) -> None:
    db = pg
    sent: list[str] = []
    execute = db.conn.execute

    def counting(query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(query, *args, **kwargs)

    db.conn.execute = counting  # type: ignore[method-assign]
    with db.transaction(), db.one_message(commit=True):
        db.upsert(STATE, _state_rows()[:5])
        db.delete(STATE, [("000",)])
        db.insert(LOG, [{"position": 1, "note": "x"}])
        db.set_positions({"probe": 7})
        assert sent == []  # held until the end
    # The transaction's BEGIN, its writes and its COMMIT: one round trip.
    assert len(sent) == 1
    assert sent[0].startswith("BEGIN;")
    assert sent[0].endswith(";\nCOMMIT")
    assert db.positions(["probe"]) == {"probe": 7}
    assert [r["k"] for r in db.select_rows(STATE, ordered=True)] == ["001", "002", "003", "004"]


def _writes_with_an_overflow(db: ReadDB) -> None:
    with db.one_message():
        db.upsert(STATE, [{"k": "held", "n": 2}])
        db.insert(LOG, [{"position": 9, "note": "held"}])
        # numeric(18,2) overflows on the server: no client-side check sees it
        db.upsert(STATE, [{"k": "too-much", "m": Decimal("1e20")}])


@pytest.mark.postgres
def test_a_write_the_server_refuses_undoes_the_message_and_keeps_the_transaction(
    pg: ReadDB,
) -> None:
    db = pg
    with db.transaction():
        db.upsert(STATE, [{"k": "before", "n": 1}])
        with pytest.raises(WritesRefusedError) as refused:
            _writes_with_an_overflow(db)
        assert "numeric field overflow" in str(refused.value.cause)
        db.upsert(STATE, [{"k": "after", "n": 3}])  # the transaction goes on
    assert [r["k"] for r in db.select_rows(STATE, ordered=True)] == ["after", "before"]
    assert db.select_rows(LOG) == []


@pytest.mark.postgres
def test_held_writes_refused_when_a_bulk_write_sends_them_early_are_undone_the_same(
    pg: ReadDB,
) -> None:
    """A COPY sends the held writes first: their refusal is the held writes', not the COPY's."""
    db = pg
    many = [{"position": i, "note": "bulk"} for i in range(250)]
    with db.transaction():
        with db.one_message():
            db.upsert(STATE, [{"k": "too-much", "m": Decimal("1e20")}])
            with pytest.raises(WritesRefusedError):
                db.insert(LOG, many)  # 250 rows: by COPY, after what is held
        db.insert(LOG, many[:1])
    assert db.select_rows(STATE) == []
    assert [r["position"] for r in db.select_rows(LOG)] == [0]


PROBE = table("overflow_probe", "demand_id, amount:money", key=("demand_id",))


class Overflowing(ReadModel):
    """Writes an amount PostgreSQL's numeric(18,2) cannot hold, for every collected demand."""

    name = "overflow_probe"
    title = "a model whose writes the server refuses"
    tables = (PROBE,)

    def handle(self) -> dict[type, Handler]:
        return {Demand.Collected: self.collected}

    def collected(self, e: Demand.Collected, pos: int, rows: Rows) -> None:
        rows.put(PROBE.name, {"demand_id": str(e.originator_id), "amount": Decimal("1e20")})


@pytest.mark.postgres
def test_a_write_the_server_refuses_stops_the_runner_naming_model_and_event(
    postgres_db: str,
) -> None:
    settings = Settings(database_url=new_postgres_schema(postgres_db))
    app = JiebangApp(settings, clock=(clock := ScriptedClock()))
    try:
        collect(app, clock, END_USER_EQUIPMENT, "智能科技")
        first_demand = app.position()
    finally:
        app.close()
    models = [*read_models.build(["audit_index"], settings), Overflowing()]
    projector = Projector(settings, models)
    try:
        projector.prepare()
        with pytest.raises(ProjectionStoppedError) as stopped:
            projector.step()
    finally:
        projector.close()
    assert stopped.value.model == "overflow_probe"
    assert "numeric field overflow" in str(stopped.value)
    assert stopped.value.position == first_demand
    # Nothing of the batch was kept, in any model: a later run starts from the same event.
    assert run(settings, names=["audit_index"], until_caught_up=True) == first_demand


def test_a_transaction_that_fails_keeps_nothing_and_the_connection_goes_on(db: ReadDB) -> None:
    def fails() -> None:
        with db.transaction():
            db.upsert(STATE, [{"k": "lost", "n": 1}])
            db.set_positions({"probe": 3})
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fails()
    assert db.select_rows(STATE) == []
    assert db.positions(["probe"]) == {"probe": 0}
    with db.transaction():
        db.upsert(STATE, [{"k": "kept", "n": 2}])
    assert [r["k"] for r in db.select_rows(STATE)] == ["kept"]


NOWAIT = "SELECT position FROM {} WHERE model = ? FOR UPDATE NOWAIT"


@pytest.mark.postgres
def test_the_tracking_rows_locked_by_the_first_statement_stay_locked_until_commit(
    pg: ReadDB,
) -> None:
    """The BEGIN sent with the lock's SELECT makes it a transaction's: another session waits."""
    with pg.transaction():
        pg.set_positions({"probe": 1})
    other = ReadDB.connect(pg.target)
    try:
        with pg.transaction():
            assert pg.positions(["probe"], lock=True) == {"probe": 1}
            with pytest.raises(psycopg.errors.LockNotAvailable), other.transaction():
                other.query(NOWAIT.format(other.name("tracking")), ("probe",))
        with other.transaction():  # committed: free again
            assert other.positions(["probe"], lock=True) == {"probe": 1}
    finally:
        other.close()
    with pytest.raises(RuntimeError, match="do not nest"), pg.transaction(), pg.transaction():
        pass
