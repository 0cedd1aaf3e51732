"""The compliance report on version 2's review, selection and credit rules: histories written
straight into the store (no guard runs) are reported under R-REVIEW-PANEL, R-PANEL-JOINT,
R-SELECT-REASON, R-CREDIT and R-ORDER; justified departures are listed with who and why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from jiebang_es.domain.project import Project
from jiebang_es.domain.values import CreditStatus, PanelMember, Role
from jiebang_es.sample import (
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    UNIVERSITY_MEDICAL,
    actor,
)
from jiebang_es.service_base import CommandMeta
from tests.projections.test_compliance import findings, forge
from tests.support import BUREAU_STAFF, Journey, check_credit


def forge_selection(app, j: Journey, application_id: str) -> int:
    """The end user's selection, saved without any rule checked."""
    challenge = app.repository.get(UUID(j.challenge_id))
    application = app.application(application_id)
    audit = app._audit(j.eu, CommandMeta())
    content = challenge.content
    project = Project(
        audit=audit,
        challenge_id=j.challenge_id,
        application_id=application_id,
        end_user_code=j.end_user.credit_code,
        solver_code=application.lead.organisation.credit_code,
        category=content.category,
        industry=content.industry,
        funding=content.funding,
        period_months=content.period_months,
        classified=content.classified,
        indicators=content.indicators,
        opinions=application.scores,
        note="",
    )
    challenge._solver_selected(
        audit=audit, project_id=str(project.id), application_id=application_id
    )
    j.project_id = str(project.id)
    return min(r.notification.id for r in app.save(project, challenge))


def on_15_may(app, clock) -> None:
    clock.on(date(2026, 5, 15))
    check_credit(app)


def test_r_review_panel_selection_on_4_reviewers_without_justification_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=INSTITUTE_WEST, participants=(ENTERPRISE_HUADONG,))
    j.panel(drawn=False)  # named by hand: a drawn panel avoids the applicants' units
    j.review(application_id)  # two of six recuse
    on_15_may(app, clock)
    selected = forge_selection(app, j, application_id)
    [finding] = findings(settings, read_store, "R-REVIEW-PANEL")
    assert finding.position == selected
    assert "4 effective reviewers" in finding.detail


def test_r_review_panel_justified_selection_lists_who_and_why(app, clock, settings, read_store):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=INSTITUTE_WEST, participants=(ENTERPRISE_HUADONG,))
    j.panel(drawn=False)  # named by hand: a drawn panel avoids the applicants' units
    j.review(application_id)
    on_15_may(app, clock)
    app.select(j.eu, j.challenge_id, application_id=application_id, exception_reason="无可替换专家")
    assert findings(settings, read_store, "R-REVIEW-PANEL") == []
    [exception] = findings(settings, read_store, "R-REVIEW-PANEL", "exception")
    assert (exception.justification, exception.actor_id) == ("无可替换专家", j.eu.id)


def test_r_review_panel_absence_and_replacement_hold(app, clock, settings, read_store):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=INSTITUTE_WEST)  # one recusal
    j.panel(drawn=False)  # named by hand: a drawn seat is filled from the draw
    clock.on(date(2026, 5, 12))
    app.record_absence(
        BUREAU_STAFF, j.challenge_id, expert_id=j.experts["exp-k-front"], reason="病假"
    )
    spare = app.register_expert(
        BUREAU_STAFF,
        person_id="exp-k-spare",
        name="钱研究员",
        org_code=UNIVERSITY_JIANGNAN.credit_code,
        org_name=UNIVERSITY_JIANGNAN.name,
        kind=j.sample_experts()[3].kind,
        speciality="精密测量",
    ).aggregate_id
    app.propose_replacement(
        BUREAU_STAFF,
        j.challenge_id,
        expert_id=spare,
        replaces=j.experts["exp-k-front"],
        reason="陈总工病假",
    )
    app.confirm_replacement(BUREAU_STAFF, j.challenge_id, expert_id=spare)
    app.confirm_replacement(j.eu, j.challenge_id, expert_id=spare)
    j.review(application_id)
    j.select(application_id)
    for rule_id in ("R-REVIEW-PANEL", "R-PANEL-JOINT", "R-SELECT-EU", "R-CONFLICT", "R-ORDER"):
        assert findings(settings, read_store, rule_id) == [], rule_id


def test_r_panel_joint_replacement_confirmed_by_an_applicant_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_published()
    j.panel()
    spare = j.experts["exp-k-eu"]
    member = PanelMember(
        expert_id="00000000-0000-4000-8000-00000000beef", kind=j.sample_experts()[0].kind
    )
    forge(
        app, j.challenge_id, "_replacement_proposed", member=member, replaces=spare, grounds="回避"
    )
    confirmed = forge(
        app,
        j.challenge_id,
        "_replacement_confirmed",
        who=actor(Role.APPLICANT, INSTITUTE_WEST, "x"),
        expert_id=member.expert_id,
        role=Role.APPLICANT,
    )
    assert [f.position for f in findings(settings, read_store, "R-PANEL-JOINT")] == [confirmed]


def test_r_order_replacement_before_the_panel_took_effect_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_published()
    clock.on(date(2026, 5, 11))
    member = PanelMember(expert_id=j.experts["exp-k-eu"], kind=j.sample_experts()[5].kind)
    proposed = forge(
        app, j.challenge_id, "_replacement_proposed", member=member, replaces="x", grounds=""
    )
    assert proposed in [f.position for f in findings(settings, read_store, "R-ORDER")]
    assert [f.position for f in findings(settings, read_store, "R-REVIEW-PANEL")] == [proposed]


def test_r_select_reason_selection_below_the_ranking_without_reason_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_published()
    high = j.apply(lead=UNIVERSITY_JIANGNAN)
    low = j.apply(lead=UNIVERSITY_MEDICAL)
    j.panel()
    j.review(high, score="91")
    j.review(low, score="60", recommend=False)
    on_15_may(app, clock)
    selected = forge_selection(app, j, low)
    [finding] = findings(settings, read_store, "R-SELECT-REASON")
    assert finding.position == selected
    assert "below the top-ranked 91.00" in finding.detail
    assert "advised against" in finding.detail


def test_r_select_reason_justified_selection_lists_who_and_why(app, clock, settings, read_store):
    j = Journey(app, clock).to_published()
    high = j.apply(lead=UNIVERSITY_JIANGNAN)
    low = j.apply(lead=UNIVERSITY_MEDICAL)
    j.panel()
    j.review(high, score="91")
    j.review(low, score="80")
    j.select(low, exception_reason="本地医院可立即开展临床验证")
    assert findings(settings, read_store, "R-SELECT-REASON") == []
    [exception] = findings(settings, read_store, "R-SELECT-REASON", "exception")
    assert exception.justification == "本地医院可立即开展临床验证"
    assert exception.role == "end_user"


def test_r_credit_disbursement_on_a_stale_check_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()  # the solver was checked on 1 June
    clock.on(date(2026, 7, 20))
    paid = forge(
        app,
        j.project_id,
        "_funded",
        amount=Decimal("1000.00"),
        purpose="二期",
        paid_on=date(2026, 7, 20),
    )
    [finding] = findings(settings, read_store, "R-CREDIT")
    assert finding.position == paid
    assert "49 days" in finding.detail


def test_r_credit_history_recorded_with_recent_checks_holds(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 6, 10))
    app.disburse(BUREAU_STAFF, j.project_id, amount="1000.00", purpose="首期")
    assert findings(settings, read_store, "R-CREDIT") == []


def test_r_credit_disbursement_to_a_unit_found_dishonest_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 6, 10))
    check_credit(app, INSTITUTE_WEST, status=CreditStatus.SERIOUSLY_DISHONEST)
    paid = forge(
        app,
        j.project_id,
        "_funded",
        amount=Decimal("1000.00"),
        purpose="首期",
        paid_on=date(2026, 6, 10),
    )
    [finding] = findings(settings, read_store, "R-CREDIT")
    assert finding.position == paid
    assert "seriously_dishonest" in finding.detail
