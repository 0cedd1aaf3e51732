"""The base of every aggregate: each event carries its audit metadata (DESIGN.md §4)."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from jiebang_es.domain.values import Audit
from jiebang_es.errors import RuleViolationError


class JiebangAggregate(Aggregate):
    """An aggregate whose events all say who, what, when and why."""

    class Event(Aggregate.Event):
        audit: Audit

    class Created(Event, Aggregate.Created):
        pass


def order_violation(message: str) -> RuleViolationError:
    """R-ORDER: a step before the steps it follows (§八)."""
    return RuleViolationError("R-ORDER", message)
