"""R-DRAW in the compliance report: draws written straight into the store (no guard runs) that
do not recompute, or whose replacements leave the draw's order, are reported at their event."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from jiebang_es.domain.draw import Draw, DrawPurpose, DrawRanking
from jiebang_es.domain.values import Conclusion, ExpertKind
from jiebang_es.draws.algorithm import Candidate, commitment_of, perform
from jiebang_es.sample import make_code
from jiebang_es.service_base import CommandMeta
from tests.integration.rulecheck import refused
from tests.projections.test_compliance import findings
from tests.support import BUREAU_STAFF, HAND_PICKED_REASON, Journey

SEED = "e5" * 32


def _scheduled(app, clock) -> str:
    j = Journey(app, clock).draft()
    for i in range(3):
        app.register_expert(
            BUREAU_STAFF,
            person_id=f"peer-{i}",
            name=f"同行{i}",
            org_code=make_code(f"1250010{i}MB0066600"),
            org_name=f"研究院{i}",
            kind=ExpertKind.PEER_INSIDE,
            speciality="智能科技",
        )
    clock.on(date(2026, 3, 3))
    return app.schedule_draw(
        BUREAU_STAFF,
        j.challenge_id,
        purpose=DrawPurpose.ARGUMENTATION,
        needs={ExpertKind.PEER_INSIDE: 1},
        commitment=commitment_of(SEED),
        randomness_source="某期彩票开奖号码",
        randomness_date=date(2026, 3, 5),
    ).aggregate_id


def test_r_draw_honest_draw_holds(app, clock, settings, read_store):
    draw_id = _scheduled(app, clock)
    clock.on(date(2026, 3, 5), 21)
    app.perform_draw(BUREAU_STAFF, draw_id, seed=SEED, public_value="07 11")
    assert findings(settings, read_store, "R-DRAW") == []


def test_r_draw_a_steered_result_is_reported(app, clock, settings, read_store):
    draw_id = _scheduled(app, clock)
    clock.on(date(2026, 3, 5), 21)
    draw = app.repository.get(UUID(draw_id))
    candidates = tuple(Candidate(m.expert_id, m.kind.value) for m in draw.candidates)
    (honest,) = perform(candidates, {"peer_inside": 1}, SEED, "07 11")
    # what a steered record would say: the last candidate put first, by someone past the guards
    steered = DrawRanking(
        kind=ExpertKind.PEER_INSIDE, ranked=(honest.ranked[-1], *honest.ranked[:-1]), taken=1
    )
    draw.record_result(
        audit=app._audit(BUREAU_STAFF, CommandMeta()),
        seed=SEED,
        public_value="07 11",
        rankings=(steered,),
    )
    position = max(r.notification.id for r in app.save(draw))
    found = findings(settings, read_store, "R-DRAW")
    assert [f.position for f in found] == [position]
    assert "place 1" in found[0].detail


def test_r_draw_a_seed_not_matching_its_commitment_is_reported(app, clock, settings, read_store):
    draw_id = _scheduled(app, clock)
    clock.on(date(2026, 3, 5), 21)
    draw = app.repository.get(UUID(draw_id))
    draw.record_result(
        audit=app._audit(BUREAU_STAFF, CommandMeta()),
        seed="f6" * 32,
        public_value="07 11",
        rankings=(),
    )
    position = max(r.notification.id for r in app.save(draw))
    found = findings(settings, read_store, "R-DRAW")
    assert position in [f.position for f in found]
    assert any("commitment" in f.detail for f in found)


def test_r_draw_a_drawn_journey_holds(app, clock, settings, read_store):
    j = Journey(app, clock).to_selected()
    assert j.argumentation_draw
    assert j.review_draw
    assert findings(settings, read_store, "R-DRAW") == []
    assert findings(settings, read_store, "R-DRAW", "exception") == []


def test_r_draw_hand_picked_panel_is_listed_as_an_exception(app, clock, settings, read_store):
    j = Journey(app, clock).draft().argue(drawn=False)
    assert findings(settings, read_store, "R-DRAW") == []
    [exception] = findings(settings, read_store, "R-DRAW", "exception")
    assert exception.justification == HAND_PICKED_REASON
    assert exception.aggregate_id == j.challenge_id


def test_r_draw_hand_picked_panel_without_justification_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).draft()
    opinions = app._opinions([(x, "同意") for x in list(j.experts.values())[:5]], "R-ARG-PANEL")
    clock.on(date(2026, 3, 20))
    challenge = app.repository.get(UUID(j.challenge_id))
    # written past the guards: a panel named by hand with no justification
    challenge.review(app._audit(BUREAU_STAFF, CommandMeta()), Conclusion.PASS, opinions, False)
    app.save(challenge)
    [violation] = findings(settings, read_store, "R-DRAW")
    assert "named by hand" in violation.detail


def test_r_draw_panel_that_is_not_its_draws_result_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).draft()
    extra = app.register_expert(
        BUREAU_STAFF,
        person_id="peer-extra",
        name="同行",
        org_code=make_code("12500100MB0077700"),
        org_name="研究院",
        kind=ExpertKind.PEER_INSIDE,
        speciality="智能科技",
    ).aggregate_id
    draw_id = j.draw_argumentation()
    seated = j.drawn(draw_id)
    opinions = app._opinions([(x, "同意") for x in (*seated[1:], extra)], "R-ARG-PANEL")
    clock.on(date(2026, 3, 20))
    challenge = app.repository.get(UUID(j.challenge_id))
    # written past the guards: the draw named, one drawn expert swapped for another
    audit = app._audit(BUREAU_STAFF, CommandMeta())
    challenge.review(audit, Conclusion.PASS, opinions, False, draw_id=draw_id)
    app.save(challenge)
    [violation] = findings(settings, read_store, "R-DRAW")
    assert "matches no draw" in violation.detail
    assert seated[0] in violation.detail
    assert extra in violation.detail


def _schedule_again(app, clock, challenge_id: str, **kw) -> str:
    clock.on(date(2026, 3, 6))
    return app.schedule_draw(
        BUREAU_STAFF,
        challenge_id,
        purpose=DrawPurpose.ARGUMENTATION,
        needs={ExpertKind.PEER_INSIDE: 1},
        commitment=commitment_of(SEED),
        randomness_source="下一期彩票开奖号码",
        randomness_date=date(2026, 3, 8),
        **kw,
    ).aggregate_id


def test_r_draw_drawing_again_while_a_draw_stands_unused_needs_a_justification(
    app, clock, settings, read_store
):
    first = _scheduled(app, clock)
    clock.on(date(2026, 3, 5), 21)
    app.perform_draw(BUREAU_STAFF, first, seed=SEED, public_value="07 11")  # its result known
    challenge_id = str(app.draw(first).challenge_id)
    error = refused(app, "R-DRAW", _schedule_again, app, clock, challenge_id)
    assert first in error.message
    _schedule_again(
        app, clock, challenge_id, exception_reason="登记的专家类别有误，随机数公布前重新登记"
    )
    assert findings(settings, read_store, "R-DRAW") == []
    [exception] = findings(settings, read_store, "R-DRAW", kind="exception")
    assert exception.justification == "登记的专家类别有误，随机数公布前重新登记"
    assert first in exception.detail


def test_r_draw_drawing_again_past_the_guard_is_reported(app, clock, settings, read_store):
    first = _scheduled(app, clock)
    challenge = app.repository.get(app.draw(first).challenge_id)
    # A second schedule written straight into the store (no guard runs), as an import might.
    second = Draw(
        audit=app._audit(BUREAU_STAFF, CommandMeta()),
        **{
            k: getattr(app.draw(first), k)
            for k in (
                "purpose", "year", "needs", "specialities", "candidates", "candidates_digest",
                "exclusions", "commitment", "randomness_source", "randomness_date", "algorithm",
            )
        },
        challenge_id=challenge.id,
    )  # fmt: skip
    app.save(second)
    [violation] = findings(settings, read_store, "R-DRAW")
    assert violation.aggregate_id == str(second.id)
    assert first in violation.detail
    assert "未被任何论证专家组使用" in violation.detail_zh
