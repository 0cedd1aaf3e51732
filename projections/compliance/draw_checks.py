"""Checks of expert draws (R-DRAW): each performed draw recomputed from what its schedule fixed,
each replacement taken from the draw's own order, no excluded expert among the candidates."""

from __future__ import annotations

from typing import Any

from jiebang_es.domain.draw import Draw
from jiebang_es.draws import algorithm
from projections.compliance.challenge_checks import excepted
from projections.compliance.check import Check, CheckFn
from projections.compliance.zh import PURPOSE_ZH


def _candidates(state: dict[str, Any]) -> tuple[algorithm.Candidate, ...]:
    return tuple(algorithm.Candidate(expert_id=i, kind=k) for k, i in state["candidates"])


def scheduled(c: Check) -> None:
    e = c.event
    redrawn(c, str(e.challenge_id), e.purpose.value)
    candidates = [[m.kind.value, m.expert_id] for m in e.candidates]
    excluded = {x.expert_id for x in e.exclusions}
    both = sorted({i for _, i in candidates} & excluded)
    if both:
        c.violation(
            "R-CONFLICT",
            f"excluded experts listed as candidates: {', '.join(both)}",
            zh=f"应排除的专家被列为候选人：{'、'.join(both)}",
        )
    c.save(
        {
            "candidates": candidates,
            "digest": e.candidates_digest,
            "needs": {n.kind.value: n.count for n in e.needs},
            "commitment": e.commitment,
            "algorithm": e.algorithm,
            "scheduled_pos": c.position,
            "challenge_id": str(e.challenge_id),
            "purpose": e.purpose.value,
            "rankings": {},
            "next_place": {},
        }
    )


def redrawn(c: Check, challenge_id: str, purpose: str) -> None:
    """A second draw for a challenge's panel while an earlier one for it was never used is
    drawing again until it suits (R-DRAW): reported, unless justified as an exception. A draw
    a panel used (``panel_used``) leaves the way clear for the next round's."""
    challenge = c.state(challenge_id)
    unused = challenge.setdefault("unused_draws", {}).setdefault(purpose, [])
    if unused and not excepted(c, "R-DRAW"):
        earlier = [draw_id for draw_id, _ in unused]
        c.violation(
            "R-DRAW",
            f"another {purpose} draw while {', '.join(earlier)} was never used by a panel, "
            "without a justification",
            *(position for _, position in unused),
            zh=f"抽取 {'、'.join(earlier)} 未被任何{PURPOSE_ZH[purpose]}专家组使用，"
            "又安排新的抽取，且未说明理由",
        )
    unused.append([str(c.event.originator_id), c.position])
    c.save(challenge, challenge_id)


def panel_used(challenge: dict[str, Any], purpose: str, draw_id: str) -> None:
    """The draw seated a panel: it no longer stands unused (in the challenge's state)."""
    unused = challenge.get("unused_draws", {}).get(purpose, [])
    challenge.setdefault("unused_draws", {})[purpose] = [u for u in unused if u[0] != draw_id]


def performed(c: Check) -> None:
    e = c.event
    state = c.state()
    if not state:
        c.violation("R-DRAW", "a draw performed that was never scheduled", zh="抽取未经安排即执行")
        return
    problems = algorithm.verify(
        algorithm.DrawRecord(
            candidates=_candidates(state),
            candidates_digest=state["digest"],
            needs=state["needs"],
            commitment=state["commitment"],
            seed=e.seed,
            public_value=e.public_value,
            rankings=tuple(
                algorithm.KindRanking(kind=r.kind.value, ranked=r.ranked, taken=r.taken)
                for r in e.rankings
            ),
            algorithm=state["algorithm"],
        )
    )
    for problem in problems:
        c.violation(
            "R-DRAW",
            f"the draw does not recompute: {problem}",
            state["scheduled_pos"],
            zh=f"抽取结果无法按记录复算（校验程序所述：{problem}）",
        )
    state["rankings"] = {r.kind.value: list(r.ranked) for r in e.rankings}
    state["next_place"] = {r.kind.value: r.taken for r in e.rankings}
    state["seated"] = [x for r in e.rankings for x in r.ranked[: r.taken]]
    c.save(state)


def replacement(c: Check) -> None:
    e = c.event
    state = c.state()
    kind = e.kind.value
    ranked = state.get("rankings", {}).get(kind, [])
    expected = state.get("next_place", {}).get(kind, 0) + 1
    if e.place != expected or len(ranked) < e.place or ranked[e.place - 1] != e.expert_id:
        c.violation(
            "R-DRAW",
            f"replacement {e.expert_id} took place {e.place}; the draw's order gives place "
            f"{expected}",
            state.get("scheduled_pos"),
            zh=f"替补专家 {e.expert_id} 取第 {e.place} 位，按抽取顺序应为第 {expected} 位",
        )
    state.setdefault("next_place", {})[kind] = max(e.place, expected)
    seated = [x for x in state.get("seated", []) if x != e.replaced_expert_id]
    state["seated"] = [*seated, e.expert_id]
    c.save(state)


CHECKS: dict[type, CheckFn] = {
    Draw.DrawScheduled: scheduled,
    Draw.DrawPerformed: performed,
    Draw.ReplacementDrawn: replacement,
}
