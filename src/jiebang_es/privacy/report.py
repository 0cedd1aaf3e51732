"""The data subject's report (PIPL art. 45, 查阅复制): every record holding the subject's personal
information, in what form (encrypted, erased, or in clear from an earlier release), its value
where it is still readable, and the erasure if there was one. The report is for the subject and
the data-protection officer: it is the one export that carries the subject's data in clear."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from jiebang_es.labels_zh import ROLE_ZH, aggregate_zh, event_zh, field_zh
from jiebang_es.privacy.records import CLEAR, ENCRYPTED, ERASED
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CHINA_TZ

COLUMNS = (
    "position",
    "aggregate",
    "aggregate_id",
    "version",
    "event",
    "field",
    "kind",
    "form",
    "value",
    "recorded_at",
)


def subject_report(app: JiebangApp, subject_id: str) -> dict[str, Any]:
    records = app.subject_records(subject_id)
    erasure = app.erasure_of(subject_id)
    return {
        "subject_id": subject_id.strip(),
        "law": "PIPL art. 45 (查阅、复制); erasure: art. 47",
        "records": [
            {k: v for k, v in dataclasses.asdict(r).items() if k in COLUMNS} for r in records
        ],
        "legacy_plaintext": [r.label for r in records if r.form == CLEAR],
        "erasure": None
        if erasure is None
        else {
            "erased_at": erasure.erased_at.isoformat(),
            "by": erasure.erased_by,
            "reason": erasure.reason,
            "legal_ground": erasure.legal_ground,
            "retention": erasure.retention,
            "legacy_records": list(erasure.legacy_records),
        },
    }


# The workbook is what the data subject is handed: said in Chinese (the JSON keeps its keys).
RECORDS_ZH = "个人信息记录"
SUBJECT_ZH = "查询说明"
COLUMNS_ZH = (
    "日志位置",
    "对象类型",
    "对象编号",
    "版本",
    "事件",
    "字段",
    "信息类别",
    "存储形式",
    "内容",
    "记录时间（北京时间）",
)
KIND_ZH = {"name": "姓名", "name_and_contact": "姓名和联系方式", "contact": "联系方式"}
FORM_ZH = {ENCRYPTED: "加密保存", ERASED: "已删除（密钥已销毁）", CLEAR: "明文（早期版本记录）"}
ERASURE_ZH = {
    "erased_at": "删除时间（北京时间）",
    "by": "办理人",
    "reason": "删除原因",
    "legal_ground": "删除的法律依据",
    "retention": "保存期限",
    "legacy_records": "早期明文记录",
}
LAW_ZH = "《个人信息保护法》第四十五条（查阅、复制）；删除：第四十七条"
RECORD_KIND_ZH = {"project": "项目", "application": "申报", "expert": "专家"}
# How an erasure recorded its retention rule (privacy/retention.py), sentence by sentence.
_RETENTION_OPENINGS = {
    "erased on a legal ground before or after the retention periods: ": "依法定事由删除"
    "（不以保存期限届满为前提），相关记录的保存期限：",
    "every retention period has ended: ": "各项保存期限均已届满：",
}
_CLOSED = re.compile(
    r"^(\w+) (\S+) closed on (\d{4}-\d\d-\d\d), kept until (\d{4}-\d\d-\d\d) "
    r"\(JIEBANG_RETENTION_YEARS \w+=(\d+)\)$"
)
_OPEN = re.compile(
    r"^(\w+) (\S+) is still open \(JIEBANG_RETENTION_YEARS \w+=(\d+): kept until it closes\)$"
)
_BY = re.compile(r"^(.*) \((\w+), (\S+)\)$")


def retention_zh(text: str) -> str:
    """The retention rule an erasure recorded, in Chinese; a text of another form as it is."""
    for opening, said in _RETENTION_OPENINGS.items():
        if text.startswith(opening):
            periods = [_period_zh(p) for p in text.removeprefix(opening).split("; ")]
            if all(periods):
                return said + "；".join(p for p in periods if p)
    return text


def _period_zh(text: str) -> str | None:
    if found := _CLOSED.match(text):
        kind, ident, closed, until, years = found.groups()
        return (
            f"{RECORD_KIND_ZH.get(kind, kind)} {ident} 于 {closed} 办结，保存 {years} 年至 {until}"
        )
    if found := _OPEN.match(text):
        kind, ident, years = found.groups()
        return f"{RECORD_KIND_ZH.get(kind, kind)} {ident} 尚未办结（办结后保存 {years} 年）"
    return None


def by_zh(text: str) -> str:
    """``dpo-chen (data_protection_officer, 1150…)`` → ``dpo-chen（个人信息保护负责人，1150…）``."""
    found = _BY.match(text)
    if not found:
        return text
    person, role, org = found.groups()
    return f"{person}（{ROLE_ZH.get(role, role)}，{org}）"


def _field(path: str) -> str:
    """``leader_name`` → 项目负责人（leader_name）; a field with no Chinese name as stored."""
    name = field_zh(path)
    return f"{name}（{path}）" if name else path


def _same(value: Any) -> Any:
    return value


def _beijing(value: Any) -> Any:
    """An ISO time as Beijing time to the second; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TZ)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def report_sheets(
    report: dict[str, Any],
) -> dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]:
    """The report as sheets (headers, rows) for an XLSX workbook, in Chinese."""
    records: list[list[Any]] = []
    for r in report["records"]:
        records.append(
            [
                r["position"],
                aggregate_zh(r["aggregate"]),
                r["aggregate_id"],
                r["version"],
                event_zh(f"{r['aggregate']}.{r['event']}"),
                _field(r["field"]),
                KIND_ZH.get(r["kind"], r["kind"]),
                FORM_ZH.get(r["form"], r["form"]),
                "已删除" if r["form"] == ERASED else r["value"],
                _beijing(r["recorded_at"]),
            ]
        )
    erasure = report["erasure"] or {}
    about: list[list[Any]] = [["主体编号", report["subject_id"]], ["查询依据", LAW_ZH]]
    said_zh: dict[str, Callable[[Any], Any]] = {
        "erased_at": _beijing,
        "by": by_zh,
        "retention": retention_zh,
    }
    for key, value in erasure.items():
        shown = "、".join(value) if isinstance(value, list) else value
        about.append([ERASURE_ZH.get(key, key), said_zh.get(key, _same)(shown)])
    if not erasure:
        about.append(["删除情况", "未删除"])
    return {RECORDS_ZH: (COLUMNS_ZH, records), SUBJECT_ZH: (("项目", "内容"), about)}
