"""Every refusal of the demo over HTTP: 422 problem+json with the rule's id, nothing recorded."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest

from jiebang_es.domain.values import Role
from jiebang_es.sample import END_USER_EQUIPMENT, ENTERPRISE_STARTUP
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, content_json, ok

pytestmark = pytest.mark.postgres
APPLY_DAY = date(2026, 4, 20)  # inside the window


def position(server: Server) -> int:
    return int(ok(server.client().get("/v1/health"))["position"])


def assert_refused(server: Server, before: int, response: httpx.Response, rule_id: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["rule_id"] == rule_id
    assert problem["type"] == "/problems/rule-violation"
    assert problem["title"]
    assert rule_id in problem["detail"]
    assert position(server) == before


def test_r_fund_cap_end_user_cannot_raise_key_funding_over_100000(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    over_cap = content_json(replace(journey.content, funding=Decimal("150000.00")))
    before = position(server)
    response = journey.eu.post(
        f"/v1/challenges/{journey.challenge_id}/revise", json={"content": over_cap}
    )
    assert_refused(server, before, response, "R-FUND-CAP")


def test_r_eu_not_solver_end_user_cannot_apply_to_its_own_challenge(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_published()
    server.on(APPLY_DAY)
    as_applicant = server.client(Role.APPLICANT, END_USER_EQUIPMENT, "eu-as-applicant")
    before = position(server)
    response = as_applicant.post(
        f"/v1/challenges/{journey.challenge_id}/applications",
        json=journey.apply_json(END_USER_EQUIPMENT),
    )
    assert_refused(server, before, response, "R-EU-NOT-SOLVER")


def test_r_ask_cap_applicant_cannot_ask_more_than_the_challenge_funds(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_published()
    server.on(APPLY_DAY)
    before = position(server)
    response = journey.solver(ENTERPRISE_STARTUP).post(
        f"/v1/challenges/{journey.challenge_id}/applications",
        json=journey.apply_json(ENTERPRISE_STARTUP, budget="120000"),
    )
    assert_refused(server, before, response, "R-ASK-CAP")


def test_r_disburse_bureau_cannot_pay_over_the_contracted_budget(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    journey.record(journey.disburse("45000.00"), 201)
    before = position(server)
    assert_refused(server, before, journey.disburse("60000.00"), "R-DISBURSE")
    # Within the budget, but more than the schedule has made due (R-DISBURSE, v2).
    assert_refused(server, before, journey.disburse("0.01"), "R-DISBURSE")
