"""A project's delivery (step 9 and after): funds, milestones, filed changes, assessment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.deps import CommandDep
from api.routers.common import COMMAND_PROBLEMS
from api.routers.projects import ProjectId, on_project
from api.schemas.common import NO_NUL, ReceiptOut
from api.schemas.projects import (
    AssessIn,
    DisburseIn,
    MilestoneAssessmentIn,
    MilestoneReportIn,
    RouteChangeIn,
)

router = APIRouter(prefix="/v1/projects", tags=["projects"])
MilestoneName = Annotated[
    str, Path(max_length=500, pattern=NO_NUL, description="the contracted milestone")
]


@router.post(
    "/{project_id}/disbursements",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def disburse(project_id: ProjectId, body: DisburseIn, ctx: CommandDep) -> JSONResponse:
    """Disburse funds under the contract, within its budget (Funded)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.disburse(
            ctx.principal.actor,
            str(project_id),
            amount=body.amount,
            purpose=body.purpose,
            paid_on=body.paid_on,
            meta=meta,
        ),
        created="/v1/projects",
    )


@router.post(
    "/{project_id}/milestones/{milestone}/report",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def report_milestone(
    project_id: ProjectId, milestone: MilestoneName, body: MilestoneReportIn, ctx: CommandDep
) -> JSONResponse:
    """The solver reports on a contracted milestone (MilestoneReported)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.report_milestone(
            ctx.principal.actor, str(project_id), milestone=milestone, report=body.report, meta=meta
        ),
    )


@router.post(
    "/{project_id}/milestones/{milestone}/assess",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def assess_milestone(
    project_id: ProjectId, milestone: MilestoneName, body: MilestoneAssessmentIn, ctx: CommandDep
) -> JSONResponse:
    """The end user assesses a reported milestone (MilestoneAssessed)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.assess_milestone(
            ctx.principal.actor,
            str(project_id),
            milestone=milestone,
            verdict=body.verdict,
            remarks=body.remarks,
            meta=meta,
        ),
    )


@router.post(
    "/{project_id}/route-changes",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def file_route_change(project_id: ProjectId, body: RouteChangeIn, ctx: CommandDep) -> JSONResponse:
    """充分授权: the solver files a change of route or team; no approval needed."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.file_route_change(
            ctx.principal.actor,
            str(project_id),
            kind=body.kind,
            description=body.description,
            meta=meta,
        ),
        created="/v1/projects",
    )


@router.post("/{project_id}/assess", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def assess(project_id: ProjectId, body: AssessIn, ctx: CommandDep) -> JSONResponse:
    """The end user's final assessment, after every milestone (Assessed)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.assess(
            ctx.principal.actor,
            str(project_id),
            verdict=body.verdict,
            remarks=body.remarks,
            meta=meta,
        ),
    )
