"""Typed read functions over the read models, for every list and detail the API serves.

Lists are paginated by an opaque cursor in a stable order (the log position at which each row
was born): pass ``next_cursor`` back to get the following page. Bad filters, cursors or limits
raise ``InvalidValueError`` naming the field. The views they return are in ``views.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jiebang_es.errors import InvalidValueError
from jiebang_es.service_base import in_china_time
from projections.models import (
    audit_index,
    catalogue,
    demands,
    ledger,
    panels,
    pipeline,
    portfolio,
)
from projections.models import public_listing as listing
from projections.paging import (
    build_view,
    check_limit,
    decode_cursor,
    encode_cursor,
    one,
    page,
    select,
)
from projections.readstore import ReadStore
from projections.views import (
    AuditEntry,
    ChallengeSummary,
    DemandSummary,
    Disbursement,
    Expert,
    FundingTotal,
    Milestone,
    Page,
    Panel,
    PanelMember,
    ProjectDetail,
    ProjectSummary,
    PublicChallenge,
    PublicNotice,
    Recusal,
    StepDays,
)

__all__ = [
    "AuditEntry",
    "ChallengeSummary",
    "DemandSummary",
    "Disbursement",
    "Expert",
    "FundingTotal",
    "Milestone",
    "Page",
    "Panel",
    "PanelMember",
    "ProjectDetail",
    "ProjectSummary",
    "PublicChallenge",
    "PublicNotice",
    "Recusal",
    "StepDays",
    "Viewer",
]


# ---- who reads a list ---------------------------------------------------------------------
@dataclass(frozen=True)
class Viewer:
    """Who reads a list that not everyone may see in full (a role's value and a credit code).

    Visibility is a condition of the query, decided before paging: a page, and the cursor to
    the next one, only ever reflect rows this caller may see, so hidden rows leak neither their
    number nor their log positions. ``None`` instead of a viewer (bureau staff, supervisors,
    analysts, and the reports) reads every row."""

    role: str
    org: str


Condition = tuple[str, tuple[Any, ...]]
# Published on the portal: public scope, never classified (R-SCOPE, R-SECRET).
PUBLISHED: Condition = (
    '("window_opens" IS NOT NULL AND "scope" = ? AND "classified" = ?)',
    ("public", False),
)


def _either(column: str, org: str, condition: Condition) -> Condition:
    """The caller's own rows (``column`` is its credit code), or those meeting ``condition``."""
    return f'("{column}" = ? OR {condition[0]})', (org, *condition[1])


def challenges_visible_to(viewer: Viewer | None) -> Condition:
    """Catalogue rows a caller may list: an end user's own, and what the portal publishes."""
    if viewer is None:
        return "", ()
    if viewer.role == "end_user":
        return _either("end_user_code", viewer.org, PUBLISHED)
    return PUBLISHED


def projects_visible_to(viewer: Viewer | None) -> Condition:
    """Portfolio rows a caller may list: parties see their own projects, others only those
    publicly noticed (not classified, past selection) whose challenge the portal publishes
    (R-SCOPE: a restricted challenge's project is no more visible than the challenge)."""
    if viewer is None:
        return "", ()
    noticed: Condition = (
        '("classified" = ? AND "status" <> ? AND "challenge_id" IN '
        f'(SELECT "challenge_id" FROM {{challenges}} WHERE {PUBLISHED[0]}))',
        (False, "selected", *PUBLISHED[1]),
    )
    party = {"end_user": "end_user_code", "applicant": "solver_code"}.get(viewer.role)
    return _either(party, viewer.org, noticed) if party else noticed


# ---- demands -------------------------------------------------------------------------------
def list_demands(
    store: ReadStore,
    *,
    industry: str | None = None,
    end_user_code: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[DemandSummary]:
    """Collected demands, filtered, in the order they were collected."""
    return page(
        store,
        demands.DEMANDS,
        DemandSummary,
        {
            "industry": industry,
            "end_user_code": end_user_code.strip().upper() if end_user_code else None,
            "status": status,
        },
        order="created_position",
        cursor=cursor,
        limit=limit,
    )


# ---- the challenge catalogue --------------------------------------------------------------
def list_challenges(
    store: ReadStore,
    *,
    viewer: Viewer | None = None,
    status: str | None = None,
    industry: str | None = None,
    category: str | None = None,
    year: int | None = None,
    end_user_code: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ChallengeSummary]:
    """The challenge catalogue, filtered, in the order the challenges were drafted; only the
    rows ``viewer`` may see."""
    extra, params = challenges_visible_to(viewer)
    return page(
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
        extra=extra,
        params=params,
    )


def get_challenge(store: ReadStore, challenge_id: str) -> ChallengeSummary | None:
    """One challenge of the catalogue, or None."""
    return one(store, catalogue.CHALLENGES, ChallengeSummary, "challenge_id", challenge_id)


# ---- the public listing -------------------------------------------------------------------
def public_challenges(
    store: ReadStore, *, cursor: str | None = None, limit: int = 50
) -> Page[PublicChallenge]:
    """Public-scope published challenges with guide and window, in order of publication."""
    t, cls, order = listing.PUBLIC_CHALLENGES, PublicChallenge, "published_position"
    return page(store, t, cls, {}, order=order, cursor=cursor, limit=limit)


def public_challenge(store: ReadStore, challenge_id: str) -> PublicChallenge | None:
    """One public challenge, or None (also for restricted and classified ones)."""
    return one(store, listing.PUBLIC_CHALLENGES, PublicChallenge, "challenge_id", challenge_id)


def public_notices(
    store: ReadStore, *, cursor: str | None = None, limit: int = 50
) -> Page[PublicNotice]:
    """Public notices (公示) of non-classified selected projects, in order of publication."""
    t, cls, order = listing.PUBLIC_NOTICES, PublicNotice, "publicized_position"
    return page(store, t, cls, {}, order=order, cursor=cursor, limit=limit)


# ---- the application pipeline -------------------------------------------------------------
def application_counts(store: ReadStore, challenge_id: str) -> dict[str, int]:
    """How many applications to a challenge are in each status (counts only)."""
    with store.db() as db:
        rows = select(db, pipeline.COUNTS, {"challenge_id": challenge_id}, order="status")
    return {r["status"]: r["count"] for r in rows}


# ---- panels and experts -------------------------------------------------------------------
def list_experts(
    store: ReadStore, *, kind: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[Expert]:
    """Registered experts (ordered by id), optionally of one kind."""
    check_limit(limit)
    after = decode_cursor(cursor)
    with store.db() as db:
        rows = select(db, panels.EXPERTS, {"kind": kind}, order="expert_id")
    items = [build_view(Expert, r) for r in rows][after : after + limit]
    more = after + limit < len(rows)
    return Page(items=items, next_cursor=encode_cursor(after + limit) if more else None)


def challenge_panels(store: ReadStore, challenge_id: str) -> list[Panel]:
    """A challenge's argumentation and review panels: members, kinds, confirmations."""
    with store.db() as db:
        heads = select(db, panels.PANELS, {"challenge_id": challenge_id}, order="position")
        members = select(db, panels.MEMBERS, {"challenge_id": challenge_id}, order="expert_id")
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
                members=tuple(build_view(PanelMember, m) for m in mine),
                by_kind=by_kind,
            )
        )
    return result


def recusals(store: ReadStore, challenge_id: str) -> list[Recusal]:
    """Every recorded recusal (R-CONFLICT) on a challenge's applications."""
    with store.db() as db:
        rows = select(db, panels.RECUSALS, {"challenge_id": challenge_id}, order="position")
    return [build_view(Recusal, r) for r in rows]


# ---- the project portfolio ----------------------------------------------------------------
def list_projects(
    store: ReadStore,
    *,
    viewer: Viewer | None = None,
    status: str | None = None,
    year: int | None = None,
    industry: str | None = None,
    category: str | None = None,
    challenge_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ProjectSummary]:
    """Projects in order of selection, filtered; only the rows ``viewer`` may see."""
    extra, params = projects_visible_to(viewer)
    return page(
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
        extra=extra,
        params=params,
    )


def get_project(store: ReadStore, project_id: str) -> ProjectDetail | None:
    """One project with its milestones and the days it spent in each step."""
    with store.db() as db:
        rows = select(db, portfolio.PROJECTS, {"project_id": project_id}, order="project_id")
        if not rows:
            return None
        milestones = select(db, portfolio.MILESTONES, {"project_id": project_id}, order="due_month")
        steps = select(db, portfolio.STEPS, {"aggregate_id": project_id}, order="entered_at")
    return ProjectDetail(
        project=build_view(ProjectSummary, rows[0]),
        milestones=tuple(build_view(Milestone, m) for m in milestones),
        steps=tuple(build_view(StepDays, s) for s in steps),
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
    return page(
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
        rows = select(db, ledger.TOTALS, {"dimension": dimension}, order="value")
    return [build_view(FundingTotal, r) for r in rows]


# ---- the audit index ----------------------------------------------------------------------
def _china_iso(value: datetime, name: str) -> str:
    return in_china_time(value, name).isoformat()


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
    return page(
        store,
        audit_index.AUDIT_EVENTS,
        AuditEntry,
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
        convert=_with_exceptions,
    )


def _with_exceptions(row: dict[str, Any]) -> dict[str, Any]:
    """The audit row's exceptions, stored as JSON text, as a list."""
    return {**row, "exceptions": json.loads(row["exceptions"]) if row["exceptions"] else []}


def audit_positions(
    store: ReadStore,
    *,
    actor_id: str | None = None,
    request_id: str | None = None,
    correlation_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[int], int]:
    """The log positions the audit index holds for these filters (recording time in
    [since, until)), and the position the index has reached (``jiebang audit activity``)."""
    t = audit_index.AUDIT_EVENTS
    where = {"actor_id": actor_id, "request_id": request_id, "correlation_id": correlation_id}
    clauses = [f'"{k}" = ?' for k, v in where.items() if v is not None]
    values: list[Any] = [v for v in where.values() if v is not None]
    if since is not None:
        clauses.append('"recorded_at" >= ?')
        values.append(_china_iso(since, "since"))
    if until is not None:
        clauses.append('"recorded_at" < ?')
        values.append(_china_iso(until, "until"))
    with store.db() as db:
        # The position first: every row up to it is committed (rows past it are left out).
        reached = db.positions([audit_index.AuditIndex.name])[audit_index.AuditIndex.name]
        sql = f'SELECT "position" FROM {db.name(t.name)}'
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        found = [int(r[0]) for r in db.query(sql + ' ORDER BY "position"', values)]
    return found, reached
