"""The whole procedure over HTTP against a real server on PostgreSQL, each step by its party."""

from __future__ import annotations

import uuid

import pytest

from jiebang_es.config import Settings
from jiebang_es.service import JiebangApp
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, ok

pytestmark = pytest.mark.postgres


def test_nine_steps_by_the_right_roles_end_in_a_funded_project(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    # The default schedule makes half the budget due on signature.
    funded = journey.record(journey.disburse("45000.00"), 201)
    assert funded["events"] == ["Funded"]

    project = ok(journey.bureau.get(f"/v1/projects/{journey.project_id}"))
    assert project["status"] == "contracted"
    assert project["disbursed"] == "45000.00"
    assert project["terms"]["budget"] == "90000.00"
    assert [s["role"] for s in project["signatures"]] == ["bureau", "end_user", "applicant"]
    challenge = ok(journey.eu.get(f"/v1/challenges/{journey.challenge_id}"))
    assert challenge["status"] == "selected"
    assert challenge["project_id"] == journey.project_id


def test_request_id_and_actor_reach_the_events_metadata(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    response = journey.bureau.post(
        f"/v1/challenges/{journey.challenge_id}/cancel",
        json={"reason": "需求单位撤回"},
        headers={"X-Request-ID": "req-cancel-1"},
    )
    receipt = ok(response)
    assert response.headers["X-Request-ID"] == "req-cancel-1"
    reader = JiebangApp(Settings(database_url=server.database_url))
    try:
        (cancelled,) = [
            e
            for e in reader.events_of(journey.challenge_id)
            if e.originator_version == receipt["version"]
        ]
    finally:
        reader.close()
    assert cancelled.audit.request_id == "req-cancel-1"
    assert cancelled.audit.actor_id == f"bureau-{journey.tag}"
    assert cancelled.audit.reason == "需求单位撤回"
