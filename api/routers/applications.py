"""Applications (揭榜申请): applying, withdrawing, experts' declarations and scores."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.common import CommandIn, ReceiptOut
from api.schemas.reviews import ApplicationOut, ApplyIn, DeclareConflictIn, ScoreIn
from api.visibility import (
    application_for,
    challenge_for,
    expert_id_of,
    reviews_visible,
    scores_visible,
)

router = APIRouter(tags=["applications"])
ApplicationId = Annotated[UUID, Path(description="the application's id")]


@router.post(
    "/v1/challenges/{challenge_id}/applications",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def apply(challenge_id: Annotated[UUID, Path()], body: ApplyIn, ctx: CommandDep) -> JSONResponse:
    """Apply to a published challenge as the lead unit's own staff (Applied)."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.apply(
            ctx.principal.actor,
            str(challenge_id),
            lead=body.lead.value(),
            participants=[p.value() for p in body.participants],
            leader_name=body.leader_name,
            technical_plan=body.technical_plan,
            ip_declaration=body.ip_declaration,
            budget=body.budget,
            period_months=body.period_months,
            meta=meta,
        ),
        reason=body.reason,
        created="/v1/applications",
    )


@router.get(
    "/v1/applications/{application_id}",
    response_model=ApplicationOut,
    responses=READ_PROBLEMS,
    dependencies=[StoreRead],
)
def get_application(
    application_id: ApplicationId, app: AppDep, principal: PrincipalDep, response: Response
) -> ApplicationOut:
    """An application: its own units, the challenge's end user, the panel and the bureau see it;
    applicants see declarations and scores only after the selection, an expert the others'
    scores only after his own."""
    a, c = application_for(app, principal, str(application_id))
    tag(response, a.version)
    return ApplicationOut.of(
        a,
        reviews_visible=reviews_visible(principal, c),
        scores_visible=scores_visible(principal, c, a),
    )


@router.post(
    "/v1/applications/{application_id}/withdraw",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def withdraw(application_id: ApplicationId, body: CommandIn, ctx: CommandDep) -> JSONResponse:
    """The lead unit withdraws its application while the window is open (Withdrawn)."""
    application_for(ctx.app, ctx.principal, str(application_id))
    return execute(
        ctx,
        lambda meta: ctx.app.withdraw(ctx.principal.actor, str(application_id), meta=meta),
        reason=body.reason,
    )


@router.post(
    "/v1/applications/{application_id}/conflict-declaration",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def declare_conflict(
    application_id: ApplicationId, body: DeclareConflictIn, ctx: CommandDep
) -> JSONResponse:
    """The calling panel expert declares a conflict (recusal) or none (R-CONFLICT)."""
    application_for(ctx.app, ctx.principal, str(application_id))
    return execute(
        ctx,
        lambda meta: ctx.app.declare_conflict(
            ctx.principal.actor,
            str(application_id),
            expert_id=expert_id_of(ctx.principal),
            conflict=body.conflict,
            statement=body.statement,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.post(
    "/v1/applications/{application_id}/score",
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def score(application_id: ApplicationId, body: ScoreIn, ctx: CommandDep) -> JSONResponse:
    """The calling panel expert's score (0–100) and opinion, after declaring no conflict."""
    application_for(ctx.app, ctx.principal, str(application_id))
    return execute(
        ctx,
        lambda meta: ctx.app.score(
            ctx.principal.actor,
            str(application_id),
            expert_id=expert_id_of(ctx.principal),
            score=body.score,
            opinion=body.opinion,
            meta=meta,
        ),
        reason=body.reason,
    )
