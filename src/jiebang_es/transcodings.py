"""How the domain's values are stored: each enum and value object round-trips exactly.

A stored name is part of the data: renaming a value class needs a new transcoding that still
decodes the old name (STYLE.md §12).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from jiebang_es.domain import draw, expert, values
from jiebang_es.domain.content import ChallengeContent


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    def __init__(self, enum_cls: type[Enum]) -> None:
        self.type = enum_cls
        self.name = f"jiebang.{enum_cls.__name__}"

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        return self.type(data)  # type: ignore[no-any-return]


class DataclassAsDict(Transcoding):
    """A frozen value dataclass as a dict of its fields; JSON lists come back as tuples."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"jiebang.{cls.__name__}"
        self.fields = tuple(f.name for f in dataclasses.fields(cls))

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


ENUMS: tuple[type[Enum], ...] = (
    values.Role,
    values.Category,
    values.DemandSource,
    values.Scope,
    values.ExpertKind,
    values.Conclusion,
    values.UnitType,
    values.CreditStatus,
    values.Verdict,
    draw.DrawPurpose,
    expert.ExpertStatus,
    expert.RelationKind,
)
VALUE_CLASSES: tuple[type[Any], ...] = (
    values.Organisation,
    values.ApplicantUnit,
    values.RuleException,
    values.DocumentRef,
    values.Audit,
    values.Indicator,
    values.Milestone,
    values.Commitment,
    values.ExpertOpinion,
    values.PanelMember,
    values.ScoreRef,
    values.Signature,
    draw.SeatNeed,
    draw.DrawExclusion,
    draw.DrawRanking,
    expert.Relation,
    values.BudgetLine,
    values.ContractTerms,
    values.Tranche,
    values.PublicNotice,
    ChallengeContent,
)


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for enum_cls in ENUMS:
        transcoder.register(EnumAsValue(enum_cls))
    for cls in VALUE_CLASSES:
        transcoder.register(DataclassAsDict(cls))
