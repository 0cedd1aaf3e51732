"""R-ERASURE and R-RETENTION re-checked over the log (docs/personal-information.md): every
erasure by the data-protection officer, with a reason, once per subject; and, without a legal
ground, only once every retention period it recorded had ended by the erasure's date."""

from __future__ import annotations

import re
from datetime import date

from jiebang_es.domain.erasure import Erasure
from jiebang_es.domain.values import Role
from projections.compliance import zh
from projections.compliance.check import Check, CheckFn

_UNTIL = re.compile(r"kept until (\d{4}-\d{2}-\d{2})")


def erased(c: Check) -> None:
    e = c.event
    if c.audit.role is not Role.DATA_PROTECTION_OFFICER:
        c.violation(
            "R-ERASURE",
            f"erased by {c.audit.role.value}, not the data-protection officer",
            zh=f"由{zh.role(c.audit.role.value)}删除，而非个人信息保护负责人",
        )
    subject_ref = f"erasure:{e.subject_id}"
    if c.state(subject_ref):
        c.violation(
            "R-ERASURE",
            f"data subject {e.subject_id} erased a second time",
            zh=f"个人信息主体 {e.subject_id} 被再次删除",
        )
    c.save({"position": c.position}, subject_ref)
    if e.legal_ground.strip():
        c.exception("R-RETENTION", "erased before or after the retention period", e.legal_ground)
        return
    ends = [date.fromisoformat(d) for d in _UNTIL.findall(e.retention)]
    if "still open" in e.retention or not ends:
        c.violation(
            "R-RETENTION",
            "erased without a legal ground while a record was still open",
            zh="在相关记录尚未办结时删除，且无法定依据",
        )
    elif max(ends) > c.on:
        c.violation(
            "R-RETENTION",
            f"erased on {c.on} without a legal ground; the retention period ran until {max(ends)}",
            zh=f"于 {c.on} 删除，无法定依据；保存期限至 {max(ends)}",
        )


CHECKS: dict[type, CheckFn] = {Erasure.Erased: erased}
