"""The compliance report on the project's v2 rules: histories written past the command guards
(as an import or an older build might) are reported under the right rule id."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from jiebang_es.domain.values import ExpertKind, ExpertOpinion, Verdict
from projections.reports import compliance
from tests.projections.conftest import catch_up
from tests.projections.test_compliance import findings, forge
from tests.support import BUREAU_STAFF, Journey, check_credit, solver


def positions(settings, read_store, rule_id: str) -> list[int]:
    return [f.position for f in findings(settings, read_store, rule_id)]


def test_r_publicity_notice_without_the_objection_channel_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_selected().publicize()
    notice = app.events_of(j.project_id)[-1]
    clock.on(date(2026, 5, 25))
    j2 = Journey(app, clock, tag="k2").to_selected()
    clock.on(date(2026, 5, 26))
    forged = forge(
        app,
        j2.project_id,
        "_publicized",
        starts_on=date(2026, 5, 26),
        ends_on=date(2026, 6, 1),
        working_days=5,
        calendar_version=notice.calendar_version,
        notice=replace(notice.notice, objection_channel=""),
    )
    assert positions(settings, read_store, "R-PUBLICITY") == [forged]


def test_r_publicity_notice_closed_early_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 20))
    closed = forge(app, j.project_id, "_notice_closed")
    assert positions(settings, read_store, "R-PUBLICITY") == [closed]


def test_r_objection_number_before_the_notice_passed_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_selected().publicize()
    numbered = forge(
        app, j.project_id, "_entered_district_management", number="SPB-KJ-2026-001", year=2026
    )
    assert positions(settings, read_store, "R-OBJECTION") == [numbered]


def test_r_objection_number_given_twice_is_reported(app, clock, settings, read_store):
    first = Journey(app, clock).to_selected().publicize().close_notice()
    taken = app.project(first.project_id).district_number
    second = Journey(app, clock, tag="k2").to_selected()
    clock.on(date(2026, 5, 26))
    forge(app, second.project_id, "_notice_waived", reason="导入")
    again = forge(app, second.project_id, "_entered_district_management", number=taken, year=2026)
    assert again in positions(settings, read_store, "R-OBJECTION")


def test_r_disburse_more_than_fallen_due_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()  # 45,000 due on signature of 90,000
    clock.on(date(2026, 6, 10))
    paid = forge(
        app,
        j.project_id,
        "_funded",
        amount=Decimal("45000.01"),
        purpose="x",
        paid_on=date(2026, 6, 10),
    )
    [finding] = findings(settings, read_store, "R-DISBURSE")
    assert finding.position == paid
    assert "made due" in finding.detail


def failed_prototype(app, clock) -> Journey:
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 12, 1))
    app.report_milestone(solver(), j.project_id, milestone="样机", report="样机")
    app.assess_milestone(j.eu, j.project_id, milestone="样机", verdict=Verdict.FAIL)
    return j


def test_r_milestone_payment_over_a_failed_milestone_is_reported(app, clock, settings, read_store):
    j = failed_prototype(app, clock)
    paid = forge(
        app,
        j.project_id,
        "_funded",
        amount=Decimal("1000.00"),
        purpose="x",
        paid_on=date(2026, 12, 1),
    )
    assert positions(settings, read_store, "R-MILESTONE") == [paid]


def test_r_milestone_final_pass_over_a_failure_is_reported(app, clock, settings, read_store):
    j = failed_prototype(app, clock)
    app.report_milestone(solver(), j.project_id, milestone="小批量验证", report="验证")
    app.assess_milestone(j.eu, j.project_id, milestone="小批量验证", verdict=Verdict.PASS)
    passed = forge(
        app,
        j.project_id,
        "_assessed",
        who=j.eu,
        verdict=Verdict.PASS,
        remarks="通过",
        closes=False,
    )
    assert positions(settings, read_store, "R-MILESTONE") == [passed]


def assessed(app, clock, verdict: Verdict) -> Journey:
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 12, 1))
    for m in j.content.milestones:
        app.report_milestone(solver(), j.project_id, milestone=m.name, report="完成")
        app.assess_milestone(j.eu, j.project_id, milestone=m.name, verdict=Verdict.PASS)
    app.assess(j.eu, j.project_id, verdict=verdict, remarks="考核")
    return j


def test_r_assess_eu_acceptance_reversing_the_verdict_is_reported(app, clock, settings, read_store):
    j = assessed(app, clock, Verdict.FAIL)
    app.report_co_investment(j.eu, j.project_id, amount="1000.00", note="投入")
    accepted = forge(app, j.project_id, "_accepted", verdict=Verdict.PASS, remarks="改判通过")
    assert positions(settings, read_store, "R-ASSESS-EU") == [accepted]
    assert positions(settings, read_store, "R-EU-COMMIT") == []


def test_r_eu_commit_reported_closing_without_the_report_is_reported(
    app, clock, settings, read_store
):
    j = assessed(app, clock, Verdict.PASS)
    accepted = forge(app, j.project_id, "_accepted", verdict=Verdict.PASS, remarks="结题")
    assert positions(settings, read_store, "R-EU-COMMIT") == [accepted]


def test_r_eu_commit_reported_by_someone_else_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    reported = forge(app, j.project_id, "_co_investment_reported", amount=Decimal(1), note="x")
    assert positions(settings, read_store, "R-EU-COMMIT") == [reported]


def test_r_autonomy_leader_change_filed_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    filed = forge(
        app,
        j.project_id,
        "_route_change_filed",
        who=solver(),
        reason="调离",
        kind="project_leader",
        description="负责人改为李工",
    )
    assert positions(settings, read_store, "R-AUTONOMY") == [filed]


def test_r_extend_without_a_full_panel_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    terms = app.project(j.project_id).terms
    one = (ExpertOpinion(j.experts["exp-k-mgmt"], ExpertKind.MANAGEMENT, "同意"),)
    extended = forge(
        app,
        j.project_id,
        "_extended",
        reason="延期",
        extra_months=6,
        opinions=one,
        terms=replace(terms, period_months=24),
    )
    assert positions(settings, read_store, "R-EXTEND") == [extended]


def test_v2_clean_history_with_rectification_and_acceptance_holds(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 6, 10))
    app.disburse(BUREAU_STAFF, j.project_id, amount="45000.00", purpose="首期")
    clock.on(date(2026, 12, 1))
    check_credit(app)  # R-CREDIT: each payment needs a recent check
    app.report_milestone(solver(), j.project_id, milestone="样机", report="样机")
    app.assess_milestone(j.eu, j.project_id, milestone="样机", verdict=Verdict.FAIL)
    app.report_rectification(solver(), j.project_id, milestone="样机", report="整改")
    app.assess_rectification(
        j.eu, j.project_id, milestone="样机", verdict=Verdict.PASS, remarks="达标"
    )
    app.disburse(BUREAU_STAFF, j.project_id, amount="27000.00", purpose="节点")
    app.report_milestone(solver(), j.project_id, milestone="小批量验证", report="验证")
    app.assess_milestone(j.eu, j.project_id, milestone="小批量验证", verdict=Verdict.PASS)
    app.assess(j.eu, j.project_id, verdict=Verdict.PASS, remarks="通过")
    app.report_co_investment(j.eu, j.project_id, amount="200000.00", note="投入")
    app.accept(BUREAU_STAFF, j.project_id, remarks="结题")
    app.disburse(BUREAU_STAFF, j.project_id, amount="18000.00", purpose="尾款")
    catch_up(settings)
    report = compliance.compliance_report(read_store)
    # every rule holds but R-EVIDENCE: this suite records its steps without papers
    assert {r.status for r in report.rules if r.rule_id != "R-EVIDENCE"} == {"holds"}
