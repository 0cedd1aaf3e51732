"""Checks of the challenge's events: contents, argumentation, annual list, publication, review
panel and selection (R-INDUSTRY … R-GUIDE, R-REVIEW-PANEL, R-PANEL-JOINT, R-SELECT-EU).

The rules version 2 added or tightened (R-EU-LOCAL, R-EU-DRAFTS, R-BUDGET, the conditions of
R-OPEN, the share of R-EU-COMMIT, R-CONFLICT on the argumentation panel, R-SCOPE by credit code)
are checked for challenges drafted under version 2 (``rules_version``); the first release's
drafts upcast to version 1 and were never asked them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.content import content_digest
from jiebang_es.domain.demand import Demand
from jiebang_es.domain.values import Category, Conclusion, Role, Scope
from projections.compliance import budget_checks, zh
from projections.compliance.check import Check, CheckFn
from projections.model import iso

# The plan's numbers, restated here so the checker does not lean on the guards' code.
CAP = {"key": Decimal("100000.00"), "major": Decimal("300000.00")}
PERIOD_MAX = {"key": 36, "major": 60}
PERIOD_NORM = {"key": (12, 24), "major": (24, 36)}
# check_money_and_period's ``what``, in Chinese.
WHAT_ZH = {"the challenge's": "榜单", "the contract's": "合同"}
ARG_KINDS = {
    "management": {"management"},
    "front-line": {"front_line"},
    "peer": {"peer_inside", "peer_outside"},
}
REVIEW_KINDS = {**ARG_KINDS, "end user's head": {"end_user_rep"}}


def excepted(c: Check, rule_id: str) -> bool:
    """The event carries a justified in-principle exception to this rule."""
    return any(x.rule_id == rule_id and x.justification.strip() for x in c.audit.exceptions)


def panel_problems(kinds: list[str], required: dict[str, set[str]]) -> tuple[str, str]:
    """What a panel lacks (fewer than five experts, a seat left empty), in English and in
    Chinese; empty when nothing."""
    empty = [name for name, ok in required.items() if not ok & set(kinds)]
    problems = [] if len(kinds) >= 5 else [f"{len(kinds)} experts, fewer than 5"]
    problems += [f"no {name} expert" for name in empty]
    if not problems:
        return "", ""
    return "; ".join(problems), zh.panel_problems(len(kinds), empty)


def check_money_and_period(c: Check, category: str, funding: Any, period: Any, what: str) -> None:
    """R-FUND-CAP and R-PERIOD-MAX for a challenge's or a contract's terms."""
    if funding is not None:
        amount = Decimal(str(funding))
        if amount > CAP[category]:
            c.violation(
                "R-FUND-CAP",
                f"{what} funding {amount} over the {category} cap",
                zh=f"{WHAT_ZH[what]}支持金额 {amount} 元，超过{zh.category(category)}上限 "
                f"{CAP[category]} 元",
            )
        if amount != amount.quantize(Decimal("0.01")):
            c.violation(
                "R-FUND-CAP",
                f"{what} funding {amount} is not in fen",
                zh=f"{WHAT_ZH[what]}支持金额 {amount} 元不是以分为单位的金额",
            )
    if period is not None and not 0 < period <= PERIOD_MAX[category]:
        c.violation(
            "R-PERIOD-MAX",
            f"{what} period {period} months over the {category} maximum",
            zh=f"{WHAT_ZH[what]}实施周期 {period} 个月，超过{zh.category(category)}上限 "
            f"{PERIOD_MAX[category]} 个月",
        )


def v2(state: dict[str, Any]) -> bool:
    """The challenge was drafted under RULES.md version 2 or later."""
    return int(state.get("rules_version") or 1) >= 2


def industry_check(c: Check, industry: str, settled: bool = False) -> bool:
    """R-INDUSTRY (in principle): outside the configured list only with a justification;
    whether the industry is justified (or listed)."""
    if industry in c.settings.industries or settled or excepted(c, "R-INDUSTRY"):
        return True
    c.violation(
        "R-INDUSTRY",
        f"industry {industry!r} is not listed, without a justification",
        zh=f"产业领域“{industry}”不在所列领域之内，且未说明理由",
    )
    return False


def version_2_content_checks(c: Check, content: Any) -> None:
    """R-OPEN's conditions for solvers and R-EU-COMMIT's share of the funding (version 2)."""
    found = [w for w in c.settings.forbidden_conditions if w and w in content.solver_conditions]
    if found:
        c.violation(
            "R-OPEN",
            "conditions for solvers require " + "、".join(found),
            zh="揭榜方条件设有限制性要求：" + "、".join(found),
        )
    commitment = content.commitment
    if commitment is not None and content.funding is not None:
        least = Decimal(str(content.funding)) * c.settings.commitment_min_ratio
        if commitment.own_investment < least:
            c.violation(
                "R-EU-COMMIT",
                f"the end user's own investment {commitment.own_investment} is under "
                f"{c.settings.commitment_min_ratio} of the funding {content.funding}",
                zh=f"最终用户自有投入 {commitment.own_investment} 元，低于支持金额 "
                f"{content.funding} 元的 {c.settings.commitment_min_ratio} 倍",
            )


def content_checks(c: Check, content: Any, rules_version: int = 1) -> dict[str, Any]:
    """Checks every draft and revision must pass; the content as the checker keeps it."""
    if rules_version >= 2:
        version_2_content_checks(c, content)
    if not content.chokepoint.strip() or not content.industry_effect.strip():
        c.violation(
            "R-CHOKEPOINT",
            "no chokepoint problem or effect on the industry stated",
            zh="未写明“卡脖子”问题或对产业的影响",
        )
    category = content.category.value if isinstance(content.category, Category) else None
    if category is None:
        c.violation(
            "R-CATEGORY",
            f"category {content.category!r} is neither key nor major",
            zh=f"类别“{content.category}”既非重点项目也非重大项目",
        )
        category = "major"
    check_money_and_period(c, category, content.funding, content.period_months, "the challenge's")
    period = content.period_months
    if period is not None:
        low, high = PERIOD_NORM[category]
        if not low <= period <= high and not excepted(c, "R-PERIOD-NORM"):
            c.violation(
                "R-PERIOD-NORM",
                f"{period} months outside {low}–{high} without a justification",
                zh=f"实施周期 {period} 个月，不在 {low}–{high} 个月之内，且未说明理由",
            )
    if content.classified and content.scope is Scope.PUBLIC:
        c.violation(
            "R-SCOPE", "a classified challenge is public in scope", zh="涉密榜单的发布范围为公开"
        )
    if content.scope is Scope.RESTRICTED and not any(r.strip() for r in content.recipients):
        c.violation(
            "R-SCOPE", "a restricted challenge names no recipients", zh="定向发布的榜单未列明对象"
        )
    return {
        "recipients": [r.strip().upper() for r in content.recipients],
        "digest": content_digest(content),
        "confirmed": None,
        "industry": content.industry,
        "category": category,
        "funding": None if content.funding is None else str(content.funding),
        "period": period,
        "scope": content.scope.value if content.scope is not None else None,
        "classified": content.classified,
        "indicators": [i.name for i in content.indicators],
        "missing": missing_contents(content),
        "commitment": commitment_ok(content.commitment),
    }


def missing_contents(content: Any) -> list[str]:
    """The list contents (§八(二)) that a draft lacks."""
    missing = []
    if not content.indicators or any(
        not (i.name.strip() and i.target.strip() and i.unit.strip()) for i in content.indicators
    ):
        missing.append("measurable indicators")
    for name, value in (
        ("benchmarking", content.benchmarking.strip()),
        ("funding", content.funding),
        ("period", content.period_months),
        ("milestones", content.milestones),
        ("solver conditions", content.solver_conditions.strip()),
        ("scope", content.scope),
    ):
        if not value:
            missing.append(name)
    return missing


def commitment_ok(commitment: Any) -> bool:
    return bool(
        commitment is not None
        and commitment.own_investment > 0
        and commitment.support.strip()
        and commitment.first_application
    )


def end_user_local(c: Check, code: str) -> None:
    """R-EU-LOCAL (in principle): an enterprise (91…) registered in the district."""
    district = c.settings.district_code
    if (code[2:8] != district or not code.startswith("91")) and not excepted(c, "R-EU-LOCAL"):
        c.violation(
            "R-EU-LOCAL",
            f"end user {code} is not an enterprise registered in {district}, without a "
            "justification",
            zh=f"最终用户 {code} 不是在本区（{district}）登记的企业，且未说明理由",
        )


def demand_collected(c: Check) -> None:
    industry_check(c, c.event.industry)


def drafted(c: Check) -> None:
    e = c.event
    rules_version = int(getattr(e, "rules_version", 1))
    if not e.demand_ids:
        c.violation(
            "R-ORDER",
            "a challenge drafted from no collected demand",
            zh="榜单未基于任何已征集的需求编制",
        )
    justified = industry_check(c, e.content.industry)
    if rules_version >= 2:
        end_user_local(c, e.end_user.credit_code)
    state = {
        "kind": "challenge",
        "end_user": e.end_user.credit_code,
        "status": "draft",
        "drafted_pos": c.position,
        "period_argued": False,
        "rules_version": rules_version,
        "industry_justified": justified,
        **content_checks(c, e.content, rules_version),
    }
    c.save(state)


def revised(c: Check) -> None:
    state = c.state()
    if state.get("status") != "draft":
        c.violation(
            "R-ORDER",
            f"a {state.get('status')} challenge revised as a draft",
            zh=f"处于“{zh.status(state.get('status'))}”的榜单被作为草稿修改",
        )
    content = c.event.content
    settled = bool(state.get("industry_justified")) and content.industry == state.get("industry")
    industry_check(c, content.industry, settled)
    state.update(
        content_checks(c, content, int(state.get("rules_version") or 1)), period_argued=False
    )
    c.save(state)


def end_user_confirmed(c: Check) -> None:
    """R-EU-DRAFTS: the challenge's own end user confirms the draft as it stands."""
    e, state = c.event, c.state()
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation(
            "R-EU-DRAFTS",
            f"a draft confirmed by {c.audit.role.value} {c.audit.org_code}, not its end user",
            zh=f"榜单草稿由{zh.role(c.audit.role.value)} {c.audit.org_code} 确认，而非其最终用户",
        )
    elif e.content_digest != state.get("digest"):
        c.violation(
            "R-EU-DRAFTS",
            "the confirmation names content other than the draft's",
            zh="确认所指的内容与草稿不一致",
        )
    else:
        state["confirmed"] = e.content_digest
    c.save(state)


def argumentation_conflicts(c: Check, state: dict[str, Any]) -> None:
    """R-CONFLICT: no expert of the challenge's own end user argues its draft."""
    for opinion in c.event.opinions:
        if c.state(opinion.expert_id).get("org") == state.get("end_user"):
            c.violation(
                "R-CONFLICT",
                f"expert {opinion.expert_id} of the end user argued its own challenge",
                zh=f"最终用户本单位的专家 {opinion.expert_id} 参与论证本单位的榜单",
            )


def reviewed(c: Check) -> None:
    e, state = c.event, c.state()
    if state.get("status") != "draft":
        c.violation(
            "R-ORDER",
            f"argumentation of a {state.get('status')} challenge",
            zh=f"对处于“{zh.status(state.get('status'))}”的榜单进行论证",
        )
    if v2(state):
        if state.get("confirmed") != state.get("digest"):
            c.violation(
                "R-EU-DRAFTS",
                "argued without the end user's confirmation of the draft as it stands",
                state.get("drafted_pos"),
                zh="论证时最终用户未确认现行草稿",
            )
        argumentation_conflicts(c, state)
    if state.get("missing"):
        c.violation(
            "R-CONTENT",
            "argued while lacking " + ", ".join(state["missing"]),
            zh="论证时榜单缺少：" + zh.contents(state["missing"]),
        )
    if not state.get("commitment"):
        c.violation(
            "R-EU-COMMIT",
            "argued without the end user's recorded commitment",
            zh="论证时未记录最终用户的承诺",
        )
    kinds = [o.kind.value for o in e.opinions]
    problems, problems_zh = panel_problems(kinds, ARG_KINDS)
    if problems and not excepted(c, "R-ARG-PANEL"):
        c.violation(
            "R-ARG-PANEL",
            problems + ", without a justification",
            zh=f"论证专家组{problems_zh}，且未说明理由",
        )
    if e.period_argued and len(e.opinions) < 5:
        c.violation(
            "R-PERIOD-ARGUED",
            "the period was argued by fewer than five experts",
            zh="实施周期由不足 5 名专家论证",
        )
    passed = e.conclusion is Conclusion.PASS
    state.update(
        status={"pass": "reviewed", "revise": "draft", "reject": "rejected"}[e.conclusion.value],
        period_argued=passed and e.period_argued,
        reviewed_pos=c.position,
    )
    c.save(state)


def listed(c: Check) -> None:
    e, state = c.event, c.state()
    if state.get("status") != "reviewed":
        c.violation(
            "R-ORDER",
            f"a {state.get('status')} challenge put on the annual list",
            zh=f"处于“{zh.status(state.get('status'))}”的榜单被列入年度榜单",
        )
    if not e.minutes_ref.strip() or e.meeting_date > c.on:
        c.violation(
            "R-PARTY-APPROVAL",
            "no minutes, or a meeting that had not taken place",
            zh="没有会议纪要，或会议尚未召开",
        )
    if (state.get("period") or 0) > 36 and not state.get("period_argued"):
        c.violation(
            "R-PERIOD-ARGUED",
            f"{state.get('period')} months listed without an argumentation of the period",
            state.get("reviewed_pos"),
            zh=f"实施周期 {state.get('period')} 个月的榜单未经周期论证即列入年度榜单",
        )
    charged = budget_checks.list_charged(c, e.year, state.get("funding"), v2(state))
    state.update(status="listed", listed_pos=c.position, year=e.year, charged=charged)
    c.save(state)


def published(c: Check) -> None:
    e, state = c.event, c.state()
    if state.get("status") != "listed":
        c.violation(
            "R-PARTY-APPROVAL",
            f"published while {state.get('status')}, not on an approved annual list",
            state.get("drafted_pos"),
            zh=f"榜单在“{zh.status(state.get('status'))}”时发布，未列入经审定的年度榜单",
        )
    if not e.guide.strip() or e.window_closes <= e.window_opens:
        c.violation(
            "R-GUIDE",
            "published without a guide or with a window that never opens",
            zh="发布时没有申报指南，或申报窗口从未开启",
        )
    if state.get("classified") and state.get("scope") == "public":
        c.violation(
            "R-SCOPE",
            "a classified challenge published to the public portal",
            zh="涉密榜单在公开门户发布",
        )
    state.update(
        status="published",
        published_pos=c.position,
        window_opens=iso(e.window_opens),
        window_closes=iso(e.window_closes),
    )
    c.save(state)


def panel_proposed(c: Check) -> None:
    e, state = c.event, c.state()
    if state.get("status") != "published":
        c.violation(
            "R-ORDER",
            f"a review panel for a {state.get('status')} challenge",
            zh=f"为处于“{zh.status(state.get('status'))}”的榜单组建评审专家组",
        )
    kinds = [m.kind.value for m in e.members]
    problems, problems_zh = panel_problems(kinds, REVIEW_KINDS)
    if problems and not excepted(c, "R-REVIEW-PANEL"):
        c.violation(
            "R-REVIEW-PANEL",
            problems + ", without a justification",
            zh=f"评审专家组{problems_zh}，且未说明理由",
        )
    state.update(panel=[m.expert_id for m in e.members], confirmed=[], panel_pos=c.position)
    c.save(state)


def panel_confirmed(c: Check) -> None:
    state = c.state()
    role = c.audit.role
    if role not in (Role.BUREAU, Role.END_USER) or (
        role is Role.END_USER and c.audit.org_code != state.get("end_user")
    ):
        c.violation(
            "R-PANEL-JOINT",
            f"a panel confirmed by {role.value} {c.audit.org_code}",
            zh=f"专家组由{zh.role(role.value)} {c.audit.org_code} 确认，"
            "而非区科技局或本榜单的最终用户",
        )
    state["confirmed"] = sorted({*state.get("confirmed", []), role.value})
    c.save(state)


def panel_effective(state: dict[str, Any]) -> bool:
    return {"bureau", "end_user"} <= set(state.get("confirmed", []))


def solver_selected(c: Check) -> None:
    e, state = c.event, c.state()
    closes = state.get("window_closes")
    if state.get("status") != "published" or closes is None or iso(c.audit.effective_at) < closes:
        c.violation(
            "R-ORDER",
            "a solver selected before the window closed",
            state.get("published_pos"),
            zh="申报窗口关闭前即确定揭榜单位",
        )
    if not panel_effective(state):
        c.violation(
            "R-PANEL-JOINT",
            "selected without a panel both parties confirmed",
            state.get("panel_pos"),
            zh="评审专家组未经区科技局和最终用户共同确认即确定揭榜单位",
        )
    state.update(status="selected", project_id=e.project_id, application_id=e.application_id)
    c.save(state)


def selection_revoked(c: Check) -> None:
    state = c.state()
    state.update(status="published", project_id=None, application_id=None)
    c.save(state)


def to_status(status: str) -> CheckFn:
    def check(c: Check) -> None:
        state = c.state()
        if state.get("charged"):  # R-BUDGET: a listed challenge ending gives its funding back
            budget_checks.list_released(c, state["year"], state.get("funding"))
            state["charged"] = False
        state["status"] = status
        c.save(state)

    return check


CHECKS: dict[type, CheckFn] = {
    **budget_checks.CHECKS,
    Demand.Collected: demand_collected,
    Challenge.Drafted: drafted,
    Challenge.DraftRevised: revised,
    Challenge.EndUserConfirmed: end_user_confirmed,
    Challenge.Reviewed: reviewed,
    Challenge.Listed: listed,
    Challenge.Published: published,
    Challenge.ReviewPanelProposed: panel_proposed,
    Challenge.ReviewPanelConfirmed: panel_confirmed,
    Challenge.SolverSelected: solver_selected,
    Challenge.SolverSelectionRevoked: selection_revoked,
    Challenge.Failed: to_status("failed"),
    Challenge.Cancelled: to_status("cancelled"),
}
