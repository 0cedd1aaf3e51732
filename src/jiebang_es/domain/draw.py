"""抽取 Draw: experts drawn verifiably from the pool for one panel (R-DRAW, R-CONFLICT).

A draw has two steps. Scheduled fixes everything but the randomness: the panel's needs, the
eligible candidates after avoidance (with each exclusion and its reason), the bureau's commitment
to a secret seed, and the public randomness source to be used, named before its value exists.
Performed reveals the seed and the public value and records the ranking they give
(``jiebang_es.draws.algorithm``). Replacements take the next candidate of the same kind in that
ranking, never a hand-picked one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit, ExpertKind, PanelMember
from jiebang_es.errors import RuleViolationError


class DrawPurpose(Enum):
    ARGUMENTATION = "argumentation"  # 榜单论证 (§八(三))
    REVIEW = "review"  # 揭榜评审 (§八(六))


@dataclass(frozen=True)
class SeatNeed:
    """How many experts of one kind the panel needs."""

    kind: ExpertKind
    count: int


@dataclass(frozen=True)
class DrawExclusion:
    """A pool member left out before the draw, and why (回避: R-CONFLICT; status; cap)."""

    expert_id: str
    reason: str


@dataclass(frozen=True)
class DrawRanking:
    """Every eligible candidate of one kind in drawn order; the first ``taken`` sit."""

    kind: ExpertKind
    ranked: tuple[str, ...]
    taken: int


class DrawStatus(Enum):
    SCHEDULED = "scheduled"
    PERFORMED = "performed"


class Draw(JiebangAggregate):
    class DrawScheduled(JiebangAggregate.Created):
        challenge_id: UUID
        purpose: DrawPurpose
        year: int
        needs: tuple[SeatNeed, ...]
        specialities: tuple[str, ...]
        candidates: tuple[PanelMember, ...]
        candidates_digest: str
        exclusions: tuple[DrawExclusion, ...]
        commitment: str
        randomness_source: str
        randomness_date: date
        algorithm: str

    @event(DrawScheduled)
    def __init__(
        self,
        audit: Audit,
        challenge_id: UUID,
        purpose: DrawPurpose,
        year: int,
        needs: tuple[SeatNeed, ...],
        specialities: tuple[str, ...],
        candidates: tuple[PanelMember, ...],
        candidates_digest: str,
        exclusions: tuple[DrawExclusion, ...],
        commitment: str,
        randomness_source: str,
        randomness_date: date,
        algorithm: str,
    ) -> None:
        self.challenge_id = challenge_id
        self.purpose = purpose
        self.year = year
        self.needs = needs
        self.specialities = specialities
        self.candidates = candidates
        self.candidates_digest = candidates_digest
        self.exclusions = exclusions
        self.commitment = commitment
        self.randomness_source = randomness_source
        self.randomness_date = randomness_date
        self.algorithm = algorithm
        self.status = DrawStatus.SCHEDULED
        self.seed = ""
        self.public_value = ""
        self.rankings: tuple[DrawRanking, ...] = ()
        # the experts sitting now, and how far into each kind's ranking the draw has gone
        self.seated: tuple[PanelMember, ...] = ()
        self.replaced: tuple[str, ...] = ()
        self.replacements: tuple[tuple[ExpertKind, int, str], ...] = ()  # (kind, place, id)
        self.next_place: dict[str, int] = {}

    class DrawPerformed(JiebangAggregate.Event):
        seed: str
        public_value: str
        rankings: tuple[DrawRanking, ...]

    @event(DrawPerformed)
    def record_result(
        self, audit: Audit, seed: str, public_value: str, rankings: tuple[DrawRanking, ...]
    ) -> None:
        self.status = DrawStatus.PERFORMED
        self.seed = seed
        self.public_value = public_value
        self.rankings = rankings
        self.seated = tuple(
            PanelMember(expert_id=e, kind=r.kind) for r in rankings for e in r.ranked[: r.taken]
        )
        self.next_place = {r.kind.value: r.taken for r in rankings}

    class ReplacementDrawn(JiebangAggregate.Event):
        kind: ExpertKind
        replaced_expert_id: str
        expert_id: str
        place: int  # 1-based place in the kind's ranking
        cause: str  # refused / absent / recused

    @event(ReplacementDrawn)
    def record_replacement(
        self,
        audit: Audit,
        kind: ExpertKind,
        replaced_expert_id: str,
        expert_id: str,
        place: int,
        cause: str,
    ) -> None:
        self.seated = (
            *(m for m in self.seated if m.expert_id != replaced_expert_id),
            PanelMember(expert_id=expert_id, kind=kind),
        )
        self.replaced = (*self.replaced, replaced_expert_id)
        self.replacements = (*self.replacements, (kind, place, expert_id))
        self.next_place = {**self.next_place, kind.value: place}

    # ---- queries -------------------------------------------------------------------------
    def ranking_of(self, kind: ExpertKind) -> DrawRanking:
        for ranking in self.rankings:
            if ranking.kind is kind:
                return ranking
        raise RuleViolationError("R-DRAW", f"this draw drew no {kind.value} experts")

    def next_in_order(self, kind: ExpertKind) -> tuple[int, str]:
        """The next replacement of this kind: (1-based place, expert id)."""
        ranking = self.ranking_of(kind)
        place = self.next_place.get(kind.value, ranking.taken)
        if place >= len(ranking.ranked):
            raise RuleViolationError(
                "R-DRAW",
                f"the draw's order of {kind.value} experts is exhausted: schedule a new draw "
                "(本次抽取的备选专家已用尽)",
            )
        return place + 1, ranking.ranked[place]
