"""What the read functions return: typed, frozen views of read-model rows.

Money is ``Decimal`` yuan; times are ISO 8601 text in China time, as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class ChallengeSummary:
    challenge_id: str
    name: str
    status: str
    industry: str
    category: str
    year: int | None
    end_user_code: str
    end_user_name: str
    funding: Decimal | None
    period_months: int | None
    scope: str | None
    classified: bool
    window_opens: str | None
    window_closes: str | None
    current_step: int
    step_name: str
    project_id: str | None
    drafted_at: str
    updated_at: str
    updated_position: int


@dataclass(frozen=True)
class DemandSummary:
    demand_id: str
    status: str
    source: str
    industry: str
    title: str
    end_user_code: str
    end_user_name: str
    challenge_id: str | None
    collected_at: str
    updated_position: int


@dataclass(frozen=True)
class PublicChallenge:
    challenge_id: str
    name: str
    industry: str
    category: str
    year: int | None
    end_user_name: str
    funding: Decimal | None
    period_months: int | None
    solver_conditions: str
    guide: str
    window_opens: str
    window_closes: str
    published_at: str
    status: str


@dataclass(frozen=True)
class PublicNotice:
    project_id: str
    challenge_id: str | None  # None when the challenge was published to a restricted range
    challenge_name: str | None
    industry: str | None
    category: str | None
    solver_name: str | None
    starts_on: str
    ends_on: str
    status: str
    # R-PUBLICITY (v2): None on notices recorded by the first release, which kept no text; for
    # a restricted challenge the funding and period are withheld (None).
    project_title: str | None = None
    restricted: bool | None = None
    end_user_name: str | None = None
    funding: Decimal | None = None
    period_months: int | None = None
    project_leader: str | None = None
    objection_channel: str | None = None
    district_number: str | None = None  # 区级科研项目编号, once it passed the notice


@dataclass(frozen=True)
class Expert:
    expert_id: str
    person_id: str
    name: str
    org_code: str
    org_name: str
    kind: str
    speciality: str


@dataclass(frozen=True)
class PanelMember:
    expert_id: str
    kind: str
    opinion: str | None


@dataclass(frozen=True)
class Panel:
    challenge_id: str
    panel: str  # "argumentation" or "review"
    round: int
    size: int
    confirmed_by: tuple[str, ...]
    effective: bool
    conclusion: str | None
    exceptions: int
    formed_at: str
    members: tuple[PanelMember, ...]
    by_kind: dict[str, int]


@dataclass(frozen=True)
class Recusal:
    application_id: str
    expert_id: str
    challenge_id: str | None
    grounds: str
    recorded_at: str


@dataclass(frozen=True)
class Milestone:
    milestone: str
    due_month: int
    deliverable: str
    reported_at: str | None
    verdict: str | None
    remarks: str | None
    assessed_at: str | None
    rectified_at: str | None = None  # a failed milestone's rectification passed (整改)


@dataclass(frozen=True)
class StepDays:
    step: str
    entered_at: str
    left_at: str | None
    days: int | None


@dataclass(frozen=True)
class ProjectSummary:
    project_id: str
    challenge_id: str
    application_id: str
    year: int | None
    industry: str
    category: str
    classified: bool
    end_user_code: str
    solver_code: str
    solver_name: str | None
    status: str
    funding: Decimal
    contracted: Decimal | None
    disbursed: Decimal
    period_months: int
    contracted_on: str | None
    verdict: str | None
    selected_at: str
    updated_at: str
    district_number: str | None = None
    co_investment_committed: Decimal | None = None  # the contract's, beside the funding
    co_investment_reported: Decimal | None = None  # what the end user reported (R-EU-COMMIT)


@dataclass(frozen=True)
class ProjectDetail:
    project: ProjectSummary
    milestones: tuple[Milestone, ...] = ()
    steps: tuple[StepDays, ...] = ()


@dataclass(frozen=True)
class Disbursement:
    position: int
    project_id: str
    amount: Decimal
    paid_on: str
    year: int
    industry: str | None
    category: str | None
    purpose: str
    actor_id: str
    project_total: Decimal
    recorded_at: str


@dataclass(frozen=True)
class FundingTotal:
    dimension: str  # "year", "industry" or "category"
    value: str
    disbursed: Decimal
    payments: int


@dataclass(frozen=True)
class AuditEntry:
    position: int
    aggregate_type: str
    aggregate_id: str
    version: int
    event_type: str
    actor_id: str | None
    role: str | None
    org_code: str | None
    reason: str | None
    effective_at: str | None
    recorded_at: str | None
    request_id: str | None
    correlation_id: str | None
    causation_id: str | None
    exceptions: list[dict[str, str]] = field(default_factory=list)
