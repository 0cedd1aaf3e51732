"""A project's task contract (step 8): drafting, signatures, changes, extension, termination."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.commands import new_id_of
from api.deps import CommandDep
from api.routers.common import COMMAND_PROBLEMS
from api.routers.projects import ProjectId, on_project
from api.schemas.common import NO_NUL, BackdatedIn, CommandIn, ReceiptOut
from api.schemas.projects import ContractChangeIn, DraftContractIn, ExtendIn

router = APIRouter(prefix="/v1/projects", tags=["projects"])


@router.post("/{project_id}/contract/draft", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def draft_contract(project_id: ProjectId, body: DraftContractIn, ctx: CommandDep) -> JSONResponse:
    """The bureau drafts the task contract's terms for the three parties to sign."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.draft_contract(
            ctx.principal.actor, str(project_id), terms=body.terms.value(), meta=meta
        ),
    )


@router.post("/{project_id}/contract/sign", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def sign_contract(project_id: ProjectId, body: BackdatedIn, ctx: CommandDep) -> JSONResponse:
    """Sign the drafted contract; the third signature records Contracted."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.sign_contract(ctx.principal.actor, str(project_id), meta=meta),
    )


@router.post(
    "/{project_id}/contract/changes",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def propose_contract_change(
    project_id: ProjectId, body: ContractChangeIn, ctx: CommandDep
) -> JSONResponse:
    """Propose new terms; bureau and end user both approve. The answer names ``change_id``."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.propose_contract_change(
            ctx.principal.actor, str(project_id), terms=body.terms.value(), meta=meta
        ),
        created="/v1/projects",
        details=new_id_of("ContractChangeProposed", "change_id"),
    )


@router.post(
    "/{project_id}/contract/changes/{change_id}/approve",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def approve_contract_change(
    project_id: ProjectId,
    change_id: Annotated[str, Path(max_length=64, pattern=NO_NUL)],
    body: CommandIn,
    ctx: CommandDep,
) -> JSONResponse:
    """The bureau's or the end user's approval; with both, the contract is amended."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.approve_contract_change(
            ctx.principal.actor, str(project_id), change_id=change_id, meta=meta
        ),
    )


@router.post("/{project_id}/extend", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def extend(project_id: ProjectId, body: ExtendIn, ctx: CommandDep) -> JSONResponse:
    """Extend the period after an expert argumentation, within the category's maximum."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.extend(
            ctx.principal.actor,
            str(project_id),
            extra_months=body.extra_months,
            opinions=[(o.expert_id, o.opinion) for o in body.opinions],
            exception_reason=body.exception_reason,
            meta=meta,
        ),
    )


@router.post("/{project_id}/terminate", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def terminate(project_id: ProjectId, body: CommandIn, ctx: CommandDep) -> JSONResponse:
    """Terminate a project; the reason is mandatory."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.terminate(ctx.principal.actor, str(project_id), meta=meta),
    )
