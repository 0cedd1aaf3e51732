"""The project's rules as version 2 reads them: the notice's text, the district number, the
contract's schedule and co-investment, payments as they fall due, rectification, the end user's
verdict before the bureau's acceptance, the reported co-investment, leader changes, extensions."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from jiebang_es.config import Settings
from jiebang_es.domain.personal import shown
from jiebang_es.domain.project import Project, ProjectStatus
from jiebang_es.domain.values import Role, Scope, Tranche, Verdict
from jiebang_es.errors import ExceptionReasonRequiredError, InvalidValueError
from jiebang_es.sample import ENTERPRISE_HUADONG, INSTITUTE_WEST, actor, key_challenge_content
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, Journey, check_credit, solver

FIXTURE = Path(__file__).parent.parent / "fixtures" / "store_v1" / "demo-2026.sqlite"


def why(text: str) -> CommandMeta:
    return CommandMeta(reason=text)


def in_management(app, clock, **kw) -> Journey:
    return Journey(app, clock, **kw).to_selected().publicize().close_notice()


def contracted(app, clock, **kw) -> Journey:
    return in_management(app, clock, **kw).contract()


def pass_milestone(app, j: Journey, name: str, verdict: Verdict = Verdict.PASS) -> None:
    app.report_milestone(solver(), j.project_id, milestone=name, report=f"{name}完成")
    app.assess_milestone(j.eu, j.project_id, milestone=name, verdict=verdict, remarks="评价")


# ---- R-PUBLICITY ------------------------------------------------------------------------------
def test_r_publicity_notice_says_what_the_public_needs_to_object(app, clock):
    j = Journey(app, clock).to_selected().publicize()
    notice = app.events_of(j.project_id)[-1].notice
    assert notice.challenge_name == j.content.name
    assert notice.solver_name == INSTITUTE_WEST.name
    assert notice.end_user_name == j.end_user.name
    assert notice.funding == Decimal("100000.00")
    assert notice.period_months == 18
    assert shown(notice.project_leader) == "张工"
    assert "异议" in notice.objection_channel
    assert not notice.restricted


def test_r_publicity_restricted_notice_names_the_parties_not_the_challenge(app, clock):
    content = key_challenge_content(
        scope=Scope.RESTRICTED, recipients=(INSTITUTE_WEST.credit_code,)
    )
    j = Journey(app, clock, content=content).to_selected().publicize()
    notice = app.events_of(j.project_id)[-1].notice
    assert notice.restricted
    assert notice.challenge_name is None
    assert notice.funding is None
    assert notice.period_months is None
    assert content.name not in notice.project_title
    assert notice.solver_name == INSTITUTE_WEST.name
    assert shown(notice.project_leader) == "张工"


def test_r_publicity_notice_without_an_objection_channel_refused(make_app, clock):
    app = make_app(objection_channel=" ")
    j = Journey(app, clock).to_selected()
    clock.on(date(2026, 5, 18))
    err = refused(app, "R-PUBLICITY", app.publicize, BUREAU_STAFF, j.project_id)
    assert "where and how to object" in err.message


def test_r_publicity_objection_channel_is_configured(make_app, clock):
    app = make_app(objection_channel="向区科技局监督科书面反映")
    j = Journey(app, clock).to_selected().publicize()
    assert app.events_of(j.project_id)[-1].notice.objection_channel == "向区科技局监督科书面反映"


# ---- R-OBJECTION: the district number ---------------------------------------------------------
def test_r_objection_a_passed_notice_gives_the_district_number(app, clock):
    j = in_management(app, clock)
    project = app.project(j.project_id)
    assert project.district_number == "SPB-KJ-2026-001"
    names = [type(e).__name__ for e in app.events_of(j.project_id)]
    assert names[-2:] == ["NoticeClosed", "EnteredDistrictManagement"]
    second = in_management(app, clock, tag="k2")
    assert app.project(second.project_id).district_number == "SPB-KJ-2026-002"


def test_r_objection_unresolved_objection_gives_no_number(app, clock):
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 19))
    app.lodge_objection(
        actor(Role.APPLICANT, ENTERPRISE_HUADONG, "rival"), j.project_id, grounds="评分不公"
    )
    clock.on(date(2026, 5, 25))
    refused(app, "R-OBJECTION", app.close_notice, BUREAU_STAFF, j.project_id)
    assert app.project(j.project_id).district_number is None


def test_r_objection_number_twice_refused(app, clock):
    j = in_management(app, clock)
    project = app.project(j.project_id)
    before = app.position()
    with pytest.raises(Exception, match="R-ORDER"):
        project.enter_district_management(
            app._audit(BUREAU_STAFF, CommandMeta()), "SPB-KJ-2026-009", 2026
        )
    assert app.position() == before


def test_r_objection_classified_waiver_also_gets_a_number(make_app, clock):
    app = make_app(district_number_format="沙科项〔{year}〕{seq:04d}号")
    content = key_challenge_content(
        scope=Scope.RESTRICTED, recipients=(INSTITUTE_WEST.credit_code,), classified=True
    )
    j = Journey(app, clock, content=content).to_selected()
    clock.on(date(2026, 5, 18))
    receipt = app.waive_notice(BUREAU_STAFF, j.project_id, meta=why("涉密项目，经批准免于公示"))
    assert receipt.events == ("NoticeWaived", "EnteredDistrictManagement", "Opened", "NumberIssued")
    assert app.project(j.project_id).district_number == "沙科项〔2026〕0001号"


def test_r_objection_number_format_must_number_per_year():
    with pytest.raises(ValueError, match="seq"):
        Settings(district_number_format="SPB-KJ-{year}")


# ---- R-CONTRACT -------------------------------------------------------------------------------
def test_r_contract_default_schedule_and_commitment_are_carried(app, clock):
    j = contracted(app, clock)
    terms = app.project(j.project_id).terms
    assert terms.co_investment == Decimal("200000.00")  # the challenge's commitment
    assert terms.tranches == (
        Tranche(Decimal("45000.00"), "signature"),
        Tranche(Decimal("27000.00"), "milestone:1"),
        Tranche(Decimal("18000.00"), "final_assessment"),
    )
    assert shown(terms.project_leader) == "张工"
    assert terms.lead_unit_code == INSTITUTE_WEST.credit_code


def test_r_contract_co_investment_below_the_commitment_refused(app, clock):
    j = in_management(app, clock)
    clock.on(date(2026, 6, 1))
    terms = replace(j.terms(), co_investment=Decimal("199999.99"))
    err = refused(app, "R-CONTRACT", app.draft_contract, BUREAU_STAFF, j.project_id, terms=terms)
    assert "200000.00" in err.message


def test_r_contract_schedule_must_total_the_budget(app, clock):
    j = in_management(app, clock)
    clock.on(date(2026, 6, 1))
    terms = replace(
        j.terms(),
        tranches=(
            Tranche(Decimal("50000.00"), "signature"),
            Tranche(Decimal("30000.00"), "final_assessment"),
        ),
    )
    err = refused(app, "R-CONTRACT", app.draft_contract, BUREAU_STAFF, j.project_id, terms=terms)
    assert "80000.00" in err.message


def test_r_contract_tranche_on_a_milestone_the_contract_lacks_refused(app, clock):
    j = in_management(app, clock)
    clock.on(date(2026, 6, 1))
    terms = replace(
        j.terms(),
        tranches=(
            Tranche(Decimal("45000.00"), "signature"),
            Tranche(Decimal("45000.00"), "milestone:3"),
        ),
    )
    refused(app, "R-CONTRACT", app.draft_contract, BUREAU_STAFF, j.project_id, terms=terms)


def test_r_contract_unknown_payment_condition_is_an_invalid_value(app, clock):
    j = in_management(app, clock)
    clock.on(date(2026, 6, 1))
    terms = replace(j.terms(), tranches=(Tranche(Decimal("90000.00"), "on request"),))
    before = app.position()
    with pytest.raises(InvalidValueError) as caught:
        app.draft_contract(BUREAU_STAFF, j.project_id, terms=terms)
    assert caught.value.field == "tranches"
    assert app.position() == before


def test_r_contract_default_schedule_is_configured(make_app, clock):
    app = make_app(payment_schedule_default="signature:30,milestone:2:70")
    j = contracted(app, clock)
    assert app.project(j.project_id).terms.tranches == (
        Tranche(Decimal("27000.00"), "signature"),
        Tranche(Decimal("63000.00"), "milestone:2"),
    )


# ---- R-DISBURSE -------------------------------------------------------------------------------
def test_r_disburse_never_more_than_has_fallen_due(app, clock):
    j = contracted(app, clock)
    clock.on(date(2026, 6, 10))
    refused(
        app,
        "R-DISBURSE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="45000.01",
        purpose="首期",
    )
    app.disburse(BUREAU_STAFF, j.project_id, amount="45000.00", purpose="首期")
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    pass_milestone(app, j, "样机")
    assert app.project(j.project_id).fallen_due() == Decimal("72000.00")
    refused(
        app,
        "R-DISBURSE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="27000.01",
        purpose="二期",
    )
    app.disburse(BUREAU_STAFF, j.project_id, amount="27000.00", purpose="二期")


def test_r_disburse_final_tranche_after_assessment_and_acceptance(app, clock):
    j = contracted(app, clock)
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    for m in j.content.milestones:
        pass_milestone(app, j, m.name)
    app.disburse(BUREAU_STAFF, j.project_id, amount="72000.00", purpose="首期与节点")
    app.assess(j.eu, j.project_id, verdict=Verdict.PASS, remarks="指标达成")
    app.report_co_investment(j.eu, j.project_id, amount="200000.00", note="测试平台")
    app.accept(BUREAU_STAFF, j.project_id, remarks="同意结题")
    refused(
        app,
        "R-DISBURSE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="18000.01",
        purpose="尾款",
    )
    app.disburse(BUREAU_STAFF, j.project_id, amount="18000.00", purpose="尾款")
    project = app.project(j.project_id)
    assert project.status is ProjectStatus.COMPLETED
    assert project.disbursed == Decimal("90000.00")


def test_r_disburse_no_final_tranche_after_a_failed_assessment(app, clock):
    j = contracted(app, clock)
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    for m in j.content.milestones:
        pass_milestone(app, j, m.name)
    app.assess(j.eu, j.project_id, verdict=Verdict.FAIL, remarks="分辨率未达标")
    app.disburse(BUREAU_STAFF, j.project_id, amount="72000.00", purpose="首期与节点")
    refused(
        app,
        "R-DISBURSE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="18000.00",
        purpose="尾款",
    )


# ---- R-MILESTONE ------------------------------------------------------------------------------
def test_r_milestone_failed_milestone_stops_payments_until_rectified(app, clock):
    j = contracted(app, clock)
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    pass_milestone(app, j, "样机", Verdict.FAIL)
    refused(
        app,
        "R-MILESTONE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="1000.00",
        purpose="首期",
    )
    app.report_rectification(solver(), j.project_id, milestone="样机", report="更换读数头")
    refused(
        app,
        "R-MILESTONE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="1000.00",
        purpose="首期",
    )
    app.assess_rectification(
        j.eu, j.project_id, milestone="样机", verdict=Verdict.FAIL, remarks="仍未达标"
    )
    refused(
        app,
        "R-MILESTONE",
        app.disburse,
        BUREAU_STAFF,
        j.project_id,
        amount="1000.00",
        purpose="首期",
    )
    app.report_rectification(solver(), j.project_id, milestone="样机", report="重新设计光栅")
    app.assess_rectification(
        j.eu, j.project_id, milestone="样机", verdict=Verdict.PASS, remarks="复测达标"
    )
    # The rectified milestone now counts as passed: signature and milestone 1 are due.
    app.disburse(BUREAU_STAFF, j.project_id, amount="72000.00", purpose="首期与节点")


def test_r_milestone_final_assessment_cannot_pass_over_a_failure(app, clock):
    j = contracted(app, clock)
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    pass_milestone(app, j, "样机", Verdict.FAIL)
    pass_milestone(app, j, "小批量验证")
    err = refused(
        app, "R-MILESTONE", app.assess, j.eu, j.project_id, verdict=Verdict.PASS, remarks="通过"
    )
    assert "样机" in err.message
    app.assess(j.eu, j.project_id, verdict=Verdict.FAIL, remarks="样机未达标")


def test_r_milestone_a_failed_milestone_is_not_reassessed_as_passed(app, clock):
    j = contracted(app, clock)
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    pass_milestone(app, j, "样机", Verdict.FAIL)
    refused(
        app,
        "R-MILESTONE",
        app.assess_milestone,
        j.eu,
        j.project_id,
        milestone="样机",
        verdict=Verdict.PASS,
    )


def test_r_milestone_rectification_of_a_passed_milestone_refused(app, clock):
    j = contracted(app, clock)
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    pass_milestone(app, j, "样机")
    refused(
        app,
        "R-MILESTONE",
        app.report_rectification,
        solver(),
        j.project_id,
        milestone="样机",
        report="…",
    )
    refused(
        app,
        "R-MILESTONE",
        app.assess_rectification,
        j.eu,
        j.project_id,
        milestone="样机",
        verdict=Verdict.PASS,
        remarks="…",
    )


# ---- R-ASSESS-EU ------------------------------------------------------------------------------
def assessed(app, clock, verdict: Verdict) -> Journey:
    j = contracted(app, clock)
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    for m in j.content.milestones:
        pass_milestone(app, j, m.name)
    app.assess(j.eu, j.project_id, verdict=verdict, remarks="考核意见")
    return j


def test_r_assess_eu_acceptance_before_the_end_users_verdict_refused(app, clock):
    j = contracted(app, clock)
    refused(app, "R-ASSESS-EU", app.accept, BUREAU_STAFF, j.project_id, remarks="验收")


def test_r_assess_eu_bureau_cannot_reverse_the_verdict(app, clock):
    j = assessed(app, clock, Verdict.FAIL)
    app.report_co_investment(j.eu, j.project_id, amount="50000.00", note="部分投入")
    refused(
        app,
        "R-ASSESS-EU",
        app.accept,
        BUREAU_STAFF,
        j.project_id,
        remarks="验收",
        verdict=Verdict.PASS,
    )
    receipt = app.accept(BUREAU_STAFF, j.project_id, remarks="考核未通过，结题")
    assert receipt.events == ("Accepted",)
    project = app.project(j.project_id)
    assert project.verdict is Verdict.FAIL
    assert project.status is ProjectStatus.COMPLETED
    assert app.events_of(j.project_id)[-1].verdict is Verdict.FAIL


def test_r_assess_eu_acceptance_is_the_bureaus(app, clock):
    j = assessed(app, clock, Verdict.PASS)
    app.report_co_investment(j.eu, j.project_id, amount="200000.00", note="全部投入")
    refused(app, "R-ASSESS-EU", app.accept, j.eu, j.project_id, remarks="验收")


def test_r_assess_eu_verdict_recorded_once(app, clock):
    j = assessed(app, clock, Verdict.PASS)
    refused(
        app, "R-ASSESS-EU", app.assess, j.eu, j.project_id, verdict=Verdict.FAIL, remarks="改判"
    )


# ---- R-EU-COMMIT (reported) -------------------------------------------------------------------
def test_r_eu_commit_reported_before_acceptance(app, clock):
    j = assessed(app, clock, Verdict.PASS)
    refused(app, "R-EU-COMMIT", app.accept, BUREAU_STAFF, j.project_id, remarks="验收")
    app.report_co_investment(j.eu, j.project_id, amount="120000.00", note="测试平台")
    app.report_co_investment(j.eu, j.project_id, amount="90000.00", note="装机验证")
    assert app.project(j.project_id).co_invested == Decimal("210000.00")
    app.accept(BUREAU_STAFF, j.project_id, remarks="同意结题")


def test_r_eu_commit_reported_by_the_end_user_under_a_contract(app, clock):
    j = in_management(app, clock)
    refused(
        app, "R-EU-COMMIT", app.report_co_investment, j.eu, j.project_id, amount="1.00", note="…"
    )
    j.contract()
    refused(
        app,
        "R-EU-COMMIT",
        app.report_co_investment,
        BUREAU_STAFF,
        j.project_id,
        amount="1.00",
        note="…",
    )
    refused(
        app, "R-EU-COMMIT", app.report_co_investment, j.eu, j.project_id, amount="1.00", note=" "
    )


# ---- R-AUTONOMY -------------------------------------------------------------------------------
def test_r_autonomy_a_new_project_leader_is_not_a_filing(app, clock):
    j = contracted(app, clock)
    err = refused(
        app,
        "R-AUTONOMY",
        app.file_route_change,
        solver(),
        j.project_id,
        kind="project_leader",
        description="项目负责人改为李工",
        meta=why("张工调离"),
    )
    assert "contract change" in err.message


def test_r_autonomy_new_leader_and_lead_unit_need_both_approvals(app, clock):
    j = contracted(app, clock)
    terms = replace(
        app.project(j.project_id).terms,
        project_leader="李工",
        lead_unit_code=ENTERPRISE_HUADONG.credit_code,
    )
    app.propose_contract_change(solver(), j.project_id, terms=terms, meta=why("张工调离"))
    (change_id,) = app.project(j.project_id).changes
    app.approve_contract_change(BUREAU_STAFF, j.project_id, change_id=change_id)
    assert shown(app.project(j.project_id).terms.project_leader) == "张工"
    app.approve_contract_change(j.eu, j.project_id, change_id=change_id)
    project = app.project(j.project_id)
    assert shown(project.terms.project_leader) == "李工"
    assert project.solver_code == ENTERPRISE_HUADONG.credit_code


def test_r_autonomy_lead_unit_other_than_the_selected_one_at_draft_refused(app, clock):
    j = in_management(app, clock)
    clock.on(date(2026, 6, 1))
    terms = replace(j.terms(), lead_unit_code=ENTERPRISE_HUADONG.credit_code)
    refused(app, "R-AUTONOMY", app.draft_contract, BUREAU_STAFF, j.project_id, terms=terms)


# ---- R-EXTEND ---------------------------------------------------------------------------------
def test_r_extend_one_opinion_is_not_a_panel(app, clock):
    j = contracted(app, clock)
    opinions = [(j.experts["exp-k-mgmt"], "同意延期")]
    before = app.position()
    with pytest.raises(ExceptionReasonRequiredError) as caught:
        app.extend(
            BUREAU_STAFF, j.project_id, extra_months=6, opinions=opinions, meta=why("设备延期")
        )
    assert caught.value.rule_id == "R-ARG-PANEL"
    assert app.position() == before


def test_r_conflict_an_extension_is_not_argued_by_the_end_users_own_expert(app, clock):
    """As for the challenge's argumentation: the end user's own expert takes no part, and does
    not count towards the five."""
    j = contracted(app, clock)
    experts = [*j.sample_experts()[:4], j.sample_experts()[-1]]  # the last is the end user's
    opinions = [(j.experts[e.person_id], "同意延期") for e in experts]
    err = refused(
        app,
        "R-CONFLICT",
        app.extend,
        BUREAU_STAFF,
        j.project_id,
        extra_months=6,
        opinions=opinions,
        meta=why("设备延期"),
    )
    assert "extension" in err.message


def test_r_extend_with_a_full_panel_needs_no_exception(app, clock):
    j = contracted(app, clock)
    opinions = [(j.experts[e.person_id], "同意延期") for e in j.sample_experts()[:5]]
    app.extend(BUREAU_STAFF, j.project_id, extra_months=6, opinions=opinions, meta=why("设备延期"))
    extended = app.events_of(j.project_id)[-1]
    assert extended.audit.exceptions == ()
    assert extended.terms.period_months == 24


def test_r_extend_short_panel_records_its_justification(app, clock):
    j = contracted(app, clock)
    opinions = [(j.experts["exp-k-mgmt"], "同意延期")]
    app.extend(
        BUREAU_STAFF,
        j.project_id,
        extra_months=6,
        opinions=opinions,
        exception_reason="延期半年，主管部门专家论证即可",
        meta=why("设备延期"),
    )
    (exception,) = app.events_of(j.project_id)[-1].audit.exceptions
    assert exception.rule_id == "R-ARG-PANEL"


# ---- the first release's store ------------------------------------------------------------------
def test_first_release_projects_replay_with_the_documented_defaults(tmp_path):
    store = tmp_path / "v1.sqlite"
    shutil.copyfile(FIXTURE, store)
    app = JiebangApp(Settings(database_url=f"sqlite:///{store}"))
    try:
        ids = {
            n.originator_id
            for n in app.recorder.select_notifications(start=1, limit=10_000)
            if n.topic.startswith("jiebang_es.domain.project:")
        }
        assert ids
        for ident in ids:
            project = app.project(str(ident))
            assert isinstance(project, Project)
            assert project.status is ProjectStatus.CONTRACTED
            assert project.terms is not None
            assert project.terms.tranches == (Tranche(project.terms.budget, "signature"),)
            assert project.terms.co_investment == Decimal("0.00")
            assert project.fallen_due() == project.terms.budget
            notices = [e for e in app.events_of(ident) if type(e).__name__ == "Publicized"]
            assert [n.notice for n in notices] == [None]
    finally:
        app.close()


# ---- the year's counter ----------------------------------------------------------------------
def test_r_objection_two_numberings_at_once_cannot_both_be_saved(make_app, clock):
    from eventsourcing.persistence import RecordConflictError

    from jiebang_es.domain.numbering import DistrictNumbering

    first, second = make_app(), make_app()
    in_management(first, clock)  # opens 2026's counter, number 001
    counter_id = DistrictNumbering.create_id(2026)
    audit = first._audit(BUREAU_STAFF, CommandMeta())
    mine = first._get(DistrictNumbering, counter_id)
    theirs = second._get(DistrictNumbering, counter_id)
    assert mine.issue(audit, "project-a", "{year}-{seq}") == "2026-2"
    assert theirs.issue(audit, "project-b", "{year}-{seq}") == "2026-2"
    first.save(mine)
    with pytest.raises(RecordConflictError):
        second.save(theirs)
    assert first._get(DistrictNumbering, counter_id).numbers["project-a"] == "2026-2"


def test_r_objection_counter_never_runs_backwards_in_business_time(app, clock):
    late = in_management(app, clock)  # numbered on 25 May
    early = Journey(app, clock, tag="k2").to_selected().publicize()
    clock.on(date(2026, 5, 23))  # before the counter's last number (25 May)
    app.close_notice(BUREAU_STAFF, early.project_id)
    assert app.project(early.project_id).district_number == "SPB-KJ-2026-002"
    assert app.project(early.project_id).effective_at.date() == date(2026, 5, 23)
    assert app.project(late.project_id).district_number == "SPB-KJ-2026-001"
