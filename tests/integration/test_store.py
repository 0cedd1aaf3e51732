"""The store: an outage is an error that names it, and a command's events land together or not."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from jiebang_es.config import Settings
from jiebang_es.domain.demand import Demand
from jiebang_es.domain.values import DemandSource
from jiebang_es.errors import ConcurrentWriteError, NotFoundError, StoreUnavailableError
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from tests.conftest import new_postgres_schema
from tests.support import BUREAU_STAFF, Journey


@pytest.mark.postgres
def test_unreachable_postgres_is_store_unavailable():
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere", connect_timeout=1)
    with pytest.raises(StoreUnavailableError):
        JiebangApp(settings)


@pytest.mark.postgres
def test_dropped_connections_are_replaced_and_nothing_is_lost(postgres_db, clock):
    store_url = new_postgres_schema(postgres_db)
    app = JiebangApp(Settings(database_url=store_url), clock=clock)
    try:
        j = Journey(app, clock).draft(confirm=False)
        dbname = store_url.split("/")[-1].split("?")[0]
        with psycopg.connect(store_url.split("?")[0], autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
        receipt = app.revise_draft(BUREAU_STAFF, j.challenge_id, content=j.content)
        assert receipt.version == 2
        assert [type(e).__name__ for e in app.events_of(j.challenge_id)] == [
            "Drafted",
            "DraftRevised",
        ]
    finally:
        app.close()


def test_one_commands_aggregates_are_saved_all_or_nothing(make_app, clock):
    first, second = make_app(), make_app()
    j = Journey(first, clock).draft()
    stale = second.challenge(j.challenge_id)
    first.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(j.content, name="甲"))
    audit = second._audit(BUREAU_STAFF, CommandMeta())
    demand = Demand(
        audit=audit,
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="t",
        description="d",
    )
    stale.revise(audit, replace(j.content, name="乙"))
    before = first.position()
    with pytest.raises(ConcurrentWriteError):
        second._save(demand, stale)
    assert first.position() == before
    with pytest.raises(NotFoundError):
        first.demand(str(demand.id))
