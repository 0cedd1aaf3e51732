"""The public portal (no sign-in): published public challenges with search and filters, each
challenge's whole list entry and application guide, the running and past public notices with
what R-PUBLICITY requires and how to object, and an Atom feed of both for the district
portal's CMS.

Everything here is read from the public listing (``projections.queries.public_*``), which holds
only public-scope, non-classified challenges and the notices of non-classified projects
(R-SCOPE, R-SECRET, R-PUBLICITY). A challenge page adds the list entry's full content from the
aggregate, only after ``api.visibility.is_public`` says an anonymous reader may see it: a
restricted, classified or unpublished challenge answers 404, as the JSON route does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID
from xml.sax.saxutils import escape

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from api.deps import AppDep
from api.reads import ReadsDep
from api.routers.documents import disposition
from api.visibility import is_public
from api.web.draws import published_draws, record
from api.web.render import not_found, page, set_page_headers, when, yuan
from jiebang_es.documents.evidence import GUIDE
from jiebang_es.domain.challenge import Challenge
from jiebang_es.errors import NotFoundError
from jiebang_es.service import JiebangApp
from projections import queries
from projections.paging import MAX_LIMIT
from projections.queries import Page, PublicChallenge, PublicNotice
from projections.readstore import ReadStore

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
OPEN_STATES = ("open", "upcoming", "closed")
FEED_ENTRIES = 50


def every(fetch: Callable[..., Page[T]], store: ReadStore) -> Iterator[T]:
    """Every row of a public list, page after page."""
    cursor: str | None = None
    while True:
        found = fetch(store, cursor=cursor, limit=MAX_LIMIT)
        yield from found.items
        if found.next_cursor is None:
            return
        cursor = found.next_cursor


def is_open(c: PublicChallenge, now: datetime) -> bool:
    """Accepting applications now: published, and inside the application window."""
    opens, closes = datetime.fromisoformat(c.window_opens), datetime.fromisoformat(c.window_closes)
    return c.status == "published" and opens <= now < closes


def window_state(c: PublicChallenge, now: datetime) -> str:
    """``open`` inside the window, ``upcoming`` before it opens, ``closed`` otherwise."""
    if is_open(c, now):
        return "open"
    if c.status == "published" and now < datetime.fromisoformat(c.window_opens):
        return "upcoming"
    return "closed"


def notice_running(n: PublicNotice, today: str) -> bool:
    """A notice whose period has not ended and that was not closed or revoked."""
    return n.status not in ("closed", "revoked") and n.ends_on >= today


@router.get("/")
def home() -> Response:
    return RedirectResponse("/portal", status_code=307)


@router.get("/portal")
def challenges(
    request: Request,
    reads: ReadsDep,
    app: AppDep,
    q: Annotated[str, Query(max_length=100)] = "",
    industry: Annotated[str, Query(max_length=40)] = "",
    # A filter the form cannot give is refused (400 naming it), never an empty list that
    # looks like an answer.
    category: Annotated[Literal["", "key", "major"], Query()] = "",
    year: Annotated[str, Query(pattern=r"^(\d{4})?$")] = "",
    state: Annotated[Literal["", "open", "upcoming", "closed"], Query()] = "",
) -> Response:
    """The published public challenges, newest first, searched and filtered."""
    now = app.clock.now()
    rows = list(every(queries.public_challenges, reads))
    shown = [
        c
        for c in rows
        if (not q or q in c.name or q in c.end_user_name or q in c.industry)
        and (not industry or c.industry == industry)
        and (not category or c.category == category)
        and (not year or str(c.year) == year)
        and (state not in OPEN_STATES or window_state(c, now) == state)
    ]
    shown.reverse()
    context = {
        "items": [(c, window_state(c, now)) for c in shown],
        "total": len(rows),
        "filters": {"q": q, "industry": industry, "category": category, "year": year},
        "state": state,
        "industries": sorted({c.industry for c in rows}),
        "years": sorted({c.year for c in rows if c.year is not None}, reverse=True),
    }
    return page(request, "portal_list.html", context)


@router.get("/portal/challenges/{challenge_id}")
def challenge(
    request: Request, challenge_id: Annotated[UUID, Path()], reads: ReadsDep, app: AppDep
) -> Response:
    """One public challenge's whole list entry, its guide and its notices."""
    listed = queries.public_challenge(reads, str(challenge_id))
    if listed is None:
        raise not_found()
    try:
        aggregate = app.challenge(str(challenge_id))
    except NotFoundError:
        raise not_found() from None
    if not is_public(aggregate):
        raise not_found()
    content = aggregate.content
    notices = [
        n for n in every(queries.public_notices, reads) if n.challenge_id == listed.challenge_id
    ]
    context = {
        "c": listed,
        "content": content,
        "window": window_state(listed, app.clock.now()),
        "notices": notices,
        "draws": [record(d) for d in published_draws(app, listed.challenge_id)],
        "guides": _guides(app, listed.challenge_id),
    }
    return page(request, "portal_challenge.html", context)


def _guides(app: JiebangApp, challenge_id: str) -> list[dict[str, Any]]:
    """The guide documents kept with the challenge's publication (R-EVIDENCE), each served to
    anyone by ``/v1/public/documents/{digest}``."""
    seen: dict[str, dict[str, Any]] = {}
    for event in app.events_of(challenge_id):
        if isinstance(event, Challenge.Published):
            for d in event.audit.documents:
                if d.kind == GUIDE:
                    seen.setdefault(d.digest, dataclasses.asdict(d))
    return list(seen.values())


@router.get("/portal/draws")
def draws(request: Request, reads: ReadsDep, app: AppDep) -> Response:
    """Every published record of an expert draw, by public challenge (newest first)."""
    groups = []
    for c in reversed(list(every(queries.public_challenges, reads))):
        found = published_draws(app, c.challenge_id)
        if found:
            groups.append((c, [record(d) for d in found]))
    return page(request, "portal_draws.html", {"groups": groups})


@router.get("/portal/challenges/{challenge_id}/guide.txt")
def guide(challenge_id: Annotated[UUID, Path()], reads: ReadsDep) -> Response:
    """The application guide (申报指南) as a download."""
    listed = queries.public_challenge(reads, str(challenge_id))
    if listed is None:
        raise not_found()
    return Response(
        f"{listed.name}\n申报指南\n\n{listed.guide}\n",
        media_type="text/plain; charset=utf-8",
        # Saved under a name its reader recognises (an ASCII fallback for old clients).
        headers={"Content-Disposition": disposition(f"申报指南-{listed.name}.txt")},
    )


@router.get("/portal/notices")
def notices(request: Request, reads: ReadsDep, app: AppDep) -> Response:
    """The running public notices, then the past ones."""
    today = app.clock.now().date().isoformat()
    rows = list(every(queries.public_notices, reads))
    rows.reverse()
    context = {
        "running": [n for n in rows if notice_running(n, today)],
        "past": [n for n in rows if not notice_running(n, today)],
    }
    return page(request, "portal_notices.html", context)


@router.get("/portal/notices/{project_id}")
def notice(
    request: Request, project_id: Annotated[UUID, Path()], reads: ReadsDep, app: AppDep
) -> Response:
    """One public notice: everything R-PUBLICITY requires, and how to object."""
    found = next(
        (n for n in every(queries.public_notices, reads) if n.project_id == str(project_id)), None
    )
    if found is None:
        raise not_found()
    today = app.clock.now().date().isoformat()
    context = {"n": found, "running": notice_running(found, today), "extra": notice_fields(found)}
    return page(request, "portal_notice.html", context)


# The notice's further fields (R-PUBLICITY), in this order, each under its Chinese label; a
# field the read model gains later is shown under its own name until it is given one here.
NOTICE_FIELDS_ZH = {
    "project_title": "项目名称",
    "restricted": "发布范围",
    "end_user_name": "最终用户",
    "funding": "资助金额",
    "period_months": "实施周期（月）",
    "project_leader": "项目负责人",
    "district_number": "区级项目编号",
}


def notice_fields(notice: Any) -> list[tuple[str, str]]:
    """(label, text) of the notice's fields beyond those the page lays out itself."""
    values = {
        k: v
        for k, v in dataclasses.asdict(notice).items()
        if k not in NOTICE_SHOWN and v not in (None, "")
    }
    unnamed = sorted(values.keys() - NOTICE_FIELDS_ZH.keys())
    order = [*(k for k in NOTICE_FIELDS_ZH if k in values), *unnamed]
    return [(NOTICE_FIELDS_ZH.get(k, k), _notice_text(k, values[k])) for k in order]


def _notice_text(name: str, value: Any) -> str:
    if name == "restricted":
        return "定向发布（榜单内容按发布范围不公开）" if value else "公开发布"
    if name == "funding":
        return yuan(value)
    return str(value)


NOTICE_SHOWN = {
    "project_id",
    "challenge_id",
    "challenge_name",
    "industry",
    "category",
    "solver_name",
    "starts_on",
    "ends_on",
    "status",
    "objection_channel",  # under 如何提出异议, as the notice recorded it
}


@router.get("/portal/feed.atom")
def feed(request: Request, reads: ReadsDep) -> Response:
    """An Atom feed of the newest public challenges and notices, for the portal's CMS."""
    base = str(request.base_url).rstrip("/")
    entries: list[tuple[str, str, str, str, str]] = []
    for c in every(queries.public_challenges, reads):
        link = f"{base}/portal/challenges/{c.challenge_id}"
        summary = (
            f"{c.industry}；资助 {yuan(c.funding)}；申报时间（北京时间）{when(c.window_opens)} 至 "
            f"{when(c.window_closes)}"
        )
        entries.append(
            (c.published_at, f"揭榜挂帅榜单：{c.name}", link, f"urn:uuid:{c.challenge_id}", summary)
        )
    for n in every(queries.public_notices, reads):
        title = f"入选公示：{n.challenge_name or '定向发布榜单'}（{n.solver_name or ''}）"
        link = f"{base}/portal/notices/{n.project_id}"
        summary = f"公示期 {n.starts_on} 至 {n.ends_on}"
        entries.append((_as_time(n.starts_on), title, link, f"urn:uuid:{n.project_id}", summary))
    entries.sort(key=lambda e: e[0], reverse=True)
    entries = entries[:FEED_ENTRIES]
    updated = entries[0][0] if entries else "2026-01-01T00:00:00+08:00"
    body = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        "<title>揭榜挂帅：榜单与公示</title>",
        f"<id>{escape(base)}/portal/feed.atom</id>",
        f'<link rel="self" href="{escape(base)}/portal/feed.atom"/>',
        f'<link rel="alternate" type="text/html" href="{escape(base)}/portal"/>',
        f"<updated>{escape(updated)}</updated>",
        "<author><name>区科技局</name></author>",
    ]
    for updated_at, title, link, ident, summary in entries:
        body += [
            "<entry>",
            f"<title>{escape(title)}</title>",
            f'<link rel="alternate" type="text/html" href="{escape(link)}"/>',
            f"<id>{escape(ident)}</id>",
            f"<updated>{escape(updated_at)}</updated>",
            f"<summary>{escape(summary)}</summary>",
            "</entry>",
        ]
    body.append("</feed>")
    response = Response("\n".join(body) + "\n", media_type="application/atom+xml; charset=utf-8")
    set_page_headers(response, private=False)
    return response


def _as_time(day: str) -> str:
    """An Atom date-time for a notice's first day (China time, midnight)."""
    return day if "T" in day else f"{day}T00:00:00+08:00"


@router.get("/sitemap.xml")
def sitemap(request: Request, reads: ReadsDep, app: AppDep) -> Response:
    """The public pages, for search engines and the district portal's CMS: the lists, each
    public challenge, each public notice and each published draw record; nothing else."""
    base = str(request.base_url).rstrip("/")
    urls: list[tuple[str, str | None]] = [
        ("/portal", None),
        ("/portal/notices", None),
        ("/portal/draws", None),
    ]
    for c in every(queries.public_challenges, reads):
        urls.append((f"/portal/challenges/{c.challenge_id}", c.published_at[:10] or None))
        for d in published_draws(app, c.challenge_id):
            urls.append((f"/portal/draws/{d.id}", d.effective_at.date().isoformat()))
    for n in every(queries.public_notices, reads):
        urls.append((f"/portal/notices/{n.project_id}", n.starts_on[:10] or None))
    body = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for path, modified in urls:
        body.append(f"<url><loc>{escape(base + path)}</loc>")
        if modified:
            body.append(f"<lastmod>{escape(modified)}</lastmod>")
        body.append("</url>")
    body.append("</urlset>")
    response = Response("\n".join(body) + "\n", media_type="application/xml; charset=utf-8")
    set_page_headers(response, private=False)
    return response


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    """Crawlers may read the portal and the public API, nothing signed-in; the sitemap."""
    base = str(request.base_url).rstrip("/")
    lines = [
        "User-agent: *",
        "Allow: /portal",
        "Allow: /v1/public/",
        "Disallow: /console",
        "Disallow: /dashboard",
        "Disallow: /sign-in",
        "Disallow: /v1/",
        f"Sitemap: {base}/sitemap.xml",
    ]
    return Response("\n".join(lines) + "\n", media_type="text/plain; charset=utf-8")
