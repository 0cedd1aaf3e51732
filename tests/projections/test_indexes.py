"""Every filter a list or the audit queries offer has its index, on new and existing stores;
the key filters grow with the tables."""

from __future__ import annotations

from projections import models as read_models
from projections.db import ReadDB, target_of
from projections.model import KeyFilter
from projections.models.audit_index import AUDIT_EVENTS
from projections.models.catalogue import CHALLENGES
from projections.projector import prepare


def test_an_existing_store_gets_the_declared_indexes_and_loses_undeclared_ones(settings):
    models = read_models.build(settings=settings)
    db = ReadDB.connect(target_of(settings))
    try:
        prepare(db, models)
        for t in (AUDIT_EVENTS, CHALLENGES):
            assert set(db.index_columns(t).values()) == set(t.indexes)
        # As a store made by an earlier version: one index missing, one no longer declared.
        with db.transaction():
            name = next(n for n, c in db.index_columns(AUDIT_EVENTS).items() if len(c) == 2)
            schema = f'"{db.target.read_schema}".' if db.postgres else ""
            db.execute(f'DROP INDEX {schema}"{name}"')
            db.execute(f'CREATE INDEX "ix_audit_events_old" ON {db.name("audit_events")} ("role")')
        assert ("role",) in db.index_columns(AUDIT_EVENTS).values()
        prepare(db, models)
        prepare(db, models)  # idempotent
        assert sorted(db.index_columns(AUDIT_EVENTS).values()) == sorted(AUDIT_EVENTS.indexes)
    finally:
        db.close()


def test_the_audit_and_list_filters_are_indexed_with_their_order():
    assert ("aggregate_id", "position") in AUDIT_EVENTS.indexes
    for column in ("actor_id", "request_id", "correlation_id"):
        assert (column, "position") in AUDIT_EVENTS.indexes
    for column in ("status", "industry", "category", "year", "end_user_code"):
        assert (column, "created_position") in CHALLENGES.indexes


def test_a_key_filter_sized_for_a_million_keys_keeps_false_positives_low():
    f = KeyFilter(1_000_000)
    for i in range(1_000_000):
        f.add((f"key-{i}",))
    assert not f.crowded
    assert all((f"key-{i}",) in f for i in range(0, 1_000_000, 997))
    false = sum((f"other-{i}",) in f for i in range(100_000))
    assert false < 2_000  # under 2 %


def test_a_key_filter_past_its_size_says_it_is_crowded():
    f = KeyFilter()
    for i in range(f.capacity + 1):
        f.add((i,))
    assert f.crowded
