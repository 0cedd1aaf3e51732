"""R-EVIDENCE: which kinds of document each step requires, and the one check of them.

The requirement is configuration (``JIEBANG_EVIDENCE_KINDS``, by command name); these defaults
are the rule's own list in RULES.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jiebang_es.domain.values import DocumentRef
from jiebang_es.errors import RuleViolationError

MINUTES = "会议纪要"  # the party group meeting's minutes
GUIDE = "申报指南"  # the application guide
APPLICATION_FORM = "申报书"
EXPERT_OPINION = "专家意见表"  # an expert's signed opinion form
NOTICE_TEXT = "公示文本"
TASK_CONTRACT = "任务书"
MILESTONE_REPORT = "里程碑报告"
ASSESSMENT_REPORT = "验收报告"
DEMAND_LIST = "需求清单"  # the annual demand list put to the party group meeting
DRAFT_CONTRACT = "任务书草案"

DEFAULT_EVIDENCE: Mapping[str, tuple[str, ...]] = {
    "approve_annual_list": (MINUTES,),
    "publish": (GUIDE,),
    "apply": (APPLICATION_FORM,),
    "record_argumentation": (EXPERT_OPINION,),
    "score": (EXPERT_OPINION,),
    "publicize": (NOTICE_TEXT,),
    "sign_contract": (TASK_CONTRACT,),
    "report_milestone": (MILESTONE_REPORT,),
    "assess": (ASSESSMENT_REPORT,),
}


def missing_kinds(
    command: str, documents: Sequence[DocumentRef], required: Mapping[str, Sequence[str]]
) -> list[str]:
    """The kinds ``command`` requires that none of ``documents`` is."""
    have = {d.kind for d in documents}
    return [kind for kind in required.get(command, ()) if kind not in have]


def check_evidence(
    command: str, documents: Sequence[DocumentRef], required: Mapping[str, Sequence[str]]
) -> None:
    """R-EVIDENCE: refuse a step whose required documents are not all attached."""
    missing = missing_kinds(command, documents, required)
    if missing:
        raise RuleViolationError(
            "R-EVIDENCE",
            f"{command} keeps its documents with it; missing: {', '.join(missing)} "
            f"(缺少必备文件：{'、'.join(missing)})",
        )
