"""The codes of the log and the read models as the bureau says them, for pages and for the
reports people read (Markdown, HTML, XLSX; JSON and CSV keep the codes scripts read).

Events: the log stores each under its class name (``Challenge.Drafted``); an auditor searches
the CLI and the API by that name, so pages show it too, after the Chinese one. A code not listed
(an event class added later) shows as stored: ``tests/web/test_event_names.py`` and
``tests/web/test_status_labels.py`` fail first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

CATEGORY_ZH = {"key": "重点项目", "major": "重大项目"}
# A challenge's status as the catalogue and the public listing write it.
CHALLENGE_STATUS_ZH = {
    "draft": "草稿（待论证）",
    "reviewed": "已论证",
    "rejected": "论证未通过",
    "listed": "已列入年度榜单",
    "published": "已发布",
    "selected": "已确定揭榜单位",
    "failed": "流榜",
    "cancelled": "已撤销",
}
# A selection notice's status (the public listing's notices).
NOTICE_STATUS_ZH = {
    "running": "公示中",
    "objection lodged": "有异议待处理",
    "objection resolved": "异议已处理",
    "revoked": "已撤销入选",
    "closed": "公示结束",
}
# A project's status (domain/project.py).
PROJECT_STATUS_ZH = {
    "selected": "已入选",
    "publicized": "公示中",
    "in_management": "区级项目管理",
    "contracted": "已签约",
    "assessed": "已评价（待验收）",
    "completed": "已结题",
    "terminated": "已终止",
    "revoked": "已撤销入选",
}
# R-SCOPE: where a challenge is published.
SCOPE_ZH = {"public": "公开发布", "restricted": "定向发布"}
ROLE_ZH = {
    "bureau": "区科技局",
    "end_user": "最终用户",
    "applicant": "揭榜单位",
    "expert": "专家",
    "supervisor": "监督人员",
    "analyst": "分析人员",
    "data_protection_officer": "个人信息保护负责人",
}
# The compliance report's words.
STRENGTH_ZH = {"hard": "硬性", "in principle": "原则性"}
RULE_STATUS_ZH = {"holds": "遵守", "violated": "有违反", "exceptions": "有例外"}
FINDING_KIND_ZH = {"violation": "违反", "exception": "例外"}
# The portfolio model's steps ("kind:step").
STEP_KIND_ZH = {"challenge": "榜单", "project": "项目"}
STEP_NAME_ZH = {"challenge": CHALLENGE_STATUS_ZH, "project": PROJECT_STATUS_ZH}


def step_label(step: str) -> str:
    """``challenge:draft`` → 榜单·草稿（待论证）; a step not named here shows its code."""
    kind, _, name = step.partition(":")
    return f"{STEP_KIND_ZH.get(kind, kind)}·{STEP_NAME_ZH.get(kind, {}).get(name, name)}"


def label(labels: Mapping[str, str]) -> Callable[[Any], Any]:
    """A cell's code said by ``labels``; a code not listed, and no value, as they are."""
    return lambda v: labels.get(v, v) if isinstance(v, str) else v


AGGREGATE_ZH = {
    "Demand": "需求",
    "Challenge": "榜单",
    "Application": "揭榜申报",
    "Project": "项目",
    "BudgetEnvelope": "年度经费预算",
    "CreditRecord": "信用核查记录",
    "DistrictNumbering": "区级项目编号",
    "Draw": "专家抽取",
    "Expert": "专家",
    "Erasure": "个人信息删除",
}
EVENT_ZH = {
    "Demand.Collected": "征集需求",
    "Demand.Refined": "完善需求",
    "Challenge.Drafted": "起草榜单",
    "Challenge.DraftRevised": "修改榜单草稿",
    "Challenge.EndUserConfirmed": "最终用户确认榜单",
    "Challenge.ReviewPanelProposed": "提出论证专家组",
    "Challenge.ReviewPanelConfirmed": "确定论证专家组",
    "Challenge.ExpertAbsent": "论证专家不再参加",
    "Challenge.ReplacementExpertProposed": "提出替补专家",
    "Challenge.ReplacementExpertConfirmed": "确定替补专家",
    "Challenge.Reviewed": "专家论证",
    "Challenge.Listed": "列入年度榜单",
    "Challenge.Published": "发布榜单",
    "Challenge.SolverSelected": "确定揭榜单位",
    "Challenge.SolverSelectionRevoked": "撤销揭榜单位",
    "Challenge.Failed": "流榜",
    "Challenge.Cancelled": "撤销榜单",
    "Application.Applied": "提交揭榜申报",
    "Application.ExpertRecused": "评审专家回避",
    "Application.NoConflictDeclared": "评审专家声明无利益冲突",
    "Application.Scored": "专家评分",
    "Application.Withdrawn": "撤回申报",
    "Project.Selected": "入选",
    "Project.Publicized": "入选公示",
    "Project.ObjectionLodged": "提出异议",
    "Project.ObjectionResolved": "处理异议",
    "Project.NoticeClosed": "公示结束",
    "Project.NoticeWaived": "涉密项目免于公示",
    "Project.SelectionRevoked": "撤销入选",
    "Project.EnteredDistrictManagement": "纳入区级项目管理",
    "Project.ContractDrafted": "起草合同",
    "Project.ContractSigned": "一方签署合同",
    "Project.Contracted": "合同签订完成",
    "Project.Funded": "拨付资金",
    "Project.MilestoneReported": "报告里程碑",
    "Project.MilestoneAssessed": "评估里程碑",
    "Project.RectificationReported": "报告整改",
    "Project.RectificationAssessed": "评估整改",
    "Project.RouteChangeFiled": "技术路线变更备案",
    "Project.ContractChangeProposed": "提出合同变更",
    "Project.ContractChangeApproved": "批准合同变更",
    "Project.ContractAmended": "合同变更生效",
    "Project.Extended": "项目延期",
    "Project.CoInvestmentReported": "最终用户报告投入",
    "Project.Assessed": "最终用户评价",
    "Project.Accepted": "验收结题",
    "Project.Terminated": "终止项目",
    "BudgetEnvelope.BudgetSet": "设定年度预算",
    "BudgetEnvelope.BudgetRevised": "调整年度预算",
    "BudgetEnvelope.ListCharged": "年度榜单占用预算",
    "BudgetEnvelope.ListReleased": "释放榜单占用的预算",
    "CreditRecord.Recorded": "记录信用核查",
    "CreditRecord.Updated": "更新信用核查",
    "DistrictNumbering.Opened": "开启年度项目编号",
    "DistrictNumbering.NumberIssued": "发放区级项目编号",
    "Draw.DrawScheduled": "安排专家抽取",
    "Draw.DrawPerformed": "抽取专家",
    "Draw.ReplacementDrawn": "抽取替补专家",
    "Expert.Registered": "专家入库",
    "Expert.RelationDeclared": "专家申报关联关系",
    "Expert.SeatTaken": "专家抽中参加评审",
    "Expert.StatusChanged": "专家状态变更",
    "Erasure.Erased": "删除个人信息",
}


def event_zh(name: object) -> str:
    """``Challenge.Drafted`` → 起草榜单; a name not listed as stored."""
    text = str(name or "")
    return EVENT_ZH.get(text, text) or "—"


def aggregate_zh(name: object) -> str:
    text = str(name or "")
    return AGGREGATE_ZH.get(text, text) or "—"
