"""Each rule's short name in Chinese, as the plan (沙科局发〔2023〕42号) words the matter, for
pages and reports that Chinese-reading supervisors use beside the rule's id."""

from __future__ import annotations

RULE_TITLE_ZH: dict[str, str] = {
    "R-ORDER": "按程序顺序办理",
    "R-INDUSTRY": "聚焦区内主导或培育产业",
    "R-EU-LOCAL": "最终用户为区内企业",
    "R-EU-DRAFTS": "会同最终用户凝练榜单",
    "R-CHOKEPOINT": "说明卡点问题及其对产业的影响",
    "R-CONTENT": "榜单内容完整",
    "R-EU-COMMIT": "最终用户共同投入、提供条件、率先应用",
    "R-CATEGORY": "分为重点项目和重大项目",
    "R-FUND-CAP": "资助强度（重点≤10万元，重大≤30万元）",
    "R-PERIOD-MAX": "实施周期上限",
    "R-PERIOD-NORM": "实施周期原则上的范围",
    "R-PERIOD-ARGUED": "周期超过3年须经专家论证",
    "R-ARG-PANEL": "论证专家组构成（不少于5人）",
    "R-BUDGET": "结合年度经费预算安排",
    "R-PARTY-APPROVAL": "年度榜单经党组会审定",
    "R-SCOPE": "发布范围（公开或定向）",
    "R-GUIDE": "发布申报指南和申报时间",
    "R-OPEN": "揭榜单位不设门槛",
    "R-CREDIT": "揭榜单位社会信用良好",
    "R-PLAN-IP": "技术方案可行、拥有自主知识产权",
    "R-EU-NOT-SOLVER": "最终用户不能作为揭榜单位",
    "R-ASK-CAP": "申请经费和周期不超过榜单",
    "R-REVIEW-PANEL": "评审专家组构成（不少于5人）",
    "R-PANEL-JOINT": "评审专家由最终用户和区科技局共同确定",
    "R-SELECT-EU": "最终用户结合专家意见确定揭榜单位",
    "R-SELECT-REASON": "不依专家排序确定须说明理由",
    "R-CONFLICT": "评审专家回避",
    "R-DRAW": "专家抽取可核验",
    "R-PUBLICITY": "入选项目公示（涉密除外）",
    "R-OBJECTION": "公示期内的异议",
    "R-CONTRACT": "任务书内容完整",
    "R-DISBURSE": "按任务书拨付资金",
    "R-MILESTONE": "节点管理",
    "R-AUTONOMY": "充分授权，技术路线自主决定",
    "R-ASSESS-EU": "最终用户主导考核",
    "R-EXTEND": "延期须经专家论证",
    "R-EVIDENCE": "决策文件随决定留存",
    "R-AUDIT-WHO": "记录何人、何时、何事、何故",
    "R-AUDIT-IMMUTABLE": "记录不可更改、不可删除",
    "R-ERASURE": "个人信息删除由个人信息保护负责人办理",
    "R-RETENTION": "保存期限届满方可删除",
}


def rule_named(rule_id: str) -> str:
    """``R-FUND-CAP`` → ``R-FUND-CAP（资助强度（…））``; an id not listed as it is."""
    title = RULE_TITLE_ZH.get(rule_id)
    return f"{rule_id}（{title}）" if title else rule_id
