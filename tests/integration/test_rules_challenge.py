"""Rules of the challenge (榜单): drafting, argumentation, the annual list, publication."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.values import Category, Conclusion, DemandSource, Indicator, Scope
from jiebang_es.errors import ExceptionReasonRequiredError, InvalidValueError
from jiebang_es.sample import (
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    INSTITUTE_WEST,
    UNIVERSITY_MEDICAL,
    major_challenge_content,
)
from tests.integration.rulecheck import refused
from tests.support import (
    BUREAU_STAFF,
    UNREAD_DEMAND,
    WINDOW_CLOSES,
    WINDOW_OPENS,
    Journey,
    at,
    collect,
)


def draft(app, content, demand_id=UNREAD_DEMAND, **kw):
    """Draft for END_USER_EQUIPMENT; refusals fire before the (unread) demand is looked up."""
    return app.draft_challenge(
        BUREAU_STAFF, end_user=END_USER_EQUIPMENT, content=content, demand_ids=[demand_id], **kw
    )


def drafted(app, clock, content, **kw):
    """A draft that is accepted: its demand is collected first."""
    return draft(app, content, collect(app, clock, END_USER_EQUIPMENT, content.industry), **kw)


# ---- R-ORDER ---------------------------------------------------------------------------------
def test_r_order_annual_list_before_argumentation_refused(app, clock):
    j = Journey(app, clock).draft()
    refused(app, "R-ORDER", j.list)


def test_r_order_argumentation_of_a_listed_challenge_refused(app, clock):
    j = Journey(app, clock).draft().argue().list()
    j.draw_argumentation()
    refused(app, "R-ORDER", j.argue)


def test_r_order_revision_after_argumentation_passed_refused(app, clock):
    j = Journey(app, clock).draft().argue()
    refused(app, "R-ORDER", app.revise_draft, BUREAU_STAFF, j.challenge_id, content=j.content)


def test_r_order_revise_conclusion_returns_the_draft_for_revision(app, clock):
    j = Journey(app, clock).draft().argue(Conclusion.REVISE)
    assert app.challenge(j.challenge_id).status is ChallengeStatus.DRAFT
    app.revise_draft(
        BUREAU_STAFF, j.challenge_id, content=replace(j.content, benchmarking="新对标")
    )
    j.confirm().argue()
    assert app.challenge(j.challenge_id).status is ChallengeStatus.REVIEWED


# ---- R-INDUSTRY, R-CHOKEPOINT, R-CATEGORY ----------------------------------------------
def test_r_industry_outside_the_districts_industries_needs_an_exception_reason(app, clock):
    err = refused(
        app, "R-INDUSTRY", draft, app, replace(Journey(app, clock).content, industry="房地产")
    )
    assert isinstance(err, ExceptionReasonRequiredError)
    assert "智能科技" in err.message


def test_r_industry_list_is_configuration(make_app, clock):
    app = make_app(industries=("新材料",))
    refused(app, "R-INDUSTRY", draft, app, Journey(app, clock).content)
    drafted(app, clock, replace(Journey(app, clock).content, industry="新材料"))


def test_r_chokepoint_missing_problem_or_effect_refused(app, clock):
    content = Journey(app, clock).content
    refused(app, "R-CHOKEPOINT", draft, app, replace(content, chokepoint=" "))
    refused(app, "R-CHOKEPOINT", draft, app, replace(content, industry_effect=""))


def test_r_category_neither_key_nor_major_refused(app, clock):
    content = Journey(app, clock).content
    refused(app, "R-CATEGORY", draft, app, replace(content, category="general"))


# ---- R-CONTENT, R-EU-COMMIT -------------------------------------------------------------------
def test_r_content_incomplete_draft_is_saved_but_not_sent_to_argumentation(app, clock):
    content = replace(
        Journey(app, clock).content, indicators=(), benchmarking="", funding=None, scope=None
    )
    j = Journey(app, clock, content=content).draft()
    assert app.challenge(j.challenge_id).status is ChallengeStatus.DRAFT
    j.draw_argumentation()
    err = refused(app, "R-CONTENT", j.argue)
    for lacking in ("考核指标", "对标情况", "资助强度", "发布范围"):
        assert lacking in err.message


def test_r_content_indicator_without_measurable_target_refused(app, clock):
    content = replace(Journey(app, clock).content, indicators=(Indicator("可靠性", "", ""),))
    j = Journey(app, clock, content=content).draft()
    j.draw_argumentation()
    refused(app, "R-CONTENT", j.argue)


def test_r_content_milestone_outside_period_refused(app, clock):
    content = Journey(app, clock).content
    late = replace(content.milestones[0], due_month=40)
    refused(app, "R-CONTENT", draft, app, replace(content, milestones=(late,)))


def test_r_eu_commit_missing_commitment_refused_at_confirmation_and_argumentation(app, clock):
    content = replace(Journey(app, clock).content, commitment=None)
    j = Journey(app, clock, content=content).draft(confirm=False)
    refused(app, "R-EU-COMMIT", j.confirm)
    j.draw_argumentation()
    refused(app, "R-EU-COMMIT", j.argue)


def test_r_eu_commit_without_first_application_pledge_refused(app, clock):
    base = Journey(app, clock).content
    assert base.commitment is not None
    content = replace(base, commitment=replace(base.commitment, first_application=False))
    refused(app, "R-EU-COMMIT", draft, app, content)


# ---- R-FUND-CAP -----------------------------------------------------------------------------
def test_r_fund_cap_key_over_100000_refused(app, clock):
    refused(
        app,
        "R-FUND-CAP",
        draft,
        app,
        replace(Journey(app, clock).content, funding=Decimal("100000.01")),
    )


def test_r_fund_cap_major_over_300000_refused(app, clock):
    refused(app, "R-FUND-CAP", draft, app, major_challenge_content(funding=Decimal("300000.01")))


def test_r_fund_cap_amounts_at_the_cap_accepted_exactly(app, clock):
    r = drafted(app, clock, major_challenge_content(funding="300000"))
    assert app.challenge(r.aggregate_id).content.funding == Decimal("300000.00")
    assert str(app.challenge(r.aggregate_id).content.funding) == "300000.00"


def test_float_or_sub_fen_amount_is_an_invalid_value_of_its_field(app, clock):
    """Version 2: a malformed amount names its field; it is no breach of R-FUND-CAP."""
    content = Journey(app, clock).content
    before = app.position()
    for funding in (99999.5, Decimal("99999.999")):
        with pytest.raises(InvalidValueError) as caught:
            draft(app, replace(content, funding=funding))
        assert caught.value.field == "funding"
    assert app.position() == before


# ---- R-PERIOD-MAX, R-PERIOD-NORM, R-PERIOD-ARGUED ------------------------------------------------
def test_r_period_max_key_over_3_years_refused(app, clock):
    refused(
        app,
        "R-PERIOD-MAX",
        draft,
        app,
        replace(Journey(app, clock).content, period_months=37, milestones=()),
    )


def test_r_period_max_major_over_5_years_refused(app, clock):
    refused(
        app, "R-PERIOD-MAX", draft, app, major_challenge_content(period_months=61, milestones=())
    )


def test_r_period_norm_key_of_30_months_needs_an_exception_reason(app, clock):
    content = replace(Journey(app, clock).content, period_months=30)
    err = refused(app, "R-PERIOD-NORM", draft, app, content)
    assert isinstance(err, ExceptionReasonRequiredError)


def test_r_period_norm_exception_with_reason_is_recorded_on_the_event(app, clock):
    content = replace(Journey(app, clock).content, period_months=30)
    r = drafted(app, clock, content, exception_reason="需完成整机可靠性验证，周期需30个月")
    (exception,) = app.events_of(r.aggregate_id)[0].audit.exceptions
    assert exception.rule_id == "R-PERIOD-NORM"
    assert "30个月" in exception.justification


def test_r_period_argued_major_over_3_years_needs_period_argumentation(app, clock):
    content = major_challenge_content(period_months=48)
    reason = "临床前研究周期长"
    j = Journey(app, clock, content=content).draft(exception_reason=reason)
    j.argue(period_argued=False, exception_reason=None)
    refused(app, "R-PERIOD-ARGUED", j.list)


def test_r_period_argued_accepted_after_the_period_was_argued(app, clock):
    j = Journey(app, clock, content=major_challenge_content(period_months=48))
    j.draft(exception_reason="临床前研究周期长").argue(period_argued=True).list()
    assert app.challenge(j.challenge_id).status is ChallengeStatus.LISTED


# ---- R-ARG-PANEL ----------------------------------------------------------------------------
def test_r_arg_panel_fewer_than_5_experts_needs_an_exception_reason(app, clock):
    j = Journey(app, clock).draft()
    j.register_experts()
    opinions = [(j.experts[e.person_id], "同意") for e in j.sample_experts()[:4]]
    refused(
        app,
        "R-ARG-PANEL",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
    )
    app.record_argumentation(
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
        exception_reason="一名专家临时回避",
    )
    exception, hand_picked = app.events_of(j.challenge_id)[-1].audit.exceptions
    assert exception.rule_id == "R-ARG-PANEL"
    assert "fewer than 5" in exception.detail
    assert hand_picked.rule_id == "R-DRAW"


def test_r_arg_panel_without_management_expert_needs_an_exception_reason(app, clock):
    j = Journey(app, clock).draft()
    j.register_experts()
    experts = j.sample_experts()[1:5]  # no management expert
    opinions = [(j.experts[e.person_id], "同意") for e in experts]
    err = refused(
        app,
        "R-ARG-PANEL",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
    )
    assert "management" in err.message


def test_r_arg_panel_expert_kind_is_the_registered_one(app, clock):
    j = Journey(app, clock).draft().argue()
    reviewed = app.events_of(j.challenge_id)[-1]
    kinds = [o.kind.value for o in reviewed.opinions]
    assert kinds == ["management", "front_line", "peer_inside", "peer_outside", "peer_outside"]


# ---- R-PARTY-APPROVAL -------------------------------------------------------------------------
def test_r_party_approval_publication_without_the_annual_list_refused(app, clock):
    j = Journey(app, clock).draft().argue()
    refused(app, "R-PARTY-APPROVAL", j.publish)


def test_r_party_approval_needs_minutes_and_a_meeting_that_took_place(app, clock):
    j = Journey(app, clock).draft().argue()
    clock.on(date(2026, 4, 8))
    refused(
        app,
        "R-PARTY-APPROVAL",
        app.approve_annual_list,
        BUREAU_STAFF,
        year=2026,
        meeting_date=date(2026, 4, 8),
        minutes_ref=" ",
        challenge_ids=[j.challenge_id],
    )
    refused(
        app,
        "R-PARTY-APPROVAL",
        app.approve_annual_list,
        BUREAU_STAFF,
        year=2026,
        meeting_date=date(2026, 4, 9),
        minutes_ref="党组会〔2026〕7号",
        challenge_ids=[j.challenge_id],
    )


def test_r_party_approval_list_is_all_or_nothing(app, clock):
    ready = Journey(app, clock).draft().argue()
    not_ready = Journey(app, clock).draft()
    clock.on(date(2026, 4, 8))
    refused(
        app,
        "R-ORDER",
        app.approve_annual_list,
        BUREAU_STAFF,
        year=2026,
        meeting_date=date(2026, 4, 8),
        minutes_ref="党组会〔2026〕7号",
        challenge_ids=[ready.challenge_id, not_ready.challenge_id],
    )
    assert app.challenge(ready.challenge_id).status is ChallengeStatus.REVIEWED


# ---- R-SCOPE, R-GUIDE -------------------------------------------------------------------------
def test_r_scope_restricted_without_recipients_refused(app, clock):
    refused(app, "R-SCOPE", draft, app, major_challenge_content(recipients=()))


def test_r_scope_public_challenge_names_no_recipients(app, clock):
    content = replace(Journey(app, clock).content, scope=Scope.PUBLIC, recipients=("某联盟",))
    refused(app, "R-SCOPE", draft, app, content)


def test_r_scope_restricted_challenge_keeps_its_recipients_when_published(app, clock):
    j = Journey(app, clock, content=major_challenge_content(), tag="m").to_published()
    challenge = app.challenge(j.challenge_id)
    assert challenge.content.scope is Scope.RESTRICTED
    assert challenge.content.recipients == (
        UNIVERSITY_MEDICAL.credit_code,
        INSTITUTE_WEST.credit_code,
    )


def test_r_guide_publication_without_guide_refused(app, clock):
    j = Journey(app, clock).draft().argue().list()
    clock.on(date(2026, 4, 10))
    refused(
        app,
        "R-GUIDE",
        app.publish,
        BUREAU_STAFF,
        j.challenge_id,
        guide="",
        window_opens=WINDOW_OPENS,
        window_closes=WINDOW_CLOSES,
    )


def test_r_guide_window_must_close_after_it_opens_and_in_the_future(app, clock):
    j = Journey(app, clock).draft().argue().list()
    clock.on(date(2026, 4, 10))
    refused(
        app,
        "R-GUIDE",
        app.publish,
        BUREAU_STAFF,
        j.challenge_id,
        guide="指南",
        window_opens=WINDOW_CLOSES,
        window_closes=WINDOW_OPENS,
    )
    refused(
        app,
        "R-GUIDE",
        app.publish,
        BUREAU_STAFF,
        j.challenge_id,
        guide="指南",
        window_opens=at(date(2026, 3, 1)),
        window_closes=at(date(2026, 4, 1)),
    )


def test_r_guide_published_window_is_recorded(app, clock):
    j = Journey(app, clock).to_published()
    challenge = app.challenge(j.challenge_id)
    assert challenge.window_opens == WINDOW_OPENS
    assert challenge.window_closes - challenge.window_opens > timedelta(days=29)


@pytest.mark.parametrize("category", [Category.KEY, Category.MAJOR])
def test_r_category_both_categories_accepted(app, clock, category):
    content = Journey(app, clock).content if category is Category.KEY else major_challenge_content()
    r = drafted(app, clock, content)
    assert app.challenge(r.aggregate_id).content.category is category


def test_r_scope_classified_challenge_cannot_be_public(app, clock):
    content = replace(Journey(app, clock).content, classified=True)
    refused(app, "R-SCOPE", draft, app, content)


def test_r_content_demand_of_another_enterprise_or_industry_refused(app, clock):
    clock.on(date(2026, 2, 20))
    demand = app.collect_demand(
        BUREAU_STAFF,
        source=DemandSource.PUBLIC_SOLICITATION,
        enterprise=END_USER_PHARMA,
        industry="生命健康",
        title="支架工艺",
        description="",
    )
    refused(
        app,
        "R-CONTENT",
        app.draft_challenge,
        BUREAU_STAFF,
        end_user=END_USER_EQUIPMENT,
        content=Journey(app, clock).content,
        demand_ids=[demand.aggregate_id],
    )
