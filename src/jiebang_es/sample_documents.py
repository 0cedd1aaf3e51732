"""Small realistic documents for the demo and the tests: the papers each step keeps
(R-EVIDENCE), written as DOCX from the ``paper`` template and kept in the app's store."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from jiebang_es.documents import evidence
from jiebang_es.documents.writer import render
from jiebang_es.domain.values import DocumentRef
from jiebang_es.service_base import NO_META, CommandMeta, ServiceBase

# What each kind of paper says, in a sentence or two (the demo's stand-ins for signed scans).
BODIES = {
    evidence.MINUTES: "区科技局党组会议审议通过年度“揭榜挂帅”榜单。\n出席：党组全体成员。",
    evidence.GUIDE: "申报指南全文见区政府门户网站。",
    evidence.APPLICATION_FORM: "揭榜单位申报书（技术方案、经费预算、知识产权声明）。",
    evidence.EXPERT_OPINION: "专家意见：方案可行，同意。\n专家签名：（已签）",
    evidence.NOTICE_TEXT: "拟立项项目公示文本。",
    evidence.TASK_CONTRACT: "三方签署的项目任务书（扫描件）。",
    evidence.MILESTONE_REPORT: "关键节点进展报告及佐证材料。",
    evidence.ASSESSMENT_REPORT: "需求单位牵头的验收报告及专家组意见。",
}


# The steps that keep papers, as the bureau names them (a paper's title and file name say it).
STEP_ZH = {
    "approve_annual_list": "党组会审定年度榜单",
    "publish": "写榜发布",
    "apply": "揭榜申报",
    "record_argumentation": "榜单论证",
    "score": "揭榜评审",
    "publicize": "入选公示",
    "sign_contract": "任务书签订",
    "report_milestone": "里程碑报告",
    "assess": "最终用户考核",
}


def paper(app: ServiceBase, kind: str, subject: str, file_subject: str = "") -> DocumentRef:
    """A paper of ``kind`` about ``subject``, kept in the store, as a step references it; its
    file is named after ``file_subject`` (``subject`` when not given)."""
    body = BODIES.get(kind, kind)
    data = render("paper", {"title": f"{kind}：{subject}", "body": body})
    name = f"{kind}-{file_subject or subject}.docx"
    doc = app.documents.put_bytes(data, kind=kind, file_name=name)
    return doc.ref(kind)


def with_papers(
    app: ServiceBase, meta: CommandMeta, subject: str, *kinds: str, file_subject: str = ""
) -> CommandMeta:
    """``meta`` carrying papers of ``kinds`` about ``subject``."""
    refs = tuple(paper(app, kind, subject, file_subject) for kind in kinds)
    return replace(meta, documents=meta.documents + refs)


def papers_for(
    app: ServiceBase, command: str, kwargs: dict[str, Any], *about: object
) -> dict[str, Any]:
    """``kwargs`` of a call to ``command`` with the papers its step requires added to its meta
    (R-EVIDENCE, as configured), so that the demo keeps them at every step it records. Each
    paper names the step and what it is ``about`` (an id), so that each is its own document."""
    kinds = app.settings.evidence_kinds.get(command, ())
    if not kinds:
        return kwargs
    meta = kwargs.get("meta", NO_META)
    ids = [str(a) for a in about if isinstance(a, str)]
    step = STEP_ZH.get(command, command)
    # The title names every id (each paper its own bytes); the file name the step and a short id.
    subject = " ".join([step, *ids])
    short = "-".join([step, *(i[:8] for i in ids)])
    return {**kwargs, "meta": with_papers(app, meta, subject, *kinds, file_subject=short)}
