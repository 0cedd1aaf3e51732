"""The portfolio report: per year, industry and category — challenges, applications,
selections, funds contracted and disbursed beside the end users' co-investment committed and
reported (R-EU-COMMIT), median days per step; with a chart of funds and
durations per year. Read from the catalogue, pipeline and portfolio read models."""

from __future__ import annotations

import html
import io
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.project import ProjectStatus
from jiebang_es.labels_zh import CATEGORY_ZH, step_label
from projections.models import catalogue, pipeline, portfolio
from projections.readstore import ReadStore
from projections.reports.formats import Sheet, html_table, md_table, to_csv, to_json, to_xlsx

Group = tuple[int | None, str, str]  # year, industry, category
# The steps of the procedure in its order, the challenge's then the project's ("kind:step", as
# the portfolio model names them); a step unknown here comes after them, by name.
STEP_ORDER = {
    step: i
    for i, step in enumerate(
        [f"challenge:{s.value}" for s in ChallengeStatus]
        + [f"project:{s.value}" for s in ProjectStatus]
    )
}


def step_order(step: str) -> tuple[int, str]:
    return STEP_ORDER.get(step, len(STEP_ORDER)), step


@dataclass
class PortfolioLine:
    year: int | None
    industry: str
    category: str
    challenges: int = 0
    applications: int = 0
    selections: int = 0
    contracted: Decimal = Decimal("0.00")
    disbursed: Decimal = Decimal("0.00")
    # R-EU-COMMIT: the end users' co-investment beside the district's funding.
    co_investment_committed: Decimal = Decimal("0.00")
    co_investment_reported: Decimal = Decimal("0.00")
    median_days: dict[str, float] = field(default_factory=dict)
    # Each step's durations (days), from which its median comes: a median over several lines
    # is taken over all their durations, never over their medians.
    days: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class PortfolioReport:
    position: int
    lines: list[PortfolioLine]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def median_days(self, step: str, year: int | None = None) -> float | None:
        """The median duration of a step over every line (or the lines of one year; 0: those
        on no year's list, as the chart counts them), from the durations themselves; None
        when there is none."""
        found = [
            d
            for x in self.lines
            if year is None or (x.year or 0) == year
            for d in x.days.get(step, ())
        ]
        return float(statistics.median(found)) if found else None

    @property
    def steps(self) -> list[str]:
        """The steps with a duration, in the procedure's order (not the order the rows came
        in, which follows the aggregates' random ids): the same columns and bars, in the
        same order, from every store holding the same log."""
        seen: set[str] = set()
        for line in self.lines:
            seen.update(line.median_days)
        return sorted(seen, key=step_order)


def portfolio_report(store: ReadStore) -> PortfolioReport:
    """The report as of the position all three read models have reached."""
    with store.db() as db:
        challenges = db.select_rows(catalogue.CHALLENGES, ordered=True)
        counts = db.select_rows(pipeline.COUNTS, ordered=True)
        projects = db.select_rows(portfolio.PROJECTS, ordered=True)
        steps = db.select_rows(portfolio.STEPS, ordered=True)
        positions = db.positions(["catalogue", "pipeline", "portfolio"])
    group_of: dict[str, Group] = {
        c["challenge_id"]: (c["year"], c["industry"], c["category"]) for c in challenges
    }
    lines: dict[Group, PortfolioLine] = {}

    def line(group: Group) -> PortfolioLine:
        if group not in lines:
            lines[group] = PortfolioLine(*group)
        return lines[group]

    for c in challenges:
        line(group_of[c["challenge_id"]]).challenges += 1
    for n in counts:
        if n["challenge_id"] in group_of:
            line(group_of[n["challenge_id"]]).applications += n["count"]
    durations: dict[Group, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for p in projects:
        group = group_of.get(p["challenge_id"], (p["year"], p["industry"], p["category"]))
        group_of[p["project_id"]] = group
        entry = line(group)
        entry.selections += 1
        entry.contracted += p["contracted"] or Decimal(0)
        entry.disbursed += p["disbursed"] or Decimal(0)
        entry.co_investment_committed += p["co_investment_committed"] or Decimal(0)
        entry.co_investment_reported += p["co_investment_reported"] or Decimal(0)
    for s in steps:
        if s["days"] is not None and s["aggregate_id"] in group_of:
            name = f"{s['kind']}:{s['step']}"
            durations[group_of[s["aggregate_id"]]][name].append(s["days"])
    for group, by_step in durations.items():
        ordered_steps = sorted(by_step, key=step_order)
        line(group).median_days = {k: float(statistics.median(by_step[k])) for k in ordered_steps}
        line(group).days = {k: sorted(by_step[k]) for k in ordered_steps}
    ordered = sorted(lines.values(), key=lambda x: (x.year or 0, x.industry, x.category))
    return PortfolioReport(position=min(positions.values()), lines=ordered)


def _sheet(report: PortfolioReport) -> Sheet:
    steps = report.steps
    headers = [
        "year",
        "industry",
        "category",
        "challenges",
        "applications",
        "selections",
        "contracted",
        "disbursed",
        "co-investment committed",
        "co-investment reported",
        *(f"median days {s}" for s in steps),
    ]
    rows = [
        [
            x.year,
            x.industry,
            x.category,
            x.challenges,
            x.applications,
            x.selections,
            x.contracted,
            x.disbursed,
            x.co_investment_committed,
            x.co_investment_reported,
            *(x.median_days.get(s) for s in steps),
        ]
        for x in report.lines
    ]
    return headers, rows


# The report's columns as the bureau names them: Markdown, HTML and XLSX are read by people
# (the dashboard's workbook is this very sheet); JSON and CSV keep the codes scripts read.
SHEET_ZH = "项目组合"
COLUMN_ZH = {
    "year": "年度",
    "industry": "产业领域",
    "category": "类别",
    "challenges": "榜单数",
    "applications": "申报数",
    "selections": "入选数",
    "contracted": "合同金额（元）",
    "disbursed": "已拨付（元）",
    "co-investment committed": "最终用户承诺投入（元）",
    "co-investment reported": "最终用户已报告投入（元）",
}
MEDIAN_DAYS = "median days "
TITLE_ZH = "揭榜挂帅项目组合报告"


def sheet_zh(report: PortfolioReport) -> Sheet:
    """The report's sheet under Chinese headers, categories and unlisted years said in words;
    the numbers unchanged."""
    headers, rows = _sheet(report)
    said = [
        f"用时中位数（天）：{step_label(h.removeprefix(MEDIAN_DAYS))}"
        if h.startswith(MEDIAN_DAYS)
        else COLUMN_ZH.get(h, h)
        for h in headers
    ]
    year, category = headers.index("year"), headers.index("category")
    lines = []
    for row in rows:
        line = list(row)
        line[year] = line[year] or "未列入年度榜单"
        line[category] = CATEGORY_ZH.get(str(line[category]), line[category])
        lines.append(line)
    return said, lines


def _cjk_font() -> str | None:
    """A font with Chinese glyphs matplotlib can use, if the machine has one."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if "CJK SC" in font.name or font.name in ("WenQuanYi Zen Hei", "SimHei"):
            return str(font.name)
    return None


def chart_png(report: PortfolioReport) -> bytes:
    """Funds contracted and disbursed, and median days per step, per year (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import pyplot as plt

    font = _cjk_font()
    if font is not None:  # the chart says what the report says, in Chinese
        matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        words = ("合同金额", "已拨付", "未列入", "各年度资金（元）", "各环节用时中位数（天）")
    else:  # no Chinese glyphs here: English words, not empty boxes
        words = (
            "contracted",
            "disbursed",
            "unlisted",
            "Funds per year (yuan)",
            "Median days per step",
        )
    years = sorted({x.year or 0 for x in report.lines})
    contracted = [
        float(sum(x.contracted for x in report.lines if (x.year or 0) == y)) for y in years
    ]
    disbursed = [float(sum(x.disbursed for x in report.lines if (x.year or 0) == y)) for y in years]
    fig, (funds, days) = plt.subplots(1, 2, figsize=(11, 4))
    positions = range(len(years))
    funds.bar([p - 0.2 for p in positions], contracted, width=0.4, label=words[0])
    funds.bar([p + 0.2 for p in positions], disbursed, width=0.4, label=words[1])
    funds.set_xticks(list(positions), [str(y or words[2]) for y in years])
    funds.set_title(words[3])
    funds.legend()
    for step in report.steps:
        values = [report.median_days(step, y) or 0.0 for y in years]
        days.plot(list(positions), values, marker="o", label=step_label(step) if font else step)
    days.set_xticks(list(positions), [str(y or words[2]) for y in years])
    days.set_title(words[4])
    days.legend(fontsize="x-small")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    plt.close(fig)
    return out.getvalue()


def render(report: PortfolioReport, fmt: str, chart: Path | None = None) -> str | bytes:
    """The report in ``json``, ``csv``, ``xlsx``, ``md`` or ``html``; md and html write the
    chart to ``chart`` and link it. What people read (xlsx, md, html) is in Chinese; json and
    csv keep the English keys that scripts read."""
    if fmt == "json":
        return to_json(report.as_dict())
    if fmt == "csv":
        return to_csv({"portfolio": _sheet(report)})
    sheet = sheet_zh(report)
    if fmt == "xlsx":
        return to_xlsx({SHEET_ZH: sheet})
    image = ""
    if chart is not None:
        chart.write_bytes(chart_png(report))
        image = chart.name
    where = f"截至日志位置 {report.position}。"
    alt = "各年度合同金额与已拨付资金、各环节用时中位数"
    if fmt == "md":
        parts = [f"# {TITLE_ZH}", where, md_table(*sheet)]
        if image:
            parts.append(f"![{alt}]({image})")
        return "\n\n".join(parts) + "\n"
    img = f'<img src="{html.escape(image)}" alt="{alt}">' if image else ""
    return (
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{TITLE_ZH}</title>"
        f"<h1>{TITLE_ZH}</h1><p>{where}</p>{html_table(*sheet)}{img}\n"
    )
