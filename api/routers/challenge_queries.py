"""Queries on challenges from the read models: the catalogue, panels, application counts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from api.deps import AppDep, PrincipalDep
from api.reads import ReadsDep
from api.routers.common import READ_PROBLEMS
from api.schemas.common import NO_NUL
from api.schemas.lists import ApplicationCounts, ChallengePage, Cursor, Limit, PanelList
from api.visibility import challenge_for, viewer_of
from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.values import Category, Role
from jiebang_es.errors import NotFoundError
from projections import queries

router = APIRouter(prefix="/v1/challenges", tags=["challenges"])
ChallengeId = Annotated[UUID, Path(description="the challenge's id")]


@router.get("", response_model=ChallengePage, responses=READ_PROBLEMS)
def list_challenges(
    reads: ReadsDep,
    principal: PrincipalDep,
    status: ChallengeStatus | None = None,
    industry: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    category: Category | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    end_user_code: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ChallengePage:
    """The challenge catalogue, filtered, in the order the challenges were drafted."""
    page = queries.list_challenges(
        reads,
        viewer=viewer_of(principal),
        status=None if status is None else status.value,
        industry=industry,
        category=None if category is None else category.value,
        year=year,
        end_user_code=end_user_code,
        cursor=cursor,
        limit=limit,
    )
    return ChallengePage(items=page.items, next_cursor=page.next_cursor)


@router.get("/{challenge_id}/panels", response_model=PanelList, responses=READ_PROBLEMS)
def challenge_panels(
    challenge_id: ChallengeId, app: AppDep, reads: ReadsDep, principal: PrincipalDep
) -> PanelList:
    """A challenge's argumentation and review panels (not shown to applicants)."""
    challenge_for(app, principal, str(challenge_id))
    if principal.role is Role.APPLICANT:
        raise NotFoundError("panels of challenge", challenge_id)
    return PanelList(items=queries.challenge_panels(reads, str(challenge_id)))


@router.get(
    "/{challenge_id}/application-counts", response_model=ApplicationCounts, responses=READ_PROBLEMS
)
def application_counts(
    challenge_id: ChallengeId, app: AppDep, reads: ReadsDep, principal: PrincipalDep
) -> ApplicationCounts:
    """How many applications the challenge has in each status."""
    challenge_for(app, principal, str(challenge_id))
    counts = queries.application_counts(reads, str(challenge_id))
    return ApplicationCounts(challenge_id=str(challenge_id), counts=counts)
