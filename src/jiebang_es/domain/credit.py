"""信用记录 CreditRecord: the bureau's record of a unit's social credit (R-CREDIT).

The national credit system (信用中国) lists the seriously dishonest (严重失信主体名单); the
bureau records what it found there for a unit, with the source and the date it checked. Good
credit means checked, not merely not known to be bad: a unit never checked, or checked longer
ago than the configured age, does not count (RULES.md version 2). The record is one aggregate
per credit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit, CreditStatus
from jiebang_es.errors import RuleViolationError

# What an old record (written before the date checked was kept) says of its source when it
# says nothing: the first build always required a source, so this only guards odd data.
SOURCE_NOT_RECORDED = "未记录"


def _checked_on_from_business_time(state: dict[str, Any]) -> None:
    """Upcast of the first build's records: the date checked is the record's business date
    (the bureau recorded what it found on the day it took effect), the source as recorded."""
    state.setdefault("checked_on", state["audit"].effective_at.date())
    if not str(state.get("source") or "").strip():
        state["source"] = SOURCE_NOT_RECORDED


@dataclass(frozen=True)
class CreditCheck:
    """One check of a unit in the national credit system: when, what was found, where."""

    checked_on: date
    status: CreditStatus
    source: str


class CreditRecord(JiebangAggregate):
    @staticmethod
    def create_id(credit_code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"jiebang:credit:{credit_code}")

    class Recorded(JiebangAggregate.Created):
        class_version = 2
        credit_code: str
        status: CreditStatus
        source: str
        checked_on: date

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _checked_on_from_business_time(state)

    @event(Recorded)
    def __init__(
        self, audit: Audit, credit_code: str, status: CreditStatus, source: str, checked_on: date
    ) -> None:
        self.credit_code = credit_code
        self.status = status
        self.source = source
        self.checked_on = checked_on
        self.checks: tuple[CreditCheck, ...] = (CreditCheck(checked_on, status, source),)

    class Updated(JiebangAggregate.Event):
        class_version = 2
        status: CreditStatus
        source: str
        checked_on: date

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _checked_on_from_business_time(state)

    def update(self, audit: Audit, status: CreditStatus, source: str, checked_on: date) -> None:
        self._updated(audit=audit, status=status, source=source, checked_on=checked_on)

    @event(Updated)
    def _updated(self, audit: Audit, status: CreditStatus, source: str, checked_on: date) -> None:
        self.checks = (*self.checks, CreditCheck(checked_on, status, source))
        # The record says the latest check by its date, not the last one recorded: a check
        # recorded late, dated before another, does not hide the later one's finding.
        latest = self.check_as_of(date.max)
        assert latest is not None  # noqa: S101 - the check just added
        self.status, self.source, self.checked_on = latest.status, latest.source, latest.checked_on

    def check_as_of(self, on: date) -> CreditCheck | None:
        """The latest check made on or before ``on``: what the bureau knew that day."""
        earlier = [c for c in self.checks if c.checked_on <= on]
        # max() keeps the first of equal dates: reversed, the later record wins a tie.
        return max(reversed(earlier), key=lambda c: c.checked_on, default=None)


def credit_problem(record: CreditRecord | None, on: date, max_age_days: int) -> str | None:
    """Why a unit's credit does not count as good for a step taken on ``on``, or None.

    The check that counts is the latest made on or before that day (a later check says
    nothing of the unit's credit when the step was taken), and only for ``max_age_days``.
    """
    check = None if record is None else record.check_as_of(on)
    if check is None:
        return f"has not been checked in the national credit system by {on} (未经信用核查)"
    if check.status is CreditStatus.SERIOUSLY_DISHONEST:
        return f"is recorded as seriously dishonest (严重失信; {check.source}, {check.checked_on})"
    age = (on - check.checked_on).days
    if age > max_age_days:
        return (
            f"was last checked on {check.checked_on}, {age} days before {on}: a check counts "
            f"for {max_age_days} days (信用核查已过期)"
        )
    return None


def check_credit(
    code: str, name: str, record: CreditRecord | None, on: date, max_age_days: int, step: str
) -> None:
    """R-CREDIT: a lead or participating unit has good, recently checked social credit."""
    problem = credit_problem(record, on, max_age_days)
    if problem is not None:
        raise RuleViolationError(
            "R-CREDIT",
            f"{name or 'the unit'} ({code}) {problem}; {step} needs good social credit, "
            "checked recently (良好社会信用)",
        )
