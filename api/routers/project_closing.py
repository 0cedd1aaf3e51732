"""A project's payments and closing (v2): the payment schedule, rectification of a failed
milestone, the end user's reported co-investment and the bureau's acceptance (验收/结题)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.routers.project_delivery import MilestoneName
from api.routers.projects import ProjectId, on_project
from api.schemas.common import ReceiptOut
from api.schemas.projects import (
    AcceptIn,
    CoInvestmentIn,
    PaymentScheduleOut,
    RectificationAssessmentIn,
    RectificationReportIn,
)
from api.visibility import SEES_EVERYTHING, project_for
from jiebang_es.domain.values import Role
from jiebang_es.errors import NotFoundError

router = APIRouter(prefix="/v1/projects", tags=["projects"])


@router.get(
    "/{project_id}/payment-schedule",
    response_model=PaymentScheduleOut,
    responses=READ_PROBLEMS,
    dependencies=[StoreRead],
)
def payment_schedule(
    project_id: ProjectId, app: AppDep, principal: PrincipalDep, response: Response
) -> PaymentScheduleOut:
    """The contract's tranches, what has fallen due, what is paid and what may be paid now
    (R-DISBURSE, R-MILESTONE)."""
    p = project_for(app, principal, str(project_id))
    # Payments are the parties' and the supervisors' business, not the public's (R-SCOPE keeps
    # a restricted challenge's funding inside its range): anyone else finds no schedule.
    party = (principal.role, principal.org) in (
        (Role.END_USER, p.end_user_code),
        (Role.APPLICANT, p.solver_code),
    )
    if not party and principal.role not in SEES_EVERYTHING:
        raise NotFoundError("payment schedule", str(project_id))
    tag(response, p.version)
    return PaymentScheduleOut.of(p)


@router.post(
    "/{project_id}/milestones/{milestone}/rectification",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def report_rectification(
    project_id: ProjectId, milestone: MilestoneName, body: RectificationReportIn, ctx: CommandDep
) -> JSONResponse:
    """The solver reports the rectification (整改) of a failed milestone (RectificationReported)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.report_rectification(
            ctx.principal.actor, str(project_id), milestone=milestone, report=body.report, meta=meta
        ),
        created="/v1/projects",
    )


@router.post(
    "/{project_id}/milestones/{milestone}/rectification/assess",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def assess_rectification(
    project_id: ProjectId,
    milestone: MilestoneName,
    body: RectificationAssessmentIn,
    ctx: CommandDep,
) -> JSONResponse:
    """The end user assesses a rectification; a pass clears the failed milestone
    (RectificationAssessed)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.assess_rectification(
            ctx.principal.actor,
            str(project_id),
            milestone=milestone,
            verdict=body.verdict,
            remarks=body.remarks,
            meta=meta,
        ),
    )


@router.post(
    "/{project_id}/co-investments",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def report_co_investment(
    project_id: ProjectId, body: CoInvestmentIn, ctx: CommandDep
) -> JSONResponse:
    """R-EU-COMMIT: the end user reports what it actually invested (CoInvestmentReported)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.report_co_investment(
            ctx.principal.actor, str(project_id), amount=body.amount, note=body.note, meta=meta
        ),
        created="/v1/projects",
    )


@router.post("/{project_id}/accept", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def accept(project_id: ProjectId, body: AcceptIn, ctx: CommandDep) -> JSONResponse:
    """验收/结题: the bureau's acceptance on the end user's verdict closes the project
    (Accepted)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.accept(
            ctx.principal.actor,
            str(project_id),
            remarks=body.remarks,
            verdict=body.verdict,
            meta=meta,
        ),
    )
