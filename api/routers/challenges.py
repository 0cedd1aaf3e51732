"""Challenges (榜单): drafting, argumentation, publication, selection, failure, cancellation."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.challenges import (
    ArgumentationIn,
    ChallengeOut,
    ConfirmDraftIn,
    DraftChallengeIn,
    PublishIn,
    ReviseDraftIn,
    SelectIn,
)
from api.schemas.common import CommandIn, ReceiptOut
from api.visibility import challenge_for

router = APIRouter(prefix="/v1/challenges", tags=["challenges"])
ChallengeId = Annotated[UUID, Path(description="the challenge's id")]


@router.post("", status_code=201, response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def draft_challenge(body: DraftChallengeIn, ctx: CommandDep) -> JSONResponse:
    """Refine collected demands into a draft challenge (Drafted)."""
    return execute(
        ctx,
        lambda meta: ctx.app.draft_challenge(
            ctx.principal.actor,
            end_user=body.end_user.value(),
            content=body.content.value(),
            demand_ids=body.demand_ids,
            exception_reason=body.exception_reason,
            meta=meta,
        ),
        reason=body.reason,
        created="/v1/challenges",
    )


@router.get(
    "/{challenge_id}",
    response_model=ChallengeOut,
    responses=READ_PROBLEMS,
    dependencies=[StoreRead],
)
def get_challenge(
    challenge_id: ChallengeId, app: AppDep, principal: PrincipalDep, response: Response
) -> ChallengeOut:
    """A challenge as it stands (404 where it is restricted and not for the caller)."""
    c = challenge_for(app, principal, str(challenge_id))
    tag(response, c.version)
    return ChallengeOut.of(c)


@router.post("/{challenge_id}/revise", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def revise_draft(challenge_id: ChallengeId, body: ReviseDraftIn, ctx: CommandDep) -> JSONResponse:
    """Revise a draft; the revision references the version it replaces."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.revise_draft(
            ctx.principal.actor,
            str(challenge_id),
            content=body.content.value(),
            exception_reason=body.exception_reason,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.post("/{challenge_id}/confirm", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def confirm_draft(challenge_id: ChallengeId, body: ConfirmDraftIn, ctx: CommandDep) -> JSONResponse:
    """The end user confirms the draft it read and its own commitment (EndUserConfirmed)."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.confirm_draft(
            ctx.principal.actor, str(challenge_id), content_digest=body.content_digest, meta=meta
        ),
        reason=body.reason,
    )


@router.post("/{challenge_id}/argumentation", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def record_argumentation(
    challenge_id: ChallengeId, body: ArgumentationIn, ctx: CommandDep
) -> JSONResponse:
    """Record the argumentation panel's opinions and conclusion (Reviewed)."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.record_argumentation(
            ctx.principal.actor,
            str(challenge_id),
            conclusion=body.conclusion,
            opinions=[(o.expert_id, o.opinion) for o in body.opinions],
            period_argued=body.period_argued,
            draw_id=None if body.draw_id is None else str(body.draw_id),
            exception_reason=body.exception_reason,
            meta=meta,
        ),
        reason=body.reason,
        effective_at=body.effective_at,
    )


@router.post("/{challenge_id}/publish", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def publish(challenge_id: ChallengeId, body: PublishIn, ctx: CommandDep) -> JSONResponse:
    """Publish a listed challenge with its guide and application window (Published)."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.publish(
            ctx.principal.actor,
            str(challenge_id),
            guide=body.guide,
            window_opens=body.window_opens,
            window_closes=body.window_closes,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.post(
    "/{challenge_id}/select", status_code=201, response_model=ReceiptOut, responses=COMMAND_PROBLEMS
)
def select(challenge_id: ChallengeId, body: SelectIn, ctx: CommandDep) -> JSONResponse:
    """The end user selects the solver from the reviewed applications; a project is born."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.select(
            ctx.principal.actor,
            str(challenge_id),
            application_id=body.application_id,
            note=body.note,
            exception_reason=body.exception_reason,
            meta=meta,
        ),
        reason=body.reason,
        created="/v1/projects",
    )


@router.post("/{challenge_id}/fail", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def declare_failed(challenge_id: ChallengeId, body: CommandIn, ctx: CommandDep) -> JSONResponse:
    """流榜: the window closed and no solver will be selected."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.declare_failed(ctx.principal.actor, str(challenge_id), meta=meta),
        reason=body.reason,
    )


@router.post("/{challenge_id}/cancel", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def cancel_challenge(challenge_id: ChallengeId, body: CommandIn, ctx: CommandDep) -> JSONResponse:
    """Cancel a challenge before a solver is selected; the reason is mandatory."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.cancel_challenge(ctx.principal.actor, str(challenge_id), meta=meta),
        reason=body.reason,
    )
