"""The nine steps of §八 in order, with the exact events and their audit metadata."""

from __future__ import annotations

from datetime import date

from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.project import ProjectStatus
from jiebang_es.domain.values import DemandSource, Role, Verdict
from jiebang_es.sample import END_USER_EQUIPMENT, INSTITUTE_WEST
from tests.support import BUREAU_STAFF, Journey, solver


def event_names(app, aggregate_id):
    return [type(e).__name__ for e in app.events_of(aggregate_id)]


def test_nine_steps_record_the_spine_events_in_order(app, clock):
    j = Journey(app, clock)
    clock.on(date(2026, 2, 20))
    demand = app.collect_demand(
        BUREAU_STAFF,
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="编码器国产化",
        description="调研走访记录",
    )
    j.draft(demand_ids=[demand.aggregate_id])
    j.argue().list().publish()
    application_id = j.apply()
    j.panel()
    j.review(application_id)
    j.select(application_id).publicize().close_notice().contract()
    clock.on(date(2026, 6, 10))
    app.disburse(BUREAU_STAFF, j.project_id, amount="40000.00", purpose="首期")

    assert event_names(app, demand.aggregate_id) == ["Collected", "Refined"]
    assert event_names(app, j.challenge_id) == [
        "Drafted",
        "EndUserConfirmed",
        "Reviewed",
        "Listed",
        "Published",
        "ReviewPanelProposed",
        "ReviewPanelConfirmed",
        "ReviewPanelConfirmed",
        "SolverSelected",
    ]
    assert event_names(app, application_id)[0] == "Applied"
    assert "Scored" in event_names(app, application_id)
    assert event_names(app, j.project_id) == [
        "Selected",
        "Publicized",
        "NoticeClosed",
        "EnteredDistrictManagement",
        "ContractDrafted",
        "ContractSigned",
        "ContractSigned",
        "ContractSigned",
        "Contracted",
        "Funded",
    ]
    assert app.challenge(j.challenge_id).status is ChallengeStatus.SELECTED
    project = app.project(j.project_id)
    assert project.status is ProjectStatus.CONTRACTED
    assert str(project.disbursed) == "40000.00"


def test_every_event_carries_who_when_and_why(app, clock):
    j = Journey(app, clock).to_contracted()
    for aggregate_id in (j.challenge_id, j.project_id, *j.applications):
        for e in app.events_of(aggregate_id):
            a = e.audit
            assert a.actor_id
            assert a.org_code
            assert a.request_id
            assert a.correlation_id
            assert a.effective_at.tzinfo is not None
            assert a.recorded_at.tzinfo is not None
    published = app.events_of(j.challenge_id)[4]
    assert published.audit.role is Role.BUREAU
    assert published.audit.effective_at.date() == date(2026, 4, 10)
    signed_by = [
        e.signature.role
        for e in app.events_of(j.project_id)
        if type(e).__name__ == "ContractSigned"
    ]
    assert signed_by == [Role.BUREAU, Role.END_USER, Role.APPLICANT]


def test_milestones_assessment_and_completion(app, clock):
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 12, 1))
    for milestone in j.content.milestones:
        app.report_milestone(
            solver(INSTITUTE_WEST), j.project_id, milestone=milestone.name, report="完成"
        )
        app.assess_milestone(j.eu, j.project_id, milestone=milestone.name, verdict=Verdict.PASS)
    app.assess(j.eu, j.project_id, verdict=Verdict.PASS, remarks="指标全部达成")
    # v2: the end user's verdict first, then its co-investment, then the bureau's acceptance.
    assert app.project(j.project_id).status is ProjectStatus.ASSESSED
    app.report_co_investment(j.eu, j.project_id, amount="200000.00", note="测试平台与装机验证")
    app.accept(BUREAU_STAFF, j.project_id, remarks="同意结题")
    assert app.project(j.project_id).status is ProjectStatus.COMPLETED


def test_stored_events_equal_the_events_that_were_triggered(app, clock):
    j = Journey(app, clock).to_selected()
    selected = app.events_of(j.project_id)[0]
    assert isinstance(selected.opinions, tuple)
    assert isinstance(app.events_of(j.challenge_id)[0].demand_ids, tuple)
    assert app.project(j.project_id).opinions == selected.opinions
