"""A report's text never runs as a spreadsheet formula: justifications, industries and names
are written by users, and the workbook is opened by a supervisor."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from projections.reports.formats import to_csv, to_xlsx

PLANTED = ["=1+2", '=HYPERLINK("http://evil.example/","点此")', "@SUM(1+1)", "+1", "-1+1"]
SHEETS = {"违反与例外": (["text", "amount"], [[t, Decimal("-5")] for t in PLANTED])}


def test_xlsx_writes_formula_like_text_as_text() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(SHEETS))).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == PLANTED
    assert {r[0].data_type for r in rows} == {"s"}
    assert {r[1].value for r in rows} == {-5}  # amounts stay numbers


def test_csv_quotes_formula_like_text_and_keeps_amounts() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(SHEETS))))[2:]
    assert [r[0] for r in rows] == ["'" + t for t in PLANTED]
    assert {r[1] for r in rows} == {"-5.00"}


def test_a_median_over_several_lines_is_of_their_durations_not_of_their_medians() -> None:
    from projections.reports.portfolio import PortfolioLine, PortfolioReport

    step = "challenge:published"
    report = PortfolioReport(
        position=0,
        lines=[
            PortfolioLine(2026, "生命健康", "key", median_days={step: 10.0}, days={step: [10]}),
            PortfolioLine(2026, "智能科技", "key", median_days={step: 1.0}, days={step: [1, 1, 1]}),
            PortfolioLine(2027, "智能科技", "key", median_days={step: 4.0}, days={step: [4]}),
        ],
    )
    assert report.median_days(step) == 1.0  # [10, 1, 1, 1, 4], not the medians' 4.0
    assert report.median_days(step, 2026) == 1.0
    assert report.median_days(step, 2027) == 4.0
    assert report.median_days("project:contracted") is None
