"""The compliance read model: every event checked against every rule it concerns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jiebang_es.labels_zh import event_zh
from projections.compliance import (
    application_checks,
    challenge_checks,
    draw_checks,
    evidence_checks,
    panel_checks,
    privacy_checks,
    project_checks,
    review_checks,
)
from projections.compliance.check import (
    FINDINGS,
    REASON_REQUIRED,
    STATE,
    VERSIONS,
    Check,
    CheckFn,
    CheckSettings,
)
from projections.model import Handler, ReadModel, Rows, event_type, iso

CHECKS: dict[type, CheckFn] = {
    **challenge_checks.CHECKS,
    **application_checks.CHECKS,
    **project_checks.CHECKS,
    **draw_checks.CHECKS,
    **review_checks.CHECKS,
    **privacy_checks.CHECKS,
}


class Compliance(ReadModel):
    name = "compliance"
    title = "compliance findings"
    # 2: draws scheduled again while an earlier one stood unused are reported (R-DRAW).
    version = 2
    tables = (FINDINGS, STATE, VERSIONS)

    def __init__(self, settings: CheckSettings | None = None) -> None:
        self.settings = settings or CheckSettings()
        super().__init__()

    def handle(self) -> dict[type, Handler]:
        return {}  # every event is checked: see apply()

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        check = Check(rows, event, position, self.settings)
        audit_checks(check)
        fn = CHECKS.get(type(event))
        if fn is not None:
            fn(check)
        for later in (review_checks.AFTER, panel_checks.AFTER):
            after = later.get(type(event))
            if after is not None:
                after(check)
        evidence_checks.check_evidence(check)


def audit_checks(c: Check) -> None:
    """R-AUDIT-WHO, R-AUDIT-IMMUTABLE and R-ORDER in time, for every event; and every
    in-principle exception, listed with who approved it and why."""
    e = c.event
    audit = getattr(e, "audit", None)
    kind = event_type(e)
    if audit is None:
        c.violation(
            "R-AUDIT-WHO",
            f"{kind} carries no audit metadata",
            zh=f"“{event_zh(kind)}”没有审计信息",
        )
    else:
        named = (
            audit.role
            and audit.effective_at
            and audit.recorded_at
            and (audit.actor_id or "").strip()
            and (audit.org_code or "").strip()
        )
        if not named:
            missing = [
                (name, name_zh)
                for name, name_zh, value in (
                    ("person", "经办人", audit.actor_id),
                    ("organisation", "单位", audit.org_code),
                    ("role", "角色", audit.role),
                    ("business time", "业务时间", audit.effective_at),
                    ("recording time", "记录时间", audit.recorded_at),
                )
                if not value or (isinstance(value, str) and not value.strip())
            ]
            c.violation(
                "R-AUDIT-WHO",
                f"{kind} does not name its {', '.join(en for en, _ in missing)}",
                zh=f"“{event_zh(kind)}”未写明{'、'.join(z for _, z in missing)}",
            )
        if kind in REASON_REQUIRED and not (audit.reason or "").strip():
            c.violation(
                "R-AUDIT-WHO",
                f"{kind} records no reason, which the plan requires",
                zh=f"“{event_zh(kind)}”未记录实施方案要求的理由",
            )
        for x in audit.exceptions:
            if (x.justification or "").strip():
                c.exception(x.rule_id, x.detail, x.justification)
            else:
                c.violation(
                    x.rule_id,
                    f"exception without a justification: {x.detail}",
                    zh=f"适用例外而未说明理由：{x.detail}",
                )
    previous = c.rows.get(VERSIONS.name, c.aggregate_id)
    expected = previous["version"] + 1 if previous else 1
    if e.originator_version != expected:
        c.violation(
            "R-AUDIT-IMMUTABLE",
            f"{kind} is version {e.originator_version} of {c.aggregate_id}; the log holds "
            f"{expected - 1} before it (an event missing, inserted or out of order)",
            zh=f"“{event_zh(kind)}”是对象 {c.aggregate_id} 的第 {e.originator_version} 版，"
            f"而日志中此前只有 {expected - 1} 个事件（有事件缺失、被插入或顺序错乱）",
        )
    effective = iso(audit.effective_at) if audit else None
    before = previous["effective_at"] if previous else None
    # The budget envelope is a ledger of decisions with their own business times (domain/budget).
    ledger = kind.startswith("BudgetEnvelope.")
    if effective and before and earlier(effective, before) and not ledger:
        c.violation(
            "R-ORDER",
            f"{kind} takes effect at {effective}, before the previous step of the same "
            f"aggregate ({before})",
            zh=f"“{event_zh(kind)}”生效于 {effective}，早于同一对象上一步骤的生效时间 {before}",
        )
    version = max(e.originator_version, expected - 1)
    if previous is None:
        c.rows.put(
            VERSIONS.name,
            {"aggregate_id": c.aggregate_id, "version": version, "effective_at": effective},
        )
    else:
        c.rows.update(
            VERSIONS.name,
            (c.aggregate_id,),
            version=version,
            effective_at=effective or before,
        )


def earlier(a: str, b: str) -> bool:
    """Whether ISO time ``a`` is before ``b``; text order is time order for the same shape."""
    if len(a) == len(b) and a[-6:] == b[-6:]:
        return a < b
    return datetime.fromisoformat(a) < datetime.fromisoformat(b)
