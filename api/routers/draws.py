"""The expert pool's upkeep and verifiable draws (R-DRAW, R-CONFLICT): schedule, perform,
replace from the draw's order, read and verify; the public record once the panel's work is done."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep
from api.problems import problem_responses
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.common import ReceiptOut
from api.schemas.draws import (
    DrawOut,
    DrawVerificationOut,
    ExpertRelationIn,
    ExpertStatusIn,
    PerformDrawIn,
    PublicDrawOut,
    ReplacementIn,
    ScheduleDrawIn,
)
from api.visibility import SEES_EVERYTHING, can_see_challenge, challenge_for, is_public
from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.draw import Draw, DrawPurpose, DrawStatus
from jiebang_es.domain.values import Role
from jiebang_es.errors import NotFoundError
from jiebang_es.service import JiebangApp

router = APIRouter(tags=["expert pool and draws"])


@router.post(
    "/v1/experts/{expert_id}/status", response_model=ReceiptOut, responses=COMMAND_PROBLEMS
)
def change_expert_status(
    expert_id: Annotated[UUID, Path()], body: ExpertStatusIn, ctx: CommandDep
) -> JSONResponse:
    """Suspend, reinstate or retire a pool member (StatusChanged)."""
    return execute(
        ctx,
        lambda meta: ctx.app.change_expert_status(
            ctx.principal.actor, str(expert_id), status=body.status, meta=meta
        ),
        reason=body.reason,
    )


@router.post(
    "/v1/experts/{expert_id}/relations", response_model=ReceiptOut, responses=COMMAND_PROBLEMS
)
def declare_expert_relation(
    expert_id: Annotated[UUID, Path()], body: ExpertRelationIn, ctx: CommandDep
) -> JSONResponse:
    """Declare the expert's tie to a unit, by the expert or the bureau (RelationDeclared)."""
    return execute(
        ctx,
        lambda meta: ctx.app.declare_expert_relation(
            ctx.principal.actor,
            str(expert_id),
            org_code=body.org_code,
            kind=body.kind,
            ended_on=body.ended_on,
            detail=body.detail,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.post(
    "/v1/challenges/{challenge_id}/draws",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def schedule_draw(
    challenge_id: Annotated[UUID, Path()], body: ScheduleDrawIn, ctx: CommandDep
) -> JSONResponse:
    """Fix a draw before its randomness exists: needs, candidates after avoidance, the
    commitment to the seed, the named public source (DrawScheduled)."""
    challenge_for(ctx.app, ctx.principal, str(challenge_id))
    return execute(
        ctx,
        lambda meta: ctx.app.schedule_draw(
            ctx.principal.actor,
            str(challenge_id),
            purpose=body.purpose,
            needs={n.kind: n.count for n in body.needs},
            specialities=body.specialities,
            commitment=body.commitment,
            randomness_source=body.randomness_source,
            randomness_date=body.randomness_date,
            exception_reason=body.exception_reason,
            meta=meta,
        ),
        reason=body.reason,
        created="/v1/draws",
    )


@router.post("/v1/draws/{draw_id}/perform", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def perform_draw(
    draw_id: Annotated[UUID, Path()], body: PerformDrawIn, ctx: CommandDep
) -> JSONResponse:
    """Reveal the seed and the public value; record the ranking (DrawPerformed)."""
    _draw_for(ctx.app, ctx.principal, str(draw_id))
    return execute(
        ctx,
        lambda meta: ctx.app.perform_draw(
            ctx.principal.actor,
            str(draw_id),
            seed=body.seed,
            public_value=body.public_value,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.post(
    "/v1/draws/{draw_id}/replacements", response_model=ReceiptOut, responses=COMMAND_PROBLEMS
)
def draw_replacement(
    draw_id: Annotated[UUID, Path()], body: ReplacementIn, ctx: CommandDep
) -> JSONResponse:
    """Give a vacated seat to the next candidate of its kind in the draw's order."""
    _draw_for(ctx.app, ctx.principal, str(draw_id))
    return execute(
        ctx,
        lambda meta: ctx.app.draw_replacement(
            ctx.principal.actor,
            str(draw_id),
            expert_id=body.expert_id,
            cause=body.cause,
            meta=meta,
        ),
        reason=body.reason,
    )


@router.get(
    "/v1/draws/{draw_id}", response_model=DrawOut, responses=READ_PROBLEMS, dependencies=[StoreRead]
)
def get_draw(
    draw_id: Annotated[UUID, Path()], app: AppDep, principal: PrincipalDep, response: Response
) -> DrawOut:
    """A draw's whole record, for whom may see its challenge's panels."""
    draw = _draw_for(app, principal, str(draw_id))
    tag(response, draw.version)
    return DrawOut.of(draw)


@router.get(
    "/v1/draws/{draw_id}/verification",
    response_model=DrawVerificationOut,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    dependencies=[StoreRead],
)
def verify_draw(
    draw_id: Annotated[UUID, Path()], app: AppDep, principal: PrincipalDep
) -> DrawVerificationOut:
    """The draw recomputed from its record alone, naming any difference (409 while it is only
    scheduled: nothing to recompute yet)."""
    _draw_for(app, principal, str(draw_id))
    problems = app.verify_draw(str(draw_id))
    return DrawVerificationOut(draw_id=str(draw_id), matches=not problems, problems=problems)


@router.get(
    "/v1/public/draws/{draw_id}",
    response_model=PublicDrawOut,
    responses=problem_responses(404, 422, 503),
    tags=["public"],
)
def public_draw(draw_id: Annotated[UUID, Path()], app: AppDep) -> PublicDrawOut:
    """The record of a performed draw of a public challenge once its panel's work is done (the
    argumentation recorded, or the solver selected): experts by id only, never by name, and of
    the exclusions only their number (a reason can be personal, a unit names the expert)."""
    return PublicDrawOut.of(published_draw(app, str(draw_id)))


def published_draw(app: JiebangApp, draw_id: str) -> Draw:
    """The draw, if its record is published (the route above and the portal's pages), or 404."""
    draw = app.draw(draw_id)
    challenge = app.challenge(str(draw.challenge_id))
    if draw.status is not DrawStatus.PERFORMED or not _panel_work_done(draw, challenge):
        raise NotFoundError("public draw", draw_id)
    if not is_public(challenge):
        raise NotFoundError("public draw", draw_id)
    return draw


def _panel_work_done(draw: Draw, challenge: Challenge) -> bool:
    # Until then the panel's membership stays with those who run it, so nobody can lobby it.
    if draw.purpose is DrawPurpose.ARGUMENTATION:
        return (
            challenge.reviewed_on is not None and draw.effective_at.date() <= challenge.reviewed_on
        )
    return challenge.status in (ChallengeStatus.SELECTED, ChallengeStatus.FAILED)


def _draw_for(app: JiebangApp, principal: PrincipalDep, draw_id: str) -> Draw:
    """The draw, or 404 unless the caller sees its challenge and runs or audits panels."""
    draw = app.draw(draw_id)
    challenge = app.challenge(str(draw.challenge_id))
    if not can_see_challenge(principal, challenge):
        raise NotFoundError("draw", draw_id)  # the same 404 as no draw: it names nothing
    if principal.role in SEES_EVERYTHING:
        return draw
    if principal.role is Role.END_USER and challenge.end_user.credit_code == principal.org:
        return draw
    raise NotFoundError("draw", draw_id)
