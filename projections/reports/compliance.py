"""The compliance report: for every rule id of RULES.md, whether it holds in the log, each
violation with the events that show it, and each in-principle exception with who approved it
and why. Read from the compliance read model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from jiebang_es.labels_zh import (
    FINDING_KIND_ZH,
    ROLE_ZH,
    RULE_STATUS_ZH,
    STRENGTH_ZH,
    event_zh,
    label,
)
from jiebang_es.privacy.redact import redact_text
from jiebang_es.rule_titles import RULE_TITLE_ZH
from projections.compliance.check import FINDINGS
from projections.compliance.rules import RULES
from projections.readstore import ReadStore
from projections.reports.formats import Sheet, md_table, to_csv, to_json, to_xlsx


@dataclass(frozen=True)
class Finding:
    rule_id: str
    kind: str  # "violation" or "exception"
    position: int
    evidence: list[int]
    aggregate_id: str
    event_type: str
    detail: str
    detail_zh: str  # the same in Chinese (an exception's: the grantor's own words)
    actor_id: str | None
    role: str | None
    org_code: str | None
    justification: str
    effective_at: str | None


@dataclass(frozen=True)
class RuleResult:
    rule_id: str
    strength: str
    checked: str
    status: str  # "holds", "violated", "exceptions" or "not applicable yet"
    violations: list[Finding] = field(default_factory=list)
    exceptions: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class ComplianceReport:
    position: int  # the log position the report reflects
    year: int | None
    rules: list[RuleResult]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compliance_report(store: ReadStore, year: int | None = None) -> ComplianceReport:
    """The report as of the compliance model's position, for one business year or all."""
    with store.db() as db:
        rows = db.select_rows(FINDINGS, ordered=True)
        position = db.positions(["compliance"])["compliance"]
    findings = [
        Finding(
            **{k: _redacted(k, r[k]) for k in r if k not in ("finding_id", "evidence")},
            evidence=[int(p) for p in (r["evidence"] or "").split(",") if p],
        )
        for r in rows
        if year is None or (r["effective_at"] or "").startswith(f"{year:04d}-")
    ]
    results = []
    for rule in RULES:
        mine = [f for f in findings if f.rule_id == rule.rule_id]
        violations = [f for f in mine if f.kind == "violation"]
        exceptions = merge_exceptions([f for f in mine if f.kind == "exception"])
        status = "violated" if violations else "exceptions" if exceptions else "holds"
        if not rule.applicable and not mine:
            status = "not applicable yet"
        results.append(
            RuleResult(rule.rule_id, rule.strength, rule.checked, status, violations, exceptions)
        )
    return ComplianceReport(position=position, year=year, rules=results)


def _redacted(column: str, value: Any) -> Any:
    """A finding's free text without personal identifiers (docs/personal-information.md)."""
    free_text = ("detail", "detail_zh", "justification")
    return redact_text(value) if column in free_text and value else value


def merge_exceptions(found: list[Finding]) -> list[Finding]:
    """One exception per decision: a command that saved several aggregates recorded the same
    granted exception on each of its events; list it once, with all of them as evidence.

    A command's events are stored together, at consecutive positions (one statement under the
    table lock, or SQLite's write lock): the same grant at the next position is the same
    command's; at any other, another command's, however alike (the same words on the same day,
    or a simulated year played twice), and listed on its own."""
    merged: list[Finding] = []
    last: dict[tuple[Any, ...], int] = {}  # a grant's words -> its latest entry in merged
    for f in sorted(found, key=lambda f: f.position):
        key = (f.actor_id, f.justification, f.detail, f.effective_at)
        at = last.get(key)
        if at is not None and min(f.evidence or [f.position]) == max(merged[at].evidence) + 1:
            evidence = sorted({*merged[at].evidence, *f.evidence})
            merged[at] = Finding(**{**asdict(merged[at]), "evidence": evidence})
            continue
        last[key] = len(merged)
        merged.append(f if f.evidence else Finding(**{**asdict(f), "evidence": [f.position]}))
    return merged


FINDING_HEADERS = (
    "rule_id",
    "kind",
    "position",
    "evidence",
    "aggregate_id",
    "event_type",
    "detail",
    "actor_id",
    "role",
    "org_code",
    "justification",
    "detail_zh",
)


def _sheets(report: ComplianceReport) -> dict[str, Sheet]:
    summary = [
        (r.rule_id, r.strength, r.status, len(r.violations), len(r.exceptions), r.checked)
        for r in report.rules
    ]
    findings = [
        (
            f.rule_id,
            f.kind,
            f.position,
            ",".join(map(str, f.evidence)),
            f.aggregate_id,
            f.event_type,
            f.detail,
            f.actor_id,
            f.role,
            f.org_code,
            f.justification,
            f.detail_zh,
        )
        for r in report.rules
        for f in (*r.violations, *r.exceptions)
    ]
    return {
        "rules": (
            ("rule_id", "strength", "status", "violations", "exceptions", "checked"),
            summary,
        ),
        "findings": (FINDING_HEADERS, findings),
    }


# The sheets as people read them (XLSX, Markdown): Chinese names, headers and labels, each
# finding said in Chinese (``detail_zh``); how each rule is checked (``checked``) stays as
# written. JSON and CSV keep codes, and the English ``detail`` beside ``detail_zh``.
RULES_ZH = "规则"
FINDINGS_ZH = "违反与例外"
RULE_HEADERS_ZH = ("规则", "内容", "强度", "结论", "违反数", "例外数", "核查方法")
FINDING_HEADERS_ZH = (
    "规则",
    "类别",
    "位置",
    "证据位置",
    "对象",
    "事件",
    "说明",
    "操作人",
    "角色",
    "单位",
    "理由",
)


def _sheets_zh(report: ComplianceReport) -> dict[str, Sheet]:
    sheets = _sheets(report)
    strength, status = label(STRENGTH_ZH), label(RULE_STATUS_ZH)
    rules = [
        (r[0], RULE_TITLE_ZH.get(r[0], ""), strength(r[1]), status(r[2]), *r[3:])
        for r in sheets["rules"][1]
    ]
    kind, role = label(FINDING_KIND_ZH), label(ROLE_ZH)
    findings = [
        (f[0], kind(f[1]), *f[2:5], event_zh(f[5]), f[11], f[7], role(f[8]), *f[9:11])
        for f in sheets["findings"][1]
    ]
    return {RULES_ZH: (RULE_HEADERS_ZH, rules), FINDINGS_ZH: (FINDING_HEADERS_ZH, findings)}


def render(report: ComplianceReport, fmt: str) -> str | bytes:
    """The report in ``json``, ``csv``, ``xlsx`` or ``md``: what people read (xlsx, md) in
    Chinese, json and csv with the English keys that scripts read."""
    if fmt == "json":
        return to_json(report.as_dict())
    if fmt == "csv":
        return to_csv(_sheets(report))
    sheets = _sheets_zh(report)
    if fmt == "xlsx":
        return to_xlsx(sheets)
    scope = f"{report.year} 年度" if report.year else "全部年度"
    parts = [
        "# 合规报告",
        f"截至日志位置 {report.position}，{scope}。",
        f"## {RULES_ZH}",
        md_table(*sheets[RULES_ZH]),
        f"## {FINDINGS_ZH}",
        md_table(*sheets[FINDINGS_ZH]) if sheets[FINDINGS_ZH][1] else "无。",
    ]
    return "\n\n".join(parts) + "\n"
