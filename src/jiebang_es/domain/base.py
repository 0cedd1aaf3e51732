"""The base of every aggregate: each event carries its audit metadata (DESIGN.md §4), and an
aggregate's business time never runs backwards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, CanMutateAggregate, TAggregate

from jiebang_es.domain.values import Audit
from jiebang_es.errors import RuleViolationError


class JiebangAggregate(Aggregate):
    """An aggregate whose events all say who, what, when and why."""

    effective_at: datetime  # the business time of its latest event

    class Event(Aggregate.Event):
        audit: Audit

        def mutate(self, aggregate: TAggregate | None) -> TAggregate | None:
            mutated = super().mutate(aggregate)
            if mutated is not None:
                # Assignment only, so replay is deterministic: the latest business time.
                mutated.__dict__["effective_at"] = self.audit.effective_at
            return mutated

    class Created(Event, Aggregate.Created):
        pass

    def trigger_event(self, event_class: type[CanMutateAggregate[Any]], **kwargs: Any) -> None:
        # R-ORDER in business time: a step cannot take effect before the step it follows.
        # Checked when a command triggers an event, never on replay.
        audit = kwargs.get("audit")
        if isinstance(audit, Audit) and audit.effective_at < self.effective_at:
            raise order_violation(
                f"this step would take effect at {audit.effective_at:%Y-%m-%d %H:%M}, before "
                f"the previous step of {self.id} ({self.effective_at:%Y-%m-%d %H:%M})"
            )
        super().trigger_event(event_class, **kwargs)


def order_violation(message: str) -> RuleViolationError:
    """R-ORDER: a step before the steps it follows (§八)."""
    return RuleViolationError("R-ORDER", message)
