"""The documents the bureau publishes, written from the record as DOCX (python-docx) and, where
a font for Chinese is at hand, as PDF (``pdf.py``) from the same lines.

The texts are templates kept as files beside this module (``templates/*.txt``: ``#`` a title,
``##`` a heading, every other line a paragraph, ``$name`` a value from the record). A written
document is stored like an uploaded one and referenced by digest, so what was published is
exactly what the record holds. Writing is deterministic: the same record gives the same bytes
(the package's timestamps are fixed), so writing twice stores one document (each format once).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from string import Template
from typing import TYPE_CHECKING

import docx
import structlog

from jiebang_es.documents import evidence, pdf
from jiebang_es.documents.store import StoredDocument
from jiebang_es.domain import rules
from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.personal import shown
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import Actor, Commitment, Indicator, Milestone, Role, Scope
from jiebang_es.errors import RuleViolationError
from jiebang_es.service_base import in_china_time

if TYPE_CHECKING:
    from jiebang_es.service import JiebangApp

CATEGORY = {"key": "重点项目", "major": "重大项目"}
FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # zip member times and core properties: no clock in bytes
log = structlog.get_logger("jiebang_es")


Lines = list[tuple[int, str]]  # (0 a title, 1 a heading, 2 a paragraph; the text)


def fill(template: str, values: Mapping[str, object]) -> Lines:
    """The named template filled with ``values``: the lines both the DOCX and the PDF lay out."""
    text = resources.files("jiebang_es.documents").joinpath(f"templates/{template}.txt")
    filled = Template(text.read_text(encoding="utf-8")).substitute(
        {k: str(v) for k, v in values.items()}
    )
    out: Lines = []
    for line in filled.splitlines():
        if line.startswith("## "):
            out.append((1, line[3:]))
        elif line.startswith("# "):
            out.append((0, line[2:]))
        elif line.strip():
            out.append((2, line))
    return out


AUTHOR = "区科技局"


def docx_of(lines: Lines) -> bytes:
    """The lines as DOCX bytes."""
    document = docx.Document()
    props = document.core_properties
    props.created = props.modified = datetime(*FIXED_TIME)
    # What a reader's word processor shows under "properties": the issuer, the title, Chinese.
    props.author = props.last_modified_by = AUTHOR
    props.title = next((text for level, text in lines if level == 0), "")
    props.language = "zh-CN"
    for level, text in lines:
        if level == 2:
            document.add_paragraph(text)
        else:
            document.add_heading(text, level=level)
    raw = io.BytesIO()
    document.save(raw)
    return _fixed_times(raw.getvalue())


def render(template: str, values: Mapping[str, object]) -> bytes:
    """The named template filled with ``values``, as DOCX bytes."""
    return docx_of(fill(template, values))


def _fixed_times(package: bytes) -> bytes:
    """The same package with every member's time fixed, so equal records give equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _yuan(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{amount:,.2f}"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{value:%Y年%m月%d日 %H:%M}"
    return f"{value:%Y年%m月%d日}"


def _indicators(items: Sequence[Indicator]) -> str:
    return "\n".join(f"{i}. {x.name}：{x.target} {x.unit}" for i, x in enumerate(items, 1)) or "—"


def _milestones(items: Sequence[Milestone]) -> str:
    lines = (
        f"{i}. 第 {m.due_month} 个月：{m.name}，交付 {m.deliverable}"
        for i, m in enumerate(items, 1)
    )
    return "\n".join(lines) or "—"


def _commitment(c: Commitment | None) -> str:
    if c is None:
        return "—"
    first = "，首次应用" if c.first_application else ""
    return f"{_yuan(c.own_investment)} 元；{c.support}{first}"


def guide(c: Challenge, window_opens: datetime, window_closes: datetime) -> Lines:
    """The application guide (申报指南) from the challenge's contents and its window."""
    content = c.content
    scope = (
        "定向发布：" + "、".join(content.recipients)
        if content.scope is Scope.RESTRICTED
        else "区政府门户网站公开发布"
    )
    return fill(
        "guide",
        {
            "name": content.name,
            "industry": content.industry,
            "category": CATEGORY[content.category.value],
            "end_user": c.end_user.name,
            "chokepoint": content.chokepoint,
            "industry_effect": content.industry_effect,
            "indicators": _indicators(content.indicators),
            "benchmarking": content.benchmarking or "—",
            "milestones": _milestones(content.milestones),
            "funding": _yuan(content.funding),
            "period_months": content.period_months or "—",
            "commitment": _commitment(content.commitment),
            "solver_conditions": content.solver_conditions or "—",
            "window_opens": _day(window_opens),
            "window_closes": _day(window_closes),
            "scope": scope,
        },
    )


def notice(
    p: Project, c: Challenge, a: Application, starts_on: date, ends_on: date, days: int
) -> Lines:
    """The public notice (公示文本) with what R-PUBLICITY says it must say."""
    return fill(
        "notice",
        {
            "name": c.content.name,
            "industry": c.content.industry,
            "category": CATEGORY[c.content.category.value],
            "solver": f"{a.lead.organisation.name}（{a.lead.organisation.credit_code}）",
            "leader": shown(a.leader_name),
            "end_user": f"{c.end_user.name}（{c.end_user.credit_code}）",
            "funding": _yuan(p.funding),
            "period_months": a.period_months,
            "starts_on": _day(starts_on),
            "ends_on": _day(ends_on),
            "working_days": days,
        },
    )


def demand_list(year: int, challenges: Sequence[Challenge]) -> Lines:
    """The annual demand list (需求清单) put to the party group meeting."""
    items = "\n".join(
        f"{i}. {c.content.name}（{c.content.industry}，{CATEGORY[c.content.category.value]}）"
        f"需求单位：{c.end_user.name}；拟资助 {_yuan(c.content.funding)} 元"
        for i, c in enumerate(challenges, 1)
    )
    total = sum((c.content.funding or Decimal(0) for c in challenges), Decimal(0))
    return fill(
        "demand_list",
        {"year": year, "items": items, "count": len(challenges), "total": _yuan(total)},
    )


def contract_draft(p: Project, c: Challenge, a: Application) -> Lines:
    """The draft task contract (任务书草案) from the drafted terms."""
    terms = p.draft_terms
    return fill(
        "contract_draft",
        {
            "name": c.content.name,
            "end_user": c.end_user.name,
            "solver": a.lead.organisation.name,
            "leader": shown(a.leader_name),
            "indicators": _indicators(terms.indicators if terms else c.content.indicators),
            "milestones": _milestones(terms.milestones if terms else c.content.milestones),
            "budget": _yuan(terms.budget if terms else p.funding),
            "period_months": terms.period_months if terms else a.period_months,
            "commitment": _commitment(c.content.commitment),
        },
    )


# ---- written and kept, for the bureau -------------------------------------------------------
@dataclass(frozen=True)
class Written:
    """A document the bureau wrote, as kept: the DOCX always; the PDF where a font for Chinese
    has every glyph of its text, else ``no_pdf`` says why there is none."""

    docx: StoredDocument
    pdf: StoredDocument | None
    no_pdf: str = ""


def _keep(app: JiebangApp, actor: Actor, lines: Lines, kind: str, stem: str) -> Written:
    """A written document, kept like an uploaded one (as DOCX and, where it can be, as PDF);
    the bureau writes what it publishes."""
    rules.check_role(actor, [Role.BUREAU], "R-EVIDENCE", "writing the bureau's documents")

    def keep(data: bytes, suffix: str) -> StoredDocument:
        return app.documents.put_bytes(
            data, kind=kind, file_name=f"{stem}.{suffix}", uploaded_by=actor.id,
            org_code=actor.org_code,
        )  # fmt: skip

    kept = keep(docx_of(lines), "docx")
    choice = pdf.choose_font(app.settings.pdf_font)
    font, no_pdf = choice.font, choice.reason
    if font is not None:
        missing = pdf.missing_glyphs(font, "".join(text for _, text in lines))
        no_pdf = f"the font {font} cannot draw: {missing}" if missing else ""
    if font is None or no_pdf:
        log.warning("written_without_pdf", kind=kind, docx=kept.digest, reason=no_pdf)
        return Written(kept, None, f"only DOCX (仅生成 DOCX): {no_pdf}")
    return Written(kept, keep(pdf.render_pdf(lines, font), "pdf"))


def write_guide(
    app: JiebangApp,
    actor: Actor,
    challenge_id: str,
    window_opens: datetime,
    window_closes: datetime,
) -> Written:
    c = app.challenge(challenge_id)
    opens = in_china_time(window_opens, "window_opens")
    closes = in_china_time(window_closes, "window_closes")
    # As publication checks it: a guide kept for good must not name a window it could not open.
    if closes <= opens:
        raise RuleViolationError("R-GUIDE", "the application window closes after it opens")
    lines = guide(c, opens, closes)
    return _keep(app, actor, lines, evidence.GUIDE, f"申报指南-{c.content.name}")


def write_notice(
    app: JiebangApp, actor: Actor, project_id: str, starts_on: date | None = None
) -> Written:
    """The notice as ``publicize`` will record it: from ``starts_on`` (default: today) for the
    configured number of working days."""
    p = app.project(project_id)
    c, a = app.challenge(p.challenge_id), app.application(p.application_id)
    start = starts_on or app.clock.now().date()
    days = app.settings.notice_working_days
    lines = notice(p, c, a, start, app.calendar.working_days_end(start, days), days)
    return _keep(app, actor, lines, evidence.NOTICE_TEXT, f"公示-{c.content.name}")


def write_demand_list(
    app: JiebangApp, actor: Actor, year: int, challenge_ids: Sequence[str]
) -> Written:
    challenges = [app.challenge(i) for i in challenge_ids]
    lines = demand_list(year, challenges)
    return _keep(app, actor, lines, evidence.DEMAND_LIST, f"{year}年度需求清单")


def write_contract_draft(app: JiebangApp, actor: Actor, project_id: str) -> Written:
    p = app.project(project_id)
    c, a = app.challenge(p.challenge_id), app.application(p.application_id)
    lines = contract_draft(p, c, a)
    return _keep(app, actor, lines, evidence.DRAFT_CONTRACT, f"任务书草案-{c.content.name}")
