"""The annual list (榜单确定): the party group meeting's approval, all or nothing (step 4)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commands import execute
from api.deps import CommandDep
from api.routers.common import COMMAND_PROBLEMS
from api.schemas.challenges import AnnualListIn
from api.schemas.common import ReceiptOut
from api.visibility import challenge_for

router = APIRouter(prefix="/v1/annual-lists", tags=["annual lists"])


@router.post("", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def approve_annual_list(body: AnnualListIn, ctx: CommandDep) -> JSONResponse:
    """Record the party group meeting's approval of the year's list (Listed, per challenge)."""
    for challenge_id in body.challenge_ids:
        challenge_for(ctx.app, ctx.principal, challenge_id)
    return execute(
        ctx,
        lambda meta: ctx.app.approve_annual_list(
            ctx.principal.actor,
            year=body.year,
            meeting_date=body.meeting_date,
            minutes_ref=body.minutes_ref,
            challenge_ids=body.challenge_ids,
            meta=meta,
        ),
        reason=body.reason,
        effective_at=body.effective_at,
    )
