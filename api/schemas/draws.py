"""Shapes of the expert pool's commands and of verifiable draws (R-DRAW)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import CommandIn, Short, Text
from jiebang_es.domain.draw import Draw, DrawPurpose, DrawStatus
from jiebang_es.domain.expert import ExpertStatus, RelationKind
from jiebang_es.domain.values import ExpertKind

Hex64 = Annotated[str, Field(pattern="^[0-9a-fA-F]{64}$")]


class ExpertStatusIn(CommandIn):
    """Suspend (say why in `reason`), reinstate or retire a pool member."""

    status: ExpertStatus


class ExpertRelationIn(CommandIn):
    """A tie between the expert and a unit that keeps the expert off its panels."""

    org_code: Annotated[str, Field(max_length=40)]
    kind: RelationKind
    ended_on: date | None = Field(default=None, description="when the tie ended; empty if current")
    detail: Short = ""


class SeatNeedIn(BaseModel):
    kind: ExpertKind
    count: Annotated[int, Field(ge=1, le=50)]


class ScheduleDrawIn(CommandIn):
    """Fix a draw before its randomness exists (DrawScheduled)."""

    purpose: DrawPurpose
    needs: Annotated[list[SeatNeedIn], Field(min_length=1, max_length=5)]
    specialities: Annotated[list[Short], Field(max_length=20)] = Field(default_factory=list)
    commitment: Hex64 = Field(
        description="the secret seed's commitment, as `jiebang audit draw-seed` prints it"
    )
    randomness_source: Annotated[str, Field(min_length=1, max_length=500)]
    randomness_date: date = Field(description="the day the source's value is published")
    exception_reason: Text | None = Field(
        default=None,
        description="why the panel is drawn again while an earlier draw for it stands unused "
        "(R-DRAW: required then, recorded as an exception)",
    )

    @field_validator("needs")
    @classmethod
    def each_kind_once(cls, needs: list[SeatNeedIn]) -> list[SeatNeedIn]:
        # Two counts for one kind cannot both be meant: say so rather than keep one.
        kinds = [n.kind for n in needs]
        twice = sorted({k.value for k in kinds if kinds.count(k) > 1})
        if twice:
            raise ValueError(f"each kind once; named more than once: {', '.join(twice)}")
        return needs


class PerformDrawIn(CommandIn):
    """Reveal the seed and the public value (DrawPerformed)."""

    seed: Annotated[str, Field(min_length=1, max_length=500)]
    public_value: Annotated[str, Field(min_length=1, max_length=500)]


class ReplacementIn(CommandIn):
    """A drawn expert who refused, was absent or recused; `reason` says what happened."""

    expert_id: Annotated[str, Field(max_length=64)]
    cause: Literal["refused", "absent", "recused"]


class SeatNeedOut(BaseModel):
    kind: ExpertKind
    count: int


class CandidateOut(BaseModel):
    expert_id: str
    kind: ExpertKind


class ExclusionOut(BaseModel):
    expert_id: str
    reason: str


class RankingOut(BaseModel):
    kind: ExpertKind
    ranked: list[str]
    taken: int


class ReplacementOut(BaseModel):
    kind: ExpertKind
    place: int
    expert_id: str


class DrawRecordOut(BaseModel):
    """What anyone needs to recompute a draw offline (experts by id only)."""

    id: str
    version: int
    challenge_id: str
    purpose: DrawPurpose
    status: DrawStatus
    year: int
    algorithm: str
    needs: list[SeatNeedOut]
    specialities: list[str]
    candidates: list[CandidateOut]
    candidates_digest: str
    commitment: str = Field(
        description="hex SHA-256 of the bytes `jiebang-draw-seed`, a zero byte, then the seed "
        "in UTF-8 (algorithm.commitment_of)"
    )
    randomness_source: str
    randomness_date: date
    seed: str = Field(description="empty until the draw is performed")
    public_value: str
    rankings: list[RankingOut]
    seated: list[CandidateOut]
    replacements: list[ReplacementOut]

    @staticmethod
    def fields_of(d: Draw) -> dict[str, Any]:
        return {
            "id": str(d.id),
            "version": d.version,
            "challenge_id": str(d.challenge_id),
            "purpose": d.purpose,
            "status": d.status,
            "year": d.year,
            "algorithm": d.algorithm,
            "needs": [SeatNeedOut(kind=n.kind, count=n.count) for n in d.needs],
            "specialities": list(d.specialities),
            "candidates": [CandidateOut(expert_id=c.expert_id, kind=c.kind) for c in d.candidates],
            "candidates_digest": d.candidates_digest,
            "commitment": d.commitment,
            "randomness_source": d.randomness_source,
            "randomness_date": d.randomness_date,
            "seed": d.seed,
            "public_value": d.public_value,
            "rankings": [
                RankingOut(kind=r.kind, ranked=list(r.ranked), taken=r.taken) for r in d.rankings
            ],
            "seated": [CandidateOut(expert_id=m.expert_id, kind=m.kind) for m in d.seated],
            "replacements": [
                ReplacementOut(kind=k, place=p, expert_id=e) for k, p, e in d.replacements
            ],
        }


class DrawOut(DrawRecordOut):
    """A draw's whole record, for those who run and supervise it: with every exclusion and its
    reason (a suspension's reason can be personal)."""

    exclusions: list[ExclusionOut]

    @classmethod
    def of(cls, d: Draw) -> DrawOut:
        exclusions = [ExclusionOut(expert_id=x.expert_id, reason=x.reason) for x in d.exclusions]
        return cls(**cls.fields_of(d), exclusions=exclusions)


class PublicDrawOut(DrawRecordOut):
    """A draw's published record: how many pool members were excluded, never who or why."""

    excluded: int = Field(description="how many pool members the screening excluded")

    @classmethod
    def of(cls, d: Draw) -> PublicDrawOut:
        return cls(**cls.fields_of(d), excluded=len(d.exclusions))


class DrawVerificationOut(BaseModel):
    """The draw recomputed from its record alone."""

    draw_id: str
    matches: bool
    problems: list[str]
