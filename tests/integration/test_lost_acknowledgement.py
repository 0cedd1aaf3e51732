"""A commit whose acknowledgement is lost: the library retries the insert, the retry conflicts
with the command's own events, and the command is answered with its receipt, once.

The recorders below commit and then raise the error a connection broken after COMMIT raises;
the library's own retry decorator (the one on its ``insert_events``) then runs the insert again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.utils import Environment, EnvType, retry

from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.domain.values import DemandSource
from jiebang_es.errors import ConcurrentWriteError
from jiebang_es.recorders import SealingPostgresRecorder, SealingSQLiteRecorder
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from tests.support import BUREAU_STAFF, Journey, ScriptedClock

LOST: list[int] = [0]  # acknowledgements still to lose


class LosesAcknowledgements:
    """Mixed into a recorder: commit, then fail as a connection broken after COMMIT fails."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.01)  # as the library's
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
        if LOST[0]:
            LOST[0] -= 1
            raise OperationalError("server closed the connection unexpectedly (after COMMIT)")
        return ids


class LostAckSQLiteRecorder(LosesAcknowledgements, SealingSQLiteRecorder):
    pass


class LostAckPostgresRecorder(LosesAcknowledgements, SealingPostgresRecorder):
    pass


class LostAckApp(JiebangApp):
    name = "jiebang"  # the store's table names derive from it

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        environment = super().construct_env(name, env)
        kind = "Postgres" if "postgres" in environment["PERSISTENCE_MODULE"] else "SQLite"
        environment["APPLICATION_RECORDER_TOPIC"] = f"{__name__}:LostAck{kind}Recorder"
        return environment


@pytest.fixture
def lossy(store_url: str, clock: ScriptedClock) -> Iterator[JiebangApp]:
    app = LostAckApp(Settings(database_url=store_url), clock=clock)
    LOST[0] = 0
    try:
        yield app
    finally:
        LOST[0] = 0
        app.close()


def collect(app: JiebangApp, meta: CommandMeta) -> Any:
    return app.collect_demand(
        BUREAU_STAFF,
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="需求",
        description="调研",
        meta=meta,
    )


@pytest.mark.parametrize("key", [None, "urn:person:li\x1fk-1"])
def test_lost_acknowledgement_is_answered_with_the_commands_own_receipt(
    lossy: JiebangApp, key: str | None
) -> None:
    LOST[0] = 1
    receipt = collect(lossy, CommandMeta(request_id="req-lost-1", idempotency_key=key))
    assert LOST[0] == 0  # the acknowledgement was lost and the insert retried
    events = lossy.events_of(receipt.aggregate_id)
    assert [type(e).__name__ for e in events] == ["Collected"]
    assert events[0].audit.request_id == "req-lost-1"
    assert receipt.version == 1
    assert receipt.position == lossy.position()
    assert receipt.seal
    if key is not None:
        stored = lossy.stored_request(key)
        assert stored is not None
        assert stored.receipt == receipt
    assert verify_store(lossy.settings).intact


def test_conflict_with_another_commands_events_is_still_a_conflict(
    lossy: JiebangApp, store_url: str, clock: ScriptedClock
) -> None:
    # Recognition is by the stored events' request id and recording time: another command's
    # write to the same version stays a 409, even under the same (client-chosen) request id.
    j = Journey(lossy, clock).draft()
    other = JiebangApp(Settings(database_url=store_url), clock=clock)
    try:
        stale = other.challenge(j.challenge_id)
        same = CommandMeta(request_id="same-id")
        lossy.revise_draft(BUREAU_STAFF, j.challenge_id, content=j.content, meta=same)
        stale.revise(other._audit(BUREAU_STAFF, same), replace(j.content, name="乙"))
        before = lossy.position()
        with pytest.raises(ConcurrentWriteError):
            other._save(stale)
        assert lossy.position() == before
    finally:
        other.close()
