"""A recorded draw checked against what its own record says (R-DRAW): the algorithm's
recomputation, no candidate also excluded, every replacement at the next place of its kind.
Used by `jiebang audit verify-draw`, by offline bundle verification and by the API."""

from __future__ import annotations

from collections.abc import Sequence

from jiebang_es.domain.draw import Draw, DrawStatus
from jiebang_es.domain.values import PanelMember
from jiebang_es.draws import algorithm
from jiebang_es.errors import ConflictError


def as_candidates(members: Sequence[PanelMember]) -> tuple[algorithm.Candidate, ...]:
    return tuple(algorithm.Candidate(expert_id=m.expert_id, kind=m.kind.value) for m in members)


def verify_recorded_draw(draw: Draw) -> list[str]:
    """What `jiebang audit verify-draw` says of one performed draw: [] when the record
    recomputes. A draw only scheduled has nothing to recompute yet: ConflictError (it is not
    damage, and must not read as such)."""
    if draw.status is not DrawStatus.PERFORMED:
        raise ConflictError(draw.id, "the draw has not been performed yet: nothing to verify")
    problems = algorithm.verify(
        algorithm.DrawRecord(
            candidates=as_candidates(draw.candidates),
            candidates_digest=draw.candidates_digest,
            needs={n.kind.value: n.count for n in draw.needs},
            commitment=draw.commitment,
            seed=draw.seed,
            public_value=draw.public_value,
            rankings=tuple(
                algorithm.KindRanking(kind=r.kind.value, ranked=r.ranked, taken=r.taken)
                for r in draw.rankings
            ),
            algorithm=draw.algorithm,
        )
    )
    candidate_ids = {m.expert_id for m in draw.candidates}
    excluded = {x.expert_id for x in draw.exclusions}
    problems += [
        f"expert {e}: both a candidate and excluded" for e in sorted(candidate_ids & excluded)
    ]
    # Replacements must walk each kind's order, place after place, from the first reserve.
    expected_place = {r.kind: r.taken for r in draw.rankings}
    for kind, place, expert_id in draw.replacements:
        ranking = draw.ranking_of(kind)
        expected_place[kind] += 1
        if place != expected_place[kind] or ranking.ranked[place - 1] != expert_id:
            problems.append(
                f"replacement {expert_id} ({kind.value}): took place {place}, the order gives "
                f"place {expected_place[kind]}"
            )
    return problems
