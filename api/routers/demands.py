"""Demands (需求): the enterprises' needs the bureau collects (step 1)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep
from api.reads import ReadsDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.budgets import DemandPage
from api.schemas.challenges import CollectDemandIn, DemandOut
from api.schemas.common import NO_NUL, ReceiptOut
from api.schemas.lists import Cursor, Limit
from jiebang_es.domain.values import Role
from jiebang_es.errors import NotFoundError
from projections import queries

router = APIRouter(prefix="/v1/demands", tags=["demands"])


@router.post("", status_code=201, response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def collect_demand(body: CollectDemandIn, ctx: CommandDep) -> JSONResponse:
    """Record a need gathered by survey visit or public solicitation (Collected)."""
    return execute(
        ctx,
        lambda meta: ctx.app.collect_demand(
            ctx.principal.actor,
            source=body.source,
            enterprise=body.enterprise.value(),
            industry=body.industry,
            title=body.title,
            description=body.description,
            exception_reason=body.exception_reason,
            meta=meta,
        ),
        reason=body.reason,
        effective_at=body.effective_at,
        created="/v1/demands",
    )


@router.get("", response_model=DemandPage, responses=READ_PROBLEMS)
def list_demands(
    reads: ReadsDep,
    principal: PrincipalDep,
    industry: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    end_user_code: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    status: Annotated[
        str | None, Query(pattern="^(open|refined)$", description="open: not yet refined")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DemandPage:
    """Collected demands, filtered; the bureau sees all, an end user its own."""
    if principal.role is Role.END_USER:
        if end_user_code and end_user_code.strip().upper() != principal.org:
            return DemandPage(items=[], next_cursor=None)
        end_user_code = principal.org
    elif principal.role not in (Role.BUREAU, Role.SUPERVISOR, Role.ANALYST):
        return DemandPage(items=[], next_cursor=None)
    page = queries.list_demands(
        reads,
        industry=industry,
        end_user_code=end_user_code,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    return DemandPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/{demand_id}", response_model=DemandOut, responses=READ_PROBLEMS, dependencies=[StoreRead]
)
def get_demand(
    demand_id: Annotated[UUID, Path()], app: AppDep, principal: PrincipalDep, response: Response
) -> DemandOut:
    """A demand; seen by the bureau, supervisors, analysts and the enterprise it is from."""
    d = app.demand(str(demand_id))
    own = principal.role is Role.END_USER and d.enterprise.credit_code == principal.org
    if principal.role not in (Role.BUREAU, Role.SUPERVISOR, Role.ANALYST) and not own:
        raise NotFoundError("demand", demand_id)
    tag(response, d.version)
    return DemandOut.of(d)
