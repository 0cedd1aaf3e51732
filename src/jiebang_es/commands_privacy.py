"""Personal information: erasure by the bureau's data-protection officer (PIPL art. 47) and the
subject's report (art. 45). See docs/personal-information.md."""

from __future__ import annotations

import structlog

from jiebang_es.domain import rules
from jiebang_es.domain.erasure import Erasure
from jiebang_es.domain.values import Actor, Role
from jiebang_es.errors import ConflictError, InvalidValueError, NotFoundError
from jiebang_es.privacy.records import CLEAR, ENCRYPTED, PersonalRecord, records_of
from jiebang_es.privacy.retention import check_retention
from jiebang_es.service_base import NO_META, CommandMeta, Receipt, ServiceBase, command

log = structlog.get_logger("jiebang_es")


class PrivacyCommands(ServiceBase):
    @command
    def erase_subject(
        self,
        actor: Actor,
        subject_id: str,
        *,
        legal_ground: str = "",
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Erase a data subject's personal information: record who erased it, why and under
        which retention rule (Erased), then destroy the subject's key. Every record keeps its
        sealed ciphertext, which no longer decrypts; fields an earlier release recorded in clear
        cannot be shredded and are named in the event."""
        rules.check_role(
            actor, [Role.DATA_PROTECTION_OFFICER], "R-ERASURE", "erasing personal information"
        )
        subject = subject_id.strip()
        if not subject:
            raise InvalidValueError("subject_id", "name the data subject to erase")
        rules.require_reason(meta.reason, "R-ERASURE", "an erasure of personal information")
        key = Erasure.create_id(subject)
        if self._exists(key):
            # Recorded already: a key a crash left behind after the record is destroyed now.
            self.personal_keys.destroy(subject)
            raise ConflictError(key, f"data subject {subject} was already erased")
        records = records_of(self, subject)
        if not records:
            raise NotFoundError("data subject", subject)
        audit = self._audit(actor, meta)
        retention = check_retention(self, records, audit.effective_at.date(), legal_ground)
        erasure = Erasure(
            audit=audit,
            subject_id=subject,
            legal_ground=legal_ground.strip(),
            retention=retention,
            encrypted_records=sum(1 for r in records if r.form == ENCRYPTED),
            legacy_records=tuple(r.label for r in records if r.form == CLEAR),
        )
        receipt = self._save(erasure)
        self.personal_keys.destroy(subject)
        log.info("personal_information_erased", subject_id=subject, erasure_id=str(key))
        return receipt

    def subject_records(self, subject_id: str) -> list[PersonalRecord]:
        """Every record holding the subject's personal information (PIPL art. 45)."""
        return records_of(self, subject_id.strip())

    def erasure_of(self, subject_id: str) -> Erasure | None:
        key = Erasure.create_id(subject_id.strip())
        return self._get(Erasure, key) if self._exists(key) else None
