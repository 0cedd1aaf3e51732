"""Projects (项目): reading one, the public notice and objections (step 7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute, new_id_of
from api.consistency import StoreRead
from api.deps import AppDep, CommandContext, CommandDep, PrincipalDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.common import NO_NUL, BackdatedIn, CommandIn, ReceiptOut
from api.schemas.projects import ObjectionIn, ProjectOut, PublicizeIn, ResolveObjectionIn
from api.visibility import project_for
from jiebang_es.service_base import CommandMeta, Receipt

router = APIRouter(prefix="/v1/projects", tags=["projects"])
ProjectId = Annotated[UUID, Path(description="the project's id")]


def on_project(
    ctx: CommandContext,
    project_id: UUID,
    body: CommandIn,
    run: Callable[[CommandMeta], Receipt],
    **kwargs: Any,
) -> JSONResponse:
    """A command on a project the caller may see (404 otherwise, e.g. classified)."""
    project_for(ctx.app, ctx.principal, str(project_id))
    effective_at = body.effective_at if isinstance(body, BackdatedIn) else None
    return execute(ctx, run, reason=body.reason, effective_at=effective_at, **kwargs)


@router.get(
    "/{project_id}", response_model=ProjectOut, responses=READ_PROBLEMS, dependencies=[StoreRead]
)
def get_project(
    project_id: ProjectId, app: AppDep, principal: PrincipalDep, response: Response
) -> ProjectOut:
    """A project (404 where it is classified and the caller is not one of its parties)."""
    p = project_for(app, principal, str(project_id))
    tag(response, p.version)
    return ProjectOut.of(p)


@router.post("/{project_id}/publicize", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def publicize(project_id: ProjectId, body: PublicizeIn, ctx: CommandDep) -> JSONResponse:
    """Publicize the selection for N working days (Publicized)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.publicize(
            ctx.principal.actor, str(project_id), starts_on=body.starts_on, meta=meta
        ),
    )


@router.post(
    "/{project_id}/objections",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def lodge_objection(project_id: ProjectId, body: ObjectionIn, ctx: CommandDep) -> JSONResponse:
    """Lodge an objection during the notice; the answer names its ``objection_id``."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.lodge_objection(
            ctx.principal.actor,
            str(project_id),
            grounds=body.grounds,
            objector=body.objector,
            meta=meta,
        ),
        created="/v1/projects",
        details=new_id_of("ObjectionLodged", "objection_id"),
    )


@router.post(
    "/{project_id}/objections/{objection_id}/resolve",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def resolve_objection(
    project_id: ProjectId,
    objection_id: Annotated[str, Path(max_length=64, pattern=NO_NUL)],
    body: ResolveObjectionIn,
    ctx: CommandDep,
) -> JSONResponse:
    """Dismiss or uphold an objection; upholding revokes the selection (R-OBJECTION)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.resolve_objection(
            ctx.principal.actor,
            str(project_id),
            objection_id=objection_id,
            upheld=body.upheld,
            meta=meta,
        ),
    )


@router.post("/{project_id}/close-notice", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def close_notice(project_id: ProjectId, body: CommandIn, ctx: CommandDep) -> JSONResponse:
    """Close the notice: the project enters district-level management (NoticeClosed)."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.close_notice(ctx.principal.actor, str(project_id), meta=meta),
    )


@router.post("/{project_id}/waive-notice", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def waive_notice(project_id: ProjectId, body: CommandIn, ctx: CommandDep) -> JSONResponse:
    """A classified project enters management without a notice; the reason is recorded."""
    return on_project(
        ctx,
        project_id,
        body,
        lambda meta: ctx.app.waive_notice(ctx.principal.actor, str(project_id), meta=meta),
    )
