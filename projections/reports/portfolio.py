"""The portfolio report: per year, industry and category — challenges, applications,
selections, funds contracted and disbursed beside the end users' co-investment committed and
reported (R-EU-COMMIT), median days per step; with a chart of funds and
durations per year. Read from the catalogue, pipeline and portfolio read models."""

from __future__ import annotations

import io
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.project import ProjectStatus
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


@dataclass(frozen=True)
class PortfolioReport:
    position: int
    lines: list[PortfolioLine]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

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
        line(group).median_days = {
            k: float(statistics.median(by_step[k])) for k in sorted(by_step, key=step_order)
        }
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


def chart_png(report: PortfolioReport) -> bytes:
    """Funds contracted and disbursed, and median days per step, per year (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import pyplot as plt

    years = sorted({x.year or 0 for x in report.lines})
    contracted = [
        float(sum(x.contracted for x in report.lines if (x.year or 0) == y)) for y in years
    ]
    disbursed = [float(sum(x.disbursed for x in report.lines if (x.year or 0) == y)) for y in years]
    fig, (funds, days) = plt.subplots(1, 2, figsize=(11, 4))
    positions = range(len(years))
    funds.bar([p - 0.2 for p in positions], contracted, width=0.4, label="contracted")
    funds.bar([p + 0.2 for p in positions], disbursed, width=0.4, label="disbursed")
    funds.set_xticks(list(positions), [str(y or "unlisted") for y in years])
    funds.set_title("Funds per year (yuan)")
    funds.legend()
    for step in report.steps:
        values = []
        for y in years:
            found = [
                x.median_days[step]
                for x in report.lines
                if (x.year or 0) == y and step in x.median_days
            ]
            values.append(statistics.median(found) if found else 0.0)
        days.plot(list(positions), values, marker="o", label=step)
    days.set_xticks(list(positions), [str(y or "unlisted") for y in years])
    days.set_title("Median days per step")
    days.legend(fontsize="x-small")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    plt.close(fig)
    return out.getvalue()


def render(report: PortfolioReport, fmt: str, chart: Path | None = None) -> str | bytes:
    """The report in ``json``, ``csv``, ``xlsx``, ``md`` or ``html``; md and html write the
    chart to ``chart`` and link it."""
    if fmt == "json":
        return to_json(report.as_dict())
    sheet = _sheet(report)
    if fmt == "csv":
        return to_csv({"portfolio": sheet})
    if fmt == "xlsx":
        return to_xlsx({"portfolio": sheet})
    image = ""
    if chart is not None:
        chart.write_bytes(chart_png(report))
        image = chart.name
    if fmt == "md":
        parts = ["# Portfolio report", f"Log position {report.position}.", md_table(*sheet)]
        if image:
            parts.append(f"![Funds and durations per year]({image})")
        return "\n\n".join(parts) + "\n"
    img = f'<img src="{image}" alt="Funds and durations per year">' if image else ""
    return (
        "<!doctype html><meta charset='utf-8'><title>Portfolio report</title>"
        f"<h1>Portfolio report</h1><p>Log position {report.position}.</p>"
        f"{html_table(*sheet)}{img}\n"
    )
