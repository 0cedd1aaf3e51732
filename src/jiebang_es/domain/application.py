"""揭榜申请 Application: one solver's application to one challenge, and its review.

Each application is its own aggregate so that many solvers applying near the deadline never
conflict on the challenge's version (DESIGN.md §1).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

from eventsourcing.domain import event

from jiebang_es.domain import rules
from jiebang_es.domain.base import JiebangAggregate, order_violation
from jiebang_es.domain.personal import PersonalText
from jiebang_es.domain.values import ApplicantUnit, Audit, CreditStatus, ScoreRef
from jiebang_es.errors import InvalidValueError, RuleViolationError


class ApplicationStatus(Enum):
    APPLIED = "applied"
    WITHDRAWN = "withdrawn"


def check_units(
    lead: ApplicantUnit, participants: tuple[ApplicantUnit, ...], end_user_code: str
) -> None:
    """R-EU-NOT-SOLVER and R-CREDIT over the lead and every participating unit."""
    for unit in (lead, *participants):
        code = unit.organisation.credit_code
        if code == end_user_code:
            role = "lead" if unit is lead else "participating"
            raise RuleViolationError(
                "R-EU-NOT-SOLVER",
                f"{unit.organisation.name} ({code}) is the challenge's end user and cannot be a "
                f"{role} unit of an application to it (最终用户不能作为揭榜单位)",
            )
        if unit.credit_status is CreditStatus.SERIOUSLY_DISHONEST:
            raise RuleViolationError(
                "R-CREDIT",
                f"{unit.organisation.name} ({code}) is recorded as seriously dishonest "
                "(严重失信); lead and participating units must have good social credit",
            )
    codes = [u.organisation.credit_code for u in (lead, *participants)]
    if len(set(codes)) != len(codes):
        raise InvalidValueError("participants", "a unit is named twice in the application")


class Application(JiebangAggregate):
    class Applied(JiebangAggregate.Created):
        challenge_id: str
        lead: ApplicantUnit
        participants: tuple[ApplicantUnit, ...]
        leader_name: PersonalText  # personal information: the project leader's name
        technical_plan: str
        ip_declaration: bool
        budget: Decimal
        period_months: int

    @event(Applied)
    def __init__(
        self,
        audit: Audit,
        challenge_id: str,
        lead: ApplicantUnit,
        participants: tuple[ApplicantUnit, ...],
        leader_name: PersonalText,
        technical_plan: str,
        ip_declaration: bool,
        budget: Decimal,
        period_months: int,
    ) -> None:
        self.challenge_id = challenge_id
        self.lead = lead
        self.participants = tuple(participants)
        self.leader_name = leader_name
        self.technical_plan = technical_plan
        self.ip_declaration = ip_declaration
        self.budget = budget
        self.period_months = period_months
        self.status = ApplicationStatus.APPLIED
        self.cleared: tuple[str, ...] = ()  # experts who declared no conflict
        self.recused: tuple[str, ...] = ()
        self.scores: tuple[ScoreRef, ...] = ()

    def unit_codes(self) -> set[str]:
        return {u.organisation.credit_code for u in (self.lead, *self.participants)}

    class Withdrawn(JiebangAggregate.Event):
        pass

    def withdraw(self, audit: Audit, window_open: bool) -> None:
        if self.status is not ApplicationStatus.APPLIED:
            raise order_violation("the application was already withdrawn")
        if not window_open:
            raise order_violation("an application is withdrawn while the window is open")
        self._withdrawn(audit=audit)

    @event(Withdrawn)
    def _withdrawn(self, audit: Audit) -> None:
        self.status = ApplicationStatus.WITHDRAWN

    # ---- conflicts of interest (R-CONFLICT) ----------------------------------------------
    class NoConflictDeclared(JiebangAggregate.Event):
        expert_id: str
        statement: str

    class ExpertRecused(JiebangAggregate.Event):
        expert_id: str
        grounds: str

    def declare(
        self, audit: Audit, expert_id: str, expert_org: str, conflict: bool, statement: str
    ) -> None:
        """An expert's declaration: recused if declared or if from an applicant unit."""
        if self.status is not ApplicationStatus.APPLIED:
            raise order_violation("a withdrawn application is not reviewed")
        if expert_id in self.recused or expert_id in self.cleared:
            raise RuleViolationError("R-CONFLICT", f"expert {expert_id} has already declared")
        if expert_org in self.unit_codes():
            grounds = f"the expert's organisation {expert_org} is a unit of this application"
            if statement.strip():
                grounds += f"; {statement}"
            self._expert_recused(audit=audit, expert_id=expert_id, grounds=grounds)
        elif conflict:
            rules.require_text(statement, "R-CONFLICT", "a declared conflict's grounds")
            self._expert_recused(audit=audit, expert_id=expert_id, grounds=statement)
        else:
            self._no_conflict_declared(audit=audit, expert_id=expert_id, statement=statement)

    @event(NoConflictDeclared)
    def _no_conflict_declared(self, audit: Audit, expert_id: str, statement: str) -> None:
        self.cleared = (*self.cleared, expert_id)

    @event(ExpertRecused)
    def _expert_recused(self, audit: Audit, expert_id: str, grounds: str) -> None:
        self.recused = (*self.recused, expert_id)

    # ---- scores ----------------------------------------------------------------------------
    class Scored(JiebangAggregate.Event):
        class_version = 2
        expert_id: str
        score: Decimal
        opinion: str
        recommended: bool | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # The first build asked for no recommendation: the expert did not say.
            state.setdefault("recommended", None)

    def score(
        self,
        audit: Audit,
        expert_id: str,
        expert_org: str,
        score: Decimal,
        opinion: str,
        recommended: bool | None = None,
    ) -> None:
        if self.status is not ApplicationStatus.APPLIED:
            raise order_violation("a withdrawn application is not reviewed")
        if expert_id in self.recused or expert_org in self.unit_codes():
            raise RuleViolationError(
                "R-CONFLICT",
                f"expert {expert_id} is recused from this application and takes no part in "
                "reviewing it",
            )
        if expert_id not in self.cleared:
            raise RuleViolationError(
                "R-CONFLICT", f"expert {expert_id} must declare no conflict of interest first"
            )
        if any(s.expert_id == expert_id for s in self.scores):
            raise order_violation(f"expert {expert_id} has already scored this application")
        if not Decimal(0) <= score <= Decimal(100):
            raise InvalidValueError("score", "a score is between 0 and 100")
        rules.require_text(opinion, "R-SELECT-EU", "the expert's written opinion")
        self._scored(
            audit=audit,
            expert_id=expert_id,
            score=score,
            opinion=opinion,
            recommended=recommended,
        )

    @event(Scored)
    def _scored(
        self,
        audit: Audit,
        expert_id: str,
        score: Decimal,
        opinion: str,
        recommended: bool | None = None,
    ) -> None:
        self.scores = (
            *self.scores,
            ScoreRef(
                expert_id=expert_id,
                score=score,
                opinion=opinion,
                event_version=self.version + 1,
                recommended=recommended,
            ),
        )

    def effective_reviewers(self, panel: set[str], absent: Iterable[str] = ()) -> set[str]:
        """R-REVIEW-PANEL per application: the confirmed panel's members not recused from it
        and not absent (an absent member's score, given before the absence, stands)."""
        scored = {s.expert_id for s in self.scores}
        gone = set(absent) - scored
        return panel - set(self.recused) - gone

    def is_reviewed_by(self, panel: set[str], absent: Iterable[str] = ()) -> bool:
        """Reviewed: every effective reviewer has scored it, and at least one has."""
        scored = {s.expert_id for s in self.scores}
        expected = self.effective_reviewers(panel, absent)
        return bool(expected) and expected <= scored

    def mean_score(self) -> Decimal | None:
        """R-SELECT-REASON's ranking: the mean of the scores on record, exact to 0.01."""
        if not self.scores:
            return None
        total = sum((s.score for s in self.scores), Decimal(0))
        return (total / len(self.scores)).quantize(Decimal("0.01"))

    def advised_against(self) -> bool:
        """Most experts who scored it advised against it (不推荐): more than half."""
        against = sum(1 for s in self.scores if s.recommended is False)
        return against * 2 > len(self.scores)
