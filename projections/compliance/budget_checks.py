"""R-BUDGET re-checked over the log: each year's envelope as the bureau recorded and revised it,
and the funding of every challenge the annual list took, counted from the Listed events
themselves (not from what the envelope says it was charged)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiebang_es.domain.budget import BudgetEnvelope
from projections.compliance.check import Check, CheckFn


def budget_ref(year: int) -> str:
    return f"budget:{year}"


def budget_set(c: Check) -> None:
    e = c.event
    c.save({"kind": "budget", "year": e.year})
    c.save({"amount": str(e.amount), "listed": "0.00", "set_pos": c.position}, budget_ref(e.year))


def budget_revised(c: Check) -> None:
    e = c.event
    year = c.state().get("year")
    budget = c.state(budget_ref(year)) if year is not None else {}
    listed = Decimal(budget.get("listed", "0"))
    if e.amount < listed:
        c.violation(
            "R-BUDGET",
            f"the {year} envelope revised to {e.amount}, under the {listed} listed",
            zh=f"{year} 年度预算额度调整为 {e.amount} 元，低于已列入榜单的 {listed} 元",
        )
    if year is not None:
        c.save({**budget, "amount": str(e.amount)}, budget_ref(year))


def list_charged(c: Check, year: int, funding: Any, required: bool) -> bool:
    """A challenge put on the year's list: its funding within the year's envelope; whether it
    was counted against one."""
    budget = c.state(budget_ref(year))
    if not budget:
        if required:
            c.violation(
                "R-BUDGET",
                f"listed for {year}, a year with no budget envelope recorded",
                zh=f"列入 {year} 年度榜单，但该年度没有记录预算额度",
            )
        return False
    listed = Decimal(budget["listed"]) + Decimal(str(funding or "0"))
    if listed > Decimal(budget["amount"]):
        c.violation(
            "R-BUDGET",
            f"the {year} list takes {listed}, over the envelope of {budget['amount']}",
            budget.get("set_pos"),
            zh=f"{year} 年度榜单合计 {listed} 元，超过预算额度 {budget['amount']} 元",
        )
    c.save({**budget, "listed": str(listed)}, budget_ref(year))
    return True


def list_released(c: Check, year: int, funding: Any) -> None:
    """A listed challenge cancelled or failed: its funding no longer counts against the year."""
    budget = c.state(budget_ref(year))
    if budget:
        listed = Decimal(budget["listed"]) - Decimal(str(funding or "0"))
        c.save({**budget, "listed": str(listed)}, budget_ref(year))


CHECKS: dict[type, CheckFn] = {
    BudgetEnvelope.BudgetSet: budget_set,
    BudgetEnvelope.BudgetRevised: budget_revised,
}
