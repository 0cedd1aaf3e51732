"""How the domain's values are stored: each enum and value object round-trips exactly.

A stored name is part of the data: renaming a value class needs a new transcoding that still
decodes the old name (STYLE.md §12).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from jiebang_es.crypto.fields import FieldCipher, FieldDecryptionError
from jiebang_es.domain import draw, expert, values
from jiebang_es.domain.content import ChallengeContent
from jiebang_es.domain.personal import Personal

if TYPE_CHECKING:
    from jiebang_es.privacy.keys import SubjectKeys


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


class PersonalAsCiphertext(Transcoding):
    """A personal datum as its subject's id and the ciphertext under the subject's own key
    (docs/personal-information.md): the plaintext never reaches the store.

    Stored: ``{"s": subject, "k": kind, "a": cipher, "t": base64 token}``, or
    ``{"s": subject, "k": kind, "erased": true}`` for a datum already erased when recorded.
    Decoded: the plaintext where the key is at hand; erased once the key is destroyed; withheld
    where no key store is given (an offline bundle's reader)."""

    type = Personal
    name = "jiebang.Personal"

    def __init__(
        self,
        keys: Callable[[], SubjectKeys] | None = None,
        cipher: Callable[[], FieldCipher] | None = None,
    ) -> None:
        self.keys = keys
        self.cipher = cipher

    @staticmethod
    def associated(subject_id: str, kind: str) -> bytes:
        return f"jiebang-personal\x1f{subject_id}\x1f{kind}".encode()

    def encode(self, obj: Personal) -> dict[str, Any]:
        if obj.value is None:
            return {"s": obj.subject_id, "k": obj.kind, "erased": True}
        if self.keys is None or self.cipher is None:
            raise TypeError("personal information is recorded only where its keys are kept")
        cipher = self.cipher()
        key = self.keys().ensure(obj.subject_id, cipher.new_key())
        token = cipher.encrypt(
            key, obj.value.encode("utf-8"), self.associated(obj.subject_id, obj.kind)
        )
        return {
            "s": obj.subject_id,
            "k": obj.kind,
            "a": cipher.name,
            "t": base64.b64encode(token).decode("ascii"),
        }

    def decode(self, data: dict[str, Any]) -> Personal:
        subject, kind = str(data["s"]), str(data["k"])
        if data.get("erased"):
            return Personal(subject_id=subject, kind=kind, erased=True)
        if self.keys is None or self.cipher is None:
            return Personal(subject_id=subject, kind=kind)
        key = self.keys().key(subject)
        if key is None:
            return Personal(subject_id=subject, kind=kind, erased=True)
        try:
            plain = self.cipher().decrypt(
                key, base64.b64decode(data["t"]), self.associated(subject, kind)
            )
        except FieldDecryptionError:
            # Not this subject's token (altered bytes): the seal chain says where.
            return Personal(subject_id=subject, kind=kind)
        return Personal(subject_id=subject, kind=kind, value=plain.decode("utf-8"))


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


def register_domain_transcodings(
    transcoder: JSONTranscoder,
    keys: Callable[[], SubjectKeys] | None = None,
    cipher: Callable[[], FieldCipher] | None = None,
) -> None:
    """The domain's transcodings; with a key store and the store's field cipher, personal
    data are encrypted and decrypted, without them only read as withheld."""
    transcoder.register(DateAsISO())
    transcoder.register(PersonalAsCiphertext(keys, cipher))
    for enum_cls in ENUMS:
        transcoder.register(EnumAsValue(enum_cls))
    for cls in VALUE_CLASSES:
        transcoder.register(DataclassAsDict(cls))
