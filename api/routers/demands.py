"""Demands (需求): the enterprises' needs the bureau collects (step 1)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.challenges import CollectDemandIn, DemandOut
from api.schemas.common import ReceiptOut
from jiebang_es.domain.values import Role
from jiebang_es.errors import NotFoundError

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
            meta=meta,
        ),
        reason=body.reason,
        effective_at=body.effective_at,
        created="/v1/demands",
    )


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
