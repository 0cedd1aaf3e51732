"""Version 2's review and selection over HTTP: the list of a challenge's applications, a
replacement after a recusal, an absence, a selection against the ranking with its reason, and
units of every kind the plan names (R-OPEN)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest

from jiebang_es.domain.values import Role, UnitType
from jiebang_es.sample import BUREAU, INSTITUTE_WEST, UNIVERSITY_JIANGNAN, UNIVERSITY_MEDICAL
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, ok

pytestmark = pytest.mark.postgres


def reviewed_two(server: Server) -> tuple[HttpJourney, str, str]:
    j = HttpJourney(server, uuid.uuid4().hex[:8]).to_published()
    high = j.apply(UNIVERSITY_JIANGNAN)
    low = j.apply(UNIVERSITY_MEDICAL)
    j.panel()
    j.review(high)
    server.on(date(2026, 5, 12))
    for e in j.panel_experts():
        client = j.expert_client(e)
        base = f"/v1/applications/{low}"
        declared = j.record(client.post(f"{base}/conflict-declaration", json={"conflict": False}))
        if declared["events"] == ["ExpertRecused"]:
            continue
        advice = {"score": 60, "opinion": "欠成熟", "recommend": False}
        j.record(client.post(f"{base}/score", json=advice))
    return j, high, low


def test_r_select_reason_over_http_refused_then_justified(server: Server) -> None:
    j, _, low = reviewed_two(server)
    server.on(date(2026, 5, 15))
    j.check_credit()
    path = f"/v1/challenges/{j.challenge_id}/select"
    refused = j.eu.post(path, json={"application_id": low})
    assert refused.status_code == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["rule_id"] == "R-SELECT-REASON"
    selected = j.record(
        j.eu.post(path, json={"application_id": low, "exception_reason": "可立即临床验证"}), 201
    )
    assert selected["events"] == ["Selected", "SolverSelected"]


def test_list_of_a_challenges_applications_pages_with_scores_and_means(server: Server) -> None:
    j, high, low = reviewed_two(server)
    path = f"/v1/challenges/{j.challenge_id}/applications"
    first = ok(j.eu.get(path, params={"limit": 1}))
    assert [a["id"] for a in first["items"]] == [high]
    assert first["items"][0]["mean_score"] == "88.00"
    second = ok(j.bureau.get(path, params={"limit": 1, "cursor": first["next_cursor"]}))
    assert [a["id"] for a in second["items"]] == [low]
    assert second["next_cursor"] is None
    assert {s["recommended"] for s in second["items"][0]["scores"]} == {False}
    bad = j.bureau.get(path, params={"cursor": "nonsense!"})
    assert bad.status_code == 422


def test_replacement_and_absence_over_http(server: Server) -> None:
    j = HttpJourney(server, uuid.uuid4().hex[:8]).to_published()
    application = j.apply(INSTITUTE_WEST)  # the peer-inside expert works there: recused
    j.panel(drawn=False)  # named by hand (R-DRAW exception): a drawn seat is filled in order
    server.on(date(2026, 5, 12))
    spare = j.record(
        j.bureau.post(
            "/v1/experts",
            json={
                "person_id": f"exp-{j.tag}-spare",
                "name": "钱研究员",
                "org_code": UNIVERSITY_JIANGNAN.credit_code,
                "org_name": UNIVERSITY_JIANGNAN.name,
                "kind": "peer_outside",
            },
        ),
        201,
    )["aggregate_id"]
    base = f"/v1/challenges/{j.challenge_id}/review-panel"
    no_reason = j.bureau.post(
        f"{base}/replacements",
        json={"expert_id": spare, "replaces": j.experts[f"exp-{j.tag}-peer-in"]},
    )
    assert no_reason.json()["rule_id"] == "R-REVIEW-PANEL"
    body = {"expert_id": spare, "replaces": j.experts[f"exp-{j.tag}-peer-in"], "reason": "回避"}
    assert j.record(j.bureau.post(f"{base}/replacements", json=body))["events"] == [
        "ReplacementExpertProposed"
    ]
    j.record(j.bureau.post(f"{base}/replacements/{spare}/confirm", json={}))
    j.record(j.eu.post(f"{base}/replacements/{spare}/confirm", json={}))
    absent = j.experts[f"exp-{j.tag}-front"]
    j.record(j.bureau.post(f"{base}/absences", json={"expert_id": absent, "reason": "病假"}))
    challenge = ok(j.bureau.get(f"/v1/challenges/{j.challenge_id}"))
    assert challenge["replacements_confirmed"] == [spare]
    assert challenge["absent"] == [absent]
    spare_client = server.client(Role.EXPERT, UNIVERSITY_JIANGNAN, f"exp-{j.tag}-spare")
    path = f"/v1/applications/{application}"
    j.record(spare_client.post(f"{path}/conflict-declaration", json={"conflict": False}))
    j.record(spare_client.post(f"{path}/score", json={"score": 85, "opinion": "可行"}))
    absent_client = server.client(Role.EXPERT, BUREAU, f"exp-{j.tag}-front")
    late = absent_client.post(f"{path}/conflict-declaration", json={"conflict": False})
    assert late.json()["rule_id"] == "R-REVIEW-PANEL"


@pytest.mark.parametrize(
    "unit_type", [UnitType.HOSPITAL, UnitType.NEW_RD_INSTITUTION, UnitType.OTHER_RESEARCH_UNIT]
)
def test_r_open_hospitals_and_new_type_rd_institutions_apply_over_http(
    server: Server, unit_type: UnitType
) -> None:
    j = HttpJourney(server, uuid.uuid4().hex[:8]).to_published()
    lead = replace(UNIVERSITY_MEDICAL, unit_type=unit_type)
    application = j.apply(lead)
    seen = ok(j.bureau.get(f"/v1/applications/{application}"))
    assert seen["lead"]["organisation"]["unit_type"] == unit_type.value
