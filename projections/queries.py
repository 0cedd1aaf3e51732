"""Typed read functions over the read models, for every list and detail the API serves.

Lists are paginated by an opaque cursor in a stable order (the log position at which each row
was born): pass ``next_cursor`` back to get the following page. Bad filters, cursors or limits
raise ``InvalidValueError`` naming the field. Money is ``Decimal`` yuan; times are ISO 8601
text in China time, as recorded.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from jiebang_es.errors import InvalidValueError
from jiebang_es.service_base import CHINA_TZ
from projections.db import ReadDB
from projections.models import audit_index, catalogue, ledger, panels, pipeline, portfolio
from projections.models import public_listing as listing
from projections.readstore import ReadStore
from projections.schema import Table

T = TypeVar("T")
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class ChallengeSummary:
    challenge_id: str
    name: str
    status: str
    industry: str
    category: str
    year: int | None
    end_user_code: str
    end_user_name: str
    funding: Decimal | None
    period_months: int | None
    scope: str | None
    classified: bool
    window_opens: str | None
    window_closes: str | None
    current_step: int
    step_name: str
    project_id: str | None
    drafted_at: str
    updated_at: str
    updated_position: int


@dataclass(frozen=True)
class PublicChallenge:
    challenge_id: str
    name: str
    industry: str
    category: str
    year: int | None
    end_user_name: str
    funding: Decimal | None
    period_months: int | None
    solver_conditions: str
    guide: str
    window_opens: str
    window_closes: str
    published_at: str
    status: str


@dataclass(frozen=True)
class PublicNotice:
    project_id: str
    challenge_id: str | None  # None when the challenge was published to a restricted range
    challenge_name: str | None
    industry: str | None
    category: str | None
    solver_name: str | None
    starts_on: str
    ends_on: str
    status: str


@dataclass(frozen=True)
class Expert:
    expert_id: str
    person_id: str
    name: str
    org_code: str
    org_name: str
    kind: str
    speciality: str


@dataclass(frozen=True)
class PanelMember:
    expert_id: str
    kind: str
    opinion: str | None


@dataclass(frozen=True)
class Panel:
    challenge_id: str
    panel: str  # "argumentation" or "review"
    round: int
    size: int
    confirmed_by: tuple[str, ...]
    effective: bool
    conclusion: str | None
    exceptions: int
    formed_at: str
    members: tuple[PanelMember, ...]
    by_kind: dict[str, int]


@dataclass(frozen=True)
class Recusal:
    application_id: str
    expert_id: str
    challenge_id: str | None
    grounds: str
    recorded_at: str


@dataclass(frozen=True)
class Milestone:
    milestone: str
    due_month: int
    deliverable: str
    reported_at: str | None
    verdict: str | None
    remarks: str | None
    assessed_at: str | None


@dataclass(frozen=True)
class StepDays:
    step: str
    entered_at: str
    left_at: str | None
    days: int | None


@dataclass(frozen=True)
class ProjectSummary:
    project_id: str
    challenge_id: str
    application_id: str
    year: int | None
    industry: str
    category: str
    classified: bool
    end_user_code: str
    solver_code: str
    solver_name: str | None
    status: str
    funding: Decimal
    contracted: Decimal | None
    disbursed: Decimal
    period_months: int
    contracted_on: str | None
    verdict: str | None
    selected_at: str
    updated_at: str


@dataclass(frozen=True)
class ProjectDetail:
    project: ProjectSummary
    milestones: tuple[Milestone, ...] = ()
    steps: tuple[StepDays, ...] = ()


@dataclass(frozen=True)
class Disbursement:
    position: int
    project_id: str
    amount: Decimal
    paid_on: str
    year: int
    industry: str | None
    category: str | None
    purpose: str
    actor_id: str
    project_total: Decimal
    recorded_at: str


@dataclass(frozen=True)
class FundingTotal:
    dimension: str  # "year", "industry" or "category"
    value: str
    disbursed: Decimal
    payments: int


@dataclass(frozen=True)
class AuditEntry:
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
    exceptions: list[dict[str, str]] = field(default_factory=list)


# ---- the machinery of pages -------------------------------------------------------------
def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position after which a page starts; 0 for the first page."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidValueError("cursor", "not a cursor returned by this list") from None
    if not isinstance(after, int) or after < 0:
        raise InvalidValueError("cursor", "not a cursor returned by this list")
    return after


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidValueError("limit", f"between 1 and {MAX_LIMIT}")


def _build(cls: type[T], row: dict[str, Any]) -> T:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in row.items() if k in names})


def _select(
    db: ReadDB,
    t: Table,
    where: dict[str, Any],
    *,
    order: str,
    extra: str = "",
    params: tuple[Any, ...] = (),
    after: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    clauses = [f'"{k}" = ?' for k, v in where.items() if v is not None]
    values: list[Any] = [v for v in where.values() if v is not None]
    if extra:
        clauses.append(extra)
        values.extend(params)
    if after is not None:
        clauses.append(f'"{order}" > ?')
        values.append(after)
    columns = ", ".join(f'"{c}"' for c in t.column_names)
    sql = f"SELECT {columns} FROM {db.name(t.name)}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f' ORDER BY "{order}"'
    if limit is not None:
        sql += " LIMIT ?"
        values.append(limit)
    return [t.normalise(dict(zip(t.column_names, r, strict=True))) for r in db.query(sql, values)]


def _page(
    store: ReadStore,
    t: Table,
    cls: type[T],
    where: dict[str, Any],
    *,
    order: str,
    cursor: str | None,
    limit: int,
    extra: str = "",
    params: tuple[Any, ...] = (),
) -> Page[T]:
    _check_limit(limit)
    after = decode_cursor(cursor)
    with store.db() as db:
        rows = _select(
            db, t, where, order=order, extra=extra, params=params, after=after, limit=limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[_build(cls, r) for r in rows],
        next_cursor=encode_cursor(rows[-1][order]) if more else None,
    )


# ---- the challenge catalogue --------------------------------------------------------------
def list_challenges(
    store: ReadStore,
    *,
    status: str | None = None,
    industry: str | None = None,
    category: str | None = None,
    year: int | None = None,
    end_user_code: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ChallengeSummary]:
    """The challenge catalogue, filtered, in the order the challenges were drafted."""
    return _page(
        store,
        catalogue.CHALLENGES,
        ChallengeSummary,
        {
            "status": status,
            "industry": industry,
            "category": category,
            "year": year,
            "end_user_code": end_user_code.strip().upper() if end_user_code else None,
        },
        order="created_position",
        cursor=cursor,
        limit=limit,
    )


def _one(store: ReadStore, t: Table, cls: type[T], column: str, value: str) -> T | None:
    with store.db() as db:
        rows = _select(db, t, {column: value}, order=column)
    return _build(cls, rows[0]) if rows else None


def get_challenge(store: ReadStore, challenge_id: str) -> ChallengeSummary | None:
    """One challenge of the catalogue, or None."""
    return _one(store, catalogue.CHALLENGES, ChallengeSummary, "challenge_id", challenge_id)


# ---- the public listing -------------------------------------------------------------------
def public_challenges(
    store: ReadStore, *, cursor: str | None = None, limit: int = 50
) -> Page[PublicChallenge]:
    """Public-scope published challenges with guide and window, in order of publication."""
    t, cls, order = listing.PUBLIC_CHALLENGES, PublicChallenge, "published_position"
    return _page(store, t, cls, {}, order=order, cursor=cursor, limit=limit)


def public_challenge(store: ReadStore, challenge_id: str) -> PublicChallenge | None:
    """One public challenge, or None (also for restricted and classified ones)."""
    return _one(store, listing.PUBLIC_CHALLENGES, PublicChallenge, "challenge_id", challenge_id)


def public_notices(
    store: ReadStore, *, cursor: str | None = None, limit: int = 50
) -> Page[PublicNotice]:
    """Public notices (公示) of non-classified selected projects, in order of publication."""
    t, cls, order = listing.PUBLIC_NOTICES, PublicNotice, "publicized_position"
    return _page(store, t, cls, {}, order=order, cursor=cursor, limit=limit)


# ---- the application pipeline -------------------------------------------------------------
def application_counts(store: ReadStore, challenge_id: str) -> dict[str, int]:
    """How many applications to a challenge are in each status (counts only)."""
    with store.db() as db:
        rows = _select(db, pipeline.COUNTS, {"challenge_id": challenge_id}, order="status")
    return {r["status"]: r["count"] for r in rows}


# ---- panels and experts -------------------------------------------------------------------
def list_experts(
    store: ReadStore, *, kind: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[Expert]:
    """Registered experts (ordered by id), optionally of one kind."""
    _check_limit(limit)
    after = decode_cursor(cursor)
    with store.db() as db:
        rows = _select(db, panels.EXPERTS, {"kind": kind}, order="expert_id")
    items = [_build(Expert, r) for r in rows][after : after + limit]
    more = after + limit < len(rows)
    return Page(items=items, next_cursor=encode_cursor(after + limit) if more else None)


def challenge_panels(store: ReadStore, challenge_id: str) -> list[Panel]:
    """A challenge's argumentation and review panels: members, kinds, confirmations."""
    with store.db() as db:
        heads = _select(db, panels.PANELS, {"challenge_id": challenge_id}, order="position")
        members = _select(db, panels.MEMBERS, {"challenge_id": challenge_id}, order="expert_id")
    result = []
    for h in heads:
        mine = [m for m in members if m["panel"] == h["panel"] and m["round"] == h["round"]]
        by_kind: dict[str, int] = {}
        for m in mine:
            by_kind[m["kind"]] = by_kind.get(m["kind"], 0) + 1
        result.append(
            Panel(
                challenge_id=challenge_id,
                panel=h["panel"],
                round=h["round"],
                size=h["size"],
                confirmed_by=tuple(filter(None, (h["confirmed_by"] or "").split(","))),
                effective=h["effective"],
                conclusion=h["conclusion"],
                exceptions=h["exceptions"],
                formed_at=h["formed_at"],
                members=tuple(_build(PanelMember, m) for m in mine),
                by_kind=by_kind,
            )
        )
    return result


def recusals(store: ReadStore, challenge_id: str) -> list[Recusal]:
    """Every recorded recusal (R-CONFLICT) on a challenge's applications."""
    with store.db() as db:
        rows = _select(db, panels.RECUSALS, {"challenge_id": challenge_id}, order="position")
    return [_build(Recusal, r) for r in rows]


# ---- the project portfolio ----------------------------------------------------------------
def list_projects(
    store: ReadStore,
    *,
    status: str | None = None,
    year: int | None = None,
    industry: str | None = None,
    category: str | None = None,
    challenge_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ProjectSummary]:
    """Projects in order of selection, filtered."""
    return _page(
        store,
        portfolio.PROJECTS,
        ProjectSummary,
        {
            "status": status,
            "year": year,
            "industry": industry,
            "category": category,
            "challenge_id": challenge_id,
        },
        order="selected_position",
        cursor=cursor,
        limit=limit,
    )


def get_project(store: ReadStore, project_id: str) -> ProjectDetail | None:
    """One project with its milestones and the days it spent in each step."""
    with store.db() as db:
        rows = _select(db, portfolio.PROJECTS, {"project_id": project_id}, order="project_id")
        if not rows:
            return None
        milestones = _select(
            db, portfolio.MILESTONES, {"project_id": project_id}, order="due_month"
        )
        steps = _select(db, portfolio.STEPS, {"aggregate_id": project_id}, order="entered_at")
    return ProjectDetail(
        project=_build(ProjectSummary, rows[0]),
        milestones=tuple(_build(Milestone, m) for m in milestones),
        steps=tuple(_build(StepDays, s) for s in steps),
    )


# ---- the funding ledger -------------------------------------------------------------------
def list_disbursements(
    store: ReadStore,
    *,
    project_id: str | None = None,
    year: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Disbursement]:
    """Every disbursement in log order, with the project's running total."""
    return _page(
        store,
        ledger.DISBURSEMENTS,
        Disbursement,
        {"project_id": project_id, "year": year},
        order="position",
        cursor=cursor,
        limit=limit,
    )


def funding_totals(store: ReadStore, dimension: str) -> list[FundingTotal]:
    """Disbursed totals per ``year``, ``industry`` or ``category``."""
    if dimension not in ("year", "industry", "category"):
        raise InvalidValueError("dimension", "one of year, industry, category")
    with store.db() as db:
        rows = _select(db, ledger.TOTALS, {"dimension": dimension}, order="value")
    return [_build(FundingTotal, r) for r in rows]


# ---- the audit index ----------------------------------------------------------------------
def _china_iso(value: datetime, name: str) -> str:
    if value.tzinfo is None:
        raise InvalidValueError(name, "a point in time carries its time zone")
    return value.astimezone(CHINA_TZ).isoformat()


def audit_events(
    store: ReadStore,
    *,
    aggregate_id: str | None = None,
    actor_id: str | None = None,
    request_id: str | None = None,
    correlation_id: str | None = None,
    recorded_from: datetime | None = None,
    recorded_until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[AuditEntry]:
    """The audit index in log order, filtered; the time range is on recording time
    (from inclusive, until exclusive)."""
    extra, params = [], []
    if recorded_from is not None:
        extra.append('"recorded_at" >= ?')
        params.append(_china_iso(recorded_from, "recorded_from"))
    if recorded_until is not None:
        extra.append('"recorded_at" < ?')
        params.append(_china_iso(recorded_until, "recorded_until"))
    page = _page(
        store,
        audit_index.AUDIT_EVENTS,
        _RawAudit,
        {
            "aggregate_id": aggregate_id,
            "actor_id": actor_id,
            "request_id": request_id,
            "correlation_id": correlation_id,
        },
        order="position",
        cursor=cursor,
        limit=limit,
        extra=" AND ".join(extra),
        params=tuple(params),
    )
    return Page(items=[r.entry() for r in page.items], next_cursor=page.next_cursor)


@dataclass(frozen=True)
class _RawAudit:
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
    exceptions: str | None

    def entry(self) -> AuditEntry:
        fields = dataclasses.asdict(self)
        fields["exceptions"] = json.loads(self.exceptions) if self.exceptions else []
        return AuditEntry(**fields)
