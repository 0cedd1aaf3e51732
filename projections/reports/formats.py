"""Writing a report's tables as JSON, CSV, XLSX, Markdown or HTML."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]

FORMATS = ("json", "csv", "xlsx", "md", "html")
Sheet = tuple[Sequence[str], Sequence[Sequence[Any]]]  # headers, rows


def check_format(value: str, allowed: Sequence[str] = FORMATS) -> str:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


# A text cell a spreadsheet would run as a formula (=, +, -, @, or a tab or return first):
# anyone who writes a justification or an industry could otherwise plant one in the report a
# supervisor opens. CSV: such text is quoted with a leading apostrophe, shown and not run;
# XLSX: the cell is written as text, never as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return _plain(value)


def to_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_plain)


def to_csv(sheets: dict[str, Sheet]) -> str:
    """All sheets in one CSV, each preceded by a row naming it."""
    out = io.StringIO()
    writer = csv.writer(out)
    for name, (headers, rows) in sheets.items():
        writer.writerow([f"# {name}"])
        writer.writerow(headers)
        writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return out.getvalue()


def to_xlsx(sheets: dict[str, Sheet]) -> bytes:
    book = Workbook()
    first = True
    for name, (headers, rows) in sheets.items():
        sheet = book.active if first else book.create_sheet()
        first = False
        if sheet is None:
            sheet = book.create_sheet()
        sheet.title = name[:31]
        sheet.append(list(headers))
        for row in rows:
            # Amounts stay numbers (a spreadsheet adds them up), shown with two decimals.
            sheet.append(list(row))
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, Decimal):
                    cell.number_format = "#,##0.00"
                elif isinstance(value, str) and cell.data_type == "f":
                    cell.data_type = "s"  # text, as written: never run as a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        return "" if v is None else str(_plain(v)).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if v is None else str(_plain(v)))}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
