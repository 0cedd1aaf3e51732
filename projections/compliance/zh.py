"""The words a finding's Chinese detail is made of: statuses, roles, categories and the
checker's own names (contents, panel seats), as the people who read the report say them.

Each finding keeps its English ``detail`` (the JSON and CSV reports, and the scripts that read
them, go on reading it) and gains ``detail_zh``, which the console, the Markdown and the
workbook show."""

from __future__ import annotations

from collections.abc import Iterable

from jiebang_es.labels_zh import (
    CATEGORY_ZH,
    CHALLENGE_STATUS_ZH,
    PROJECT_STATUS_ZH,
    ROLE_ZH,
    VERDICT_ZH,
    label,
)

# missing_contents' names (§八(二)'s list contents).
CONTENT_ZH = {
    "measurable indicators": "可量化的考核指标",
    "benchmarking": "对标情况",
    "funding": "支持金额",
    "period": "实施周期",
    "milestones": "里程碑节点",
    "solver conditions": "揭榜方条件",
    "scope": "发布范围",
}
# The seats a panel must fill (R-ARG-PANEL, R-REVIEW-PANEL), by the checker's names.
SEAT_ZH = {
    "management": "管理类专家",
    "front-line": "一线技术类专家",
    "peer": "同行专家",
    "end user's head": "最终用户负责人",
}
# R-OPEN: what an application must not be asked for (application_checks.FORBIDDEN).
THRESHOLD_ZH = {
    "registration_age": "注册年限",
    "unit_age": "单位成立年限",
    "leader_age": "负责人年龄",
    "age": "年龄",
    "degree": "学历",
    "title": "职称",
}


def status(value: object) -> str:
    """A challenge's or a project's status in Chinese (the raw value when neither knows it)."""
    text = str(value)
    return CHALLENGE_STATUS_ZH.get(text) or PROJECT_STATUS_ZH.get(text) or text


# A role, a category, a verdict as the bureau says them (a code not listed as it is).
role = label(ROLE_ZH)
category = label(CATEGORY_ZH)
verdict = label(VERDICT_ZH)


def contents(names: Iterable[str]) -> str:
    return "、".join(CONTENT_ZH.get(n, n) for n in names)


def panel_problems(count: int, seats: Iterable[str]) -> str:
    """What a panel lacks: fewer than five experts, and each seat it left empty."""
    problems = [] if count >= 5 else [f"仅 {count} 名专家，少于 5 名"]
    problems += [f"缺少{SEAT_ZH.get(s, s)}" for s in seats]
    return "；".join(problems)


# A draw's or a panel's purpose.
PURPOSE_ZH = {"argumentation": "论证", "review": "评审"}
# A route change's kinds that only a contract change may make (domain/project.py).
CHANGE_KIND_ZH = {"project_leader": "项目负责人", "lead_unit": "牵头单位"}


def names(values: Iterable[str]) -> str:
    """Names the plan's people wrote (milestones, indicators), quoted, in a Chinese list."""
    return "、".join(f"“{v}”" for v in values)
