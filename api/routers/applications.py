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
from api.schemas.lists import Cursor, Limit
from api.schemas.reviews import (
    ApplicationOut,
    ApplicationPage,
    ApplyIn,
    DeclareConflictIn,
    ScoreIn,
)
from api.visibility import (
    SEES_EVERYTHING,
    application_for,
    challenge_for,
    expert_id_of,
    reviews_visible,
    scores_visible,
)
from jiebang_es.domain.values import Role
from jiebang_es.errors import NotFoundError
from projections.paging import decode_cursor, encode_cursor

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
    "/v1/challenges/{challenge_id}/applications",
    response_model=ApplicationPage,
    responses=READ_PROBLEMS,
    dependencies=[StoreRead],
)
def list_applications(
    challenge_id: Annotated[UUID, Path()],
    app: AppDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ApplicationPage:
    """A challenge's applications, for the bureau (and supervisors, analysts) and the
    challenge's own end user; scores with each expert's recommendation and the mean."""
    c = challenge_for(app, principal, str(challenge_id))
    own_end_user = principal.role is Role.END_USER and principal.org == c.end_user.credit_code
    if principal.role not in SEES_EVERYTHING and not own_end_user:
        raise NotFoundError("applications of challenge", challenge_id)
    items, after = app.application_page(str(challenge_id), after=decode_cursor(cursor), limit=limit)
    visible = reviews_visible(principal, c)
    return ApplicationPage(
        items=[
            ApplicationOut.of(a, reviews_visible=visible, scores_visible=visible) for a in items
        ],
        next_cursor=None if after is None else encode_cursor(after),
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
            recommend=body.recommend,
            meta=meta,
        ),
        reason=body.reason,
    )
