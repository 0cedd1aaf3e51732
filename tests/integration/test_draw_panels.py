"""R-DRAW and R-CONFLICT where panels meet draws: the argumentation and the review panel are a
performed draw's result for that challenge and that purpose, a panel named by hand is an
exception with the bureau's justification, and a refusal, an absence or a recusal on a drawn
review panel is filled from the draw's order and confirmed again (R-PANEL-JOINT) — on SQLite
and on PostgreSQL."""

from __future__ import annotations

from datetime import date

from jiebang_es.domain.draw import DrawPurpose
from jiebang_es.domain.values import Conclusion, ExpertKind, Organisation, Role, UnitType
from jiebang_es.errors import ExceptionReasonRequiredError
from jiebang_es.sample import INSTITUTE_WEST, UNIVERSITY_JIANGNAN, actor, make_code
from jiebang_es.service_base import CommandMeta
from tests.integration.rulecheck import refused
from tests.support import (
    BUREAU_STAFF,
    HAND_PICKED_REASON,
    Journey,
    at,
    check_credit,
    journey_field,
)


def spares(app, j: Journey, kind: ExpertKind, count: int) -> list[str]:
    """More experts of one kind in the journey's field, from units that do not apply: the
    draw's replacement order."""
    ids = []
    for i in range(count):
        r = app.register_expert(
            BUREAU_STAFF,
            person_id=f"spare-{j.tag}-{kind.value}-{i}",
            name=f"备选专家{i}",
            org_code=make_code(f"1250010{i}MB07{len(kind.value):02d}000"),
            org_name=f"备选单位{i}",
            kind=kind,
            speciality="智能科技",
            specialities=["智能科技", journey_field(j.tag)],
        )
        ids.append(r.aggregate_id)
    return ids


def as_expert(app, expert_id: str):
    expert = app.expert(expert_id)
    org = Organisation(expert.org_code, expert.org_name, UnitType.ENTERPRISE, True)
    return actor(Role.EXPERT, org, expert.person_id)


def drawn_and_confirmed(app, clock, *, spare_front: int = 2) -> tuple[Journey, str]:
    """A published challenge, one application, and a review panel of five (four drawn, the
    end user's head) both parties confirmed; front-line experts to spare in the draw's order."""
    j = Journey(app, clock)
    j.register_experts()
    spares(app, j, ExpertKind.FRONT_LINE, spare_front)
    j.to_published()
    application_id = j.apply(lead=INSTITUTE_WEST)  # its peer expert inside is not drawn
    j.panel()
    return j, application_id


# ---- the panel is the draw's result ------------------------------------------------------
def test_r_draw_argumentation_panel_is_the_draws_result(app, clock):
    j = Journey(app, clock).draft().argue()
    reviewed = app.events_of(j.challenge_id)[-1]
    assert reviewed.draw_id == j.argumentation_draw
    assert {o.expert_id for o in reviewed.opinions} == set(j.drawn(j.argumentation_draw))
    assert [x.rule_id for x in reviewed.audit.exceptions] == []


def test_r_draw_argumentation_by_experts_not_drawn_refused(app, clock):
    j = Journey(app, clock).draft()
    spare = spares(app, j, ExpertKind.PEER_OUTSIDE, 1)[0]
    draw_id = j.draw_argumentation()
    seated = j.drawn(draw_id)
    outsider = next(x for x in (*j.experts.values(), spare) if x not in seated)
    clock.on(date(2026, 3, 20))
    err = refused(
        app,
        "R-DRAW",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=[(x, "同意") for x in (*seated[1:], outsider)],
        draw_id=draw_id,
    )
    assert seated[0] in err.message
    assert outsider in err.message


def test_r_draw_draw_of_another_challenge_refused(app, clock):
    mine = Journey(app, clock).draft()
    other = Journey(app, clock, tag="o").draft()
    draw_id = other.draw_argumentation()
    clock.on(date(2026, 3, 20))
    err = refused(
        app,
        "R-DRAW",
        app.record_argumentation,
        BUREAU_STAFF,
        mine.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=[(x, "同意") for x in other.drawn(draw_id)],
        draw_id=draw_id,
    )
    assert "not for this one" in err.message


def test_r_draw_draw_for_the_argumentation_cannot_form_the_review_panel(app, clock):
    j = Journey(app, clock).to_published()
    j.apply(lead=UNIVERSITY_JIANGNAN)
    clock.on(date(2026, 5, 11))
    err = refused(
        app,
        "R-DRAW",
        app.propose_review_panel,
        BUREAU_STAFF,
        j.challenge_id,
        draw_id=j.argumentation_draw,
    )
    assert "argumentation" in err.message


def test_r_draw_a_draw_not_yet_performed_forms_no_panel(app, clock):
    j = Journey(app, clock).draft()
    clock.on(date(2026, 3, 17))
    draw_id = app.schedule_draw(
        BUREAU_STAFF,
        j.challenge_id,
        purpose=DrawPurpose.ARGUMENTATION,
        needs={ExpertKind.MANAGEMENT: 1},
        commitment="ab" * 32,
        randomness_source="某期彩票开奖号码",
        randomness_date=date(2026, 3, 18),
    ).aggregate_id
    refused(
        app,
        "R-DRAW",
        app.record_argumentation,
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=[(j.experts["exp-k-mgmt"], "同意")],
        draw_id=draw_id,
        exception_reason="少于5人",
    )


def test_r_draw_review_panel_names_only_the_end_users_head_beside_the_draw(app, clock):
    j = Journey(app, clock).to_published()
    j.apply(lead=UNIVERSITY_JIANGNAN)
    draw_id = j.drawn_panel(DrawPurpose.REVIEW, at(date(2026, 5, 10), 18))
    clock.on(date(2026, 5, 11))
    refused(
        app,
        "R-DRAW",
        app.propose_review_panel,
        BUREAU_STAFF,
        j.challenge_id,
        draw_id=draw_id,
        expert_ids=[j.experts["exp-k-peer-in"]],
    )
    app.propose_review_panel(
        BUREAU_STAFF, j.challenge_id, draw_id=draw_id, expert_ids=[j.experts["exp-k-eu"]]
    )
    challenge = app.challenge(j.challenge_id)
    assert challenge.panel_draw_id == draw_id
    assert {m.expert_id for m in challenge.panel} == {*j.drawn(draw_id), j.experts["exp-k-eu"]}


def test_r_conflict_review_draw_scheduled_before_an_application_forms_no_panel(app, clock):
    j = Journey(app, clock).to_published()
    j.apply(lead=UNIVERSITY_JIANGNAN)
    early = j.drawn_panel(DrawPurpose.REVIEW, at(date(2026, 4, 25)))
    # 西部智能制造研究院 applies after the draw: its expert was a candidate, and is seated
    assert j.experts["exp-k-peer-in"] in j.drawn(early)
    j.apply(lead=INSTITUTE_WEST, when=at(date(2026, 5, 8)))
    clock.on(date(2026, 5, 11))
    err = refused(
        app, "R-CONFLICT", app.propose_review_panel, BUREAU_STAFF, j.challenge_id, draw_id=early
    )
    assert INSTITUTE_WEST.credit_code in err.message


# ---- the exception path ------------------------------------------------------------------
def test_r_draw_hand_picked_panel_needs_the_bureaus_justification(app, clock):
    j = Journey(app, clock).to_published()
    ids = [j.experts[e.person_id] for e in j.sample_experts()]
    clock.on(date(2026, 5, 11))
    err = refused(
        app, "R-DRAW", app.propose_review_panel, BUREAU_STAFF, j.challenge_id, expert_ids=ids
    )
    assert isinstance(err, ExceptionReasonRequiredError)
    app.propose_review_panel(
        BUREAU_STAFF, j.challenge_id, expert_ids=ids, exception_reason=HAND_PICKED_REASON
    )
    proposed = app.events_of(j.challenge_id)[-1]
    assert proposed.draw_id == ""
    (exception,) = proposed.audit.exceptions
    assert (exception.rule_id, exception.justification) == ("R-DRAW", HAND_PICKED_REASON)


# ---- replacements from the draw's order ----------------------------------------------------
def test_r_draw_recusal_leaving_4_reviewers_is_filled_from_the_draws_order(app, clock):
    """The hidden case: five reviewers, one recuses from an application and four are left;
    the next front-line expert in the draw's order takes the seat, bureau and end user confirm
    it again, and the application is reviewed by five again."""
    j, application_id = drawn_and_confirmed(app, clock)
    draw = app.draw(j.review_draw)
    ranking = draw.ranking_of(ExpertKind.FRONT_LINE)
    recusing = ranking.ranked[0]
    successor = ranking.ranked[ranking.taken]
    challenge = app.challenge(j.challenge_id)
    assert len(challenge.panel_member_ids()) == 5
    clock.on(date(2026, 5, 12))
    app.declare_conflict(
        as_expert(app, recusing),
        application_id,
        expert_id=recusing,
        conflict=True,
        statement="与项目负责人为同一课题组",
    )
    application = app.application(application_id)
    assert recusing in application.recused
    members = app.challenge(j.challenge_id).panel_member_ids()
    assert len(application.effective_reviewers(members)) == 4
    replacement = app.draw(j.review_draw).replacements
    assert replacement == ((ExpertKind.FRONT_LINE, ranking.taken + 1, successor),)
    proposed = app.events_of(j.challenge_id)[-1]
    assert type(proposed).__name__ == "ReplacementExpertProposed"
    assert (proposed.member.expert_id, proposed.replaces) == (successor, recusing)
    assert "回避" in proposed.grounds
    # R-PANEL-JOINT: the seat takes effect once both confirmed it again
    app.confirm_replacement(BUREAU_STAFF, j.challenge_id, expert_id=successor)
    assert successor not in app.challenge(j.challenge_id).panel_member_ids()
    app.confirm_replacement(j.eu, j.challenge_id, expert_id=successor)
    members = app.challenge(j.challenge_id).panel_member_ids()
    assert len(app.application(application_id).effective_reviewers(members)) == 5
    j.review(application_id)
    assert successor in {s.expert_id for s in app.application(application_id).scores}
    clock.on(date(2026, 5, 15))
    check_credit(app)
    r = app.select(j.eu, j.challenge_id, application_id=application_id)
    assert app.events_of(r.aggregate_id)[0].audit.exceptions == ()
    assert app.verify_draw(j.review_draw) == []


def test_r_draw_absence_on_a_drawn_panel_is_filled_from_the_draws_order(app, clock):
    j, _ = drawn_and_confirmed(app, clock)
    ranking = app.draw(j.review_draw).ranking_of(ExpertKind.FRONT_LINE)
    clock.on(date(2026, 5, 12))
    app.record_absence(BUREAU_STAFF, j.challenge_id, expert_id=ranking.ranked[0], reason="病假")
    challenge = app.challenge(j.challenge_id)
    assert ranking.ranked[0] in challenge.absent
    assert [m.expert_id for m in challenge.replacements] == [ranking.ranked[ranking.taken]]
    assert app.draw(j.review_draw).replacements[0][2] == ranking.ranked[ranking.taken]


def test_r_draw_refusal_to_serve_before_confirmation_proposes_the_panel_again(app, clock):
    j = Journey(app, clock)
    j.register_experts()
    spares(app, j, ExpertKind.FRONT_LINE, 1)
    j.to_published()
    j.apply(lead=UNIVERSITY_JIANGNAN)
    draw_id = j.drawn_panel(DrawPurpose.REVIEW, at(date(2026, 5, 10), 18))
    clock.on(date(2026, 5, 11))
    head = j.experts["exp-k-eu"]
    app.propose_review_panel(BUREAU_STAFF, j.challenge_id, draw_id=draw_id, expert_ids=[head])
    app.confirm_review_panel(BUREAU_STAFF, j.challenge_id)
    ranking = app.draw(draw_id).ranking_of(ExpertKind.FRONT_LINE)
    app.draw_replacement(
        BUREAU_STAFF,
        draw_id,
        expert_id=ranking.ranked[0],
        cause="refused",
        meta=CommandMeta(reason="出国访问"),
    )
    challenge = app.challenge(j.challenge_id)
    members = {m.expert_id for m in challenge.panel}
    assert ranking.ranked[0] not in members
    assert ranking.ranked[1] in members
    assert head in members
    assert challenge.panel_confirmed_by == ()  # both confirm again (R-PANEL-JOINT)
    app.confirm_review_panel(BUREAU_STAFF, j.challenge_id)
    app.confirm_review_panel(j.eu, j.challenge_id)
    assert app.challenge(j.challenge_id).panel_is_effective


def test_r_draw_a_drawn_seat_is_never_filled_by_hand(app, clock):
    j, _ = drawn_and_confirmed(app, clock)
    drawn = j.drawn(j.review_draw)[0]
    hand_picked = spares(app, j, ExpertKind.PEER_OUTSIDE, 1)[0]
    clock.on(date(2026, 5, 12))
    refused(
        app,
        "R-DRAW",
        app.propose_replacement,
        BUREAU_STAFF,
        j.challenge_id,
        expert_id=hand_picked,
        replaces=drawn,
        reason="临时请假",
    )


def test_r_draw_recusal_when_the_order_is_used_up_stands_without_a_replacement(app, clock):
    j, application_id = drawn_and_confirmed(app, clock, spare_front=0)
    front = app.draw(j.review_draw).ranking_of(ExpertKind.FRONT_LINE).ranked[0]
    clock.on(date(2026, 5, 12))
    r = app.declare_conflict(
        as_expert(app, front),
        application_id,
        expert_id=front,
        conflict=True,
        statement="近三年合作",
    )
    assert r.events == ("ExpertRecused",)
    assert app.challenge(j.challenge_id).replacements == ()
