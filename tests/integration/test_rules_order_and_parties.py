"""Order in business time, and who acts for whom: the holes a review found, kept closed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.personal import shown
from jiebang_es.domain.values import Actor, Conclusion, CreditStatus, ExpertKind, Role
from jiebang_es.errors import InvalidValueError
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    UNIVERSITY_JIANGNAN,
    actor,
    major_challenge_content,
)
from jiebang_es.service_base import CHINA_TZ, CommandMeta
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, HAND_PICKED_REASON, UNREAD_DEMAND, Journey, at, solver


def test_r_order_a_challenge_is_refined_from_collected_demands(app, clock):
    refused(
        app,
        "R-ORDER",
        app.draft_challenge,
        BUREAU_STAFF,
        end_user=END_USER_EQUIPMENT,
        content=Journey(app, clock).content,
    )


def test_r_order_a_backdated_step_cannot_precede_the_step_it_follows(app, clock):
    j = Journey(app, clock).draft()
    clock.on(date(2026, 3, 25))
    before_draft = CommandMeta(effective_at=at(date(2026, 3, 1)))
    opinions = [(j.experts[e.person_id], "同意") for e in j.sample_experts()[:5]]
    refused(
        app,
        "R-ORDER",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
        exception_reason=HAND_PICKED_REASON,
        meta=before_draft,
    )


def test_r_order_business_time_is_taken_in_chinas_time_zone(app, clock):
    j = Journey(app, clock).draft()
    clock.on(date(2026, 3, 25))
    utc_evening = datetime.fromisoformat("2026-03-19T18:00:00+00:00")  # 20 March in Chongqing
    opinions = [(j.experts[e.person_id], "同意") for e in j.sample_experts()[:5]]
    app.record_argumentation(
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
        exception_reason=HAND_PICKED_REASON,
        meta=CommandMeta(effective_at=utc_evening),
    )
    reviewed = app.events_of(j.challenge_id)[-1]
    assert reviewed.audit.effective_at.date() == date(2026, 3, 20)
    assert app.challenge(j.challenge_id).reviewed_on == date(2026, 3, 20)


def test_r_party_approval_meeting_cannot_predate_the_argumentation_or_name_another_year(app, clock):
    j = Journey(app, clock).draft().argue()
    clock.on(date(2026, 4, 8))
    refused(
        app,
        "R-ORDER",
        app.approve_annual_list,
        BUREAU_STAFF,
        year=2026,
        meeting_date=date(2026, 3, 10),
        minutes_ref="党组会〔2026〕3号",
        challenge_ids=[j.challenge_id],
    )
    refused(
        app,
        "R-PARTY-APPROVAL",
        app.approve_annual_list,
        BUREAU_STAFF,
        year=2019,
        meeting_date=date(2026, 4, 8),
        minutes_ref="党组会〔2026〕7号",
        challenge_ids=[j.challenge_id],
    )


def test_r_arg_panel_an_argumentation_without_experts_is_refused_even_with_a_reason(app, clock):
    j = Journey(app, clock).draft()
    refused(
        app,
        "R-ARG-PANEL",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=[],
        exception_reason="无专家",
    )


def test_r_period_argued_needs_a_full_panel(app, clock):
    j = Journey(app, clock, content=major_challenge_content(period_months=48)).draft(
        exception_reason="临床前研究周期长"
    )
    opinions = [(j.experts[e.person_id], "同意") for e in j.sample_experts()[:3]]
    refused(
        app,
        "R-PERIOD-ARGUED",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
        period_argued=True,
        exception_reason="专家不足",
    )


def test_r_review_panel_another_enterprises_head_does_not_count_as_the_end_users(app, clock):
    j = Journey(app, clock).to_published()
    pharma_head = app.register_expert(
        BUREAU_STAFF,
        person_id="pharma-head",
        name="周董",
        org_code=END_USER_PHARMA.credit_code,
        org_name=END_USER_PHARMA.name,
        kind=ExpertKind.END_USER_REP,
        speciality="",
    )
    ids = [j.experts[e.person_id] for e in j.sample_experts()[:5]] + [pharma_head.aggregate_id]
    err = refused(
        app,
        "R-REVIEW-PANEL",
        app.propose_review_panel,
        BUREAU_STAFF,
        j.challenge_id,
        expert_ids=ids,
    )
    assert "end user's responsible person" in err.message


def test_r_audit_who_only_the_configured_bureau_acts_as_the_bureau(make_app, clock):
    app = make_app(bureau_code=BUREAU.credit_code)
    impostor = Actor(id="x", role=Role.BUREAU, org_code=ENTERPRISE_HUADONG.credit_code)
    Journey(app, clock).draft()
    refused(
        app,
        "R-AUDIT-WHO",
        app.draft_challenge,
        impostor,
        end_user=END_USER_EQUIPMENT,
        content=Journey(app, clock).content,
        demand_ids=[UNREAD_DEMAND],
    )


def test_r_credit_a_unit_recorded_dishonest_before_selection_is_not_selected(app, clock):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    j.review(application_id)
    app.record_credit_status(
        BUREAU_STAFF,
        org_code=UNIVERSITY_JIANGNAN.credit_code,
        status=CreditStatus.SERIOUSLY_DISHONEST,
        source="信用中国 2026-05-14",
    )
    clock.on(date(2026, 5, 15))
    refused(app, "R-CREDIT", app.select, j.eu, j.challenge_id, application_id=application_id)


def test_r_objection_revoked_application_stays_revoked_whatever_the_id_spelling(app, clock):
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 19))
    app.lodge_objection(BUREAU_STAFF, j.project_id, grounds="成果抄袭", objector="公众 王某")
    (objection_id,) = app.project(j.project_id).objections
    assert shown(app.events_of(j.project_id)[-1].objector) == "公众 王某"
    app.resolve_objection(
        BUREAU_STAFF,
        j.project_id,
        objection_id=objection_id,
        upheld=True,
        meta=CommandMeta(reason="查实"),
    )
    refused(
        app,
        "R-OBJECTION",
        app.select,
        j.eu,
        j.challenge_id,
        application_id=j.applications[0].upper(),
    )


def test_r_contract_a_terminated_project_cannot_be_contracted(app, clock):
    j = Journey(app, clock).to_selected().publicize().close_notice()
    clock.on(date(2026, 6, 1))
    app.draft_contract(BUREAU_STAFF, j.project_id, terms=j.terms())
    app.terminate(BUREAU_STAFF, j.project_id, meta=CommandMeta(reason="揭榜单位主动放弃"))
    refused(app, "R-PUBLICITY", app.sign_contract, BUREAU_STAFF, j.project_id)


def test_r_autonomy_pending_changes_lapse_when_the_contract_is_extended(app, clock):
    j = Journey(app, clock).to_contracted()
    app.propose_contract_change(
        solver(), j.project_id, terms=j.terms(budget="95000.00"), meta=CommandMeta(reason="加测")
    )
    (change_id,) = app.project(j.project_id).changes
    app.extend(
        BUREAU_STAFF,
        j.project_id,
        extra_months=6,
        opinions=[(j.experts["exp-k-mgmt"], "同意延期")],
        exception_reason="延期半年，主管部门专家论证",  # v2: short of a full panel (R-ARG-PANEL)
        meta=CommandMeta(reason="设备延期"),
    )
    refused(
        app,
        "R-AUTONOMY",
        app.approve_contract_change,
        BUREAU_STAFF,
        j.project_id,
        change_id=change_id,
    )
    extended = app.events_of(j.project_id)[-1]
    assert extended.terms.period_months == 24
    assert app.project(j.project_id).terms == extended.terms


def test_r_extend_each_expert_once_with_a_written_opinion(app, clock):
    j = Journey(app, clock).to_contracted()
    expert = j.experts["exp-k-mgmt"]
    for opinions in ([(expert, " ")], [(expert, "同意"), (expert, "同意")]):
        before = app.position()
        with pytest.raises(InvalidValueError):
            app.extend(
                BUREAU_STAFF,
                j.project_id,
                extra_months=3,
                opinions=opinions,
                meta=CommandMeta(reason="x"),
            )
        assert app.position() == before


def test_malformed_inputs_name_their_field(app, clock):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    clock.on(date(2026, 5, 12))
    who = actor(Role.EXPERT, BUREAU, "exp-k-mgmt")
    app.declare_conflict(who, application_id, expert_id=j.experts["exp-k-mgmt"], conflict=False)
    with pytest.raises(InvalidValueError) as caught:
        app.score(who, application_id, expert_id=j.experts["exp-k-mgmt"], score="NaN", opinion="好")
    assert caught.value.field == "score"
    with pytest.raises(InvalidValueError) as caught:
        app.state_at(Challenge, j.challenge_id, as_of=datetime(2026, 5, 1))
    assert caught.value.field == "as_of"


def test_duplicate_demands_are_a_malformed_request_not_a_conflict(app, clock):
    j = Journey(app, clock)
    from tests.support import collect

    demand = collect(app, clock, END_USER_EQUIPMENT, "智能科技")
    with pytest.raises(InvalidValueError) as caught:
        app.draft_challenge(
            BUREAU_STAFF,
            end_user=END_USER_EQUIPMENT,
            content=j.content,
            demand_ids=[demand, demand.upper()],
        )
    assert caught.value.field == "demand_ids"


def test_r_audit_who_state_as_of_is_a_prefix_of_the_history(app, clock):
    j = Journey(app, clock).draft(confirm=False)
    app.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(j.content, name="甲"))
    drafted, revised = app.events_of(j.challenge_id)
    as_of = app.state_at(Challenge, j.challenge_id, as_of=revised.audit.recorded_at)
    assert as_of.content.name == "甲"
    assert as_of.effective_at == revised.audit.effective_at
    assert datetime.now(CHINA_TZ) > drafted.audit.recorded_at


def test_r_content_a_revision_keeps_the_industry_of_its_demands(app, clock):
    j = Journey(app, clock).draft()
    refused(
        app,
        "R-CONTENT",
        app.revise_draft,
        BUREAU_STAFF,
        j.challenge_id,
        content=replace(j.content, industry="绿色低碳"),
    )


def test_r_objection_only_bureau_staff_record_an_objection_for_someone_else(app, clock):
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 19))
    rival = actor(Role.APPLICANT, ENTERPRISE_HUADONG, "rival")
    refused(
        app, "R-OBJECTION", app.lodge_objection, rival, j.project_id, grounds="…", objector="局长"
    )


def test_r_objection_a_terminated_project_keeps_its_challenge_closed(app, clock):
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 19))
    app.lodge_objection(BUREAU_STAFF, j.project_id, grounds="存疑", objector="公众")
    (objection_id,) = app.project(j.project_id).objections
    app.terminate(BUREAU_STAFF, j.project_id, meta=CommandMeta(reason="揭榜单位放弃"))
    refused(
        app,
        "R-ORDER",
        app.resolve_objection,
        BUREAU_STAFF,
        j.project_id,
        objection_id=objection_id,
        upheld=True,
        meta=CommandMeta(reason="属实"),
    )
