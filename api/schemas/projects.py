"""Shapes of projects: notice, objections, contract, funds, milestones, changes, assessment."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.schemas.common import (
    BackdatedIn,
    CommandIn,
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

    upheld: bool


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

    kind: Literal["technical_route", "team"]
    description: Text


class ContractChangeIn(CommandIn):
    """New terms; bureau and end user both approve them."""

    terms: TermsIn


class ExtendIn(CommandIn):
    """An extension after an expert argumentation; the reason is mandatory."""

    extra_months: Annotated[int, Field(ge=1, le=60)]
    opinions: Annotated[list[OpinionIn], Field(max_length=50)]


class AssessIn(BackdatedIn):
    """The end user's final assessment, after every milestone."""

    model_config = example("assess")

    verdict: Verdict
    remarks: Text


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
        )
