"""信用记录 CreditRecord: the bureau's record of a unit's social credit (R-CREDIT).

The national credit system (信用中国) lists the seriously dishonest (严重失信主体名单); the
bureau records what it found there for a unit, with the source, before or while solvers apply.
A unit with no record is taken as not listed. The record is one aggregate per credit code.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit, CreditStatus


class CreditRecord(JiebangAggregate):
    @staticmethod
    def create_id(credit_code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"jiebang:credit:{credit_code}")

    class Recorded(JiebangAggregate.Created):
        credit_code: str
        status: CreditStatus
        source: str

    @event(Recorded)
    def __init__(self, audit: Audit, credit_code: str, status: CreditStatus, source: str) -> None:
        self.credit_code = credit_code
        self.status = status
        self.source = source

    class Updated(JiebangAggregate.Event):
        status: CreditStatus
        source: str

    def update(self, audit: Audit, status: CreditStatus, source: str) -> None:
        self._updated(audit=audit, status=status, source=source)

    @event(Updated)
    def _updated(self, audit: Audit, status: CreditStatus, source: str) -> None:
        self.status = status
        self.source = source
