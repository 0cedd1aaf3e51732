"""Queries on projects from the read models: the portfolio and each project's ledger."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from api.deps import AppDep, PrincipalDep
from api.reads import ReadsDep
from api.routers.common import READ_PROBLEMS
from api.schemas.common import NO_NUL
from api.schemas.lists import Cursor, DisbursementPage, Limit, ProjectPage
from api.visibility import project_for, viewer_of
from jiebang_es.domain.project import ProjectStatus
from jiebang_es.domain.values import Category
from projections import queries

router = APIRouter(prefix="/v1/projects", tags=["projects"])


@router.get("", response_model=ProjectPage, responses=READ_PROBLEMS)
def list_projects(
    reads: ReadsDep,
    principal: PrincipalDep,
    status: ProjectStatus | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    industry: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    category: Category | None = None,
    challenge_id: UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ProjectPage:
    """The project portfolio, filtered, in order of selection."""
    page = queries.list_projects(
        reads,
        viewer=viewer_of(principal),
        status=None if status is None else status.value,
        year=year,
        industry=industry,
        category=None if category is None else category.value,
        challenge_id=None if challenge_id is None else str(challenge_id),
        cursor=cursor,
        limit=limit,
    )
    return ProjectPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/{project_id}/disbursements", response_model=DisbursementPage, responses=READ_PROBLEMS)
def list_disbursements(
    project_id: Annotated[UUID, Path()],
    app: AppDep,
    reads: ReadsDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DisbursementPage:
    """The project's disbursements in log order, with its running total."""
    project_for(app, principal, str(project_id))
    page = queries.list_disbursements(reads, project_id=str(project_id), cursor=cursor, limit=limit)
    return DisbursementPage(items=page.items, next_cursor=page.next_cursor)
