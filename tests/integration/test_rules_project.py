"""Rules of public notice, objections, the task contract, funds and project management."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.project import ProjectStatus
from jiebang_es.domain.values import Indicator, Role, Scope, Verdict
from jiebang_es.errors import CalendarNotCoveredError
from jiebang_es.sample import ENTERPRISE_HUADONG, INSTITUTE_WEST, actor
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, Journey, solver


def selected(app, clock, **kw) -> Journey:
    return Journey(app, clock, **kw).to_selected()


# ---- R-PUBLICITY ---------------------------------------------------------------------------------
def test_r_publicity_contract_before_the_public_notice_refused(app, clock):
    j = selected(app, clock)
    refused(app, "R-PUBLICITY", app.draft_contract, BUREAU_STAFF, j.project_id, terms=j.terms())


def test_r_publicity_notice_runs_five_working_days_by_the_holiday_calendar(app, clock):
    j = selected(app, clock)
    app.publicize(BUREAU_STAFF, j.project_id, starts_on=date(2026, 9, 29))
    notice = app.events_of(j.project_id)[-1]
    # 29, 30 Sep; 1–7 Oct National Day; 8, 9 Oct; 10 Oct is a make-up workday (调休).
    assert notice.ends_on == date(2026, 10, 10)
    assert notice.working_days == 5
    assert notice.calendar_version.startswith("chinesecalendar ")


def test_r_publicity_notice_period_is_configurable(make_app, clock):
    app = make_app(notice_working_days=3)
    j = selected(app, clock)
    app.publicize(BUREAU_STAFF, j.project_id, starts_on=date(2026, 5, 18))
    assert app.project(j.project_id).notice_ends == date(2026, 5, 20)


def test_r_publicity_year_the_calendar_does_not_know_is_refused_not_guessed(app, clock):
    j = selected(app, clock)
    before = app.position()
    with pytest.raises(CalendarNotCoveredError) as caught:
        app.publicize(BUREAU_STAFF, j.project_id, starts_on=date(2027, 3, 1))
    assert "JIEBANG_HOLIDAY_SCHEDULE" in str(caught.value)
    assert app.position() == before


def test_r_publicity_an_announced_schedule_can_be_loaded(make_app, clock, tmp_path):
    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps({"year": 2027, "holidays": ["2027-03-02"], "workdays": []}))
    app = make_app(holiday_schedule=schedule)
    j = selected(app, clock)
    app.publicize(BUREAU_STAFF, j.project_id, starts_on=date(2027, 3, 1))
    notice = app.events_of(j.project_id)[-1]
    assert notice.ends_on == date(2027, 3, 8)  # 1, 3, 4, 5, 8 March
    assert "schedule 2027" in notice.calendar_version


def test_r_publicity_classified_project_skips_the_notice(app, clock):
    classified = replace(
        Journey(app, clock).content,
        classified=True,
        scope=Scope.RESTRICTED,
        recipients=(INSTITUTE_WEST.credit_code,),
    )
    j = selected(app, clock, content=classified)
    refused(app, "R-PUBLICITY", app.publicize, BUREAU_STAFF, j.project_id)
    refused(app, "R-PUBLICITY", app.draft_contract, BUREAU_STAFF, j.project_id, terms=j.terms())
    refused(app, "R-AUDIT-WHO", app.waive_notice, BUREAU_STAFF, j.project_id)
    app.waive_notice(BUREAU_STAFF, j.project_id, meta=_reason("涉密项目，经保密审查不予公示"))
    j.contract()
    assert app.project(j.project_id).status is ProjectStatus.CONTRACTED


def test_r_publicity_only_a_classified_project_goes_without_notice(app, clock):
    j = selected(app, clock)
    refused(app, "R-PUBLICITY", app.waive_notice, BUREAU_STAFF, j.project_id, meta=_reason("…"))


# ---- R-OBJECTION -----------------------------------------------------------------------------
def test_r_objection_outside_the_notice_period_refused(app, clock):
    j = selected(app, clock).publicize()
    clock.on(date(2026, 5, 23))  # the notice ended on the 22nd
    refused(app, "R-OBJECTION", app.lodge_objection, BUREAU_STAFF, j.project_id, grounds="晚了")


def test_r_objection_unresolved_objection_blocks_the_close(app, clock):
    j = selected(app, clock).publicize()
    clock.on(date(2026, 5, 19))
    app.lodge_objection(
        actor(Role.APPLICANT, ENTERPRISE_HUADONG, "rival"), j.project_id, grounds="评分不公"
    )
    clock.on(date(2026, 5, 25))
    refused(app, "R-OBJECTION", app.close_notice, BUREAU_STAFF, j.project_id)


def test_r_publicity_notice_cannot_close_before_it_ends(app, clock):
    # v2: the notice's own period keeps it open (R-PUBLICITY), not an objection.
    j = selected(app, clock).publicize()
    clock.on(date(2026, 5, 22))
    refused(app, "R-PUBLICITY", app.close_notice, BUREAU_STAFF, j.project_id)


def test_r_objection_dismissed_then_the_project_enters_management(app, clock):
    j = selected(app, clock).publicize()
    clock.on(date(2026, 5, 19))
    app.lodge_objection(
        actor(Role.APPLICANT, ENTERPRISE_HUADONG, "rival"), j.project_id, grounds="评分不公"
    )
    (objection_id,) = app.project(j.project_id).objections
    refused(
        app,
        "R-AUDIT-WHO",
        app.resolve_objection,
        BUREAU_STAFF,
        j.project_id,
        objection_id=objection_id,
        upheld=False,
    )
    app.resolve_objection(
        BUREAU_STAFF,
        j.project_id,
        objection_id=objection_id,
        upheld=False,
        meta=_reason("经核查评分程序合规"),
    )
    j.close_notice()
    assert app.project(j.project_id).status is ProjectStatus.IN_MANAGEMENT


def test_r_objection_upheld_revokes_the_selection(app, clock):
    j = selected(app, clock).publicize()
    clock.on(date(2026, 5, 19))
    app.lodge_objection(
        actor(Role.APPLICANT, ENTERPRISE_HUADONG, "rival"), j.project_id, grounds="知识产权存在争议"
    )
    (objection_id,) = app.project(j.project_id).objections
    receipt = app.resolve_objection(
        BUREAU_STAFF,
        j.project_id,
        objection_id=objection_id,
        upheld=True,
        meta=_reason("知识产权争议属实"),
    )
    assert receipt.events == ("ObjectionResolved", "SelectionRevoked", "SolverSelectionRevoked")
    assert app.project(j.project_id).status is ProjectStatus.REVOKED
    challenge = app.challenge(j.challenge_id)
    assert challenge.status is ChallengeStatus.PUBLISHED
    refused(app, "R-OBJECTION", app.select, j.eu, j.challenge_id, application_id=j.applications[0])


# ---- R-CONTRACT ---------------------------------------------------------------------------
def in_management(app, clock) -> Journey:
    return selected(app, clock).publicize().close_notice()


def test_r_contract_budget_over_the_funding_refused(app, clock):
    j = in_management(app, clock)
    refused(
        app,
        "R-CONTRACT",
        app.draft_contract,
        BUREAU_STAFF,
        j.project_id,
        terms=j.terms(budget="100000.01"),
    )


def test_r_contract_period_over_the_challenges_refused(app, clock):
    j = in_management(app, clock)
    refused(
        app, "R-CONTRACT", app.draft_contract, BUREAU_STAFF, j.project_id, terms=j.terms(period=19)
    )


def test_r_contract_signed_by_bureau_end_user_and_solver_only(app, clock):
    j = in_management(app, clock)
    app.draft_contract(BUREAU_STAFF, j.project_id, terms=j.terms())
    refused(app, "R-CONTRACT", app.sign_contract, solver(ENTERPRISE_HUADONG), j.project_id)
    app.sign_contract(BUREAU_STAFF, j.project_id)
    app.sign_contract(solver(INSTITUTE_WEST), j.project_id)
    assert app.project(j.project_id).terms is None  # two of three signatures: no contract yet
    refused(app, "R-CONTRACT", app.sign_contract, BUREAU_STAFF, j.project_id)
    app.sign_contract(j.eu, j.project_id)
    assert app.project(j.project_id).status is ProjectStatus.CONTRACTED


# ---- R-DISBURSE ---------------------------------------------------------------------------
def test_r_disburse_before_the_contract_refused(app, clock):
    j = in_management(app, clock)
    refused(
        app, "R-DISBURSE", app.disburse, BUREAU_STAFF, j.project_id, amount="1000", purpose="首期"
    )


def test_r_disburse_running_total_never_exceeds_the_budget(make_app, clock):
    # v2: payments follow the schedule; this one makes the whole budget due on signature.
    app = make_app(payment_schedule_default="signature:100")
    j = in_management(app, clock).contract()
    app.disburse(BUREAU_STAFF, j.project_id, amount="60000.00", purpose="首期")
    refused(
        app,
        "R-DISBURSE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="30000.01",
        purpose="二期",
    )
    app.disburse(BUREAU_STAFF, j.project_id, amount="30000.00", purpose="二期")
    assert str(app.project(j.project_id).disbursed) == "90000.00"


# ---- R-MILESTONE, R-ASSESS-EU ----------------------------------------------------------------
def test_r_milestone_report_of_an_uncontracted_milestone_refused(app, clock):
    j = in_management(app, clock).contract()
    refused(
        app,
        "R-MILESTONE",
        app.report_milestone,
        solver(),
        j.project_id,
        milestone="量产",
        report="…",
    )


def test_r_milestone_assessment_needs_a_report_and_the_end_user(app, clock):
    j = in_management(app, clock).contract()
    refused(
        app,
        "R-MILESTONE",
        app.assess_milestone,
        j.eu,
        j.project_id,
        milestone="样机",
        verdict=Verdict.PASS,
    )
    app.report_milestone(solver(), j.project_id, milestone="样机", report="样机通过测试")
    refused(
        app,
        "R-MILESTONE",
        app.assess_milestone,
        BUREAU_STAFF,
        j.project_id,
        milestone="样机",
        verdict=Verdict.PASS,
    )
    app.assess_milestone(j.eu, j.project_id, milestone="样机", verdict=Verdict.PASS)
    assert app.project(j.project_id).milestone_verdicts == {"样机": Verdict.PASS}


def test_r_assess_eu_final_assessment_by_the_bureau_refused(app, clock):
    j = in_management(app, clock).contract()
    refused(
        app,
        "R-ASSESS-EU",
        app.assess,
        BUREAU_STAFF,
        j.project_id,
        verdict=Verdict.PASS,
        remarks="通过",
    )
    other = actor(Role.END_USER, ENTERPRISE_HUADONG, "x")
    refused(
        app, "R-ASSESS-EU", app.assess, other, j.project_id, verdict=Verdict.PASS, remarks="通过"
    )
    for milestone in j.content.milestones:
        app.report_milestone(solver(), j.project_id, milestone=milestone.name, report="已完成")
        app.assess_milestone(j.eu, j.project_id, milestone=milestone.name, verdict=Verdict.FAIL)
    app.assess(j.eu, j.project_id, verdict=Verdict.FAIL, remarks="分辨率未达23位")
    assert app.project(j.project_id).verdict is Verdict.FAIL


def test_r_milestone_final_assessment_follows_every_milestone(app, clock):
    j = in_management(app, clock).contract()
    app.report_milestone(solver(), j.project_id, milestone="样机", report="样机完成")
    app.assess_milestone(j.eu, j.project_id, milestone="样机", verdict=Verdict.PASS)
    err = refused(
        app, "R-MILESTONE", app.assess, j.eu, j.project_id, verdict=Verdict.PASS, remarks="通过"
    )
    assert "小批量验证" in err.message


# ---- R-AUTONOMY ---------------------------------------------------------------------------
def test_r_autonomy_route_and_team_changes_are_filed_without_approval(app, clock):
    j = in_management(app, clock).contract()
    terms_before = app.project(j.project_id).terms
    receipt = app.file_route_change(
        solver(),
        j.project_id,
        kind="technical_route",
        description="改用磁编码方案",
        meta=_reason("光学方案成本过高"),
    )
    assert receipt.events == ("RouteChangeFiled",)
    app.file_route_change(
        solver(), j.project_id, kind="team", description="新增两名工程师", meta=_reason("进度需要")
    )
    assert app.project(j.project_id).terms == terms_before
    assert [k for k, _ in app.project(j.project_id).filed_changes] == ["technical_route", "team"]


def test_r_autonomy_filing_is_the_solvers_own(app, clock):
    j = in_management(app, clock).contract()
    refused(
        app,
        "R-AUTONOMY",
        app.file_route_change,
        BUREAU_STAFF,
        j.project_id,
        kind="team",
        description="…",
        meta=_reason("…"),
    )


def test_r_autonomy_contract_change_needs_bureau_and_end_user(app, clock):
    j = in_management(app, clock).contract()
    new_terms = j.terms(budget="95000.00")
    app.propose_contract_change(
        solver(), j.project_id, terms=new_terms, meta=_reason("增加可靠性测试")
    )
    (change_id,) = app.project(j.project_id).changes
    refused(
        app, "R-AUTONOMY", app.approve_contract_change, solver(), j.project_id, change_id=change_id
    )
    app.approve_contract_change(BUREAU_STAFF, j.project_id, change_id=change_id)
    assert app.project(j.project_id).terms.budget == j.terms().budget
    receipt = app.approve_contract_change(j.eu, j.project_id, change_id=change_id)
    assert receipt.events == ("ContractChangeApproved", "ContractAmended")
    assert str(app.project(j.project_id).terms.budget) == "95000.00"


# ---- R-EXTEND -----------------------------------------------------------------------------
def test_r_extend_without_an_expert_argumentation_refused(app, clock):
    j = in_management(app, clock).contract()
    refused(
        app,
        "R-EXTEND",
        app.extend,
        BUREAU_STAFF,
        j.project_id,
        extra_months=6,
        opinions=[],
        meta=_reason("设备延期到货"),
    )


def test_r_extend_past_the_category_maximum_refused(app, clock):
    j = in_management(app, clock).contract()
    opinions = [(j.experts["exp-k-mgmt"], "同意延期")]
    # v2: one opinion is not a full panel (R-ARG-PANEL): it passes only with a justification.
    why = "仅延期半年，由行业主管部门专家出具意见"
    refused(
        app,
        "R-EXTEND",
        app.extend,
        BUREAU_STAFF,
        j.project_id,
        extra_months=19,
        opinions=opinions,
        exception_reason=why,
        meta=_reason("设备延期到货"),
    )
    app.extend(
        BUREAU_STAFF,
        j.project_id,
        extra_months=18,
        opinions=opinions,
        exception_reason=why,
        meta=_reason("设备延期到货"),
    )
    assert app.project(j.project_id).terms.period_months == 36


def _reason(text: str):
    from jiebang_es.service_base import CommandMeta

    return CommandMeta(reason=text)


def test_r_publicity_notice_cannot_start_in_the_past(app, clock):
    j = selected(app, clock)
    refused(
        app, "R-PUBLICITY", app.publicize, BUREAU_STAFF, j.project_id, starts_on=date(2026, 1, 5)
    )


def test_r_disburse_payment_dated_before_the_contract_refused(app, clock):
    j = in_management(app, clock).contract()
    refused(
        app,
        "R-DISBURSE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="1000.00",
        purpose="首期",
        paid_on=date(2026, 5, 1),
    )


def test_r_contract_names_the_challenges_indicators(app, clock):
    j = in_management(app, clock)
    other = replace(j.terms(), indicators=(Indicator("功耗", "5", "W"),))
    err = refused(app, "R-CONTRACT", app.draft_contract, BUREAU_STAFF, j.project_id, terms=other)
    assert "分辨率" in err.message
