"""删除个人信息 Erasure: the audited record that a data subject's personal information was erased
(PIPL art. 47): who, why, on what ground, which retention rule allowed it, and which records of
an earlier release still hold it in clear (they cannot be shredded without rewriting the log).

One aggregate per subject (its id derives from the subject id), so a subject is erased once."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit


class Erasure(JiebangAggregate):
    @staticmethod
    def create_id(subject_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"jiebang:erasure:{subject_id}")

    class Erased(JiebangAggregate.Created):
        subject_id: str
        legal_ground: str  # "" where the retention period had run out
        retention: str  # the rule applied, and when the period ended
        encrypted_records: int  # records whose fields the destroyed key made unreadable
        legacy_records: tuple[str, ...]  # "position event field": held in clear, not shredded

    @event(Erased)
    def __init__(
        self,
        audit: Audit,
        subject_id: str,
        legal_ground: str,
        retention: str,
        encrypted_records: int,
        legacy_records: tuple[str, ...],
    ) -> None:
        self.subject_id = subject_id
        self.erased_by = f"{audit.actor_id} ({audit.role.value}, {audit.org_code})"
        self.reason = audit.reason
        self.erased_at = audit.recorded_at
        self.legal_ground = legal_ground
        self.retention = retention
        self.encrypted_records = encrypted_records
        self.legacy_records = tuple(legacy_records)
