"""RULES.md version 2 on the challenge side: the industry, the end user (local, confirming,
committing), the budget envelope, open conditions for solvers, the scope and the argumentation
panel's conflicts. Each refusal names its rule and records nothing; each in-principle exception
is recorded with its justification."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from jiebang_es.domain.budget import BudgetEnvelope
from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.content import admits, content_digest
from jiebang_es.domain.values import Conclusion, DemandSource, Role
from jiebang_es.errors import (
    ConflictError,
    ExceptionReasonRequiredError,
    InvalidValueError,
    NotPermittedError,
)
from jiebang_es.sample import (
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    UNIVERSITY_MEDICAL,
    actor,
    major_challenge_content,
)
from jiebang_es.service_base import CommandMeta
from tests.integration.rulecheck import refused
from tests.support import (
    BUREAU_STAFF,
    UNREAD_DEMAND,
    Journey,
    at,
    collect,
    ensure_budget,
)

WHY = "先进材料为我区培育产业（区产业发展规划）"


def draft(app, content, end_user=END_USER_EQUIPMENT, demand_id=UNREAD_DEMAND, **kw):
    return app.draft_challenge(
        BUREAU_STAFF, end_user=end_user, content=content, demand_ids=[demand_id], **kw
    )


def exceptions_of(app, aggregate_id, index=0):
    return app.events_of(aggregate_id)[index].audit.exceptions


# ---- R-INDUSTRY (in principle) ---------------------------------------------------------------
def test_r_industry_demand_outside_the_list_refused_without_exception_reason(app, clock):
    err = refused(
        app,
        "R-INDUSTRY",
        app.collect_demand,
        BUREAU_STAFF,
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="先进材料",
        title="磁性材料",
        description="调研",
    )
    assert isinstance(err, ExceptionReasonRequiredError)


def test_r_industry_outside_the_list_accepted_with_exception_reason_recorded(app, clock):
    content = replace(Journey(app, clock).content, industry="先进材料")
    j = Journey(app, clock, content=content).draft(exception_reason=WHY)
    demand_id = app.challenge(j.challenge_id).demand_ids[0]
    for aggregate_id in (demand_id, j.challenge_id):
        (exception,) = exceptions_of(app, aggregate_id)
        assert (exception.rule_id, exception.justification) == ("R-INDUSTRY", WHY)
        assert "先进材料" in exception.detail


def test_r_industry_draft_outside_the_list_refused_without_exception_reason(app, clock):
    content = replace(Journey(app, clock).content, industry="先进材料")
    err = refused(app, "R-INDUSTRY", draft, app, content)
    assert isinstance(err, ExceptionReasonRequiredError)


def test_r_industry_revision_keeps_the_justified_industry(app, clock):
    content = replace(Journey(app, clock).content, industry="先进材料")
    j = Journey(app, clock, content=content).draft(exception_reason=WHY)
    app.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(content, name="新名称"))
    assert exceptions_of(app, j.challenge_id, -1) == ()


# ---- R-EU-LOCAL (in principle) ---------------------------------------------------------------
def test_r_eu_local_end_user_registered_outside_the_district_needs_a_reason(app, clock):
    content = Journey(app, clock).content
    err = refused(app, "R-EU-LOCAL", draft, app, content, end_user=ENTERPRISE_HUADONG)
    assert isinstance(err, ExceptionReasonRequiredError)
    assert "110108" in err.message


def test_r_eu_local_institute_as_end_user_needs_a_reason(app, clock):
    err = refused(
        app, "R-EU-LOCAL", draft, app, Journey(app, clock).content, end_user=INSTITUTE_WEST
    )
    assert "enterprise" in err.message


def test_r_eu_local_exception_recorded_for_a_branch_outside_the_district(app, clock):
    why = "该企业在我区设有分公司并实际经营"
    j = Journey(app, clock, end_user=ENTERPRISE_HUADONG).draft(exception_reason=why)
    rules = {e.rule_id: e.justification for e in exceptions_of(app, j.challenge_id)}
    assert rules == {"R-EU-LOCAL": why}


def test_r_eu_local_district_enterprise_needs_no_exception(app, clock):
    j = Journey(app, clock).draft()
    assert exceptions_of(app, j.challenge_id) == ()


def test_r_eu_local_district_code_is_configuration(make_app, clock):
    app = make_app(district_code="110108")
    j = Journey(app, clock, end_user=ENTERPRISE_HUADONG).draft()
    assert exceptions_of(app, j.challenge_id) == ()
    refused(app, "R-EU-LOCAL", draft, app, Journey(app, clock).content)


# ---- R-EU-DRAFTS (hard) ------------------------------------------------------------------------
def test_r_eu_drafts_unconfirmed_draft_refused_at_argumentation(app, clock):
    j = Journey(app, clock).draft(confirm=False)
    j.draw_argumentation()
    refused(app, "R-EU-DRAFTS", j.argue)


def test_r_eu_drafts_revision_after_confirmation_needs_a_new_confirmation(app, clock):
    j = Journey(app, clock).draft()
    app.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(j.content, name="新名称"))
    j.draw_argumentation()
    refused(app, "R-EU-DRAFTS", j.argue)
    j.confirm().argue()
    assert app.challenge(j.challenge_id).status is ChallengeStatus.REVIEWED


def test_r_eu_drafts_the_bureau_cannot_confirm_for_the_end_user(app, clock):
    j = Journey(app, clock).draft(confirm=False)
    digest = content_digest(app.challenge(j.challenge_id).content)
    err = refused(
        app, "R-EU-DRAFTS", app.confirm_draft, BUREAU_STAFF, j.challenge_id, content_digest=digest
    )
    assert isinstance(err, NotPermittedError)


def test_r_eu_drafts_another_end_user_cannot_confirm(app, clock):
    j = Journey(app, clock).draft(confirm=False)
    digest = content_digest(app.challenge(j.challenge_id).content)
    other = actor(Role.END_USER, END_USER_PHARMA, "eu-other")
    refused(app, "R-EU-DRAFTS", app.confirm_draft, other, j.challenge_id, content_digest=digest)


def test_r_eu_drafts_confirming_a_draft_that_changed_since_it_was_read_refused(app, clock):
    j = Journey(app, clock).draft(confirm=False)
    read = content_digest(app.challenge(j.challenge_id).content)
    app.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(j.content, name="改"))
    refused(app, "R-EU-DRAFTS", app.confirm_draft, j.eu, j.challenge_id, content_digest=read)


def test_r_eu_drafts_confirming_twice_refused(app, clock):
    j = Journey(app, clock).draft()
    refused(app, "R-EU-DRAFTS", j.confirm)


def test_r_eu_drafts_confirmation_records_version_digest_and_commitment(app, clock):
    j = Journey(app, clock).draft()
    confirmed = app.events_of(j.challenge_id)[-1]
    assert type(confirmed).__name__ == "EndUserConfirmed"
    assert confirmed.confirmed_version == 1
    assert confirmed.content_digest == content_digest(j.content)
    assert confirmed.commitment == j.content.commitment
    assert (confirmed.audit.role, confirmed.audit.org_code) == (
        Role.END_USER,
        END_USER_EQUIPMENT.credit_code,
    )


# ---- R-EU-COMMIT -----------------------------------------------------------------------------
def test_r_eu_commit_token_amount_refused(app, clock):
    base = Journey(app, clock).content
    assert base.commitment is not None
    token = replace(base, commitment=replace(base.commitment, own_investment=Decimal("0.01")))
    err = refused(app, "R-EU-COMMIT", draft, app, token)
    assert "10000.00" in err.message


def test_r_eu_commit_share_of_the_funding_is_configuration(make_app, clock):
    app = make_app(eu_commitment_min_ratio=Decimal("3"))
    refused(app, "R-EU-COMMIT", draft, app, Journey(app, clock).content)


def test_r_eu_commit_amount_and_support_on_the_challenge(app, clock):
    j = Journey(app, clock).draft()
    challenge = app.challenge(j.challenge_id)
    assert j.content.commitment is not None
    assert challenge.eu_commitment_amount == j.content.commitment.own_investment
    assert challenge.eu_commitment_support == j.content.commitment.support


# ---- R-BUDGET (hard) -------------------------------------------------------------------------
def _list(app, clock, challenge_ids, year=2026):
    clock.on(date(2026, 4, 8), 15)
    return app.approve_annual_list(
        BUREAU_STAFF,
        year=year,
        meeting_date=date(2026, 4, 8),
        minutes_ref="党组会〔2026〕7号",
        challenge_ids=challenge_ids,
    )


def test_r_budget_list_of_a_year_without_an_envelope_refused(app, clock):
    j = Journey(app, clock).draft().argue()
    err = refused(app, "R-BUDGET", _list, app, clock, [j.challenge_id], 2027)
    assert "2027" in err.message
    assert app.challenge(j.challenge_id).status is ChallengeStatus.REVIEWED


def test_r_budget_list_over_the_envelope_refused(make_app, clock):
    app = make_app()
    clock.on(date(2026, 1, 5))
    app.set_budget(BUREAU_STAFF, year=2026, amount="150000.00")
    a = Journey(app, clock).draft().argue()
    b = Journey(app, clock, tag="b").draft().argue()
    err = refused(app, "R-BUDGET", _list, app, clock, [a.challenge_id, b.challenge_id])
    assert "200000.00" in err.message
    _list(app, clock, [a.challenge_id])
    assert app.budget(2026).remaining == Decimal("50000.00")


def _one_listed_one_over(app, clock) -> tuple[Journey, Journey]:
    """A 150,000 envelope: one key challenge (100,000) listed, a second refused (R-BUDGET)."""
    clock.on(date(2026, 1, 5))
    app.set_budget(BUREAU_STAFF, year=2026, amount="150000.00")
    a = Journey(app, clock).draft().argue()
    _list(app, clock, [a.challenge_id])
    b = Journey(app, clock, tag="b").draft().argue()
    refused(app, "R-BUDGET", _list, app, clock, [b.challenge_id])
    return a, b


def test_r_budget_counts_the_challenges_already_listed(make_app, clock):
    app = make_app()
    _one_listed_one_over(app, clock)
    budget = app.budget(2026)
    assert (budget.amount, budget.listed_total) == (Decimal("150000.00"), Decimal("100000.00"))


def test_r_budget_revision_below_what_is_listed_refused(app, clock):
    j = Journey(app, clock).to_published()
    assert j.challenge_id in {line.challenge_id for line in app.budget(2026).listed}
    refused(
        app,
        "R-BUDGET",
        app.revise_budget,
        BUREAU_STAFF,
        year=2026,
        amount="99999.99",
        meta=CommandMeta(reason="压减"),
    )


def test_r_budget_revision_gives_its_reason(app, clock):
    ensure_budget(app, clock, 2026)
    refused(app, "R-AUDIT-WHO", app.revise_budget, BUREAU_STAFF, year=2026, amount="500000")
    app.revise_budget(
        BUREAU_STAFF, year=2026, amount="500000", meta=CommandMeta(reason="区财政批复调整")
    )
    revised = app.events_of(BudgetEnvelope.create_id(2026))[-1]
    assert (revised.amount, revised.audit.reason) == (Decimal("500000.00"), "区财政批复调整")


def test_r_budget_is_recorded_once_per_year_and_only_by_the_bureau(app, clock):
    ensure_budget(app, clock, 2026)
    before = app.position()
    with pytest.raises(ConflictError):
        app.set_budget(BUREAU_STAFF, year=2026, amount="1")
    eu = actor(Role.END_USER, END_USER_EQUIPMENT, "eu")
    refused(app, "R-BUDGET", app.set_budget, eu, year=2027, amount="1")
    assert app.position() == before


def test_r_budget_sub_fen_amount_is_an_invalid_value(app, clock):
    with pytest.raises(InvalidValueError) as caught:
        app.set_budget(BUREAU_STAFF, year=2026, amount="1.001")
    assert caught.value.field == "amount"


# ---- R-OPEN ----------------------------------------------------------------------------------
def test_r_open_conditions_with_registration_age_degree_or_title_refused(app, clock):
    content = replace(
        Journey(app, clock).content, solver_conditions="注册满3年；正高级职称、博士，年龄≤45"
    )
    err = refused(app, "R-OPEN", draft, app, content)
    for word in ("注册满", "年龄", "博士", "正高", "职称"):
        assert word in err.message


@pytest.mark.parametrize(
    "conditions",
    [
        "企业成立3年以上",
        "企业依法设立满三年",
        "企业经营满3年",
        "注册满５年",  # full-width digit
        "负责人须为两院院士",
        "负责人为硕博研究生导师",
        "Leader holds a PhD",
        "Registered for at least 3 years",
        "高级職稱，50歲以下",  # traditional characters
    ],
)
def test_r_open_a_threshold_written_in_other_words_is_refused(app, clock, conditions):
    content = replace(Journey(app, clock).content, solver_conditions=conditions)
    refused(app, "R-OPEN", draft, app, content)


@pytest.mark.parametrize(
    "conditions",
    ["具备独立法人资格，近三年无严重失信记录", "项目完成后3年内在最终用户示范应用"],
)
def test_r_open_conditions_that_only_mention_years_pass(app, clock, conditions):
    content = replace(Journey(app, clock).content, solver_conditions=conditions)
    j = Journey(app, clock, content=content).draft()
    assert app.challenge(j.challenge_id).content.solver_conditions == conditions


def test_r_open_revision_cannot_reintroduce_a_threshold(app, clock):
    j = Journey(app, clock).draft()
    content = replace(j.content, solver_conditions="项目负责人须具有副高以上职称")
    refused(app, "R-OPEN", app.revise_draft, BUREAU_STAFF, j.challenge_id, content=content)


def test_r_open_forbidden_wording_is_configuration(make_app, clock):
    app = make_app(forbidden_solver_conditions=("光栅",))
    refused(app, "R-OPEN", draft, app, Journey(app, clock).content)


# ---- R-SCOPE in the domain -------------------------------------------------------------------
def _restricted(app, clock) -> Journey:
    return Journey(
        app, clock, end_user=END_USER_PHARMA, content=major_challenge_content(), tag="m"
    ).to_published()


def test_r_scope_application_from_outside_the_range_refused_by_the_domain(app, clock):
    j = _restricted(app, clock)
    refused(app, "R-SCOPE", j.apply, ENTERPRISE_HUADONG, budget="200000.00", period=24)


def test_r_scope_application_from_inside_the_range_accepted(app, clock):
    j = _restricted(app, clock)
    j.apply(UNIVERSITY_MEDICAL, budget="200000.00", period=24)
    assert len(j.applications) == 1


def test_r_scope_recipients_are_credit_codes(app, clock):
    content = major_challenge_content(recipients=("重庆市医疗器械创新联盟成员单位",))
    before = app.position()
    with pytest.raises(InvalidValueError) as caught:
        draft(app, content, end_user=END_USER_PHARMA)
    assert caught.value.field == "recipients[0]"
    assert app.position() == before


def test_r_scope_a_free_text_recipient_of_the_first_release_admits_nobody():
    legacy = ("重庆市医疗器械创新联盟成员单位", INSTITUTE_WEST.credit_code.lower())
    assert admits(legacy, INSTITUTE_WEST.credit_code)
    assert not admits(legacy, UNIVERSITY_MEDICAL.credit_code)
    assert not admits(legacy, "重庆市医疗器械创新联盟成员单位".upper() + "x")


# ---- R-CONFLICT on the argumentation panel -------------------------------------------------------
def test_r_conflict_argumentation_expert_of_the_end_user_refused(app, clock):
    j = Journey(app, clock).draft()
    clock.on(date(2026, 3, 20))
    experts = [*j.sample_experts()[:4], j.sample_experts()[-1]]  # the last is the end user's
    opinions = [(j.experts[e.person_id], "同意") for e in experts]
    err = refused(
        app,
        "R-CONFLICT",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
        exception_reason="缺一类专家",
    )
    assert END_USER_EQUIPMENT.credit_code in err.message


def test_r_conflict_argumentation_without_the_end_users_experts_passes(app, clock):
    j = Journey(app, clock).draft().argue()
    assert app.challenge(j.challenge_id).status is ChallengeStatus.REVIEWED
    assert at(date(2026, 3, 20)).date() == app.challenge(j.challenge_id).reviewed_on


def test_collect_helper_carries_the_reason(app, clock):
    demand_id = collect(app, clock, END_USER_EQUIPMENT, "先进材料", WHY)
    assert exceptions_of(app, demand_id)[0].rule_id == "R-INDUSTRY"


def test_r_budget_a_cancelled_listed_challenge_gives_its_funding_back(make_app, clock):
    app = make_app()
    a, b = _one_listed_one_over(app, clock)
    receipt = app.cancel_challenge(
        BUREAU_STAFF, a.challenge_id, meta=CommandMeta(reason="需求单位撤回需求")
    )
    assert receipt.events == ("Cancelled", "ListReleased")
    assert app.budget(2026).listed_total == Decimal("0.00")
    _list(app, clock, [b.challenge_id])
    assert app.budget(2026).remaining == Decimal("50000.00")


def test_r_budget_a_draft_cancelled_before_listing_touches_no_envelope(app, clock):
    j = Journey(app, clock).draft()
    receipt = app.cancel_challenge(BUREAU_STAFF, j.challenge_id, meta=CommandMeta(reason="撤回"))
    assert receipt.events == ("Cancelled",)


def test_r_budget_a_list_recorded_late_after_a_revision_keeps_the_meetings_date(app, clock):
    """The envelope is a ledger: a meeting's list recorded late (backdated to the meeting) is
    accepted after a revision recorded meanwhile."""
    j = Journey(app, clock).draft().argue()
    clock.on(date(2026, 4, 20))
    app.revise_budget(BUREAU_STAFF, year=2026, amount="500000", meta=CommandMeta(reason="追加"))
    app.approve_annual_list(
        BUREAU_STAFF,
        year=2026,
        meeting_date=date(2026, 4, 8),
        minutes_ref="党组会〔2026〕7号",
        challenge_ids=[j.challenge_id],
        meta=CommandMeta(effective_at=at(date(2026, 4, 8), 15)),
    )
    assert app.challenge(j.challenge_id).status is ChallengeStatus.LISTED
    assert app.budget(2026).remaining == Decimal("400000.00")
