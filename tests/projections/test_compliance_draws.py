"""R-DRAW in the compliance report: draws written straight into the store (no guard runs) that
do not recompute, or whose replacements leave the draw's order, are reported at their event."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from jiebang_es.domain.draw import DrawPurpose, DrawRanking
from jiebang_es.domain.values import ExpertKind
from jiebang_es.draws.algorithm import Candidate, commitment_of, perform
from jiebang_es.sample import make_code
from jiebang_es.service_base import CommandMeta
from tests.projections.test_compliance import findings
from tests.support import BUREAU_STAFF, Journey

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
