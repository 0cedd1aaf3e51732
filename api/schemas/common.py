"""Shapes shared by every resource: money, organisations, command bodies, receipts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, field_validator

from jiebang_es.domain.personal import shown
from jiebang_es.domain.values import (
    ContractTerms,
    Indicator,
    Milestone,
    Organisation,
    Tranche,
    UnitType,
)

# Amounts travel as decimal strings: JSON numbers are floats to most clients, and R-FUND-CAP
# wants exact yuan with fen precision. The domain checks the precision and the caps.
Money = Annotated[
    str,
    Field(pattern=r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$", examples=["90000.00"], max_length=24),
]
Text = Annotated[str, Field(max_length=20000)]
Short = Annotated[str, Field(max_length=500)]
# A yes-or-no of a request: JSON's true or false only. Lax validation would take "yes", "on",
# 1 or "0" too, and a declaration (R-PLAN-IP's independent IP, a conflict of interest) is
# recorded as given: a client that sends a string has a bug worth hearing about.
Flag = Annotated[bool, Strict()]


def money(value: Decimal) -> str:
    """Yuan as a decimal string with fen precision."""
    return f"{value:.2f}"


# Text never carries NUL: the stores and the read models keep text, and NUL is not text there.
NO_NUL = r"^[^\x00]*$"


class Shape(BaseModel):
    """A request shape: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("text may not contain NUL characters")
        return value


class DocumentIn(Shape):
    """A document the step was decided on (R-EVIDENCE), uploaded first to ``/v1/documents``."""

    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="its SHA-256, hex")]
    kind: Annotated[str, Field(min_length=1, max_length=50, examples=["会议纪要"])]


class CommandIn(Shape):
    """What every command may carry: why it is done and the documents it was decided on, both
    recorded on every event."""

    reason: Text = Field(default="", description="why; mandatory for cancellations")
    documents: Annotated[list[DocumentIn], Field(max_length=50)] = Field(
        default_factory=list,
        description="R-EVIDENCE: documents by digest; type, size and name are the store's",
    )


class BackdatedIn(CommandIn):
    """A step recording a decision taken earlier (a meeting, a signature on paper)."""

    effective_at: AwareDatetime | None = Field(
        default=None, description="business time the decision took effect; not in the future"
    )


class OrganisationIn(Shape):
    """A unit, identified by its unified social credit code."""

    credit_code: Annotated[str, Field(min_length=1, max_length=40, examples=["91500106MA5U7KX2Q9"])]
    name: Short
    unit_type: UnitType
    in_district: Flag

    def value(self) -> Organisation:
        return Organisation(self.credit_code, self.name, self.unit_type, self.in_district)


class OrganisationOut(BaseModel):
    """A unit, identified by its unified social credit code."""

    credit_code: str
    name: str
    unit_type: UnitType
    in_district: bool

    @classmethod
    def of(cls, org: Organisation) -> OrganisationOut:
        return cls(
            credit_code=org.credit_code,
            name=org.name,
            unit_type=org.unit_type,
            in_district=org.in_district,
        )


class IndicatorIO(Shape):
    """An assessment indicator: measurable, with target and unit."""

    name: Short
    target: Short
    unit: Short


class MilestoneIO(Shape):
    """A key milestone: what is due by which month of the period."""

    name: Short
    due_month: Annotated[int, Field(ge=1, le=120)]
    deliverable: Short


def plan_in(
    indicators: list[IndicatorIO], milestones: list[MilestoneIO]
) -> tuple[tuple[Indicator, ...], tuple[Milestone, ...]]:
    """Indicators and milestones as the domain's values."""
    return (
        tuple(Indicator(i.name, i.target, i.unit) for i in indicators),
        tuple(Milestone(m.name, m.due_month, m.deliverable) for m in milestones),
    )


def plan_out(
    indicators: tuple[Indicator, ...], milestones: tuple[Milestone, ...]
) -> tuple[list[IndicatorIO], list[MilestoneIO]]:
    """Indicators and milestones as the API shows them."""
    return (
        [IndicatorIO(name=i.name, target=i.target, unit=i.unit) for i in indicators],
        [
            MilestoneIO(name=m.name, due_month=m.due_month, deliverable=m.deliverable)
            for m in milestones
        ],
    )


class TrancheIO(Shape):
    """One payment of the schedule: its amount and the condition on which it falls due."""

    amount: Money
    condition: Annotated[
        str,
        Field(
            max_length=40,
            pattern=r"^(signature|final_assessment|milestone:[0-9]{1,3})$",
            examples=["signature", "milestone:1", "final_assessment"],
        ),
    ]


class TermsIn(Shape):
    """A task contract's terms: indicators, milestones, budget and period; optionally the end
    user's co-investment (default: its commitment in the challenge), the payment schedule
    (default: the configured shares), the project leader and the lead unit (default: those of
    the selected application; another one is a contract change)."""

    indicators: Annotated[list[IndicatorIO], Field(max_length=100)]
    milestones: Annotated[list[MilestoneIO], Field(max_length=100)]
    budget: Money
    period_months: Annotated[int, Field(ge=1, le=120)]
    co_investment: Money | None = None
    tranches: Annotated[list[TrancheIO], Field(max_length=50)] = []
    project_leader: Short = ""
    lead_unit_code: Annotated[str, Field(max_length=40)] = ""

    def value(self) -> ContractTerms:
        indicators, milestones = plan_in(self.indicators, self.milestones)
        return ContractTerms(
            indicators=indicators,
            milestones=milestones,
            budget=Decimal(self.budget),
            period_months=self.period_months,
            co_investment=None if self.co_investment is None else Decimal(self.co_investment),
            tranches=tuple(Tranche(Decimal(t.amount), t.condition) for t in self.tranches),
            project_leader=self.project_leader,
            lead_unit_code=self.lead_unit_code,
        )


class TermsOut(BaseModel):
    """A task contract's terms."""

    indicators: list[IndicatorIO]
    milestones: list[MilestoneIO]
    budget: str
    period_months: int
    co_investment: str | None
    tranches: list[TrancheIO]
    project_leader: str
    lead_unit_code: str

    @classmethod
    def of(cls, terms: ContractTerms) -> TermsOut:
        indicators, milestones = plan_out(terms.indicators, terms.milestones)
        return cls(
            indicators=indicators,
            milestones=milestones,
            budget=money(terms.budget),
            period_months=terms.period_months,
            co_investment=None if terms.co_investment is None else money(terms.co_investment),
            tranches=[
                TrancheIO(amount=money(t.amount), condition=t.condition) for t in terms.tranches
            ],
            project_leader=shown(terms.project_leader),
            lead_unit_code=terms.lead_unit_code,
        )


class OpinionIn(Shape):
    """One expert's written opinion."""

    expert_id: Annotated[str, Field(max_length=64)]
    opinion: Text


class ReceiptOut(BaseModel):
    """What a command recorded. ``position`` can be passed back as ``min_position`` to read it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "aggregate_id": "0b9d7a6e-5c4f-4e3d-8b2a-1f0e9d8c7b6a",
                    "version": 5,
                    "position": 1042,
                    "events": ["Published"],
                    "seal": "44114f78ba6740fb2f85698c9aeaea894857b5f77dcc57cd0bcf7fae4985bc64",
                }
            ]
        }
    )

    aggregate_id: str
    version: int = Field(description="the aggregate's new version, also the ETag")
    position: int = Field(description="the log position of the last event recorded")
    events: list[str]
    seal: str | None = Field(default=None, description="tamper-evidence seal of the last event")
    objection_id: str | None = None
    change_id: str | None = None
