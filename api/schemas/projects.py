"""Shapes of projects: notice, objections, contract, funds, milestones, changes, assessment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.schemas.common import (
    BackdatedIn,
    CommandIn,
    Flag,
    Money,
    OpinionIn,
    Short,
    TermsIn,
    TermsOut,
    Text,
    money,
)
from api.schemas.examples import example
from jiebang_es.domain.project import Project, ProjectStatus
from jiebang_es.domain.values import Category, Verdict


class PublicizeIn(CommandIn):
    """The public notice, from today or a later day."""

    starts_on: date | None = Field(default=None, description="today (default) or a later day")


class ObjectionIn(CommandIn):
    """An objection during the notice; bureau staff may name an outside objector."""

    model_config = example("objection")

    grounds: Text
    objector: Short = ""


class ResolveObjectionIn(CommandIn):
    """Dismiss (false) or uphold (true) an objection; give the reason."""

    model_config = example("resolve")

    upheld: Flag


class DraftContractIn(CommandIn):
    """The task contract's terms, naming every indicator of the challenge."""

    model_config = example("contract")

    terms: TermsIn


class DisburseIn(CommandIn):
    """A payment under the contract, dated between the contract and today."""

    model_config = example("disburse")

    amount: Money
    purpose: Short
    paid_on: date | None = None


class MilestoneReportIn(BackdatedIn):
    """The solver's report on a contracted milestone."""

    report: Text


class MilestoneAssessmentIn(BackdatedIn):
    """The end user's verdict on a reported milestone."""

    verdict: Verdict
    remarks: Text = ""


class RouteChangeIn(CommandIn):
    """充分授权: a change of technical route or team, filed by the solver, no approval."""

    # project_leader and lead_unit are accepted so that the domain can say why they are refused:
    # R-AUTONOMY makes them contract changes (POST …/contract-changes), not filings.
    kind: Literal["technical_route", "team", "project_leader", "lead_unit"]
    description: Text


class ContractChangeIn(CommandIn):
    """New terms; bureau and end user both approve them."""

    terms: TermsIn


class ExtendIn(CommandIn):
    """An extension after an expert argumentation; the reason is mandatory."""

    extra_months: Annotated[int, Field(ge=1, le=60)]
    opinions: Annotated[list[OpinionIn], Field(max_length=50)]
    exception_reason: Text | None = Field(
        default=None, description="R-ARG-PANEL: why a panel short of five or of a kind suffices"
    )


class AssessIn(BackdatedIn):
    """The end user's final assessment, after every milestone."""

    model_config = example("assess")

    verdict: Verdict
    remarks: Text


class RectificationReportIn(BackdatedIn):
    """整改: the solver's report on how it remedied a failed milestone."""

    report: Text


class RectificationAssessmentIn(BackdatedIn):
    """The end user's verdict on a rectification; a pass clears the failed milestone."""

    verdict: Verdict
    remarks: Text


class AcceptIn(BackdatedIn):
    """验收/结题: the bureau's acceptance on the end user's verdict. ``verdict``, when given, must
    be the end user's: the bureau cannot reverse it."""

    remarks: Text
    verdict: Verdict | None = None


class CoInvestmentIn(BackdatedIn):
    """R-EU-COMMIT: an amount the end user actually invested since its last report."""

    amount: Money
    note: Text


class TrancheStatusOut(BaseModel):
    """A tranche of the schedule and whether its condition is met."""

    amount: str
    condition: str
    fallen_due: bool


class PaymentScheduleOut(BaseModel):
    """A project's payment schedule: what has fallen due, what is paid, what may be paid now."""

    project_id: str
    budget: str
    tranches: list[TrancheStatusOut]
    fallen_due: str
    disbursed: str
    payable_now: str
    stopped_by_failed_milestones: list[str]
    co_investment_contracted: str | None
    co_investment_reported: str

    @classmethod
    def of(cls, p: Project) -> PaymentScheduleOut:
        terms = p.terms
        tranches = () if terms is None else terms.tranches
        due = p.fallen_due()
        stopped = p.failed_milestones()
        payable = (
            Decimal("0.00") if stopped or terms is None else max(due - p.disbursed, Decimal("0.00"))
        )
        return cls(
            project_id=str(p.id),
            budget=money(Decimal("0.00") if terms is None else terms.budget),
            tranches=[
                TrancheStatusOut(
                    amount=money(t.amount),
                    condition=t.condition,
                    fallen_due=p.condition_met(t.condition),
                )
                for t in tranches
            ],
            fallen_due=money(due),
            disbursed=money(p.disbursed),
            payable_now=money(payable),
            stopped_by_failed_milestones=stopped,
            co_investment_contracted=None
            if terms is None or terms.co_investment is None
            else money(terms.co_investment),
            co_investment_reported=money(p.co_invested),
        )


class SignatureOut(BaseModel):
    """A signature of the task contract."""

    actor_id: str
    role: str
    org_code: str
    signed_on: date


class ProjectOut(BaseModel):
    """A project as it stands; ``version`` is its ETag."""

    id: str
    version: int
    status: ProjectStatus
    challenge_id: str
    application_id: str
    end_user_code: str
    solver_code: str
    category: Category
    industry: str
    funding: str
    period_months: int
    classified: bool
    notice_starts: date | None
    notice_ends: date | None
    objections: dict[str, str]
    draft_terms: TermsOut | None
    signatures: list[SignatureOut]
    terms: TermsOut | None
    contracted_on: date | None
    disbursed: str
    reports: dict[str, str]
    milestone_verdicts: dict[str, Verdict]
    pending_changes: list[str]
    extended_months: int
    verdict: Verdict | None
    district_number: str | None = Field(
        description="纳入区级科研项目管理: given when it passes the notice"
    )
    rectifications_pending: list[str]
    co_invested: str

    @classmethod
    def of(cls, p: Project) -> ProjectOut:
        return cls(
            id=str(p.id),
            version=p.version,
            status=p.status,
            challenge_id=p.challenge_id,
            application_id=p.application_id,
            end_user_code=p.end_user_code,
            solver_code=p.solver_code,
            category=p.category,
            industry=p.industry,
            funding=money(p.funding),
            period_months=p.challenge_period_months,
            classified=p.classified,
            notice_starts=p.notice_starts,
            notice_ends=p.notice_ends,
            objections=dict(p.objections),
            draft_terms=None if p.draft_terms is None else TermsOut.of(p.draft_terms),
            signatures=[
                SignatureOut(
                    actor_id=s.actor_id,
                    role=s.role.value,
                    org_code=s.org_code,
                    signed_on=s.signed_on,
                )
                for s in p.signatures
            ],
            terms=None if p.terms is None else TermsOut.of(p.terms),
            contracted_on=p.contracted_on,
            disbursed=money(p.disbursed),
            reports=dict(p.reports),
            milestone_verdicts=dict(p.milestone_verdicts),
            pending_changes=list(p.changes),
            extended_months=p.extended_months,
            verdict=p.verdict,
            district_number=p.district_number,
            rectifications_pending=list(p.rectifications),
            co_invested=money(p.co_invested),
        )
