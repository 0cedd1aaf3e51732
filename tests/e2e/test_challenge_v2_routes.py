"""The challenge side's version-2 routes over HTTP: the end user's confirmation, the year's
budget envelope and its use, and the list of demands."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from jiebang_es.domain.values import Role
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    major_challenge_content,
)
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, at, ok
from tests.e2e.test_refusals import assert_refused, position

pytestmark = pytest.mark.postgres


def test_r_eu_drafts_end_user_confirms_what_it_read_over_http(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8])
    journey.confirm = lambda: journey  # type: ignore[method-assign]
    journey.draft()
    path = f"/v1/challenges/{journey.challenge_id}"
    read = ok(journey.eu.get(path))
    assert read["eu_confirmed"] is False
    before = position(server)
    argued = journey.bureau.post(
        f"{path}/argumentation",
        json={
            "conclusion": "pass",
            "opinions": [
                {"expert_id": journey.experts[e.person_id], "opinion": "同意"}
                for e in journey.sample_experts()[:5]
            ],
            "exception_reason": "专家库尚未建成，人工指定",
        },
    )
    assert_refused(server, before, argued, "R-EU-DRAFTS")
    stale = journey.eu.post(f"{path}/confirm", json={"content_digest": "0" * 64})
    assert_refused(server, before, stale, "R-EU-DRAFTS")
    by_bureau = journey.bureau.post(
        f"{path}/confirm", json={"content_digest": read["content_digest"]}
    )
    assert by_bureau.status_code == 403, by_bureau.text
    assert by_bureau.json()["rule_id"] == "R-EU-DRAFTS"
    ok(journey.eu.post(f"{path}/confirm", json={"content_digest": read["content_digest"]}))
    assert ok(journey.eu.get(path))["eu_confirmed"] is True


def test_r_budget_envelope_and_its_use_over_http(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-budget")
    year = 2027
    server.on(date(2026, 4, 2))
    if bureau.get(f"/v1/budgets/{year}").status_code == 404:
        ok(
            bureau.post(
                "/v1/budgets",
                json={"year": year, "amount": "50000.00", "effective_at": at(date(2026, 4, 1))},
            ),
            201,
        )
    envelope = bureau.get(f"/v1/budgets/{year}")
    body = ok(envelope)
    assert (body["amount"], body["listed_total"], body["remaining"]) == (
        "50000.00",
        "0.00",
        "50000.00",
    )
    assert envelope.headers["ETag"] == f'"{body["version"]}"'
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft().argue()
    server.on(date(2026, 4, 8), 15)
    before = position(server)
    listed = bureau.post(
        "/v1/annual-lists",
        json={
            "year": year,
            "meeting_date": "2026-04-08",
            "minutes_ref": "党组会〔2026〕8号",
            "challenge_ids": [journey.challenge_id],
        },
    )
    assert_refused(server, before, listed, "R-BUDGET")
    no_reason = bureau.post(f"/v1/budgets/{year}/revise", json={"amount": "60000.00"})
    assert_refused(server, before, no_reason, "R-AUDIT-WHO")
    # A second envelope for the year is not a race: 409 that says a retry will not help.
    again = bureau.post(
        "/v1/budgets",
        json={"year": year, "amount": "5.00"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert again.status_code == 409, again.text
    problem = again.json()
    assert problem["type"] == "/problems/already-recorded"
    assert "重试不会改变结果" in problem["detail"]
    assert "revise it instead" in problem["detail"]
    assert position(server) == before
    applicant = server.client(Role.APPLICANT, INSTITUTE_WEST, "app-budget")
    assert applicant.get(f"/v1/budgets/{year}").status_code == 404


def test_demands_listed_for_the_bureau_and_each_end_user_its_own(server: Server) -> None:
    HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-demands")
    everything = ok(bureau.get("/v1/demands", params={"limit": 500}))["items"]
    assert {d["end_user_code"] for d in everything} >= {END_USER_EQUIPMENT.credit_code}
    refined = ok(bureau.get("/v1/demands", params={"status": "refined", "industry": "智能科技"}))
    assert refined["items"]
    assert all(d["challenge_id"] for d in refined["items"])
    first = ok(bureau.get("/v1/demands", params={"limit": 1}))
    if first["next_cursor"]:
        after = ok(bureau.get("/v1/demands", params={"limit": 1, "cursor": first["next_cursor"]}))
        assert after["items"][0]["demand_id"] != first["items"][0]["demand_id"]
    pharma = server.client(Role.END_USER, END_USER_PHARMA, "eu-pharma")
    own = ok(pharma.get("/v1/demands"))["items"]
    assert all(d["end_user_code"] == END_USER_PHARMA.credit_code for d in own)
    peeking = pharma.get("/v1/demands", params={"end_user_code": END_USER_EQUIPMENT.credit_code})
    assert ok(peeking)["items"] == []
    applicant = server.client(Role.APPLICANT, INSTITUTE_WEST, "app-demands")
    assert ok(applicant.get("/v1/demands"))["items"] == []


def test_r_scope_the_demos_restricted_challenge_is_applied_to_by_its_range_over_http(
    server: Server,
) -> None:
    """The sample's restricted challenge names its range by credit code: a unit in it sees the
    challenge and applies; one outside does not even see it (404)."""
    journey = HttpJourney(
        server, uuid.uuid4().hex[:8], end_user=END_USER_PHARMA, content=major_challenge_content()
    ).to_published()
    application = journey.apply(INSTITUTE_WEST)
    assert application
    outsider = server.client(Role.APPLICANT, ENTERPRISE_HUADONG, "outsider")
    before = position(server)
    refused = outsider.post(
        f"/v1/challenges/{journey.challenge_id}/applications",
        json=journey.apply_json(ENTERPRISE_HUADONG),
    )
    assert refused.status_code == 404, refused.text
    assert position(server) == before
