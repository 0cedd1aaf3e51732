"""Shapes of demands, challenges, the annual list and publication."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import (
    BackdatedIn,
    CommandIn,
    Flag,
    IndicatorIO,
    MilestoneIO,
    Money,
    OpinionIn,
    OrganisationIn,
    OrganisationOut,
    Shape,
    Short,
    Text,
    money,
    plan_in,
    plan_out,
)
from api.schemas.examples import example
from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.content import ChallengeContent, content_digest
from jiebang_es.domain.demand import Demand
from jiebang_es.domain.values import (
    Category,
    Commitment,
    Conclusion,
    DemandSource,
    Scope,
)

Ids = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=200)]


class CollectDemandIn(BackdatedIn):
    """Step 1: a need gathered by survey visit or public solicitation."""

    model_config = example("demand")

    source: DemandSource
    enterprise: OrganisationIn
    industry: Short
    title: Short
    description: Text = ""
    exception_reason: Text | None = Field(
        default=None, description="R-INDUSTRY: why an industry outside the list is the district's"
    )


class DemandOut(BaseModel):
    """A collected demand."""

    id: str
    version: int
    source: DemandSource
    enterprise: OrganisationOut
    industry: str
    title: str
    description: str
    challenge_id: str | None

    @classmethod
    def of(cls, d: Demand) -> DemandOut:
        return cls(
            id=str(d.id),
            version=d.version,
            source=d.source,
            enterprise=OrganisationOut.of(d.enterprise),
            industry=d.industry,
            title=d.title,
            description=d.description,
            challenge_id=d.challenge_id,
        )


class CommitmentIO(Shape):
    """R-EU-COMMIT: the end user's own R&D investment, support, first application."""

    own_investment: Money
    support: Text
    first_application: Flag


class ContentIn(Shape):
    """A challenge's contents; a draft may leave the later fields empty (R-CONTENT)."""

    name: Short
    industry: Short
    category: Category
    chokepoint: Text
    industry_effect: Text
    indicators: Annotated[list[IndicatorIO], Field(max_length=100)] = Field(default_factory=list)
    benchmarking: Text = ""
    funding: Money | None = None
    period_months: Annotated[int, Field(ge=1, le=120)] | None = None
    milestones: Annotated[list[MilestoneIO], Field(max_length=100)] = Field(default_factory=list)
    solver_conditions: Text = ""
    scope: Scope | None = None
    recipients: Annotated[list[Short], Field(max_length=200)] = Field(
        default_factory=list,
        description="R-SCOPE: a restricted challenge's recipients, each a unified social "
        "credit code; only those units see it and may lead an application to it",
    )
    commitment: CommitmentIO | None = None
    classified: Flag = False

    def value(self) -> ChallengeContent:
        c = self.commitment
        indicators, milestones = plan_in(self.indicators, self.milestones)
        return ChallengeContent(
            name=self.name,
            industry=self.industry,
            category=self.category,
            chokepoint=self.chokepoint,
            industry_effect=self.industry_effect,
            indicators=indicators,
            benchmarking=self.benchmarking,
            funding=None if self.funding is None else Decimal(self.funding),
            period_months=self.period_months,
            milestones=milestones,
            solver_conditions=self.solver_conditions,
            scope=self.scope,
            recipients=tuple(self.recipients),
            commitment=None
            if c is None
            else Commitment(Decimal(c.own_investment), c.support, c.first_application),
            classified=self.classified,
        )


class ContentOut(BaseModel):
    """A challenge's contents; amounts as decimal strings."""

    name: str
    industry: str
    category: Category
    chokepoint: str
    industry_effect: str
    indicators: list[IndicatorIO]
    benchmarking: str
    funding: str | None
    period_months: int | None
    milestones: list[MilestoneIO]
    solver_conditions: str
    scope: Scope | None
    recipients: list[str]
    commitment: CommitmentIO | None
    classified: bool

    @classmethod
    def of(cls, c: ChallengeContent) -> ContentOut:
        commitment = c.commitment
        indicators, milestones = plan_out(c.indicators, c.milestones)
        return cls(
            name=c.name,
            industry=c.industry,
            category=c.category,
            chokepoint=c.chokepoint,
            industry_effect=c.industry_effect,
            indicators=indicators,
            benchmarking=c.benchmarking,
            funding=None if c.funding is None else money(c.funding),
            period_months=c.period_months,
            milestones=milestones,
            solver_conditions=c.solver_conditions,
            scope=c.scope,
            recipients=list(c.recipients),
            commitment=None
            if commitment is None
            else CommitmentIO(
                own_investment=money(commitment.own_investment),
                support=commitment.support,
                first_application=commitment.first_application,
            ),
            classified=c.classified,
        )


class DraftChallengeIn(CommandIn):
    """Step 2: refine collected demands into a draft challenge."""

    model_config = example("draft")

    end_user: OrganisationIn
    content: ContentIn
    demand_ids: Ids = Field(default_factory=list)
    exception_reason: Text | None = None


class ReviseDraftIn(CommandIn):
    """A revised draft (the whole contents; the industry stays)."""

    content: ContentIn
    exception_reason: Text | None = None


class ConfirmDraftIn(CommandIn):
    """R-EU-DRAFTS: the end user confirms the draft it read and its own commitment."""

    model_config = example("confirm")

    content_digest: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="the `content_digest` of the challenge as the end user read it",
    )


class ArgumentationIn(BackdatedIn):
    """Step 3: the argumentation panel's written opinions and conclusion."""

    model_config = example("argumentation")

    conclusion: Conclusion
    opinions: Annotated[list[OpinionIn], Field(max_length=50)]
    period_argued: Flag = False
    draw_id: UUID | None = Field(
        default=None,
        description="R-DRAW: the performed argumentation draw whose experts give the opinions; "
        "without it the panel is named by hand and needs exception_reason",
    )
    exception_reason: Text | None = None


class AnnualListIn(BackdatedIn):
    """Step 4: the party group meeting's annual list (all or nothing)."""

    model_config = example("annual_list")

    year: Annotated[int, Field(ge=2000, le=2200)]
    meeting_date: date
    minutes_ref: Short
    challenge_ids: Ids


class PublishIn(CommandIn):
    """Step 5: publication with the application guide and window."""

    model_config = example("publish")

    guide: Text
    window_opens: AwareDatetime
    window_closes: AwareDatetime


class SelectIn(CommandIn):
    """Step 6: the end user selects the solver from the reviewed applications."""

    model_config = example("select")

    application_id: Annotated[str, Field(max_length=64)]
    note: Text = ""
    exception_reason: Text | None = Field(
        default=None,
        description="why, where the selection departs from the experts' ranking or advice "
        "(R-SELECT-REASON) or stands on fewer than five effective reviewers (R-REVIEW-PANEL)",
    )


class PanelMemberOut(BaseModel):
    """A member of the review panel and the kind of expert they are."""

    expert_id: str
    kind: str


class ChallengeOut(BaseModel):
    """A challenge as it stands; ``version`` is its ETag."""

    id: str
    version: int
    status: ChallengeStatus
    end_user: OrganisationOut
    demand_ids: list[str]
    content: ContentOut
    review_rounds: int
    year: int | None
    meeting_date: date | None
    minutes_ref: str
    guide: str
    window_opens: datetime | None
    window_closes: datetime | None
    panel: list[PanelMemberOut]
    panel_confirmed_by: list[str]
    replacements: list[PanelMemberOut] = Field(
        default_factory=list, description="experts proposed to join the confirmed panel"
    )
    replacements_confirmed: list[str] = Field(
        default_factory=list, description="the replacements both parties confirmed"
    )
    absent: list[str] = Field(default_factory=list, description="members recorded absent")
    project_id: str | None
    application_id: str | None
    content_digest: str = Field(description="R-EU-DRAFTS: what the end user confirms")
    eu_confirmed: bool = Field(description="R-EU-DRAFTS: the end user confirmed this content")

    @classmethod
    def of(cls, c: Challenge) -> ChallengeOut:
        return cls(
            id=str(c.id),
            version=c.version,
            status=c.status,
            end_user=OrganisationOut.of(c.end_user),
            demand_ids=list(c.demand_ids),
            content=ContentOut.of(c.content),
            review_rounds=c.review_rounds,
            year=c.year,
            meeting_date=c.meeting_date,
            minutes_ref=c.minutes_ref,
            guide=c.guide,
            window_opens=c.window_opens,
            window_closes=c.window_closes,
            panel=[PanelMemberOut(expert_id=m.expert_id, kind=m.kind.value) for m in c.panel],
            panel_confirmed_by=[r.value for r in c.panel_confirmed_by],
            replacements=[
                PanelMemberOut(expert_id=m.expert_id, kind=m.kind.value) for m in c.replacements
            ],
            replacements_confirmed=[
                m.expert_id for m in c.replacements if c.replacement_is_effective(m.expert_id)
            ],
            absent=list(c.absent),
            project_id=c.project_id,
            application_id=c.application_id,
            content_digest=content_digest(c.content),
            eu_confirmed=c.eu_confirmed,
        )
