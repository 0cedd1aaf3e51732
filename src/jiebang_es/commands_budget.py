"""Commands of the year's budget envelope (R-BUDGET): the bureau records it and revises it; the
annual list (``commands_challenge.approve_annual_list``) takes its challenges' funding from it."""

from __future__ import annotations

from decimal import Decimal

from jiebang_es.domain import rules
from jiebang_es.domain.budget import BudgetEnvelope
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.values import Actor, Audit, Role, yuan
from jiebang_es.errors import ConflictError, InvalidValueError, NotFoundError, RuleViolationError
from jiebang_es.service_base import (
    NO_META,
    CommandMeta,
    Receipt,
    ServiceBase,
    check_version,
    command,
)


def check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise InvalidValueError("year", f"{year} is not a plausible programme year")


class BudgetCommands(ServiceBase):
    @command
    def set_budget(
        self,
        actor: Actor,
        *,
        year: int,
        amount: Decimal | str | int,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Record the programme's budget envelope for a year (年度经费预算安排)."""
        rules.check_role(actor, [Role.BUREAU], "R-BUDGET", "recording the year's budget")
        check_year(year)
        total = yuan(amount, field_name="amount")
        key = BudgetEnvelope.create_id(year)
        if self._exists(key):
            raise ConflictError(key, f"the budget of {year} is recorded; revise it instead")
        envelope = BudgetEnvelope(
            audit=self._audit(actor, meta, backdate=True), year=year, amount=total
        )
        return self._save(envelope)

    @command
    def revise_budget(
        self,
        actor: Actor,
        *,
        year: int,
        amount: Decimal | str | int,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Revise the year's envelope, with the reason; never below what is already listed."""
        rules.check_role(actor, [Role.BUREAU], "R-BUDGET", "revising the year's budget")
        check_year(year)
        total = yuan(amount, field_name="amount")
        envelope = self._get(BudgetEnvelope, BudgetEnvelope.create_id(year))
        check_version(envelope, meta)
        envelope.revise(self._audit(actor, meta, backdate=True), total)
        return self._save(envelope)

    def budget(self, year: int) -> BudgetEnvelope:
        """The year's envelope and what the annual list takes of it."""
        check_year(year)
        return self._get(BudgetEnvelope, BudgetEnvelope.create_id(year))

    def _released(self, challenge: Challenge, audit: Audit) -> tuple[BudgetEnvelope, ...]:
        """R-BUDGET: a listed challenge that ends without a solver gives its funding back."""
        if challenge.year is None or not self._exists(BudgetEnvelope.create_id(challenge.year)):
            return ()
        envelope = self.budget(challenge.year)
        envelope.release(audit, str(challenge.id))
        return (envelope,) if envelope.pending_events else ()

    def _envelope(self, year: int) -> BudgetEnvelope:
        try:
            return self.budget(year)
        except NotFoundError:
            raise RuleViolationError(
                "R-BUDGET",
                f"no budget envelope is recorded for {year}: the bureau records the year's "
                "budget before the party group meeting approves the list",
            ) from None
