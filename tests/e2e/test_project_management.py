"""The rest of a project's life over HTTP: objections, milestones, filed and agreed changes,
extension, final assessment; a classified project's waived notice; withdrawals, failure, credit."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest

from jiebang_es.domain.values import Role, Scope, uscc_check_char
from jiebang_es.sample import ENTERPRISE_HUADONG, INSTITUTE_WEST, key_challenge_content
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, ok

pytestmark = pytest.mark.postgres


def test_objection_lodged_by_a_rival_and_dismissed_by_the_bureau(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_selected().publicize()
    server.on(date(2026, 5, 19))
    rival = journey.solver(ENTERPRISE_HUADONG)
    lodged = journey.record(
        rival.post(f"/v1/projects/{journey.project_id}/objections", json={"grounds": "评分有异议"}),
        201,
    )
    objection_id = lodged["objection_id"]
    server.on(date(2026, 5, 21))
    journey.record(
        journey.bureau.post(
            f"/v1/projects/{journey.project_id}/objections/{objection_id}/resolve",
            json={"upheld": False, "reason": "经复核，程序合规"},
        )
    )
    project = ok(journey.bureau.get(f"/v1/projects/{journey.project_id}"))
    assert project["objections"] == {objection_id: "dismissed"}
    journey.close_notice()
    assert ok(journey.bureau.get(f"/v1/projects/{journey.project_id}"))["status"] == "in_management"


def test_contracted_project_runs_to_its_final_assessment(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    base = f"/v1/projects/{journey.project_id}"
    solver = journey.solver(INSTITUTE_WEST)
    server.on(date(2026, 7, 1))
    journey.record(
        solver.post(
            f"{base}/route-changes",
            json={
                "kind": "technical_route",
                "description": "改用光电方案",
                "reason": "磁电方案温漂超标",
            },
        ),
        201,
    )
    terms = journey.terms("95000.00")
    proposed = journey.record(
        journey.bureau.post(
            f"{base}/contract/changes", json={"terms": terms, "reason": "预算调整"}
        ),
        201,
    )
    change = f"{base}/contract/changes/{proposed['change_id']}/approve"
    journey.record(journey.bureau.post(change, json={}))
    amended = journey.record(journey.eu.post(change, json={}))
    assert amended["events"] == ["ContractChangeApproved", "ContractAmended"]
    experts = [journey.experts[e.person_id] for e in journey.sample_experts()[:2]]
    journey.record(
        journey.bureau.post(
            f"{base}/extend",
            json={
                "extra_months": 6,
                "opinions": [{"expert_id": x, "opinion": "同意延期"} for x in experts],
                "reason": "样机验证需补充环境试验",
            },
        )
    )
    journey.deliver()
    project = ok(journey.bureau.get(f"{base}", params={"min_position": journey.last_position}))
    assert project["status"] == "completed"
    assert project["terms"]["budget"] == "95000.00"
    assert project["terms"]["period_months"] == 24
    assert project["verdict"] == "pass"


def test_disbursements_and_portfolio_read_from_the_read_models(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    journey.record(journey.disburse("30000.00"), 201)
    journey.record(journey.disburse("20000.00"), 201)
    after = {"min_position": journey.last_position}
    ledger = ok(journey.eu.get(f"/v1/projects/{journey.project_id}/disbursements", params=after))
    assert [d["amount"] for d in ledger["items"]] == ["30000.00", "20000.00"]
    assert ledger["items"][-1]["project_total"] == "50000.00"
    portfolio = ok(
        journey.bureau.get("/v1/projects", params=after | {"challenge_id": journey.challenge_id})
    )
    assert [p["project_id"] for p in portfolio["items"]] == [journey.project_id]
    counts = ok(
        journey.eu.get(f"/v1/challenges/{journey.challenge_id}/application-counts", params=after)
    )
    assert counts["counts"] == {"selected": 1}
    panels = ok(journey.eu.get(f"/v1/challenges/{journey.challenge_id}/panels", params=after))
    assert {p["panel"] for p in panels["items"]} == {"argumentation", "review"}


def test_classified_project_waives_its_notice_and_stays_out_of_public_notices(
    server: Server,
) -> None:
    secret = replace(
        key_challenge_content(),
        scope=Scope.RESTRICTED,
        classified=True,
        recipients=(INSTITUTE_WEST.credit_code,),
    )
    journey = HttpJourney(server, uuid.uuid4().hex[:8], content=secret).to_selected()
    server.on(date(2026, 5, 18))
    journey.record(
        journey.bureau.post(
            f"/v1/projects/{journey.project_id}/waive-notice", json={"reason": "涉密项目不公示"}
        )
    )
    journey.contract()
    notices = ok(
        server.client().get(
            "/v1/public/notices", params={"min_position": journey.last_position, "limit": 500}
        )
    )
    assert journey.project_id not in {n["project_id"] for n in notices["items"]}


def test_withdrawal_failure_and_credit_record(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_published()
    application_id = journey.apply()
    server.on(date(2026, 4, 25))
    withdrawn = journey.record(
        journey.solver().post(f"/v1/applications/{application_id}/withdraw", json={})
    )
    assert withdrawn["events"] == ["Withdrawn"]
    server.on(date(2026, 5, 11))
    failed = journey.record(
        journey.bureau.post(
            f"/v1/challenges/{journey.challenge_id}/fail", json={"reason": "无人揭榜"}
        )
    )
    assert failed["events"] == ["Failed"]
    first17 = f"9150010{uuid.uuid4().int % 10**10:010d}"
    code = first17 + uscc_check_char(first17)
    journey.record(
        journey.bureau.post(
            "/v1/credit-records",
            json={"org_code": code, "status": "seriously_dishonest", "source": "信用中国查询"},
        )
    )
    found = ok(journey.bureau.get(f"/v1/credit-records/{code}"))
    assert found["status"] == "seriously_dishonest"
    assert (
        server.client(Role.APPLICANT, INSTITUTE_WEST, "x")
        .get(f"/v1/credit-records/{code}")
        .status_code
        == 403
    )


def test_notice_in_a_year_the_calendar_does_not_know_is_422_naming_the_year(
    server: Server,
) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_selected()
    server.on(date(2027, 5, 18))
    response = journey.bureau.post(f"/v1/projects/{journey.project_id}/publicize", json={})
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/calendar-not-covered"
    assert problem["year"] == 2027
    assert "JIEBANG_HOLIDAY_SCHEDULE" in problem["detail"]
