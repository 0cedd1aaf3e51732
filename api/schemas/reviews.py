"""Shapes of experts, review panels, applications, conflicts, scores and credit records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import (
    BackdatedIn,
    CommandIn,
    Flag,
    Money,
    OrganisationIn,
    OrganisationOut,
    Short,
    Text,
    money,
)
from api.schemas.examples import example
from jiebang_es.domain.application import Application, ApplicationStatus
from jiebang_es.domain.expert import Expert, ExpertStatus
from jiebang_es.domain.personal import shown
from jiebang_es.domain.values import ApplicantUnit, CreditStatus, ExpertKind

ExpertIds = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)]


class RegisterExpertIn(CommandIn):
    """An expert, once per person, with the kind of expert they are."""

    model_config = example("expert")

    person_id: Annotated[str, Field(min_length=1, max_length=128)]
    name: Short
    org_code: Annotated[str, Field(max_length=40)]
    org_name: Short
    kind: ExpertKind
    speciality: Short = ""
    specialities: Annotated[list[Short], Field(max_length=20)] = Field(
        default_factory=list, description="industry and field codes draws match on"
    )
    region: Short = Field(default="", description="administrative division code, e.g. 500106")


class ExpertOut(BaseModel):
    """A registered expert."""

    id: str
    version: int
    person_id: str
    name: str
    org_code: str
    org_name: str
    kind: ExpertKind
    speciality: str
    specialities: list[str]
    region: str
    status: ExpertStatus

    @classmethod
    def of(cls, e: Expert) -> ExpertOut:
        return cls(
            id=str(e.id),
            version=e.version,
            person_id=e.person_id,
            name=shown(e.name),
            org_code=e.org_code,
            org_name=e.org_name,
            kind=e.kind,
            speciality=e.speciality,
            specialities=list(e.specialities),
            region=e.region,
            status=e.status,
        )


class ProposePanelIn(CommandIn):
    """The review experts; bureau and end user both confirm them (R-PANEL-JOINT)."""

    model_config = example("panel")

    draw_id: UUID | None = Field(
        default=None,
        description="R-DRAW: the performed review draw the panel is; without it the panel is "
        "named by hand and needs exception_reason",
    )
    expert_ids: ExpertIds = Field(
        default_factory=list,
        description="with a draw: only the end user's own responsible person; without: the panel",
    )
    exception_reason: Text | None = None


class AssignmentOut(BaseModel):
    """An application the expert reviews and the expert's own step on it."""

    challenge_id: str
    challenge_name: str
    application_id: str
    lead_unit: str
    state: Literal["to_declare", "recused", "to_score", "scored", "absent"]


class AssignmentsOut(BaseModel):
    """The calling expert's assignments (no other expert's score)."""

    expert_id: str
    items: list[AssignmentOut]


class ApplyIn(CommandIn):
    """An application: the lead unit (the caller's own), partners, plan, budget, period."""

    model_config = example("apply")

    lead: OrganisationIn
    participants: Annotated[list[OrganisationIn], Field(max_length=20)] = Field(
        default_factory=list
    )
    leader_name: Short
    technical_plan: Text
    ip_declaration: Flag
    budget: Money
    period_months: Annotated[int, Field(ge=1, le=120)]


class DeclareConflictIn(CommandIn):
    """The calling expert's declaration of a conflict of interest, or of none."""

    model_config = example("declare")

    conflict: Flag
    statement: Text = ""


class ScoreIn(CommandIn):
    """The calling expert's score and written opinion, after declaring no conflict."""

    model_config = example("score")

    score: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
    opinion: Text
    recommend: Flag | None = Field(
        default=None,
        description="true: recommends the application (推荐); false: advises against it "
        "(不推荐); absent: not stated (R-SELECT-REASON)",
    )


class CreditRecordIn(BackdatedIn):
    """The bureau's finding on a unit in the national credit system, with its source."""

    org_code: Annotated[str, Field(max_length=40)]
    status: CreditStatus
    source: Short
    checked_on: date | None = Field(
        default=None,
        description="the date the credit system was checked; by default the record's business "
        "date (R-CREDIT: a check counts for JIEBANG_CREDIT_MAX_AGE_DAYS days)",
    )


class CreditOut(BaseModel):
    """The bureau's record of a unit's social credit."""

    org_code: str
    status: CreditStatus
    source: str | None = Field(default=None, description="null: the unit was never checked")
    checked_on: date | None = Field(default=None, description="the date of the latest check")


class ApplicantUnitOut(BaseModel):
    """A lead or participating unit, with the credit found when it applied."""

    organisation: OrganisationOut
    credit_status: CreditStatus


class ScoreOut(BaseModel):
    """One expert's score and opinion, with the version of its Scored event."""

    expert_id: str
    score: str
    opinion: str
    event_version: int
    recommended: bool | None = Field(
        default=None, description="recommends (true), advises against (false), not stated"
    )


class ApplicationOut(BaseModel):
    """An application. Scores are shown to applicants only once a solver is selected."""

    id: str
    version: int
    challenge_id: str
    status: ApplicationStatus
    lead: ApplicantUnitOut
    participants: list[ApplicantUnitOut]
    leader_name: str
    technical_plan: str
    ip_declaration: bool
    budget: str
    period_months: int
    cleared: list[str] | None = Field(description="experts who declared no conflict")
    recused: list[str] | None
    scores: list[ScoreOut] | None = Field(description="null where not visible to the caller")
    mean_score: str | None = Field(
        default=None,
        description="the mean of the scores, the experts' ranking (R-SELECT-REASON); null "
        "where not visible or not scored",
    )

    @classmethod
    def of(cls, a: Application, *, reviews_visible: bool, scores_visible: bool) -> ApplicationOut:
        def unit(u: ApplicantUnit) -> ApplicantUnitOut:
            return ApplicantUnitOut(
                organisation=OrganisationOut.of(u.organisation), credit_status=u.credit_status
            )

        return cls(
            id=str(a.id),
            version=a.version,
            challenge_id=a.challenge_id,
            status=a.status,
            lead=unit(a.lead),
            participants=[unit(p) for p in a.participants],
            leader_name=shown(a.leader_name),
            technical_plan=a.technical_plan,
            ip_declaration=a.ip_declaration,
            budget=money(a.budget),
            period_months=a.period_months,
            cleared=list(a.cleared) if reviews_visible else None,
            recused=list(a.recused) if reviews_visible else None,
            scores=[
                ScoreOut(
                    expert_id=s.expert_id,
                    score=str(s.score),
                    opinion=s.opinion,
                    event_version=s.event_version,
                    recommended=s.recommended,
                )
                for s in a.scores
            ]
            if scores_visible
            else None,
            mean_score=str(mean) if reviews_visible and (mean := a.mean_score()) else None,
        )


class ApplicationPage(BaseModel):
    """A challenge's applications, in the order they were made."""

    items: list[ApplicationOut]
    next_cursor: str | None


class ReplacementIn(CommandIn):
    """An expert proposed for the confirmed review panel in place of a recused or absent member
    (R-REVIEW-PANEL); ``reason`` (required) says why. Bureau and end user both confirm it."""

    model_config = example("replacement")

    expert_id: Annotated[str, Field(max_length=64)]
    replaces: Annotated[str, Field(max_length=64, description="the member it makes up for")]


class AbsenceIn(CommandIn):
    """A panel member who takes no further part in the review; ``reason`` (required) says why."""

    model_config = example("absence")

    expert_id: Annotated[str, Field(max_length=64)]
