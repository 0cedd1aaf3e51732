"""A commit whose acknowledgement is lost: the library retries the insert, the retry conflicts
with the command's own events, and the command is answered with its receipt, once.

The recorders below commit and then raise the error a connection broken after COMMIT raises;
the library's own retry decorator (the one on its ``insert_events``) then runs the insert again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import httpx
import pytest
import uvicorn
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.utils import Environment, EnvType, retry
from pydantic import SecretStr

from api.app import create_app
from api.auth import Keys, issue_token
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.domain.values import DemandSource, Role
from jiebang_es.errors import ConcurrentWriteError
from jiebang_es.recorders import SealingPostgresRecorder, SealingSQLiteRecorder
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from tests.e2e.conftest import SECRET, free_port
from tests.e2e.journey import org_json
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


@pytest.fixture
def lossy_api(lossy: JiebangApp) -> Iterator[str]:
    """The HTTP API in this process (uvicorn in a thread) on the lossy application."""
    settings = lossy.settings.model_copy(update={"jwt_secret": SecretStr(SECRET)})
    config = uvicorn.Config(
        create_app(settings, jiebang=lossy), host="127.0.0.1", port=free_port(), log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize("key", [None, "lost-ack-http"])
def test_lost_acknowledgement_over_http_is_a_success_not_a_409(
    lossy_api: str, lossy: JiebangApp, key: str | None
) -> None:
    settings = lossy.settings.model_copy(update={"jwt_secret": SecretStr(SECRET)})
    token = issue_token(
        settings, Keys(SECRET, SECRET, ("HS256",)), role=Role.BUREAU, org=BUREAU.credit_code,
        sub="bureau-lost",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})
    body = {"source": "survey_visit", "enterprise": org_json(END_USER_EQUIPMENT),
            "industry": "智能科技", "title": "需求"}  # fmt: skip
    LOST[0] = 1
    response = httpx.post(f"{lossy_api}/v1/demands", json=body, headers=headers, timeout=30)
    assert LOST[0] == 0
    assert response.status_code == 201, response.text
    assert "Idempotent-Replayed" not in response.headers
    receipt = response.json()
    assert receipt["position"] == lossy.position()
    assert [type(e).__name__ for e in lossy.events_of(receipt["aggregate_id"])] == ["Collected"]
