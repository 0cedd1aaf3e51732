"""The bureau's credit records (R-CREDIT), and the one check every step that needs good credit
makes: application, selection, contract signature and each disbursement."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from jiebang_es.domain import rules
from jiebang_es.domain.application import Application
from jiebang_es.domain.credit import CreditRecord, check_credit
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import (
    Actor,
    ApplicantUnit,
    CreditStatus,
    Organisation,
    Role,
    credit_code,
)
from jiebang_es.errors import InvalidValueError, NotFoundError
from jiebang_es.service_base import (
    NO_META,
    CommandMeta,
    Receipt,
    ServiceBase,
    check_version,
    command,
)


class CreditCommands(ServiceBase):
    @command
    def record_credit_status(
        self,
        actor: Actor,
        *,
        org_code: str,
        status: CreditStatus,
        source: str,
        checked_on: date | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Record a unit's social credit as found in the national credit system, with the
        source and the date checked (by default the record's business date)."""
        rules.check_role(actor, [Role.BUREAU], "R-CREDIT", "recording a unit's social credit")
        code = credit_code(org_code, field_name="org_code")
        rules.require_text(source, "R-CREDIT", "the source of the credit record")
        audit = self._audit(actor, meta, backdate=True)
        on = checked_on or audit.effective_at.date()
        if on > audit.effective_at.date():
            raise InvalidValueError("checked_on", "a credit check cannot be dated in the future")
        record = self._credit_record(code)
        if record is None:
            record = CreditRecord(
                audit=audit, credit_code=code, status=status, source=source.strip(), checked_on=on
            )
        else:
            check_version(record, meta)
            record.update(audit, status, source.strip(), on)
        return self._save(record)

    def credit_status_of(self, org_code: str) -> CreditStatus:
        """The status the bureau last recorded; a unit never recorded is not on the dishonest
        list (whether the check is recent enough is ``credit_record``'s ``checked_on``)."""
        record = self._credit_record(credit_code(org_code, field_name="org_code"))
        return CreditStatus.GOOD if record is None else record.status

    def credit_record(self, org_code: str) -> CreditRecord | None:
        """The bureau's record of a unit, or None when it never checked the unit."""
        return self._credit_record(credit_code(org_code, field_name="org_code"))

    def _credit_record(self, code: str) -> CreditRecord | None:
        """One read: the unit's record, or None when the bureau never recorded it."""
        try:
            return self._get(CreditRecord, CreditRecord.create_id(code))
        except NotFoundError:
            return None

    def _check_credit_recent(self, units: Iterable[Organisation], on: date, step: str) -> None:
        """R-CREDIT at every step that needs it: each unit checked, not dishonest, recently."""
        for org in units:
            record = self._credit_record(org.credit_code)
            check_credit(
                org.credit_code,
                org.name,
                record,
                on,
                self.settings.credit_max_age_days,
                step,
            )

    def _with_credit(self, org: Organisation) -> ApplicantUnit:
        return ApplicantUnit(organisation=org, credit_status=self.credit_status_of(org.credit_code))

    def _check_project_credit(self, project: Project, on: date, step: str) -> None:
        """R-CREDIT for a project's solver: its lead unit (as the contract now names it) and
        the participating units of the selected application."""
        application = self._get(Application, project.application_id)
        units = {u.organisation.credit_code: u.organisation for u in application.participants}
        lead = application.lead.organisation
        if lead.credit_code != project.solver_code:
            lead = Organisation(project.solver_code, "", lead.unit_type, lead.in_district)
        units.pop(lead.credit_code, None)
        self._check_credit_recent((lead, *units.values()), on, step)
