"""More histories that break a rule, written straight into the store (no guard runs): each is
reported under its rule id at the position of the event that shows it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import (
    Category,
    Conclusion,
    CreditStatus,
    ExpertKind,
    ExpertOpinion,
    PanelMember,
    Role,
    Scope,
)
from jiebang_es.sample import (
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    INSTITUTE_WEST,
    actor,
    key_challenge_content,
    major_challenge_content,
    unit,
)
from jiebang_es.service_base import CommandMeta
from projections import queries
from tests.projections.conftest import catch_up
from tests.projections.test_compliance import findings, forge
from tests.support import BUREAU_STAFF, Journey, at, collect


def positions(settings, read_store, rule_id: str) -> list[int]:
    return [f.position for f in findings(settings, read_store, rule_id)]


def forged_draft(app, clock, end_user=END_USER_EQUIPMENT, **content) -> int:
    demand = collect(app, clock, end_user, "智能科技")
    clock.on(date(2026, 3, 2))
    make = major_challenge_content if content.pop("major", False) else key_challenge_content
    drafted = Challenge(
        audit=app._audit(BUREAU_STAFF, CommandMeta()),
        end_user=end_user,
        demand_ids=(demand,),
        content=make(**content),
    )
    return max(r.notification.id for r in app.save(drafted))


@pytest.mark.parametrize(
    ("rule_id", "content"),
    [
        ("R-INDUSTRY", {"industry": "房地产"}),
        ("R-CHOKEPOINT", {"chokepoint": " "}),
        ("R-PERIOD-MAX", {"period_months": 40}),
        ("R-PERIOD-NORM", {"period_months": 30}),
        ("R-SCOPE", {"classified": True, "scope": Scope.PUBLIC}),
        ("R-SCOPE", {"scope": Scope.RESTRICTED, "recipients": ()}),
    ],
)
def test_a_draft_breaking_a_content_rule_is_reported(
    app, clock, settings, read_store, rule_id, content
):
    position = forged_draft(app, clock, **content)
    assert position in positions(settings, read_store, rule_id)


def test_r_content_and_r_eu_commit_argued_incomplete_draft_is_reported(
    app, clock, settings, read_store
):
    forged_draft(app, clock, benchmarking="", commitment=None)
    [drafted] = [c.challenge_id for c in _catalogue(settings, read_store)]
    argued = forge(
        app,
        drafted,
        "_reviewed",
        conclusion=Conclusion.PASS,
        opinions=_opinions(5),
        period_argued=False,
    )
    assert positions(settings, read_store, "R-CONTENT") == [argued]
    assert positions(settings, read_store, "R-EU-COMMIT") == [argued]


def test_r_arg_panel_two_experts_without_justification_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).draft()
    argued = forge(
        app,
        j.challenge_id,
        "_reviewed",
        conclusion=Conclusion.PASS,
        opinions=_opinions(2),
        period_argued=False,
    )
    assert positions(settings, read_store, "R-ARG-PANEL") == [argued]


def test_r_period_argued_listed_without_argumentation_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock, end_user=END_USER_PHARMA, tag="m")
    j.content = major_challenge_content(period_months=48)
    j.draft(exception_reason="临床前研究周期长")
    forge(
        app,
        j.challenge_id,
        "_reviewed",
        conclusion=Conclusion.PASS,
        opinions=_opinions(5),
        period_argued=False,
    )
    clock.on(date(2026, 4, 8), 15)
    listed = forge(
        app,
        j.challenge_id,
        "_listed",
        year=2026,
        meeting_date=date(2026, 4, 8),
        minutes_ref="党组会",
    )
    assert positions(settings, read_store, "R-PERIOD-ARGUED") == [listed]


def test_r_guide_publication_without_a_guide_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).draft().argue().list()
    clock.on(date(2026, 4, 10), 8)
    published = forge(
        app,
        j.challenge_id,
        "_published",
        guide="",
        window_opens=at(date(2026, 4, 10), 9),
        window_closes=at(date(2026, 5, 10), 17),
    )
    assert positions(settings, read_store, "R-GUIDE") == [published]


def _application(app, clock, j: Journey, lead=None, **overrides) -> int:
    clock.on(date(2026, 4, 20))
    fields = {
        "challenge_id": j.challenge_id,
        "lead": lead or unit(INSTITUTE_WEST),
        "participants": (),
        "leader_name": "张工",
        "technical_plan": "方案",
        "ip_declaration": True,
        "budget": Decimal("90000.00"),
        "period_months": 18,
    }
    fields.update(overrides)
    who = actor(Role.APPLICANT, fields["lead"].organisation, "lead")
    forged = Application(audit=app._audit(who, CommandMeta()), **fields)
    return max(r.notification.id for r in app.save(forged))


@pytest.mark.parametrize(
    ("rule_id", "overrides"),
    [
        ("R-CREDIT", {"lead": unit(INSTITUTE_WEST, CreditStatus.SERIOUSLY_DISHONEST)}),
        ("R-PLAN-IP", {"ip_declaration": False}),
        ("R-PLAN-IP", {"technical_plan": ""}),
        ("R-ASK-CAP", {"budget": Decimal("200000.00")}),
        ("R-ASK-CAP", {"period_months": 30}),
    ],
)
def test_an_application_breaking_a_rule_is_reported(
    app, clock, settings, read_store, rule_id, overrides
):
    j = Journey(app, clock).to_published()
    position = _application(app, clock, j, **overrides)
    assert positions(settings, read_store, rule_id) == [position]


def test_r_order_application_after_the_window_closed_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_published()
    clock.on(date(2026, 5, 11))
    forged = Application(
        audit=app._audit(actor(Role.APPLICANT, INSTITUTE_WEST, "late"), CommandMeta()),
        challenge_id=j.challenge_id,
        lead=unit(INSTITUTE_WEST),
        participants=(),
        leader_name="张",
        technical_plan="方案",
        ip_declaration=True,
        budget=Decimal("1.00"),
        period_months=12,
    )
    position = max(r.notification.id for r in app.save(forged))
    assert positions(settings, read_store, "R-ORDER") == [position]


def test_r_review_panel_and_r_panel_joint_are_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_published()
    clock.on(date(2026, 5, 11))
    members = tuple(PanelMember(f"e{i}", ExpertKind.PEER_INSIDE) for i in range(3))
    proposed = forge(app, j.challenge_id, "_panel_proposed", members=members)
    solver = actor(Role.APPLICANT, INSTITUTE_WEST, "solver")
    confirmed = forge(app, j.challenge_id, "_panel_confirmed", who=solver, role=Role.APPLICANT)
    assert positions(settings, read_store, "R-REVIEW-PANEL") == [proposed]
    assert positions(settings, read_store, "R-PANEL-JOINT") == [confirmed]


def test_r_select_eu_selection_by_the_bureau_of_an_unreviewed_application_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_published()
    application = j.apply()
    j.panel()
    clock.on(date(2026, 5, 15))
    content = j.content
    project = Project(
        audit=app._audit(BUREAU_STAFF, CommandMeta()),
        challenge_id=j.challenge_id,
        application_id=application,
        end_user_code=j.end_user.credit_code,
        solver_code=INSTITUTE_WEST.credit_code,
        category=Category.KEY,
        industry=content.industry,
        funding=content.funding,
        period_months=content.period_months,
        classified=False,
        indicators=content.indicators,
        opinions=(),
        note="",
    )
    position = max(r.notification.id for r in app.save(project))
    assert positions(settings, read_store, "R-SELECT-EU") == [position, position]


def test_r_extend_and_r_autonomy_are_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    longer = j.terms(period=40)
    extended = forge(
        app, j.project_id, "_extended", reason="延期", extra_months=22, opinions=(), terms=longer
    )
    amended = forge(
        app, j.project_id, "_contract_amended", change_id="c1", terms=j.terms(budget="80000.00")
    )
    assert extended in positions(settings, read_store, "R-EXTEND")
    assert positions(settings, read_store, "R-AUTONOMY") == [amended]


def test_r_audit_immutable_a_missing_version_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).draft()
    challenge = app.repository.get(UUID(j.challenge_id))
    challenge._version += 1  # as if the event of one version had been deleted from the log
    challenge._cancelled(audit=app._audit(BUREAU_STAFF, CommandMeta(reason="撤销")))
    position = max(r.notification.id for r in app.save(challenge))
    [finding] = findings(settings, read_store, "R-AUDIT-IMMUTABLE")
    assert finding.position == position


def _opinions(n: int) -> tuple[ExpertOpinion, ...]:
    kinds = [ExpertKind.MANAGEMENT, ExpertKind.FRONT_LINE, ExpertKind.PEER_INSIDE]
    return tuple(ExpertOpinion(f"x{i}", kinds[i % 3], "同意") for i in range(n))


def _catalogue(settings, read_store):
    catch_up(settings)
    return queries.list_challenges(read_store).items
