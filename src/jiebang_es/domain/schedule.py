"""The task contract's payment schedule (R-CONTRACT, R-DISBURSE): tranches, each due on a
condition, which together pay the budget.

Conditions: ``signature`` (the contract is signed by all three parties), ``milestone:<n>`` (the
contract's n-th milestone, counted from 1, is assessed as passed, directly or after its
rectification) and ``final_assessment`` (the end user's final verdict is a pass).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from jiebang_es.domain.values import FEN, Milestone, Tranche
from jiebang_es.errors import InvalidValueError, RuleViolationError

SIGNATURE = "signature"
FINAL_ASSESSMENT = "final_assessment"
MILESTONE_PREFIX = "milestone:"


def milestone_number(condition: str) -> int | None:
    """n of ``milestone:<n>``; None for the other conditions."""
    if not condition.startswith(MILESTONE_PREFIX):
        return None
    digits = condition[len(MILESTONE_PREFIX) :]
    if not digits.isdigit() or int(digits) < 1:
        raise InvalidValueError(
            "tranches", f"{condition!r}: a milestone condition is milestone:<n>, n from 1"
        )
    return int(digits)


def check_condition(condition: str) -> None:
    """A condition is one of the three kinds (shape only; the milestone's existence is
    checked against the contract)."""
    if condition in (SIGNATURE, FINAL_ASSESSMENT):
        return
    if milestone_number(condition) is None:
        raise InvalidValueError(
            "tranches",
            f"{condition!r} is not a payment condition: signature, milestone:<n> or "
            "final_assessment",
        )


def check_schedule(
    tranches: tuple[Tranche, ...], budget: Decimal, milestones: tuple[Milestone, ...]
) -> None:
    """R-CONTRACT: the schedule pays exactly the budget, on conditions the contract knows."""
    if not tranches:
        raise RuleViolationError("R-CONTRACT", "the task contract names a payment schedule")
    for t in tranches:
        check_condition(t.condition)
        if t.amount <= 0 or t.amount.quantize(FEN) != t.amount:
            raise InvalidValueError(
                "tranches", f"tranche {t.condition}: {t.amount} is not a positive amount in fen"
            )
        n = milestone_number(t.condition)
        if n is not None and n > len(milestones):
            raise RuleViolationError(
                "R-CONTRACT",
                f"tranche {t.condition} names milestone {n}; the contract has {len(milestones)}",
            )
    total = sum((t.amount for t in tranches), Decimal("0.00"))
    if total != budget:
        raise RuleViolationError(
            "R-CONTRACT", f"the payment schedule totals {total}, not the budget of {budget}"
        )


def parse_default_schedule(text: str) -> tuple[tuple[str, Decimal], ...]:
    """The configured default schedule: ``condition:percent`` items separated by commas, e.g.
    ``signature:50,milestone:1:30,final_assessment:20``; the percentages total 100."""
    field = "payment_schedule_default"
    items: list[tuple[str, Decimal]] = []
    for raw in text.split(","):
        item = raw.strip()
        condition, sep, percent = item.rpartition(":")
        if not sep or not condition:
            raise InvalidValueError(field, f"{item!r} is not condition:percent")
        check_condition(condition)
        try:
            share = Decimal(percent)
        except ArithmeticError:
            raise InvalidValueError(field, f"{percent!r} is no percentage") from None
        if not share.is_finite() or share <= 0:
            raise InvalidValueError(field, f"{item!r}: a positive percentage")
        items.append((condition, share))
    if sum(s for _, s in items) != 100:
        raise InvalidValueError(field, "the percentages total 100")
    return tuple(items)


def default_tranches(text: str, budget: Decimal) -> tuple[Tranche, ...]:
    """The budget split by the configured percentages, in fen; the last tranche takes what
    rounding leaves, so the schedule always totals the budget."""
    shares = parse_default_schedule(text)
    tranches: list[Tranche] = []
    paid = Decimal("0.00")
    for i, (condition, share) in enumerate(shares):
        last = i == len(shares) - 1
        amount = budget - paid if last else (budget * share / 100).quantize(FEN)
        paid += amount
        if amount > 0:
            tranches.append(Tranche(amount=amount, condition=condition))
    return tuple(tranches)


def fallen_due(tranches: tuple[Tranche, ...], met: Callable[[str], bool]) -> Decimal:
    """What the schedule has made due: the tranches whose condition is met."""
    return sum((t.amount for t in tranches if met(t.condition)), Decimal("0.00"))
