"""Credit records (R-CREDIT): the bureau's findings in the national credit system."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from api.commands import execute
from api.consistency import StoreRead
from api.deps import AppDep, CommandDep, require_roles
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS
from api.schemas.common import NO_NUL, ReceiptOut
from api.schemas.reviews import CreditOut, CreditRecordIn
from jiebang_es.domain.values import Role

router = APIRouter(prefix="/v1/credit-records", tags=["credit records"])


@router.post("", response_model=ReceiptOut, responses=COMMAND_PROBLEMS)
def record_credit_status(body: CreditRecordIn, ctx: CommandDep) -> JSONResponse:
    """Record a unit's social credit as found, with the source (Recorded or Updated)."""
    return execute(
        ctx,
        lambda meta: ctx.app.record_credit_status(
            ctx.principal.actor,
            org_code=body.org_code,
            status=body.status,
            source=body.source,
            checked_on=body.checked_on,
            meta=meta,
        ),
        reason=body.reason,
        effective_at=body.effective_at,
    )


@router.get(
    "/{org_code}",
    response_model=CreditOut,
    responses=READ_PROBLEMS,
    dependencies=[StoreRead, Depends(require_roles(Role.BUREAU, Role.SUPERVISOR, Role.ANALYST))],
)
def credit_status_of(
    org_code: Annotated[str, Path(max_length=40, pattern=NO_NUL)], app: AppDep
) -> CreditOut:
    """The bureau's record of a unit, with the source and date of its latest check; a unit
    never checked is not on the dishonest list, but its credit does not count (R-CREDIT)."""
    record = app.credit_record(org_code)
    if record is None:
        return CreditOut(org_code=org_code.strip().upper(), status=app.credit_status_of(org_code))
    return CreditOut(
        org_code=record.credit_code,
        status=record.status,
        source=record.source,
        checked_on=record.checked_on,
    )
