"""Rules of the solvers' applications, the review panel, conflicts and the selection."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import date

from jiebang_es.domain.application import Application
from jiebang_es.domain.values import CreditStatus, Role, UnitType
from jiebang_es.errors import NotPermittedError
from jiebang_es.sample import (
    END_USER_EQUIPMENT,
    ENTERPRISE_HUADONG,
    ENTERPRISE_STARTUP,
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    actor,
)
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, HAND_PICKED_REASON, Journey, at


def published(app, clock) -> Journey:
    return Journey(app, clock).to_published()


# ---- R-ORDER: the application window --------------------------------------------------------
def test_r_order_application_before_the_window_opens_refused(app, clock):
    j = published(app, clock)
    refused(app, "R-ORDER", j.apply, when=at(date(2026, 4, 10), 8))


def test_r_order_application_after_the_window_closes_refused(app, clock):
    j = published(app, clock)
    # The window closes at 17:00, exclusive.
    refused(app, "R-ORDER", j.apply, when=at(date(2026, 5, 10), 17))


def test_r_order_scoring_before_the_window_closes_refused(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    clock.on(date(2026, 5, 1))
    expert_id = j.experts["exp-k-mgmt"]
    who = actor(Role.EXPERT, END_USER_EQUIPMENT, "exp-k-mgmt")
    app.declare_conflict(who, application_id, expert_id=expert_id, conflict=False)
    refused(
        app,
        "R-ORDER",
        app.score,
        who,
        application_id,
        expert_id=expert_id,
        score=80,
        opinion="可行",
    )


# ---- R-OPEN ---------------------------------------------------------------------------------
def test_r_open_units_of_every_kind_inside_or_outside_the_district_may_apply(app, clock):
    j = published(app, clock)
    for org in (INSTITUTE_WEST, UNIVERSITY_JIANGNAN, ENTERPRISE_HUADONG, ENTERPRISE_STARTUP):
        j.apply(lead=org)
    assert len(j.applications) == 4


def test_r_open_hospitals_new_type_rd_institutions_and_other_research_units_may_apply(app, clock):
    j = published(app, clock)
    kinds = (UnitType.HOSPITAL, UnitType.NEW_RD_INSTITUTION, UnitType.OTHER_RESEARCH_UNIT)
    units = (UNIVERSITY_JIANGNAN, ENTERPRISE_HUADONG, ENTERPRISE_STARTUP)
    for kind, org in zip(kinds, units, strict=True):
        lead = replace(org, unit_type=kind)
        application_id = j.apply(lead=lead)
        assert app.application(application_id).lead.organisation.unit_type is kind


def test_r_open_no_registration_age_or_leader_age_degree_title_is_asked(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=ENTERPRISE_STARTUP)  # registered this year, leader untitled
    applied = app.events_of(application_id)[0]
    asked = {f.name for f in dataclasses.fields(Application.Applied)} | set(vars(applied))
    for forbidden in ("age", "degree", "title", "registered_on", "founded", "leader_title"):
        assert not any(forbidden in name for name in asked), forbidden


def test_r_open_only_applicants_apply_for_their_own_unit(app, clock):
    j = published(app, clock)
    someone_else = actor(Role.APPLICANT, UNIVERSITY_JIANGNAN, "x")
    err = refused(app, "R-OPEN", j.apply, lead=INSTITUTE_WEST, applicant=someone_else)
    assert isinstance(err, NotPermittedError)


# ---- R-CREDIT, R-PLAN-IP, R-EU-NOT-SOLVER, R-ASK-CAP ---------------------------------
def dishonest(app, org):
    app.record_credit_status(
        BUREAU_STAFF,
        org_code=org.credit_code,
        status=CreditStatus.SERIOUSLY_DISHONEST,
        source="信用中国 严重失信主体名单 2026-04-01",
    )


def test_r_credit_seriously_dishonest_lead_unit_refused(app, clock):
    j = published(app, clock)
    dishonest(app, INSTITUTE_WEST)
    err = refused(app, "R-CREDIT", j.apply, lead=INSTITUTE_WEST)
    assert INSTITUTE_WEST.credit_code in err.message


def test_r_credit_seriously_dishonest_participating_unit_refused(app, clock):
    j = published(app, clock)
    dishonest(app, ENTERPRISE_HUADONG)
    refused(app, "R-CREDIT", j.apply, participants=(ENTERPRISE_HUADONG,))


def test_r_credit_is_the_bureaus_record_and_can_be_restored(app, clock):
    j = published(app, clock)
    assert app.credit_status_of(INSTITUTE_WEST.credit_code) is CreditStatus.GOOD
    dishonest(app, INSTITUTE_WEST)
    app.record_credit_status(
        BUREAU_STAFF,
        org_code=INSTITUTE_WEST.credit_code,
        status=CreditStatus.GOOD,
        source="信用修复 2026-04-15",
    )
    application_id = j.apply(lead=INSTITUTE_WEST)
    assert app.application(application_id).lead.credit_status is CreditStatus.GOOD


def test_r_credit_only_the_bureau_records_credit(app, clock):
    applicant = actor(Role.APPLICANT, INSTITUTE_WEST, "x")
    refused(
        app,
        "R-CREDIT",
        app.record_credit_status,
        applicant,
        org_code=INSTITUTE_WEST.credit_code,
        status=CreditStatus.GOOD,
        source="self",
    )


def test_r_plan_ip_without_technical_plan_or_ip_declaration_refused(app, clock):
    j = published(app, clock)
    refused(app, "R-PLAN-IP", j.apply, technical_plan=" ")
    refused(app, "R-PLAN-IP", j.apply, ip_declaration=False)


def test_r_publicity_an_application_without_its_project_leader_refused(app, clock):
    """The notice publicizes the project leader: an application names one (挂帅); a name of
    white space or invisible format characters names nobody."""
    j = published(app, clock)
    refused(app, "R-PUBLICITY", j.apply, leader_name="")
    refused(app, "R-PUBLICITY", j.apply, leader_name=" \u200b\ufeff ")
    assert j.apply(leader_name="王工")


def test_r_eu_not_solver_end_user_as_lead_unit_refused(app, clock):
    j = published(app, clock)
    refused(app, "R-EU-NOT-SOLVER", j.apply, lead=END_USER_EQUIPMENT)


def test_r_eu_not_solver_participating_unit_refused(app, clock):
    j = published(app, clock)
    refused(app, "R-EU-NOT-SOLVER", j.apply, participants=(END_USER_EQUIPMENT,))


def test_r_eu_not_solver_compares_credit_codes_not_names(app, clock):
    j = published(app, clock)
    renamed = replace(
        END_USER_EQUIPMENT,
        name="沙磁智能（改名后）",
        credit_code=END_USER_EQUIPMENT.credit_code.lower(),
    )
    refused(app, "R-EU-NOT-SOLVER", j.apply, participants=(renamed,))
    same_name = replace(ENTERPRISE_HUADONG, name=END_USER_EQUIPMENT.name)
    j.apply(participants=(same_name,))


def test_r_ask_cap_budget_over_the_challenges_funding_refused(app, clock):
    j = published(app, clock)
    refused(app, "R-ASK-CAP", j.apply, budget="100000.01")


def test_r_ask_cap_period_longer_than_the_challenges_refused(app, clock):
    j = published(app, clock)
    refused(app, "R-ASK-CAP", j.apply, period=19)


# ---- R-REVIEW-PANEL, R-PANEL-JOINT ---------------------------------------------------------------
def test_r_review_panel_without_the_end_users_head_needs_an_exception_reason(app, clock):
    j = published(app, clock)
    ids = [j.experts[e.person_id] for e in j.sample_experts()[:5]]  # no end-user head
    err = refused(
        app,
        "R-REVIEW-PANEL",
        app.propose_review_panel,
        BUREAU_STAFF,
        j.challenge_id,
        expert_ids=ids,
    )
    assert "end user's responsible person" in err.message
    app.propose_review_panel(
        BUREAU_STAFF,
        j.challenge_id,
        expert_ids=ids,
        exception_reason="需求单位负责人出差，委托技术总监",
    )
    exceptions = app.events_of(j.challenge_id)[-1].audit.exceptions
    assert [x.rule_id for x in exceptions] == ["R-REVIEW-PANEL", "R-DRAW"]  # named by hand


def test_r_review_panel_fewer_than_5_needs_an_exception_reason(app, clock):
    j = published(app, clock)
    ids = [j.experts[e.person_id] for e in j.sample_experts()[2:]]
    refused(
        app,
        "R-REVIEW-PANEL",
        app.propose_review_panel,
        BUREAU_STAFF,
        j.challenge_id,
        expert_ids=ids,
    )


def test_r_panel_joint_scoring_before_both_confirmed_refused(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    ids = [j.experts[e.person_id] for e in j.sample_experts()]
    app.propose_review_panel(
        BUREAU_STAFF, j.challenge_id, expert_ids=ids, exception_reason=HAND_PICKED_REASON
    )
    app.confirm_review_panel(BUREAU_STAFF, j.challenge_id)
    clock.on(date(2026, 5, 12))
    who = actor(Role.EXPERT, END_USER_EQUIPMENT, "exp-k-mgmt")
    refused(
        app,
        "R-PANEL-JOINT",
        app.declare_conflict,
        who,
        application_id,
        expert_id=j.experts["exp-k-mgmt"],
        conflict=False,
    )
    app.confirm_review_panel(j.eu, j.challenge_id)
    assert app.challenge(j.challenge_id).panel_is_effective


def test_r_panel_joint_another_end_user_cannot_confirm(app, clock):
    j = published(app, clock)
    ids = [j.experts[e.person_id] for e in j.sample_experts()]
    app.propose_review_panel(
        BUREAU_STAFF, j.challenge_id, expert_ids=ids, exception_reason=HAND_PICKED_REASON
    )
    stranger = actor(Role.END_USER, ENTERPRISE_HUADONG, "someone")
    refused(app, "R-PANEL-JOINT", app.confirm_review_panel, stranger, j.challenge_id)
    app.confirm_review_panel(BUREAU_STAFF, j.challenge_id)
    refused(app, "R-PANEL-JOINT", app.confirm_review_panel, BUREAU_STAFF, j.challenge_id)
    assert not app.challenge(j.challenge_id).panel_is_effective


# ---- R-CONFLICT ---------------------------------------------------------------------------
def test_r_conflict_expert_from_an_applicant_unit_is_recused_and_cannot_score(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=INSTITUTE_WEST)  # the peer-inside expert works there
    j.panel(drawn=False)  # a drawn panel would have avoided him
    clock.on(date(2026, 5, 12))
    expert_id = j.experts["exp-k-peer-in"]
    who = actor(Role.EXPERT, INSTITUTE_WEST, "exp-k-peer-in")
    app.declare_conflict(who, application_id, expert_id=expert_id, conflict=False)
    recusal = app.events_of(application_id)[-1]
    assert type(recusal).__name__ == "ExpertRecused"
    assert INSTITUTE_WEST.credit_code in recusal.grounds
    refused(
        app,
        "R-CONFLICT",
        app.score,
        who,
        application_id,
        expert_id=expert_id,
        score=90,
        opinion="好",
    )


def test_r_conflict_declared_conflict_recuses(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    clock.on(date(2026, 5, 12))
    who = actor(Role.EXPERT, END_USER_EQUIPMENT, "exp-k-mgmt")
    app.declare_conflict(
        who,
        application_id,
        expert_id=j.experts["exp-k-mgmt"],
        conflict=True,
        statement="曾指导该项目负责人",
    )
    assert j.experts["exp-k-mgmt"] in app.application(application_id).recused


def test_r_conflict_scoring_without_a_declaration_refused(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    clock.on(date(2026, 5, 12))
    who = actor(Role.EXPERT, END_USER_EQUIPMENT, "exp-k-mgmt")
    refused(
        app,
        "R-CONFLICT",
        app.score,
        who,
        application_id,
        expert_id=j.experts["exp-k-mgmt"],
        score=90,
        opinion="好",
    )


def test_r_conflict_an_expert_acts_only_as_themself(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    clock.on(date(2026, 5, 12))
    impostor = actor(Role.EXPERT, END_USER_EQUIPMENT, "exp-k-front")
    refused(
        app,
        "R-CONFLICT",
        app.declare_conflict,
        impostor,
        application_id,
        expert_id=j.experts["exp-k-mgmt"],
        conflict=False,
    )


# ---- R-SELECT-EU ----------------------------------------------------------------------------
def test_r_select_eu_unreviewed_application_refused(app, clock):
    j = published(app, clock)
    reviewed = j.apply(lead=UNIVERSITY_JIANGNAN)
    unreviewed = j.apply(lead=ENTERPRISE_HUADONG)
    j.panel()
    j.review(reviewed)
    clock.on(date(2026, 5, 15))
    refused(app, "R-SELECT-EU", app.select, j.eu, j.challenge_id, application_id=unreviewed)


def test_r_select_eu_only_the_end_user_selects(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    j.review(application_id)
    clock.on(date(2026, 5, 15))
    refused(
        app, "R-SELECT-EU", app.select, BUREAU_STAFF, j.challenge_id, application_id=application_id
    )
    other = actor(Role.END_USER, ENTERPRISE_HUADONG, "x")
    refused(app, "R-SELECT-EU", app.select, other, j.challenge_id, application_id=application_id)


def test_r_select_eu_selection_references_the_experts_opinions(app, clock):
    j = Journey(app, clock).to_selected()
    (application_id,) = j.applications
    selected = app.events_of(j.project_id)[0]
    scored = [e for e in app.events_of(application_id) if type(e).__name__ == "Scored"]
    assert [(o.expert_id, o.score, o.event_version) for o in selected.opinions] == [
        (e.expert_id, e.score, e.originator_version) for e in scored
    ]
    assert len(scored) == 5  # six on the panel, one recused
