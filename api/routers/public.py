"""What the plan says is published, for anyone, without a token: public-scope challenges with
their guides and windows, and the notices of non-classified selected projects."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path

from api.problems import problem_responses
from api.reads import ReadsDep
from api.routers.common import PUBLIC_PROBLEMS
from api.schemas.lists import Cursor, Limit, PublicChallengePage, PublicNoticePage
from jiebang_es.errors import NotFoundError
from projections import queries
from projections.queries import PublicChallenge

router = APIRouter(prefix="/v1/public", tags=["public"])


@router.get("/challenges", response_model=PublicChallengePage, responses=PUBLIC_PROBLEMS)
def public_challenges(
    reads: ReadsDep, cursor: Cursor = None, limit: Limit = 50
) -> PublicChallengePage:
    """Public-scope published challenges with guide and window, in order of publication."""
    page = queries.public_challenges(reads, cursor=cursor, limit=limit)
    return PublicChallengePage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/challenges/{challenge_id}",
    response_model=PublicChallenge,
    responses=problem_responses(404, 422, 503),
)
def public_challenge(challenge_id: Annotated[UUID, Path()], reads: ReadsDep) -> PublicChallenge:
    """One public challenge (404 for restricted, classified and unpublished ones)."""
    found = queries.public_challenge(reads, str(challenge_id))
    if found is None:
        raise NotFoundError("public challenge", challenge_id)
    return found


@router.get("/notices", response_model=PublicNoticePage, responses=PUBLIC_PROBLEMS)
def public_notices(reads: ReadsDep, cursor: Cursor = None, limit: Limit = 50) -> PublicNoticePage:
    """Public notices (公示) of non-classified selected projects, in order of publication."""
    page = queries.public_notices(reads, cursor=cursor, limit=limit)
    return PublicNoticePage(items=page.items, next_cursor=page.next_cursor)
