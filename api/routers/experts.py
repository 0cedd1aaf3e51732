"""Experts (专家) and review panels: registration, the panel's proposal and joint confirmation."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep, require_roles
from api.reads import ReadsDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.common import CommandIn, ReceiptOut
from api.schemas.lists import Cursor, ExpertPage, Limit
from api.schemas.reviews import (
    AssignmentOut,
    AssignmentsOut,
    ExpertOut,
    ProposePanelIn,
    RegisterExpertIn,
)
from api.visibility import challenge_for
from jiebang_es.domain.values import ExpertKind, Role
from jiebang_es.errors import NotFoundError
from projections import queries

router = APIRouter(tags=["experts and panels"])


@router.post("/v1/experts", status_code=201, response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def register_expert(body: RegisterExpertIn, ctx: CommandDep) -> JSONResponse:
    """Register an expert (once per person) with the kind of expert they are (Registered)."""
    return execute(
        ctx,
        lambda meta: ctx.app.register_expert(
            ctx.principal.actor,
            person_id=body.person_id,
            name=body.name,
            org_code=body.org_code,
            org_name=body.org_name,
            kind=body.kind,
            speciality=body.speciality,
            specialities=body.specialities,
            region=body.region,
            meta=meta,
        ),
        reason=body.reason,
        created="/v1/experts",
    )


# Who forms panels (the bureau with the end user) and who oversees them: they read the pool.
POOL_READERS = (Role.BUREAU, Role.END_USER, Role.SUPERVISOR, Role.ANALYST)


@router.get(
    "/v1/experts",
    response_model=ExpertPage,
    responses=READ_PROBLEMS,
    dependencies=[Depends(require_roles(*POOL_READERS))],
)
def list_experts(
    reads: ReadsDep, kind: ExpertKind | None = None, cursor: Cursor = None, limit: Limit = 50
) -> ExpertPage:
    """Registered experts, optionally of one kind (for forming panels)."""
    page = queries.list_experts(
        reads, kind=None if kind is None else kind.value, cursor=cursor, limit=limit
    )
    return ExpertPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/v1/experts/me/assignments",
    response_model=AssignmentsOut,
    responses=READ_PROBLEMS,
    dependencies=[StoreRead, Depends(require_roles(Role.EXPERT))],
)
def expert_assignments(app: AppDep, principal: PrincipalDep) -> AssignmentsOut:
    """The applications assigned to the calling expert, with its own step on each (declare,
    score, recused, scored); other experts' scores are not shown."""
    expert = app.expert_of_person(principal.actor.id)
    return AssignmentsOut(
        expert_id=str(expert.id),
        items=[AssignmentOut(**vars(a)) for a in app.expert_assignments(str(expert.id))],
    )


@router.get(
    "/v1/experts/{expert_id}",
    response_model=ExpertOut,
    responses=READ_PROBLEMS,
    dependencies=[StoreRead, Depends(require_roles(*POOL_READERS, Role.EXPERT))],
)
def get_expert(
    expert_id: Annotated[UUID, Path()],
    app: AppDep,
    principal: PrincipalDep,
    response: Response,
) -> ExpertOut:
    """An expert as registered: for those who read the pool, and for the expert themself (any
    other expert: 404). An expert's id is in public draw records; their name and unit are not."""
    e = app.expert(str(expert_id))
    if principal.role is Role.EXPERT and e.person_id != principal.actor.id:
        raise NotFoundError("expert", str(expert_id))
    tag(response, e.version)
    return ExpertOut.of(e)


@router.post(
    "/v1/challenges/{challenge_id}/review-panel",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def propose_review_panel(
    challenge_id: Annotated[UUID, Path()], body: ProposePanelIn, ctx: CommandDep
) -> JSONResponse:
    """Propose the review panel; it takes effect when bureau and end user both confirm it."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.propose_review_panel(
            ctx.principal.actor,
            str(challenge_id),
            draw_id=None if body.draw_id is None else str(body.draw_id),
            expert_ids=body.expert_ids,
            exception_reason=body.exception_reason,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.post(
    "/v1/challenges/{challenge_id}/review-panel/confirm",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def confirm_review_panel(
    challenge_id: Annotated[UUID, Path()], body: CommandIn, ctx: CommandDep
) -> JSONResponse:
    """The bureau's or the end user's confirmation of the proposed panel."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.confirm_review_panel(
            ctx.principal.actor, str(challenge_id), meta=meta
        ),
        reason=body.reason,
    )
