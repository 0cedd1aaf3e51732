"""The demo's panels, drawn from the expert pool (R-DRAW, R-CONFLICT): each draw is scheduled
with the bureau's commitment to a secret seed and a public randomness source dated after it,
performed when that value is out, and verified; the argumentation and the review panel are the
draws' results (the review panel adds the end user's own head); a recusal on A's review panel
is filled from the draw's order and confirmed again by bureau and end user (R-PANEL-JOINT).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import TYPE_CHECKING

from jiebang_es.domain.draw import DrawPurpose
from jiebang_es.domain.values import Actor, Conclusion, ExpertKind, Role
from jiebang_es.draws.algorithm import commitment_of
from jiebang_es.sample import experts_for

if TYPE_CHECKING:
    from jiebang_es.demo import DemoRun, Track

ARGUMENTATION_NEEDS = {
    ExpertKind.MANAGEMENT: 1,
    ExpertKind.FRONT_LINE: 1,
    ExpertKind.PEER_INSIDE: 1,
    ExpertKind.PEER_OUTSIDE: 2,
}
# The peer experts inside the district all work at an applicant (西部智能制造研究院): the
# review draws take the peers from outside it.
REVIEW_NEEDS = {ExpertKind.MANAGEMENT: 1, ExpertKind.FRONT_LINE: 1, ExpertKind.PEER_OUTSIDE: 2}
# The public values the sample's named source "published" (simulated, as the dates are).
PUBLIC_VALUES = {
    date(2026, 3, 18): "05 11 17 20 28 33 + 14",
    date(2026, 5, 11): "02 07 13 19 24 30 + 06",
}


def sample_field(run: DemoRun) -> str:
    """The field code of this run's experts, which its draws ask for: each run is a sample of
    its own, and its draws never seat an earlier run's experts on the same simulated days."""
    return f"演示批次{run.run}"


def register_pool(run: DemoRun, a: Track, b: Track) -> None:
    """The pool: both tracks' experts (a draw sees every expert registered before it)."""
    for track in (a, b):
        for e in experts_for(track.end_user, track.tag):
            r = run.app.register_expert(
                run.bureau,
                person_id=e.person_id,
                name=e.name,
                org_code=e.org.credit_code,
                org_name=e.org.name,
                kind=e.kind,
                speciality=e.speciality,
                specialities=[e.speciality, sample_field(run)],
            )
            run.recorded.update(r.events)
            if e.kind is ExpertKind.END_USER_REP:
                track.head = r.aggregate_id
    run.console.print(f"  [green]✓[/] bureau: expert pool of {len(run.app.experts_in_pool())}")


def _seed(run: DemoRun, track: Track, purpose: DrawPurpose) -> str:
    return hashlib.sha256(f"demo {run.run} {track.tag} {purpose.value}".encode()).hexdigest()


def schedule(run: DemoRun, track: Track, purpose: DrawPurpose, scheduled: date) -> str:
    """Schedule a draw on ``scheduled``: its source's value comes out the next day."""
    needs = ARGUMENTATION_NEEDS if purpose is DrawPurpose.ARGUMENTATION else REVIEW_NEEDS
    out = scheduled + timedelta(days=1)
    r = run.do(
        "bureau",
        f"schedule the {purpose.value} draw of {track.label}: seed committed, source of {out}",
        run.app.schedule_draw,
        run.bureau,
        track.challenge_id,
        purpose=purpose,
        needs=needs,
        commitment=commitment_of(_seed(run, track, purpose)),
        randomness_source="中国福利彩票双色球开奖号码",
        randomness_date=out,
        specialities=[sample_field(run)],
    )
    excluded = len(run.app.draw(r.aggregate_id).exclusions)
    run.console.print(f"    {excluded} pool member(s) excluded before the draw (回避, R-CONFLICT)")
    return r.aggregate_id


def perform(run: DemoRun, track: Track, purpose: DrawPurpose, draw_id: str) -> None:
    """Perform a draw with the revealed seed and the source's value, and verify it."""
    value = PUBLIC_VALUES[run.app.draw(draw_id).randomness_date]
    run.do(
        "bureau",
        f"perform {track.label}'s draw with the revealed seed and {value}",
        run.app.perform_draw,
        run.bureau,
        draw_id,
        seed=_seed(run, track, purpose),
        public_value=value,
    )
    differences = run.app.verify_draw(draw_id)
    run.console.print(
        f"    verify-draw {draw_id}: " + ("matches" if not differences else "; ".join(differences))
    )


def draw_panels(run: DemoRun, a: Track, b: Track, purpose: DrawPurpose, on: date) -> dict[str, str]:
    """Both tracks' draws scheduled on ``on`` and performed the next evening."""
    draws = {t.label: schedule(run, t, purpose, on) for t in (a, b)}
    run.day(on + timedelta(days=1), f"{purpose.value} draws performed")
    run.clock.on(on + timedelta(days=1), 21)
    for track in (a, b):
        perform(run, track, purpose, draws[track.label])
    return draws


def argue(run: DemoRun, a: Track, b: Track) -> None:
    """Step 3 with panels drawn from the pool."""
    run.day(date(2026, 3, 17), "3 专家抽取 argumentation panels drawn from the expert pool")
    register_pool(run, a, b)
    draws = draw_panels(run, a, b, DrawPurpose.ARGUMENTATION, date(2026, 3, 17))
    run.day(date(2026, 3, 20), "3 榜单论证 argumentation by the drawn panels")
    for track in (a, b):
        panel = [m.expert_id for m in run.app.draw(draws[track.label]).seated]
        run.do(
            "bureau",
            f"argumentation of {track.label}: the 5 drawn experts, pass",
            run.app.record_argumentation,
            run.bureau,
            track.challenge_id,
            conclusion=Conclusion.PASS,
            opinions=[(x, "需求明确，指标可考核") for x in panel],
            draw_id=draws[track.label],
        )


def propose_panels(run: DemoRun, a: Track, b: Track) -> None:
    """Step 6: the review panels drawn once the window closed, with each end user's head."""
    run.day(date(2026, 5, 10), "6 专家抽取 review panels drawn after the window closed")
    run.clock.on(date(2026, 5, 10), 18)
    draws = draw_panels(run, a, b, DrawPurpose.REVIEW, date(2026, 5, 10))
    run.day(date(2026, 5, 11), "6 揭榜评审 the drawn review panels, jointly confirmed")
    for track in (a, b):
        track.review_draw = draws[track.label]
        run.do(
            "bureau",
            f"propose {track.label}'s panel: 4 drawn experts and the end user's head",
            run.app.propose_review_panel,
            run.bureau,
            track.challenge_id,
            draw_id=track.review_draw,
            expert_ids=[track.head],
        )
        for who, party in (("bureau", run.bureau), ("end user", track.eu)):
            run.do(who, "confirm", run.app.confirm_review_panel, party, track.challenge_id)
        for member in run.app.challenge(track.challenge_id).panel:
            expert = run.app.expert(member.expert_id)
            track.experts[member.expert_id] = (expert.person_id, expert.org_code, member.kind.value)


def recusal_filled_from_the_draw(run: DemoRun, track: Track, application_id: str) -> str:
    """A drawn management expert declares a conflict with an application: he recuses, and the
    next management expert in the draw's order is proposed in his place, which bureau and end
    user confirm again (R-PANEL-JOINT). The replacement's id."""
    recusing = next(
        x for x, (_, _, kind) in track.experts.items() if kind == ExpertKind.MANAGEMENT.value
    )
    person, org_code, _ = track.experts[recusing]
    run.do(
        f"expert {person}",
        "declare a conflict of interest (曾指导该申请项目负责人)",
        run.app.declare_conflict,
        Actor(id=person, role=Role.EXPERT, org_code=org_code),
        application_id,
        expert_id=recusing,
        conflict=True,
        statement="曾指导该申请项目负责人的研究工作",
    )
    run.console.print(
        f"  [yellow]↷[/] expert {person} recused; the seat goes to the next in the draw's order"
    )
    (successor,) = [
        m.expert_id
        for m in run.app.challenge(track.challenge_id).replacements
        if m.expert_id not in track.experts
    ]
    for who, party in (("bureau", run.bureau), ("end user", track.eu)):
        run.do(
            who,
            "confirm the replacement drawn in order",
            run.app.confirm_replacement,
            party,
            track.challenge_id,
            expert_id=successor,
        )
    expert = run.app.expert(successor)
    track.experts[successor] = (expert.person_id, expert.org_code, expert.kind.value)
    return successor
