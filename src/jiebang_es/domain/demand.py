"""需求 Demand: a technical need gathered by survey visit or public solicitation (§八(一))."""

from __future__ import annotations

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate, order_violation
from jiebang_es.domain.values import Audit, DemandSource, Organisation


class Demand(JiebangAggregate):
    class Collected(JiebangAggregate.Created):
        source: DemandSource
        enterprise: Organisation
        industry: str
        title: str
        description: str

    @event(Collected)
    def __init__(
        self,
        audit: Audit,
        source: DemandSource,
        enterprise: Organisation,
        industry: str,
        title: str,
        description: str,
    ) -> None:
        self.source = source
        self.enterprise = enterprise
        self.industry = industry
        self.title = title
        self.description = description
        self.challenge_id: str | None = None

    class Refined(JiebangAggregate.Event):
        challenge_id: str

    def refine(self, audit: Audit, challenge_id: str) -> None:
        """Refine this demand into a draft challenge (需求凝练)."""
        if self.challenge_id is not None:
            raise order_violation(
                f"demand {self.id} was already refined into challenge {self.challenge_id}"
            )
        self._refined(audit=audit, challenge_id=challenge_id)

    @event(Refined)
    def _refined(self, audit: Audit, challenge_id: str) -> None:
        self.challenge_id = challenge_id
