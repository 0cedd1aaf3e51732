"""Changes to a confirmed review panel (R-REVIEW-PANEL, version 2): a replacement expert,
proposed and confirmed by bureau and end user (R-PANEL-JOINT), and an expert's absence."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.commands import execute
from api.deps import CommandDep
from api.routers.common import COMMAND_PROBLEMS
from api.schemas.common import CommandIn, ReceiptOut
from api.schemas.reviews import AbsenceIn, ReplacementIn
from api.visibility import challenge_for

router = APIRouter(prefix="/v1/challenges/{challenge_id}/review-panel", tags=["experts"])
ChallengeId = Annotated[UUID, Path(description="the challenge's id")]
ExpertId = Annotated[UUID, Path(description="the replacement expert's id")]


@router.post("/replacements", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def propose_replacement(
    challenge_id: ChallengeId, body: ReplacementIn, ctx: CommandDep
) -> JSONResponse:
    """Propose an expert in place of a recused or absent member, saying why in ``reason``
    (ReplacementExpertProposed); it takes effect once bureau and end user both confirm it."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.propose_replacement(
            ctx.principal.actor,
            str(challenge_id),
            expert_id=body.expert_id,
            replaces=body.replaces,
            reason=body.reason,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.post(
    "/replacements/{expert_id}/confirm", response_model=ReceiptOut, responses=COMMAND_PROBLEMS
)
def confirm_replacement(
    challenge_id: ChallengeId, expert_id: ExpertId, body: CommandIn, ctx: CommandDep
) -> JSONResponse:
    """The bureau's or the end user's confirmation of a replacement (ReplacementExpertConfirmed)."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.confirm_replacement(
            ctx.principal.actor, str(challenge_id), expert_id=str(expert_id), meta=meta
        ),
        reason=body.reason,
    )


@router.post("/absences", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def record_absence(challenge_id: ChallengeId, body: AbsenceIn, ctx: CommandDep) -> JSONResponse:
    """The bureau records a member's absence, saying why in ``reason`` (ExpertAbsent): the
    applications no longer wait for that member's score."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.record_absence(
            ctx.principal.actor,
            str(challenge_id),
            expert_id=body.expert_id,
            reason=body.reason,
            meta=meta,
        ),
        reason=body.reason,
    )
