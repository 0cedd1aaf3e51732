"""Shapes of the year's budget envelope (R-BUDGET) and the list of demands."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import BackdatedIn, Money, money
from api.schemas.examples import example
from jiebang_es.domain.budget import BudgetEnvelope
from projections.views import DemandSummary


class BudgetIn(BackdatedIn):
    """R-BUDGET: the programme's budget envelope for a year."""

    model_config = example("budget")

    year: int = Field(ge=2000, le=2100)
    amount: Money


class BudgetRevisionIn(BackdatedIn):
    """R-BUDGET: a revised envelope, with the reason; never below what is already listed."""

    model_config = example("budget_revision")

    amount: Money


class BudgetLineOut(BaseModel):
    challenge_id: str
    funding: str


class BudgetOut(BaseModel):
    """The year's envelope and its use; ``version`` is its ETag."""

    id: str
    version: int
    year: int
    amount: str = Field(description="the envelope, yuan")
    listed_total: str = Field(description="the funding of the challenges on the year's list")
    remaining: str
    listed: list[BudgetLineOut]

    @classmethod
    def of(cls, b: BudgetEnvelope) -> BudgetOut:
        return cls(
            id=str(b.id),
            version=b.version,
            year=b.year,
            amount=money(b.amount),
            listed_total=money(b.listed_total),
            remaining=money(b.remaining),
            listed=[
                BudgetLineOut(challenge_id=line.challenge_id, funding=money(line.funding))
                for line in b.listed
            ],
        )


class DemandPage(BaseModel):
    """Collected demands the caller may see, in the order they were collected."""

    items: list[DemandSummary]
    next_cursor: str | None
