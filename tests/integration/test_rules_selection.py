"""Version 2 of review and selection: R-REVIEW-PANEL per application (recusals, absences,
replacements confirmed jointly), R-SELECT-REASON (a selection against the experts' ranking or
advice is justified) and R-SELECT-EU (the selection references the opinions on record)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.utils import get_topic

from jiebang_es.config import Settings
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import ExpertKind, Role
from jiebang_es.errors import ExceptionReasonRequiredError
from jiebang_es.sample import (
    BUREAU,
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    UNIVERSITY_MEDICAL,
    actor,
)
from jiebang_es.service import JiebangApp
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, HAND_PICKED_REASON, Journey, check_credit

FIRST_BUILD_STORE = Path(__file__).parents[1] / "fixtures" / "store_v1" / "demo-2026.sqlite"


def four_left(app, clock) -> tuple[Journey, str]:
    """A panel of six named by hand (an R-DRAW exception: a drawn panel avoids the applicants'
    units and fills a recusal from the draw); the application's lead and participant employ
    two of them, who recuse: four effective reviewers remain."""
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=INSTITUTE_WEST, participants=(ENTERPRISE_HUADONG,))
    j.panel(drawn=False)
    j.review(application_id)
    assert len(app.application(application_id).recused) == 2
    return j, application_id


def new_expert(app, j: Journey, person: str = "exp-k-spare") -> str:
    r = app.register_expert(
        BUREAU_STAFF,
        person_id=person,
        name="钱研究员",
        org_code=UNIVERSITY_JIANGNAN.credit_code,
        org_name=UNIVERSITY_JIANGNAN.name,
        kind=ExpertKind.PEER_OUTSIDE,
        speciality="精密测量",
    )
    return r.aggregate_id


def select_on_15_may(app, clock, j: Journey, application_id: str, **kw):
    clock.on(date(2026, 5, 15))
    check_credit(app)
    return app.select(j.eu, j.challenge_id, application_id=application_id, **kw)


# ---- R-REVIEW-PANEL per application ------------------------------------------------------
def test_r_review_panel_recusals_leaving_4_reviewers_refuse_a_silent_selection(app, clock):
    j, application_id = four_left(app, clock)
    clock.on(date(2026, 5, 15))
    check_credit(app)
    err = refused(
        app, "R-REVIEW-PANEL", app.select, j.eu, j.challenge_id, application_id=application_id
    )
    assert isinstance(err, ExceptionReasonRequiredError)
    assert "4 effective reviewers" in err.message


def test_r_review_panel_selection_on_4_reviewers_records_the_justification(app, clock):
    j, application_id = four_left(app, clock)
    r = select_on_15_may(
        app, clock, j, application_id, exception_reason="区外同行专家均与申报单位有关联，无可替换"
    )
    selected = app.events_of(r.aggregate_id)[0]
    (exception,) = [x for x in selected.audit.exceptions if x.rule_id == "R-REVIEW-PANEL"]
    assert exception.justification == "区外同行专家均与申报单位有关联，无可替换"
    assert "4 effective reviewers" in exception.detail


def test_r_panel_joint_replacement_after_a_recusal_restores_five_reviewers(app, clock):
    j, application_id = four_left(app, clock)
    spare = new_expert(app, j)
    replaced = j.experts["exp-k-peer-in"]
    app.propose_replacement(
        BUREAU_STAFF, j.challenge_id, expert_id=spare, replaces=replaced, reason="王教授回避"
    )
    proposed = app.events_of(j.challenge_id)[-1]
    assert type(proposed).__name__ == "ReplacementExpertProposed"
    assert (proposed.replaces, proposed.grounds) == (replaced, "王教授回避")
    app.confirm_replacement(BUREAU_STAFF, j.challenge_id, expert_id=spare)
    assert spare not in app.challenge(j.challenge_id).panel_member_ids()
    app.confirm_replacement(j.eu, j.challenge_id, expert_id=spare)
    assert spare in app.challenge(j.challenge_id).panel_member_ids()
    j.review(application_id)  # the replacement declares and scores
    r = select_on_15_may(app, clock, j, application_id)
    assert app.events_of(r.aggregate_id)[0].audit.exceptions == ()


def test_r_panel_joint_replacement_scores_only_once_both_confirmed(app, clock):
    j, application_id = four_left(app, clock)
    spare = new_expert(app, j)
    app.propose_replacement(
        j.eu, j.challenge_id, expert_id=spare, replaces=j.experts["exp-k-peer-in"], reason="回避"
    )
    app.confirm_replacement(j.eu, j.challenge_id, expert_id=spare)
    who = actor(Role.EXPERT, UNIVERSITY_JIANGNAN, "exp-k-spare")
    refused(
        app,
        "R-PANEL-JOINT",
        app.declare_conflict,
        who,
        application_id,
        expert_id=spare,
        conflict=False,
    )
    refused(app, "R-PANEL-JOINT", app.confirm_replacement, j.eu, j.challenge_id, expert_id=spare)


def test_r_panel_joint_replacement_by_another_end_user_refused(app, clock):
    j, _ = four_left(app, clock)
    spare = new_expert(app, j)
    stranger = actor(Role.END_USER, UNIVERSITY_MEDICAL, "x")
    refused(
        app,
        "R-PANEL-JOINT",
        app.propose_replacement,
        stranger,
        j.challenge_id,
        expert_id=spare,
        replaces=j.experts["exp-k-peer-in"],
        reason="回避",
    )


def test_r_review_panel_replacement_needs_its_reason(app, clock):
    j, _ = four_left(app, clock)
    spare = new_expert(app, j)
    refused(
        app,
        "R-REVIEW-PANEL",
        app.propose_replacement,
        BUREAU_STAFF,
        j.challenge_id,
        expert_id=spare,
        replaces=j.experts["exp-k-peer-in"],
        reason=" ",
    )


def test_r_order_replacement_before_the_panel_is_confirmed_refused(app, clock):
    j = Journey(app, clock).to_published()
    ids = [j.experts[e.person_id] for e in j.sample_experts()]
    app.propose_review_panel(
        BUREAU_STAFF, j.challenge_id, expert_ids=ids, exception_reason=HAND_PICKED_REASON
    )
    spare = new_expert(app, j)
    refused(
        app,
        "R-ORDER",
        app.propose_replacement,
        BUREAU_STAFF,
        j.challenge_id,
        expert_id=spare,
        replaces=ids[0],
        reason="回避",
    )


def test_r_order_a_confirmed_panel_is_not_proposed_again_but_takes_a_replacement(app, clock):
    j, _ = four_left(app, clock)
    ids = [j.experts[e.person_id] for e in j.sample_experts()]
    err = refused(
        app,
        "R-ORDER",
        app.propose_review_panel,
        BUREAU_STAFF,
        j.challenge_id,
        expert_ids=ids,
        exception_reason=HAND_PICKED_REASON,
    )
    assert "replacement" in err.message
    spare = new_expert(app, j)
    app.propose_replacement(
        BUREAU_STAFF, j.challenge_id, expert_id=spare, replaces=ids[2], reason="回避"
    )


def test_r_review_panel_absence_no_longer_deadlocks_the_selection(app, clock):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    absent = j.experts["exp-k-front"]
    clock.on(date(2026, 5, 12))
    app.record_absence(BUREAU_STAFF, j.challenge_id, expert_id=absent, reason="住院，无法参会")
    recorded = app.events_of(j.challenge_id)[-1]
    assert type(recorded).__name__ == "ExpertAbsent"
    assert recorded.grounds == "住院，无法参会"
    j.review(application_id)  # five of six score: the sixth is absent
    assert len(app.application(application_id).scores) == 5
    r = select_on_15_may(app, clock, j, application_id)
    assert app.events_of(r.aggregate_id)[0].audit.exceptions == ()


def test_r_review_panel_absent_expert_takes_no_further_part(app, clock):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    absent = j.experts["exp-k-front"]
    clock.on(date(2026, 5, 12))
    app.record_absence(BUREAU_STAFF, j.challenge_id, expert_id=absent, reason="出差")
    who = actor(Role.EXPERT, BUREAU, "exp-k-front")
    refused(
        app,
        "R-REVIEW-PANEL",
        app.declare_conflict,
        who,
        application_id,
        expert_id=absent,
        conflict=False,
    )
    refused(
        app,
        "R-REVIEW-PANEL",
        app.record_absence,
        BUREAU_STAFF,
        j.challenge_id,
        expert_id=absent,
        reason="出差",
    )


def test_r_review_panel_absence_and_recusal_leaving_4_need_a_justification(app, clock):
    j = Journey(app, clock).to_published()
    application_id = j.apply(lead=INSTITUTE_WEST)  # exp-k-peer-in recuses
    j.panel(drawn=False)
    clock.on(date(2026, 5, 12))
    app.record_absence(
        BUREAU_STAFF, j.challenge_id, expert_id=j.experts["exp-k-front"], reason="病假"
    )
    j.review(application_id)
    clock.on(date(2026, 5, 15))
    check_credit(app)
    err = refused(
        app, "R-REVIEW-PANEL", app.select, j.eu, j.challenge_id, application_id=application_id
    )
    assert "1 recused, 1 absent" in err.message


def test_r_review_panel_only_the_bureau_records_an_absence(app, clock):
    j = Journey(app, clock).to_published()
    j.panel()
    refused(
        app,
        "R-REVIEW-PANEL",
        app.record_absence,
        j.eu,
        j.challenge_id,
        expert_id=j.experts["exp-k-front"],
        reason="出差",
    )


# ---- R-SELECT-REASON ------------------------------------------------------------------------
def two_reviewed(app, clock, low_recommend: bool | None = None) -> tuple[Journey, str, str]:
    j = Journey(app, clock).to_published()
    high = j.apply(lead=UNIVERSITY_JIANGNAN)
    low = j.apply(lead=UNIVERSITY_MEDICAL)
    j.panel()
    j.review(high, score="91")
    j.review(low, score="60", recommend=low_recommend)
    return j, high, low


def test_r_select_reason_selecting_below_the_top_ranked_needs_a_justification(app, clock):
    j, high, low = two_reviewed(app, clock)
    clock.on(date(2026, 5, 15))
    check_credit(app)
    err = refused(app, "R-SELECT-REASON", app.select, j.eu, j.challenge_id, application_id=low)
    assert isinstance(err, ExceptionReasonRequiredError)
    assert high in err.message
    r = app.select(
        j.eu, j.challenge_id, application_id=low, exception_reason="本地中试线可立即承接"
    )
    (exception,) = app.events_of(r.aggregate_id)[0].audit.exceptions
    assert exception.rule_id == "R-SELECT-REASON"
    assert exception.justification == "本地中试线可立即承接"
    solver = app.events_of(j.challenge_id)[-1]
    assert type(solver).__name__ == "SolverSelected"
    assert solver.audit.exceptions == (exception,)


@pytest.mark.parametrize("blank", ["\u200b", "\ufeff \u3000", "\u2060\u200d\n"])
def test_r_select_reason_a_justification_of_invisible_characters_says_nothing(app, clock, blank):
    j, _, low = two_reviewed(app, clock)
    clock.on(date(2026, 5, 15))
    check_credit(app)
    err = refused(
        app, "R-SELECT-REASON", app.select, j.eu, j.challenge_id, application_id=low,
        exception_reason=blank,
    )  # fmt: skip
    assert isinstance(err, ExceptionReasonRequiredError)


def test_r_select_reason_the_top_ranked_needs_no_justification(app, clock):
    j, high, _ = two_reviewed(app, clock)
    r = select_on_15_may(app, clock, j, high)
    assert app.events_of(r.aggregate_id)[0].audit.exceptions == ()


def test_r_select_reason_ties_share_first_place(app, clock):
    j = Journey(app, clock).to_published()
    one = j.apply(lead=UNIVERSITY_JIANGNAN)
    two = j.apply(lead=UNIVERSITY_MEDICAL)
    j.panel()
    j.review(one, score="85")
    j.review(two, score="85")
    r = select_on_15_may(app, clock, j, two)
    assert app.events_of(r.aggregate_id)[0].audit.exceptions == ()


def test_r_select_reason_an_application_most_experts_advised_against(app, clock):
    """The issue's case: the only application, scored 60, every expert advising against it."""
    j = Journey(app, clock).to_published()
    only = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    j.review(only, score="60", recommend=False)
    clock.on(date(2026, 5, 15))
    check_credit(app)
    err = refused(app, "R-SELECT-REASON", app.select, j.eu, j.challenge_id, application_id=only)
    assert "advised against" in err.message
    assert "6 of 6" in err.message


def test_r_select_reason_unstated_recommendations_count_neither_way(app, clock):
    j = Journey(app, clock).to_published()
    only = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    j.review(only, score="60")  # the first build's scores said nothing either
    r = select_on_15_may(app, clock, j, only)
    assert app.events_of(r.aggregate_id)[0].audit.exceptions == ()


# ---- R-SELECT-EU ----------------------------------------------------------------------------
def test_r_select_eu_selection_references_the_opinions_with_their_recommendation(app, clock):
    j, high, _ = two_reviewed(app, clock)
    clock.on(date(2026, 5, 12))
    r = select_on_15_may(app, clock, j, high)
    selected = app.events_of(r.aggregate_id)[0]
    scored = [e for e in app.events_of(high) if type(e).__name__ == "Scored"]
    assert [(o.expert_id, o.event_version, o.recommended) for o in selected.opinions] == [
        (e.expert_id, e.originator_version, e.recommended) for e in scored
    ]


def test_r_select_eu_first_build_scores_upcast_to_no_recommendation(app, clock):
    _, high, _ = two_reviewed(app, clock)
    scored = next(e for e in app.events_of(high) if type(e).__name__ == "Scored")
    stored = app.mapper.to_stored_event(scored)
    state = json.loads(stored.state)
    del state["recommended"], state["class_version"]
    old = app.mapper.to_domain_event(replace(stored, state=json.dumps(state).encode()))
    assert old.recommended is None
    assert old.score == scored.score


def test_r_select_eu_first_build_store_selections_still_read_their_opinions(tmp_path):
    """The first release's demo store: its scores and selections load under version 2."""
    store = tmp_path / "v1.sqlite"
    shutil.copyfile(FIRST_BUILD_STORE, store)
    app = JiebangApp(Settings(database_url=f"sqlite:///{store}"))
    try:
        topic = get_topic(Project.Selected)
        notifications = app.recorder.select_notifications(1, 1000, topics=[topic])
        assert len(notifications) == 2
        for n in notifications:
            project = app.project(str(n.originator_id))
            application = app.application(project.application_id)
            assert project.opinions == application.scores
            assert all(o.recommended is None for o in project.opinions)
            challenge = app.challenge(project.challenge_id)
            assert (challenge.replacements, challenge.absent) == ((), ())
            assert application.is_reviewed_by(challenge.panel_member_ids(), challenge.absent)
    finally:
        app.close()
