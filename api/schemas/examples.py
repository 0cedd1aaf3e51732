"""Examples for the OpenAPI document, from the sample year (organisations with valid codes)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

EU = {
    "credit_code": "91500106MA5U7KX2Q9",
    "name": "重庆沙磁智能装备有限公司",
    "unit_type": "enterprise",
    "in_district": True,
}
SOLVER = {
    "credit_code": "12500106MB0X4521KG",
    "name": "西部智能制造研究院",
    "unit_type": "institute",
    "in_district": True,
}
EXPERT_ID = "7c1e9a52-3f0b-5d8e-9a41-2b6c0d8e4f17"
CHALLENGE_ID = "0b9d7a6e-5c4f-4e3d-8b2a-1f0e9d8c7b6a"
INDICATORS = [{"name": "分辨率", "target": "23", "unit": "位"}]
MILESTONES = [
    {"name": "样机", "due_month": 9, "deliverable": "工程样机及测试报告"},
    {"name": "小批量验证", "due_month": 18, "deliverable": "100台小批量装机验证"},
]
CONTENT = {
    "name": "高精度伺服电机编码器国产化",
    "industry": "智能科技",
    "category": "key",
    "chokepoint": "23位绝对值编码器依赖进口，交期长达26周",
    "industry_effect": "制约区内智能装备整机交付与成本",
    "indicators": INDICATORS,
    "benchmarking": "对标海德汉ECN系列",
    "funding": "100000.00",
    "period_months": 18,
    "milestones": MILESTONES,
    "solver_conditions": "具备编码器或精密光栅研发基础",
    "scope": "public",
    "recipients": [],
    "commitment": {
        "own_investment": "200000.00",
        "support": "提供产线测试平台与装机验证",
        "first_application": True,
    },
    "classified": False,
}
TERMS = {
    "indicators": INDICATORS,
    "milestones": MILESTONES,
    "budget": "98000.00",
    "period_months": 18,
}
BODIES: dict[str, dict[str, Any]] = {
    "demand": {
        "source": "survey_visit",
        "enterprise": EU,
        "industry": "智能科技",
        "title": "伺服编码器依赖进口",
        "description": "调研走访记录",
    },
    "draft": {"end_user": EU, "content": CONTENT, "demand_ids": [CHALLENGE_ID]},
    "argumentation": {
        "conclusion": "pass",
        "opinions": [{"expert_id": EXPERT_ID, "opinion": "需求明确，指标可考核"}],
        "effective_at": "2026-03-20T10:00:00+08:00",
    },
    "confirm": {"content_digest": "0" * 64},
    "budget": {"year": 2026, "amount": "5000000.00", "effective_at": "2026-01-05T10:00:00+08:00"},
    "budget_revision": {"amount": "6000000.00", "reason": "区财政批复追加预算"},
    "annual_list": {
        "year": 2026,
        "meeting_date": "2026-04-08",
        "minutes_ref": "党组会〔2026〕7号",
        "challenge_ids": [CHALLENGE_ID],
    },
    "publish": {
        "guide": "高精度伺服电机编码器国产化申报指南",
        "window_opens": "2026-04-10T09:00:00+08:00",
        "window_closes": "2026-05-10T17:00:00+08:00",
    },
    "apply": {
        "lead": SOLVER,
        "participants": [],
        "leader_name": "张工",
        "technical_plan": "基于磁电复合的编码方案",
        "ip_declaration": True,
        "budget": "95000.00",
        "period_months": 18,
    },
    "expert": {
        "person_id": "exp-liu",
        "name": "刘主任",
        "org_code": "11500106MB12345676",
        "org_name": "沙坪坝区科学技术局",
        "kind": "management",
        "speciality": "产业管理",
    },
    "panel": {"expert_ids": [EXPERT_ID]},
    "declare": {"conflict": False, "statement": ""},
    "score": {"score": 88, "opinion": "技术路线可行，团队基础扎实"},
    "select": {"application_id": CHALLENGE_ID, "note": "综合评分最高"},
    "objection": {"grounds": "对评分结果有异议"},
    "resolve": {"upheld": False, "reason": "经复核，评分程序与回避均合规"},
    "contract": {"terms": TERMS},
    "disburse": {"amount": "49000.00", "purpose": "首期拨付", "paid_on": "2026-06-10"},
    "assess": {"verdict": "pass", "remarks": "达到考核指标"},
    # R-REVIEW-PANEL (version 2): replacements and absences on a confirmed panel.
    "replacement": {
        "expert_id": "5a8f3c21-9d4e-5b7a-8c6f-0e1d2c3b4a59",
        "replaces": EXPERT_ID,
        "reason": "王教授所在单位为申报单位，回避",
    },
    "absence": {"expert_id": EXPERT_ID, "reason": "住院，无法参加评审"},
}


def example(name: str) -> ConfigDict:
    """A model config carrying one request example (merged with the base's config)."""
    return ConfigDict(json_schema_extra={"examples": [BODIES[name]]})
