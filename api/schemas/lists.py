"""Pages of the read models' lists (items in a stable order; ``next_cursor`` for the next page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel

from api.schemas.common import NO_NUL
from projections.queries import (
    ChallengeSummary,
    Disbursement,
    Expert,
    Panel,
    ProjectSummary,
    PublicChallenge,
    PublicNotice,
)

Cursor = Annotated[
    str | None,
    Query(max_length=200, pattern=NO_NUL, description="`next_cursor` of the previous page"),
]
Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]


class ChallengePage(BaseModel):
    """Challenges of the catalogue the caller may see (a page may hold fewer than ``limit``)."""

    items: list[ChallengeSummary]
    next_cursor: str | None


class PublicChallengePage(BaseModel):
    """Public-scope published challenges, in order of publication."""

    items: list[PublicChallenge]
    next_cursor: str | None


class PublicNoticePage(BaseModel):
    """Public notices of non-classified selected projects."""

    items: list[PublicNotice]
    next_cursor: str | None


class ExpertPage(BaseModel):
    """Registered experts."""

    items: list[Expert]
    next_cursor: str | None


class ProjectPage(BaseModel):
    """Projects the caller may see (a page may hold fewer than ``limit``)."""

    items: list[ProjectSummary]
    next_cursor: str | None


class DisbursementPage(BaseModel):
    """A project's disbursements with the running total."""

    items: list[Disbursement]
    next_cursor: str | None


class PanelList(BaseModel):
    """A challenge's argumentation and review panels."""

    items: list[Panel]


class ApplicationCounts(BaseModel):
    """How many applications a challenge has in each status (counts only)."""

    challenge_id: str
    counts: dict[str, int]
