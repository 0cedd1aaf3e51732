"""The project's v2 routes over HTTP: the payment schedule and what has fallen due, a failed
milestone's rectification, the reported co-investment, the bureau's acceptance and the final
tranche; the public notice's fields and the district number; refusals naming their rules."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from jiebang_es.domain.values import Role
from jiebang_es.sample import ENTERPRISE_HUADONG, INSTITUTE_WEST
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, ok
from tests.e2e.test_refusals import assert_refused, position

pytestmark = pytest.mark.postgres


def test_r_milestone_schedule_rectification_acceptance_and_final_tranche(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    base = f"/v1/projects/{journey.project_id}"
    solver = journey.solver(INSTITUTE_WEST)
    schedule = journey.bureau.get(f"{base}/payment-schedule")
    assert schedule.headers["ETag"]
    body = ok(schedule)
    assert [(t["amount"], t["condition"], t["fallen_due"]) for t in body["tranches"]] == [
        ("45000.00", "signature", True),
        ("27000.00", "milestone:1", False),
        ("18000.00", "final_assessment", False),
    ]
    assert (body["fallen_due"], body["payable_now"]) == ("45000.00", "45000.00")
    assert body["co_investment_contracted"] == "200000.00"
    journey.record(journey.disburse("45000.00"), 201)

    server.on(date(2026, 12, 1))
    journey.check_credit()  # R-CREDIT: each payment needs a recent check
    journey.record(solver.post(f"{base}/milestones/样机/report", json={"report": "样机"}))
    journey.record(journey.eu.post(f"{base}/milestones/样机/assess", json={"verdict": "fail"}))
    stopped = ok(
        journey.eu.get(f"{base}/payment-schedule", params={"min_position": journey.last_position})
    )
    assert stopped["stopped_by_failed_milestones"] == ["样机"]
    assert stopped["payable_now"] == "0.00"
    before = position(server)
    refused = journey.bureau.post(
        f"{base}/disbursements", json={"amount": "1000.00", "purpose": "节点"}
    )
    assert_refused(server, before, refused, "R-MILESTONE")

    journey.record(
        solver.post(f"{base}/milestones/样机/rectification", json={"report": "更换读数头"}), 201
    )
    journey.record(
        journey.eu.post(
            f"{base}/milestones/样机/rectification/assess",
            json={"verdict": "pass", "remarks": "复测达标"},
        )
    )
    journey.record(
        journey.bureau.post(
            f"{base}/disbursements", json={"amount": "27000.00", "purpose": "节点"}
        ),
        201,
    )
    journey.record(solver.post(f"{base}/milestones/小批量验证/report", json={"report": "验证"}))
    journey.record(
        journey.eu.post(f"{base}/milestones/小批量验证/assess", json={"verdict": "pass"})
    )
    before = position(server)
    assert_refused(
        server,
        before,
        journey.bureau.post(f"{base}/accept", json={"remarks": "验收"}),
        "R-ASSESS-EU",
    )
    journey.record(journey.eu.post(f"{base}/assess", json={"verdict": "pass", "remarks": "达标"}))
    before = position(server)
    assert_refused(
        server,
        before,
        journey.bureau.post(f"{base}/accept", json={"remarks": "验收"}),
        "R-EU-COMMIT",
    )
    journey.record(
        journey.eu.post(f"{base}/co-investments", json={"amount": "210000.00", "note": "投入"}), 201
    )
    before = position(server)
    reversed_verdict = journey.bureau.post(
        f"{base}/accept", json={"remarks": "改判", "verdict": "fail"}
    )
    assert_refused(server, before, reversed_verdict, "R-ASSESS-EU")
    journey.record(journey.bureau.post(f"{base}/accept", json={"remarks": "同意结题"}))
    journey.record(
        journey.bureau.post(
            f"{base}/disbursements", json={"amount": "18000.00", "purpose": "尾款"}
        ),
        201,
    )
    project = ok(journey.bureau.get(base, params={"min_position": journey.last_position}))
    assert (project["status"], project["disbursed"], project["co_invested"]) == (
        "completed",
        "90000.00",
        "210000.00",
    )
    assert project["district_number"]


def test_r_publicity_public_notice_says_how_to_object_and_shows_the_number(
    server: Server,
) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_selected().publicize()
    anonymous = server.client()
    notices = ok(
        anonymous.get(
            "/v1/public/notices", params={"min_position": journey.last_position, "limit": 500}
        )
    )
    [notice] = [n for n in notices["items"] if n["project_id"] == journey.project_id]
    assert notice["project_leader"]
    assert notice["end_user_name"] == journey.end_user.name
    assert notice["funding"] == "100000.00"
    assert "异议" in notice["objection_channel"]
    journey.close_notice()
    notices = ok(
        anonymous.get(
            "/v1/public/notices", params={"min_position": journey.last_position, "limit": 500}
        )
    )
    [notice] = [n for n in notices["items"] if n["project_id"] == journey.project_id]
    assert notice["district_number"].startswith("SPB-KJ-2026-")


def test_r_autonomy_leader_change_is_refused_as_a_filing(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    before = position(server)
    response = journey.solver().post(
        f"/v1/projects/{journey.project_id}/route-changes",
        json={"kind": "project_leader", "description": "负责人改为李工", "reason": "调离"},
    )
    assert_refused(server, before, response, "R-AUTONOMY")


def test_r_eu_commit_reported_only_by_the_projects_end_user(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    other = server.client(Role.END_USER, ENTERPRISE_HUADONG, "other-eu")
    before = position(server)
    response = other.post(
        f"/v1/projects/{journey.project_id}/co-investments",
        json={"amount": "1.00", "note": "x"},
    )
    assert response.status_code in (403, 404, 422), response.text
    assert position(server) == before


def test_payment_schedule_is_for_the_parties_and_supervisors(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    path = f"/v1/projects/{journey.project_id}/payment-schedule"
    assert journey.eu.get(path).status_code == 200
    assert journey.solver().get(path).status_code == 200
    outsider = server.client(Role.APPLICANT, ENTERPRISE_HUADONG, "rival")
    response = outsider.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
