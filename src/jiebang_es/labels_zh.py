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
    # The panel that reviews the applications (揭榜评审, §八(六)); the argumentation panel
    # (§八(三)) has no proposing step: its opinions are recorded with Challenge.Reviewed.
    "Challenge.ReviewPanelProposed": "提出揭榜评审专家组",
    "Challenge.ReviewPanelConfirmed": "确定揭榜评审专家组",
    "Challenge.ExpertAbsent": "评审专家不再参加",
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


# The fields of the domain's aggregates and values, by name (the last part of a field's path on
# a timeline: ``content.commitment.own_investment`` → 最终用户投入). The path itself is shown
# beside it: a name means the same wherever it sits, and the path says where.
FIELD_ZH = {
    "absent": "缺席专家",
    "accepted": "已验收",
    "actor_id": "操作人",
    "algorithm": "算法",
    "amount": "金额",
    "application_id": "申报编号",
    "benchmarking": "对标情况",
    "budget": "经费预算",
    "candidates": "候选专家",
    "candidates_digest": "候选名单摘要",
    "category": "类别",
    "causation_id": "起因编号",
    "challenge_id": "榜单编号",
    "challenge_indicators": "榜单考核指标",
    "challenge_name": "榜单名称",
    "challenge_period_months": "榜单实施周期（月）",
    "change_approvals": "变更批准",
    "changes": "变更",
    "checked_on": "核查日期",
    "checks": "核查记录",
    "chokepoint": "卡点问题",
    "classified": "涉密",
    "cleared": "已通过",
    "co_invested": "已报告投入",
    "co_investment": "最终用户投入",
    "co_investment_reports": "投入报告",
    "commitment": "最终用户承诺",
    "commitment_min_ratio": "最低投入比例",
    "condition": "条件",
    "content": "榜单内容",
    "contracted_on": "签约日期",
    "correlation_id": "关联编号",
    "count": "数量",
    "credit_code": "统一社会信用代码",
    "credit_status": "信用状况",
    "deliverable": "交付成果",
    "demand_ids": "所依据的需求",
    "description": "说明",
    "detail": "详情",
    "digest": "摘要（SHA-256）",
    "disbursed": "已拨付",
    "district_number": "区级项目编号",
    "documents": "随附文件",
    "draft_terms": "合同草案条款",
    "due_month": "应付月份",
    "effective_at": "生效时间",
    "encrypted_records": "加密记录数",
    "end_user": "最终用户",
    "end_user_code": "最终用户信用代码",
    "end_user_name": "最终用户名称",
    "ended_on": "结束日期",
    "enterprise": "企业",
    "erased": "已删除",
    "erased_at": "删除时间",
    "erased_by": "删除人",
    "eu_confirmed": "最终用户已确认",
    "eu_confirmed_digest": "最终用户确认的内容摘要",
    "event_version": "事件版本",
    "exceptions": "例外",
    "exclusions": "回避排除",
    "expert_id": "专家编号",
    "extended_months": "延期（月）",
    "extra": "附加条款",
    "extra_digest": "附加条款摘要",
    "file_name": "文件名",
    "filed_changes": "备案的变更",
    "first_application": "率先应用",
    "forbidden_conditions": "禁设条件",
    "funding": "资助金额",
    "guide": "申报指南",
    "holidays": "节假日",
    "id": "编号",
    "in_district": "区内单位",
    "indicators": "考核指标",
    "industries": "产业领域",
    "industry": "产业领域",
    "industry_effect": "对产业的影响",
    "ip_declaration": "知识产权声明",
    "justification": "理由",
    "kind": "类别",
    "last": "最后一号",
    "lead": "牵头单位",
    "lead_unit_code": "牵头单位信用代码",
    "leader_name": "项目负责人",
    "legacy_records": "早期明文记录",
    "legal_ground": "法律依据",
    "listed": "已列入榜单",
    "listed_total": "已列入金额",
    "media_type": "文件类型",
    "meeting_date": "会议日期",
    "milestone_verdicts": "节点评估",
    "milestones": "节点",
    "minutes_ref": "会议纪要编号",
    "name": "名称",
    "needs": "抽取需求",
    "next_place": "下一顺位",
    "notice_ends": "公示截止",
    "notice_starts": "公示开始",
    "numbers": "编号",
    "objection_channel": "异议渠道",
    "objections": "异议",
    "opinion": "意见",
    "opinions": "专家意见",
    "org_code": "单位信用代码",
    "org_name": "单位名称",
    "organisation": "单位",
    "own_investment": "最终用户投入",
    "panel": "专家组",
    "panel_confirmed_by": "确认专家组的一方",
    "panel_draw_id": "专家抽取编号",
    "panel_is_effective": "专家组已生效",
    "participants": "参与单位",
    "period_argued": "周期已论证",
    "period_months": "实施周期（月）",
    "person_id": "人员编号",
    "project_id": "项目编号",
    "project_leader": "项目负责人",
    "project_title": "项目名称",
    "public_value": "公开随机数",
    "purpose": "用途",
    "randomness_date": "随机数日期",
    "randomness_source": "随机数来源",
    "ranked": "排序",
    "rankings": "抽取排序",
    "reason": "原因",
    "recipients": "定向发布对象",
    "recommended": "推荐",
    "recorded_at": "记录时间",
    "rectifications": "整改",
    "recused": "回避",
    "region": "地区",
    "relations": "关联关系",
    "replaced": "被替换",
    "replacement_confirmed_by": "确认替补的一方",
    "replacements": "替补",
    "reports": "报告",
    "request_id": "请求编号",
    "restricted": "定向发布",
    "retention": "保存期限",
    "review_rounds": "评审轮次",
    "reviewed_on": "论证日期",
    "revoked_applications": "撤销入选的申报",
    "role": "角色",
    "rule_id": "规则",
    "rules_version": "规则版本",
    "scope": "发布范围",
    "score": "评分",
    "scores": "评分",
    "seated": "入座",
    "seats": "席位",
    "seed": "种子",
    "signatures": "签署",
    "signed_on": "签署日期",
    "size": "大小",
    "solver_code": "揭榜单位信用代码",
    "solver_conditions": "揭榜单位条件",
    "solver_name": "揭榜单位",
    "source": "来源",
    "specialities": "专业领域",
    "speciality": "专业",
    "status": "状态",
    "status_reason": "状态原因",
    "subject_id": "个人信息主体",
    "support": "支持条件",
    "taken": "已入选",
    "target": "目标值",
    "technical_plan": "技术方案",
    "terms": "合同条款",
    "title": "标题",
    "tranches": "拨付批次",
    "unit": "单位",
    "unit_type": "单位类型",
    "value": "值",
    "verdict": "结论",
    "window_closes": "申报截止",
    "window_opens": "申报开始",
    "workdays": "工作日",
    "year": "年度",
}


# A name that means something else on one aggregate: a draw's commitment is to its seed.
FIELD_BY_AGGREGATE_ZH = {"Draw": {"commitment": "种子承诺值"}}
# The parts of a personal datum (domain/personal.py), wherever it sits.
PERSONAL_PART_ZH = {"kind": "个人信息类别", "subject_id": "个人信息主体", "value": "内容"}
PERSONAL_FIELDS = frozenset({"name", "leader_name", "project_leader"})


def _parts(path: object) -> list[str]:
    return [p for p in str(path or "").split(".") if p and not p.isdigit()]


def field_zh(path: object, event: object = None) -> str:
    """``content.commitment.own_investment`` → 最终用户投入: by its last named part (list
    positions skipped), as the event's aggregate names it; an entry of a keyed map
    (``milestone_verdicts.样机``) by its map's name; "" for a name not listed."""
    parts = _parts(path)
    if not parts:
        return ""
    if len(parts) > 1 and parts[-2] in PERSONAL_FIELDS and parts[-1] in PERSONAL_PART_ZH:
        return PERSONAL_PART_ZH[parts[-1]]
    own = FIELD_BY_AGGREGATE_ZH.get(str(event or "").split(".", 1)[0], {})
    if parts[-1] in own:
        return own[parts[-1]]
    if parts[-1] in FIELD_ZH:
        return FIELD_ZH[parts[-1]]
    if len(parts) > 1 and parts[-2] in KEYED_MAP_FIELDS:
        return FIELD_ZH.get(parts[-2], "")
    return ""


# Maps keyed by a name, an id or a code (a milestone's, an objection's, a project's, a kind of
# seat's): an entry is named by its map.
KEYED_MAP_FIELDS = frozenset(
    {"milestone_verdicts", "objections", "next_place", "numbers", "rectifications", "reports"}
)


# Coded values (the domain's enumerations) by the field that holds them; ``status`` by the
# aggregate, since each has its own.
CREDIT_STATUS_ZH = {"good": "良好", "seriously_dishonest": "严重失信"}
VERDICT_ZH = {"pass": "通过", "fail": "不通过"}
STATUS_BY_AGGREGATE_ZH = {
    "Challenge": CHALLENGE_STATUS_ZH,
    "Project": PROJECT_STATUS_ZH,
    "Application": {"applied": "已申报", "withdrawn": "已撤回"},
    "Expert": {"active": "在库", "suspended": "暂停使用", "retired": "已出库"},
    "Draw": {"scheduled": "已安排", "performed": "已抽取"},
    "CreditRecord": CREDIT_STATUS_ZH,
}
CODE_ZH: dict[str, Mapping[str, str]] = {
    "category": CATEGORY_ZH,
    "scope": SCOPE_ZH,
    "role": ROLE_ZH,
    "source": {"survey_visit": "调研走访", "public_solicitation": "社会征集"},
    "purpose": {"argumentation": "榜单论证", "review": "揭榜评审"},
    "kind": {
        "management": "管理专家",
        "front_line": "一线专家",
        "peer_inside": "区内同行专家",
        "peer_outside": "区外同行专家",
        "end_user_rep": "最终用户代表",
        "former_employer": "曾任职单位",
        "collaboration": "合作关系",
        "family_tie": "亲属关系",
    },
    "unit_type": {
        "university": "高校",
        "institute": "科研院所",
        "enterprise": "企业",
        "hospital": "医院",
        "new_rd_institution": "新型研发机构",
        "other_research_unit": "其他科研单位",
    },
    "credit_status": CREDIT_STATUS_ZH,
    "verdict": VERDICT_ZH,
    "conclusion": {"pass": "通过", "revise": "修改后再论证", "reject": "不通过"},
}


# Maps keyed by a name or an id (a milestone's, an objection's), by the code their values hold.
KEYED_MAPS_ZH: dict[str, Mapping[str, str]] = {
    "milestone_verdicts": VERDICT_ZH,
    "objections": {"open": "待处理", "upheld": "成立", "dismissed": "不成立"},
}


def code_zh(value: object, path: object, event: object) -> str:
    """A coded value of a field as the bureau says it (``key`` in ``content.category`` →
    重点项目); "" when the value is not a code this field holds."""
    if not isinstance(value, str):
        return ""
    parts = _parts(path)
    if not parts:
        return ""
    name = parts[-1]
    if len(parts) > 1 and parts[-2] in PERSONAL_FIELDS and name == "kind":
        return {"name": "姓名"}.get(value, "")
    if len(parts) > 1 and parts[-2] in KEYED_MAPS_ZH and name not in CODE_ZH:
        return KEYED_MAPS_ZH[parts[-2]].get(value, "")
    labels = (
        STATUS_BY_AGGREGATE_ZH.get(str(event or "").split(".", 1)[0], {})
        if name == "status"
        else CODE_ZH.get(name, {})
    )
    return labels.get(value, "")
