"""The year's budget envelope (R-BUDGET): the bureau records and revises it; the annual list
takes its challenges' funding from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, PrincipalDep
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS, tag
from api.schemas.budgets import BudgetIn, BudgetOut, BudgetRevisionIn
from api.schemas.common import ReceiptOut
from api.visibility import SEES_EVERYTHING
from jiebang_es.errors import NotFoundError

router = APIRouter(prefix="/v1/budgets", tags=["budgets"])
Year = Annotated[int, Path(ge=2000, le=2100, description="the programme year")]


@router.post("", status_code=201, response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def set_budget(body: BudgetIn, ctx: CommandDep) -> JSONResponse:
    """Record the programme's budget envelope for a year (BudgetSet)."""
    return execute(
        ctx,
        lambda meta: ctx.app.set_budget(
            ctx.principal.actor, year=body.year, amount=body.amount, meta=meta
        ),
        reason=body.reason,
        effective_at=body.effective_at,
        created="/v1/budgets",
    )


@router.post("/{year}/revise", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def revise_budget(year: Year, body: BudgetRevisionIn, ctx: CommandDep) -> JSONResponse:
    """Revise the year's envelope with the reason (BudgetRevised); never below the list."""
    return execute(
        ctx,
        lambda meta: ctx.app.revise_budget(
            ctx.principal.actor, year=year, amount=body.amount, meta=meta
        ),
        reason=body.reason,
        effective_at=body.effective_at,
    )


@router.get("/{year}", response_model=BudgetOut, responses=READ_PROBLEMS, dependencies=[StoreRead])
def get_budget(year: Year, app: AppDep, principal: PrincipalDep, response: Response) -> BudgetOut:
    """The year's envelope, the annual list's total funding and what remains."""
    if principal.role not in SEES_EVERYTHING:
        raise NotFoundError("budget", year)
    budget = app.budget(year)
    tag(response, budget.version)
    return BudgetOut.of(budget)
