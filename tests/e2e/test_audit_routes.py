"""The audit routes over HTTP: supervisors read every history; nobody else does."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT, INSTITUTE_WEST
from jiebang_es.service_base import CHINA_TZ
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, ok

pytestmark = pytest.mark.postgres
SUPERVISOR_ORG = "11500106MB1234567X"


@pytest.fixture(scope="module")
def published(server: Server) -> HttpJourney:
    return HttpJourney(server, uuid.uuid4().hex[:8]).to_published()


def test_supervisor_reads_a_history_with_changed_fields(server: Server, published) -> None:
    supervisor = server.client(Role.SUPERVISOR, SUPERVISOR_ORG, "auditor-wang")
    body = ok(supervisor.get(f"/v1/audit/aggregates/{published.challenge_id}/history"))
    events = [e["event"] for e in body["entries"]]
    assert events[0] == "Challenge.Drafted"
    assert events[-1] == "Challenge.Published"
    published_entry = body["entries"][-1]
    assert published_entry["audit"]["actor_id"] == f"bureau-{published.tag}"
    assert published_entry["audit"]["role"] == "bureau"
    status = next(c for c in published_entry["changes"] if c["field"] == "status")
    assert status == {"field": "status", "old": "listed", "new": "published"}


def test_supervisor_reads_the_state_as_of_a_time(server: Server, published) -> None:
    supervisor = server.client(Role.SUPERVISOR, SUPERVISOR_ORG, "auditor-wang")
    history = ok(supervisor.get(f"/v1/audit/aggregates/{published.challenge_id}/history"))
    drafted_at = history["entries"][0]["audit"]["recorded_at"]
    then = ok(
        supervisor.get(
            f"/v1/audit/aggregates/{published.challenge_id}/state", params={"as_of": drafted_at}
        )
    )
    assert then["version"] == 1
    assert then["state"]["status"] == "draft"
    now = ok(
        supervisor.get(
            f"/v1/audit/aggregates/{published.challenge_id}/state",
            params={"as_of": datetime.now(CHINA_TZ).isoformat()},
        )
    )
    assert now["state"]["status"] == "published"


def test_supervisor_finds_what_one_actor_did_in_the_audit_index(server: Server, published) -> None:
    supervisor = server.client(Role.SUPERVISOR, SUPERVISOR_ORG, "auditor-wang")
    page = ok(
        supervisor.get(
            "/v1/audit/events",
            params={
                "actor_id": f"bureau-{published.tag}",
                "min_position": published.last_position,
                "limit": 500,
            },
        )
    )
    assert page["items"]
    assert {e["actor_id"] for e in page["items"]} == {f"bureau-{published.tag}"}
    assert published.challenge_id in {e["aggregate_id"] for e in page["items"]}


@pytest.mark.parametrize(
    ("role", "org"),
    [
        (Role.BUREAU, BUREAU.credit_code),
        (Role.END_USER, END_USER_EQUIPMENT.credit_code),
        (Role.APPLICANT, INSTITUTE_WEST.credit_code),
        (Role.EXPERT, INSTITUTE_WEST.credit_code),
        (Role.ANALYST, SUPERVISOR_ORG),
    ],
)
def test_only_supervisors_read_the_audit_trail(server: Server, published, role, org) -> None:
    client = server.client(role, org, f"someone-{role.value}")
    for path in (
        f"/v1/audit/aggregates/{published.challenge_id}/history",
        "/v1/audit/events",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.headers["content-type"].startswith("application/problem+json")
    assert server.client().get("/v1/audit/events").status_code == 401


def test_unknown_aggregate_history_is_404_and_a_naive_time_is_422(server: Server) -> None:
    supervisor = server.client(Role.SUPERVISOR, SUPERVISOR_ORG, "auditor-wang")
    missing = supervisor.get(f"/v1/audit/aggregates/{uuid.uuid4()}/history")
    assert missing.status_code == 404
    naive = supervisor.get(
        f"/v1/audit/aggregates/{uuid.uuid4()}/state", params={"as_of": "2026-06-01T00:00:00"}
    )
    assert naive.status_code == 422
    assert "as_of" in naive.text


def test_a_period_that_ends_before_it_begins_is_422_naming_its_end(server: Server) -> None:
    supervisor = server.client(Role.SUPERVISOR, SUPERVISOR_ORG, "auditor-wang")
    reversed_period = supervisor.get(
        "/v1/audit/events",
        params={
            "recorded_from": "2026-06-02T00:00:00+08:00",
            "recorded_until": "2026-06-01T00:00:00+08:00",
        },
    )
    assert reversed_period.status_code == 422, reversed_period.text
    assert reversed_period.json()["errors"][0]["field"] == "recorded_until"
    # the same moment in another zone is no period either
    empty = supervisor.get(
        "/v1/audit/events",
        params={
            "recorded_from": "2026-06-01T08:00:00+08:00",
            "recorded_until": "2026-06-01T00:00:00+00:00",
        },
    )
    assert empty.status_code == 422
    naive = supervisor.get(
        "/v1/audit/events",
        params={"recorded_from": "2026-06-01T00:00:00", "recorded_until": "2026-06-02T00:00:00Z"},
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "recorded_from"
