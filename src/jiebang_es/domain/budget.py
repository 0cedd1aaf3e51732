"""年度经费预算 BudgetEnvelope: the programme's budget for one year, and what the annual list
has taken of it (R-BUDGET, §八(二): 结合年度工作重点和经费预算安排).

One aggregate per year, its id derived from the year, so that approving a list finds it and
two approvals of the same year's list conflict on its version instead of both passing.

The envelope is a ledger of other decisions (the year's meetings, cancellations, revisions),
each with its own business time: a meeting's list recorded a few days late is backdated to the
meeting, perhaps before a revision recorded meanwhile. So, unlike a challenge or a project, its
events are not held to one business-time order (R-ORDER); what R-BUDGET needs is the recording
order, in which no list ever takes more than the envelope held.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import CanMutateAggregate, event

from jiebang_es.domain import rules
from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit, BudgetLine
from jiebang_es.errors import RuleViolationError


class BudgetEnvelope(JiebangAggregate):
    @staticmethod
    def create_id(year: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"jiebang:budget:{year}")

    def trigger_event(self, event_class: type[CanMutateAggregate[Any]], **kwargs: Any) -> None:
        # A ledger, not a procedure: skip JiebangAggregate's business-time order (see above).
        super(JiebangAggregate, self).trigger_event(event_class, **kwargs)

    class BudgetSet(JiebangAggregate.Created):
        year: int
        amount: Decimal

    @event(BudgetSet)
    def __init__(self, audit: Audit, year: int, amount: Decimal) -> None:
        self.year = year
        self.amount = amount
        self.listed: tuple[BudgetLine, ...] = ()

    class BudgetRevised(JiebangAggregate.Event):
        amount: Decimal
        previous: Decimal

    def revise(self, audit: Audit, amount: Decimal) -> None:
        """Revise the year's envelope; never below what the annual list already takes."""
        rules.require_reason(audit.reason, "R-AUDIT-WHO", "revising the year's budget")
        if amount < self.listed_total:
            raise RuleViolationError(
                "R-BUDGET",
                f"the {self.year} envelope cannot be {amount} yuan: the annual list already "
                f"takes {self.listed_total} yuan",
            )
        self._revised(audit=audit, amount=amount, previous=self.amount)

    @event(BudgetRevised)
    def _revised(self, audit: Audit, amount: Decimal, previous: Decimal) -> None:
        self.amount = amount

    class ListCharged(JiebangAggregate.Event):
        """Challenges put on the year's list, each with the funding it takes."""

        challenges: tuple[BudgetLine, ...]

    def charge(self, audit: Audit, challenges: tuple[BudgetLine, ...]) -> None:
        """R-BUDGET: the list's total funding, with what is already listed, fits the envelope."""
        adding = sum((line.funding for line in challenges), Decimal("0.00"))
        total = self.listed_total + adding
        if total > self.amount:
            raise RuleViolationError(
                "R-BUDGET",
                f"the annual list of {self.year} would take {total} yuan ({self.listed_total} "
                f"already listed + {adding}), more than the year's budget of {self.amount} yuan "
                "(结合年度经费预算安排)",
            )
        self._charged(audit=audit, challenges=challenges)

    @event(ListCharged)
    def _charged(self, audit: Audit, challenges: tuple[BudgetLine, ...]) -> None:
        self.listed = (*self.listed, *challenges)

    class ListReleased(JiebangAggregate.Event):
        """A listed challenge cancelled or failed (流榜): its funding returns to the envelope."""

        line: BudgetLine

    def release(self, audit: Audit, challenge_id: str) -> None:
        """Return a cancelled or failed challenge's funding; nothing when it was never charged
        (a challenge listed before the envelope existed)."""
        for line in self.listed:
            if line.challenge_id == challenge_id:
                self._released(audit=audit, line=line)
                return

    @event(ListReleased)
    def _released(self, audit: Audit, line: BudgetLine) -> None:
        self.listed = tuple(x for x in self.listed if x.challenge_id != line.challenge_id)

    @property
    def listed_total(self) -> Decimal:
        return sum((line.funding for line in self.listed), Decimal("0.00"))

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.listed_total
