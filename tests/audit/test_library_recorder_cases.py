"""The eventsourcing library's own recorder test cases, run against the sealing recorders.

The sealing recorders subclass the library's; whatever the library promises of an application
recorder (insert, select, notifications, concurrency without conflicts) they keep.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase
from psycopg import sql

from jiebang_es.recorders import SealingPostgresRecorder, SealingSQLiteRecorder
from jiebang_es.sealing import GENESIS, chain, event_digest
from tests.conftest import DEFAULT_SERVER

# The library's timing tests print figures; they are run, their numbers are not asserted.


class TestSealingSQLiteRecorderKeepsTheLibrarysContract(
    ApplicationRecorderTestCase[SealingSQLiteRecorder]
):
    def setUp(self) -> None:
        self.db_name = f"file:jiebang_{uuid.uuid4().hex}?mode=memory&cache=shared"
        self.datastore = SQLiteDatastore(self.db_name)

    def tearDown(self) -> None:
        del self.datastore

    def create_recorder(self) -> SealingSQLiteRecorder:
        recorder = SealingSQLiteRecorder(self.datastore, events_table_name="stored_events")
        recorder.create_table()
        return recorder

    def test_seals_follow_the_notification_order(self) -> None:
        recorder = self.create_recorder()
        self.test_insert_select()
        _assert_chain(recorder)


@pytest.mark.postgres
class TestSealingPostgresRecorderKeepsTheLibrarysContract(
    ApplicationRecorderTestCase[SealingPostgresRecorder]
):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_db: str) -> None:
        self.db_url = postgres_db

    def setUp(self) -> None:
        self.schema = f"lib_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        dbname = self._url().rsplit("/", 1)[1]
        self.datastore = PostgresDatastore(
            dbname, "127.0.0.1", 5432, "postgres", "", schema=self.schema, pool_size=4,
            max_overflow=4,
        )  # fmt: skip

    def tearDown(self) -> None:
        self.datastore.close()
        with psycopg.connect(self._url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))

    def _url(self) -> str:
        return getattr(self, "db_url", os.environ.get("JIEBANG_TEST_POSTGRES_URL", DEFAULT_SERVER))

    def create_recorder(self) -> SealingPostgresRecorder:
        recorder = SealingPostgresRecorder(self.datastore, events_table_name="stored_events")
        recorder.create_table()
        return recorder

    def test_seals_follow_the_notification_order(self) -> None:
        recorder = self.create_recorder()
        self.test_concurrent_no_conflicts()
        _assert_chain(recorder)


def _assert_chain(recorder: SealingSQLiteRecorder | SealingPostgresRecorder) -> None:
    """Every notification has the seal the chain gives it, in notification order."""
    notifications = recorder.select_notifications(start=None, limit=100_000)
    assert notifications
    seal = GENESIS
    expected = []
    for n in notifications:
        seal = chain(seal, event_digest(n.originator_id, n.originator_version, n.topic, n.state))
        expected.append((n.id, seal))
    assert _stored_seals(recorder) == expected


def _stored_seals(recorder):
    if isinstance(recorder, SealingSQLiteRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            c.execute("SELECT notification_id, seal FROM jiebang_seals ORDER BY notification_id")
            return [(r[0], bytes(r[1])) for r in c.fetchall()]
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL("SELECT notification_id, seal FROM {}.jiebang_seals ORDER BY 1").format(
                sql.Identifier(recorder.datastore.schema)
            )
        )
        return [(r["notification_id"], bytes(r["seal"])) for r in curs.fetchall()]
