"""Import an existing expert pool (专家库) from an XLSX workbook or a CSV file, row by row.

Each row is one registration command: it is recorded whole or refused whole with its reason,
so nothing is half-imported, and the report says which rows went in and why the others did
not. The first row (of the workbook's first sheet) names the columns, in Chinese or in English.
A CSV file is read as UTF-8 (with or without the byte-order mark Excel writes) or, failing
that, as GB18030 (Excel's "CSV" on a Chinese Windows writes GBK, which it contains).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from jiebang_es.domain.values import Actor, ExpertKind
from jiebang_es.errors import InvalidValueError, JiebangError

COLUMNS = {
    "person_id": ("人员编号", "person_id"),
    "name": ("姓名", "name"),
    "org_code": ("单位统一社会信用代码", "org_code"),
    "org_name": ("单位名称", "org_name"),
    "kind": ("专家类别", "kind"),
    "specialities": ("专业领域", "specialities"),
    "region": ("所在地区", "region"),
}
KIND_WORDS = {
    "行业主管部门管理专家": ExpertKind.MANAGEMENT,
    "管理专家": ExpertKind.MANAGEMENT,
    "产业一线专家": ExpertKind.FRONT_LINE,
    "一线专家": ExpertKind.FRONT_LINE,
    "区内同行技术专家": ExpertKind.PEER_INSIDE,
    "区内同行专家": ExpertKind.PEER_INSIDE,
    "区外同行技术专家": ExpertKind.PEER_OUTSIDE,
    "区外同行专家": ExpertKind.PEER_OUTSIDE,
    "最终用户负责人": ExpertKind.END_USER_REP,
    **{k.value: k for k in ExpertKind},
}
# Between specialities in one cell: commas of either width, 、, semicolons, bars, and line
# breaks (Alt+Enter in a spreadsheet cell).
_SEPARATORS = ("，", "、", ";", "；", "|", "\r", "\n")


@dataclass(frozen=True)
class RowOutcome:
    row: int  # the worksheet's row number, as a clerk sees it
    person_id: str
    imported: bool
    detail: str  # the expert id, or why the row was refused


def _text(value: Any) -> str:
    # A byte-order mark pasted with a header is no part of its name (Python's strip keeps it).
    return "" if value is None else str(value).replace("\ufeff", "").strip()


def _specialities(value: str) -> list[str]:
    for sep in _SEPARATORS:
        value = value.replace(sep, ",")
    return [s.strip() for s in value.split(",") if s.strip()]


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row as {column: text}, with its row number as the clerk's program shows it.
    A file that cannot be read as a workbook or CSV: InvalidValueError naming the file."""
    if path.suffix.lower() == ".csv":
        yield from _cells(_csv_rows(path))
        return
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise InvalidValueError(
            "file",
            f"{path.name} 无法作为 XLSX 工作簿打开（{type(e).__name__}）；请另存为 .xlsx 或 .csv",
        ) from None
    try:
        yield from _cells(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def _csv_rows(path: Path) -> list[tuple[str, ...]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))]
    raise InvalidValueError("file", f"{path.name} 既不是 UTF-8 也不是 GBK/GB18030 编码的 CSV 文件")


def _cells(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[int, dict[str, str]]]:
    rows = iter(rows)
    header = [_text(v) for v in next(rows, ())]
    if not any(header):
        raise InvalidValueError("file", "第 1 行应为列名，文件中没有")
    where = {}
    for column, names in COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in names]
        if not found and column != "region":
            raise InvalidValueError("file", f"no column {names[0]} ({names[1]}) in row 1")
        if found:
            where[column] = found[0]
    for number, values in enumerate(rows, start=2):
        cells = {c: _text(values[i]) if i < len(values) else "" for c, i in where.items()}
        if any(cells.values()):
            yield number, cells


def import_pool(app: Any, actor: Actor, path: Path) -> list[RowOutcome]:
    """Register every row's expert; a refused row is reported and leaves nothing behind."""
    outcomes = []
    for number, cells in read_rows(path):
        person_id = cells["person_id"]
        kind = KIND_WORDS.get(cells["kind"])
        if kind is None:
            outcomes.append(
                RowOutcome(number, person_id, False, f"专家类别 {cells['kind']!r} 无法识别")
            )
            continue
        specialities = _specialities(cells["specialities"])
        try:
            receipt = app.register_expert(
                actor,
                person_id=person_id,
                name=cells["name"],
                org_code=cells["org_code"],
                org_name=cells["org_name"],
                kind=kind,
                speciality=specialities[0] if specialities else "",
                specialities=specialities,
                region=cells.get("region", ""),
            )
        except JiebangError as e:
            outcomes.append(RowOutcome(number, person_id, False, str(e)))
        else:
            outcomes.append(RowOutcome(number, person_id, True, receipt.aggregate_id))
    return outcomes
