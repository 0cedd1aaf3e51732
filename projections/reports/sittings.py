"""Who sat on which panels: the questions discipline inspection (纪检) asks of the expert pool —
how often each expert sat per year, for each end user and for each winning solver, and which
pairs of experts met on more panels than a threshold. Read from the panels, catalogue and
portfolio read models; only panels that took effect count."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

from projections.models.catalogue import CHALLENGES
from projections.models.panels import EXPERTS, MEMBERS, PANELS
from projections.models.portfolio import PROJECTS
from projections.readstore import ReadStore
from projections.reports.formats import Sheet, md_table, to_csv, to_json, to_xlsx


@dataclass(frozen=True)
class Count:
    expert_id: str
    name: str
    of: str  # the year, the end user's code or the solver's code
    panels: int


@dataclass(frozen=True)
class Pair:
    expert_a: str
    expert_b: str
    panels: int


@dataclass(frozen=True)
class SittingsReport:
    year: int | None
    min_pair_panels: int
    per_year: list[Count]
    per_end_user: list[Count]
    per_winning_solver: list[Count]
    frequent_pairs: list[Pair]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sittings_report(
    store: ReadStore, year: int | None = None, min_pair_panels: int = 3
) -> SittingsReport:
    """Counts over every panel in effect (argumentation as recorded, review once both parties
    confirmed), for one business year or all; pairs that met on ``min_pair_panels`` or more."""
    with store.db() as db:
        panels = db.select_rows(PANELS)
        members = db.select_rows(MEMBERS)
        names = {r["expert_id"]: r["name"] for r in db.select_rows(EXPERTS)}
        end_users = {r["challenge_id"]: r["end_user_code"] for r in db.select_rows(CHALLENGES)}
        solvers = {
            r["challenge_id"]: r["solver_code"]
            for r in db.select_rows(PROJECTS, ordered=True)
            if r["status"] != "revoked"
        }
    in_effect = {
        (p["challenge_id"], p["panel"], p["round"]): int(str(p["formed_at"])[:4])
        for p in panels
        if p["effective"] and (year is None or str(p["formed_at"]).startswith(f"{year}-"))
    }
    seated: dict[tuple[str, str, int], list[str]] = {}
    for m in members:
        key = (m["challenge_id"], m["panel"], m["round"])
        if key in in_effect:
            seated.setdefault(key, []).append(m["expert_id"])
    per_year: Counter[tuple[str, str]] = Counter()
    per_end_user: Counter[tuple[str, str]] = Counter()
    per_solver: Counter[tuple[str, str]] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for key, experts in seated.items():
        challenge_id, panel, _ = key
        when = str(in_effect[key])
        for expert in experts:
            per_year[(expert, when)] += 1
            per_end_user[(expert, end_users.get(challenge_id) or "")] += 1
            if panel == "review" and solvers.get(challenge_id):
                per_solver[(expert, solvers[challenge_id])] += 1
        pairs.update(combinations(sorted(set(experts)), 2))

    def counts(counter: Counter[tuple[str, str]]) -> list[Count]:
        return [
            Count(expert_id=e, name=names.get(e, ""), of=of, panels=n)
            for (e, of), n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    return SittingsReport(
        year=year,
        min_pair_panels=min_pair_panels,
        per_year=counts(per_year),
        per_end_user=counts(per_end_user),
        per_winning_solver=counts(per_solver),
        frequent_pairs=[
            Pair(expert_a=a, expert_b=b, panels=n)
            for (a, b), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
            if n >= min_pair_panels
        ],
    )


def _sheets(report: SittingsReport) -> dict[str, Sheet]:
    def count_sheet(rows: list[Count], of: str) -> Sheet:
        return (
            ("expert_id", "name", of, "panels"),
            [(c.expert_id, c.name, c.of, c.panels) for c in rows],
        )

    return {
        "per year": count_sheet(report.per_year, "year"),
        "per end user": count_sheet(report.per_end_user, "end_user_code"),
        "per winning solver": count_sheet(report.per_winning_solver, "solver_code"),
        "frequent pairs": (
            ("expert_a", "expert_b", "panels"),
            [(p.expert_a, p.expert_b, p.panels) for p in report.frequent_pairs],
        ),
    }


# What people read (XLSX, Markdown) in Chinese; JSON and CSV keep the codes scripts read.
SHEETS_ZH = {
    "per year": "各年度",
    "per end user": "各最终用户",
    "per winning solver": "各入选揭榜单位",
    "frequent pairs": "经常同组的专家",
}
HEADERS_ZH = {
    "expert_id": "专家编号",
    "name": "姓名",
    "year": "年度",
    "end_user_code": "最终用户统一社会信用代码",
    "solver_code": "揭榜单位统一社会信用代码",
    "panels": "参加专家组次数",
    "expert_a": "专家甲",
    "expert_b": "专家乙",
}


def _sheets_zh(report: SittingsReport) -> dict[str, Sheet]:
    return {
        SHEETS_ZH[name]: ([HEADERS_ZH[h] for h in headers], rows)
        for name, (headers, rows) in _sheets(report).items()
    }


def render(report: SittingsReport, fmt: str) -> str | bytes:
    """The report in ``json``, ``csv``, ``xlsx`` or ``md``."""
    if fmt == "json":
        return to_json(report.as_dict())
    if fmt == "csv":
        return to_csv(_sheets(report))
    sheets = _sheets_zh(report)
    if fmt == "xlsx":
        return to_xlsx(sheets)
    parts = [
        "# 专家参评情况",
        f"年度：{report.year or '全部'}；经常同组：同组 {report.min_pair_panels} 次及以上。",
    ]
    for title, sheet in sheets.items():
        parts += [f"## {title}", md_table(*sheet) if sheet[1] else "无。"]
    return "\n\n".join(parts) + "\n"
