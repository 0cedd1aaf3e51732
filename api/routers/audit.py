"""The audit trail for supervisors: histories with what changed, the audit index (who did
what, by actor, request or correlation id and period), and any aggregate's state as of a time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

import jiebang_es.audit.queries as audit
from api.deps import AppDep, require_roles
from api.reads import ReadsDep
from api.routers.common import READ_PROBLEMS
from api.schemas.common import NO_NUL
from api.schemas.lists import Cursor, Limit
from jiebang_es.domain.values import Role
from jiebang_es.errors import InvalidValueError, NotFoundError
from jiebang_es.service_base import in_china_time
from projections import queries

router = APIRouter(
    prefix="/v1/audit",
    tags=["audit"],
    dependencies=[Depends(require_roles(Role.SUPERVISOR))],
)
AggregateId = Annotated[UUID, Path(description="a demand, challenge, application, project, …")]
FilterText = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]


class ChangeOut(BaseModel):
    field: str
    old: Any = Field(description="the value before the event (null if it had none)")
    new: Any = Field(description="the value after the event (null if it was removed)")


class HistoryEntryOut(BaseModel):
    version: int
    event: str = Field(examples=["Challenge.Published"])
    audit: dict[str, Any] = Field(
        description="who (actor, role, organisation), when (effective and recorded), why "
        "(reason, exceptions), request, correlation and causation ids"
    )
    changes: list[ChangeOut]


class HistoryOut(BaseModel):
    aggregate_id: str
    entries: list[HistoryEntryOut]


class StateOut(BaseModel):
    aggregate_id: str
    as_of: datetime
    version: int
    state: dict[str, Any]


class AuditEventOut(BaseModel):
    position: int
    aggregate_type: str
    aggregate_id: str
    version: int
    event_type: str
    actor_id: str | None
    role: str | None
    org_code: str | None
    reason: str | None
    effective_at: str | None
    recorded_at: str | None
    request_id: str | None
    correlation_id: str | None
    causation_id: str | None
    exceptions: list[dict[str, str]]


class AuditEventPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


@router.get(
    "/aggregates/{aggregate_id}/history", response_model=HistoryOut, responses=READ_PROBLEMS
)
def history(aggregate_id: AggregateId, app: AppDep) -> HistoryOut:
    """Every event of one aggregate, oldest first: its metadata and the fields it changed."""
    entries = audit.history(app, str(aggregate_id))
    if not entries:
        raise NotFoundError("aggregate", aggregate_id)
    return HistoryOut(
        aggregate_id=str(aggregate_id),
        entries=[HistoryEntryOut.model_validate(e.as_json()) for e in entries],
    )


@router.get("/aggregates/{aggregate_id}/state", response_model=StateOut, responses=READ_PROBLEMS)
def state_as_of(
    aggregate_id: AggregateId,
    app: AppDep,
    as_of: Annotated[datetime, Query(description="a date-time with its time zone")],
) -> StateOut:
    """An aggregate as it was after the last event recorded by a date-time."""
    found = audit.state_as_of(app, str(aggregate_id), as_of)
    version = int(found.pop("version"))
    found.pop("id", None)
    return StateOut(aggregate_id=str(aggregate_id), as_of=as_of, version=version, state=found)


@router.get("/events", response_model=AuditEventPage, responses=READ_PROBLEMS)
def audit_events(
    reads: ReadsDep,
    aggregate_id: UUID | None = None,
    actor_id: FilterText = None,
    request_id: FilterText = None,
    correlation_id: FilterText = None,
    recorded_from: Annotated[datetime | None, Query(description="inclusive, with zone")] = None,
    recorded_until: Annotated[datetime | None, Query(description="exclusive, with zone")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> AuditEventPage:
    """The audit index in log order: everything one actor did in a period, or one request or
    correlation id caused."""
    if recorded_from is not None and recorded_until is not None:
        begins = in_china_time(recorded_from, "recorded_from")
        if in_china_time(recorded_until, "recorded_until") <= begins:
            # An empty page would read as "nobody did anything then".
            raise InvalidValueError("recorded_until", "the period ends after it begins")
    page = queries.audit_events(
        reads,
        aggregate_id=None if aggregate_id is None else str(aggregate_id),
        actor_id=actor_id,
        request_id=request_id,
        correlation_id=correlation_id,
        recorded_from=recorded_from,
        recorded_until=recorded_until,
        cursor=cursor,
        limit=limit,
    )
    return AuditEventPage(
        items=[AuditEventOut.model_validate(e, from_attributes=True) for e in page.items],
        next_cursor=page.next_cursor,
    )
