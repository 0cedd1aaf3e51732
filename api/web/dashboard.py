"""The analyst's dashboard (sign-in: analysts, supervisors, bureau staff): the portfolio report
as charts — the funnel from challenges to selections per year and per industry, funds
contracted and disbursed per year, the district's funding beside the end users' co-investment
committed and reported (R-EU-COMMIT), median days per step — and the same numbers as XLSX:
the report's sheet made by ``projections.reports.portfolio`` exactly as ``jiebang report
portfolio`` makes it, under Chinese headers, and one sheet per chart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from api.auth import Principal
from api.reads import ReadsDep
from api.routers.documents import disposition
from api.web.charts import Group, bar_chart
from api.web.render import page
from api.web.signin import csrf_token, signed_in
from jiebang_es.domain.values import Role
from jiebang_es.labels_zh import step_label
from projections.reports.formats import Sheet, to_xlsx
from projections.reports.portfolio import (
    SHEET_ZH,
    PortfolioLine,
    PortfolioReport,
    portfolio_report,
    sheet_zh,
)

router = APIRouter(prefix="/dashboard", include_in_schema=False)
Reader = Annotated[Principal, Depends(signed_in(Role.ANALYST, Role.SUPERVISOR, Role.BUREAU))]
FUNNEL = ("榜单", "申报", "入选")
CO_TITLE = "各年度：区财政资助与最终用户投入（元）"
CO_SERIES = ("区财政资助（合同）", "最终用户承诺投入", "最终用户已报告投入")


def _by(
    report: PortfolioReport, key: Callable[[PortfolioLine], str]
) -> dict[str, list[PortfolioLine]]:
    grouped: dict[str, list[PortfolioLine]] = defaultdict(list)
    for line in report.lines:
        grouped[key(line)].append(line)
    return dict(sorted(grouped.items()))


def _funnel(lines: list[PortfolioLine]) -> list[float]:
    return [
        float(sum(x.challenges for x in lines)),
        float(sum(x.applications for x in lines)),
        float(sum(x.selections for x in lines)),
    ]


def _funds(lines: list[PortfolioLine]) -> list[float]:
    contracted = sum((x.contracted for x in lines), Decimal(0))
    disbursed = sum((x.disbursed for x in lines), Decimal(0))
    return [float(contracted), float(disbursed)]


def _co_investment(lines: list[PortfolioLine]) -> list[float]:
    """The district's funding contracted beside the end users' money (R-EU-COMMIT)."""
    return [
        float(sum((x.contracted for x in lines), Decimal(0))),
        float(sum((x.co_investment_committed for x in lines), Decimal(0))),
        float(sum((x.co_investment_reported for x in lines), Decimal(0))),
    ]


def figures(report: PortfolioReport) -> dict[str, Any]:
    """The charts and the tables beside them, from one report."""
    years = _by(report, lambda x: f"{x.year} 年" if x.year else "未列入年度")
    industries = _by(report, lambda x: x.industry)
    steps: list[Group] = []
    for step in report.steps:
        steps.append(Group(step_label(step), [report.median_days(step) or 0.0]))
    funnel_year = [Group(k, _funnel(v)) for k, v in years.items()]
    funnel_industry = [Group(k, _funnel(v)) for k, v in industries.items()]
    funds = [Group(k, _funds(v)) for k, v in years.items()]
    co_investment = [Group(k, _co_investment(v)) for k, v in years.items()]
    return {
        "charts": [
            ("funnel-year", "各年度：榜单、申报、入选", FUNNEL, funnel_year, ""),
            ("funnel-industry", "各产业：榜单、申报、入选", FUNNEL, funnel_industry, ""),
            ("funds", "各年度：合同金额与已拨付（元）", ("合同金额", "已拨付"), funds, ""),
            ("co-investment", CO_TITLE, CO_SERIES, co_investment, ""),
            ("days", "各环节用时中位数（天）", ("中位数",), steps, " 天"),
        ],
    }


@router.get("")
def dashboard(request: Request, reader: Reader, reads: ReadsDep) -> Response:
    report = portfolio_report(reads)
    charts = [
        {
            "id": ident,
            "title": title,
            "series": series,
            "groups": groups,
            "svg": Markup(bar_chart(ident, title, series, groups, unit)),  # noqa: S704 - escaped
        }
        for ident, title, series, groups, unit in figures(report)["charts"]
    ]
    context = {
        "reader": reader,
        "csrf": csrf_token(request),
        "report": report,
        "charts": charts,
    }
    return page(request, "dashboard.html", context, private=True)


@router.get("/portfolio.xlsx")
def portfolio_xlsx(reader: Reader, reads: ReadsDep) -> Response:  # noqa: ARG001
    """The same numbers as a workbook: the report's sheet as ``jiebang report portfolio
    --format xlsx`` writes it (under Chinese headers), then one sheet per chart with the
    numbers of its table."""
    report = portfolio_report(reads)
    sheets: dict[str, Sheet] = {SHEET_ZH: sheet_zh(report)}
    for _, title, series, groups, _ in figures(report)["charts"]:
        name = title.split("（", 1)[0].replace("：", " ")
        sheets[name] = (["分组", *series], [[g.label, *g.values] for g in groups])
    body = to_xlsx(sheets)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": disposition("揭榜挂帅项目组合.xlsx"),
            "Cache-Control": "no-store",
        },
    )
