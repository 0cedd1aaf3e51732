"""Checks of projects: selection, public notice and objections, the district number, contract and
payment schedule, funds as they fall due, milestones and rectifications, changes, extension,
the end user's assessment, the reported co-investment and the bureau's acceptance
(R-SELECT-EU … R-EXTEND, R-EU-COMMIT as reported)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from jiebang_es.domain import schedule
from jiebang_es.domain.personal import shown
from jiebang_es.domain.project import CONTRACT_CHANGE_KINDS, Project
from jiebang_es.domain.rules import ARG_PANEL_KINDS, MIN_PANEL, missing_kinds
from jiebang_es.domain.values import ExpertKind, Role, Verdict
from jiebang_es.errors import JiebangError
from projections.compliance import zh
from projections.compliance.application_checks import dishonest
from projections.compliance.challenge_checks import PERIOD_MAX, check_money_and_period
from projections.compliance.check import Check, CheckFn

# Statuses under which payments follow the schedule (the final tranche after acceptance too).
PAYABLE = ("contracted", "assessed", "completed")


def selected(c: Check) -> None:
    e = c.event
    challenge = c.state(e.challenge_id)
    application = c.state(e.application_id)
    if e.solver_code == e.end_user_code:
        c.violation(
            "R-EU-NOT-SOLVER",
            f"the end user {e.end_user_code} selected as the solver",
            zh=f"最终用户 {e.end_user_code} 被确定为揭榜单位",
        )
    if c.audit.role is not Role.END_USER or c.audit.org_code != challenge.get("end_user"):
        c.violation(
            "R-SELECT-EU",
            f"the solver selected by {c.audit.role.value} {c.audit.org_code}, not the end user",
            zh=f"揭榜单位由{zh.role(c.audit.role.value)} {c.audit.org_code} 确定，而非最终用户",
        )
    # Absent members' scores are not awaited (R-REVIEW-PANEL, version 2).
    expected = (
        set(challenge.get("panel", []))
        - set(application.get("recused", []))
        - set(challenge.get("absent", []))
    )
    if not expected or not expected <= set(application.get("scored", [])) or not e.opinions:
        c.violation(
            "R-SELECT-EU",
            "selected an application not reviewed by every panel member, or without opinions",
            application.get("applied_pos"),
            zh="确定的申报未经专家组每位成员评审，或没有评审意见",
        )
    if dishonest(c, e.solver_code):
        c.violation(
            "R-CREDIT",
            f"selected unit {e.solver_code} is recorded as seriously dishonest",
            zh=f"确定的单位 {e.solver_code} 被记录为严重失信",
        )
    c.save(
        {
            "kind": "project",
            "challenge_id": e.challenge_id,
            "end_user": e.end_user_code,
            "solver": e.solver_code,
            "category": e.category.value,
            "funding": str(e.funding),
            "period": e.period_months,
            "indicators": [i.name for i in e.indicators],
            "classified": e.classified,
            "status": "selected",
            "objections": {},
            "disbursed": "0.00",
            "reported": [],
            "assessed": [],
            "approvals": {},
            "selected_pos": c.position,
        }
    )


def publicized(c: Check) -> None:
    e, state = c.event, c.state()
    if state.get("classified"):
        c.violation(
            "R-PUBLICITY",
            "a classified project publicized",
            state.get("selected_pos"),
            zh="涉密项目被公示",
        )
    if state.get("status") != "selected":
        c.violation(
            "R-ORDER",
            f"a notice for a {state.get('status')} project",
            zh=f"为处于“{zh.status(state.get('status'))}”的项目发布公示",
        )
    notice = e.notice  # None: a first-release notice, which recorded no text
    if notice is not None:
        blank = [
            (name, name_zh)
            for name, name_zh, value in (
                ("solver", "揭榜单位", notice.solver_name),
                ("end user", "最终用户", notice.end_user_name),
                ("project leader", "项目负责人", shown(notice.project_leader)),
                ("where and how to object", "异议的提出方式和渠道", notice.objection_channel),
            )
            if not value.strip()
        ]
        if not notice.restricted and not (notice.challenge_name and notice.funding):
            blank.append(("challenge and funding", "榜单名称和支持金额"))
        if blank:
            c.violation(
                "R-PUBLICITY",
                "the notice does not say its " + ", ".join(en for en, _ in blank),
                zh="公示未写明" + "、".join(z for _, z in blank),
            )
    days = working_days(c, e.starts_on, e.ends_on)
    if days is not None and days < c.settings.notice_working_days:
        c.violation(
            "R-PUBLICITY",
            f"a notice of {days} working days, shorter than {c.settings.notice_working_days}",
            zh=f"公示期 {days} 个工作日，短于 {c.settings.notice_working_days} 个工作日",
        )
    state.update(
        status="publicized",
        notice_starts=e.starts_on.isoformat(),
        notice_ends=e.ends_on.isoformat(),
        publicized_pos=c.position,
    )
    c.save(state)


def working_days(c: Check, start: Any, end: Any) -> int | None:
    """Working days from start to end inclusive; None where the calendar does not know."""
    try:
        return sum(
            c.settings.calendar.is_workday(start + timedelta(days=i))
            for i in range((end - start).days + 1)
        )
    except JiebangError:
        return None


def objection_lodged(c: Check) -> None:
    e, state = c.event, c.state()
    today = c.on.isoformat()
    starts, ends = state.get("notice_starts"), state.get("notice_ends")
    if state.get("status") != "publicized" or not (starts and ends and starts <= today <= ends):
        c.violation(
            "R-OBJECTION",
            "an objection lodged outside the notice",
            state.get("publicized_pos"),
            zh="异议在公示期之外提出",
        )
    state["objections"] = {**state.get("objections", {}), e.objection_id: c.position}
    c.save(state)


def objection_resolved(c: Check) -> None:
    e, state = c.event, c.state()
    objections = state.get("objections", {})
    if e.objection_id not in objections:
        c.violation(
            "R-OBJECTION",
            f"objection {e.objection_id} resolved but never lodged",
            zh=f"异议 {e.objection_id} 从未提出却被处理",
        )
    objections.pop(e.objection_id, None)
    state["objections"] = objections
    c.save(state)


def selection_revoked(c: Check) -> None:
    state = c.state()
    state["status"] = "revoked"
    c.save(state)


def notice_closed(c: Check) -> None:
    state = c.state()
    ends = state.get("notice_ends")
    if state.get("status") != "publicized" or ends is None or c.on.isoformat() <= ends:
        c.violation(
            "R-PUBLICITY",
            f"the notice closed before it ended ({ends})",
            state.get("publicized_pos"),
            zh=f"公示在期满（{ends}）之前结束",
        )
    if state.get("objections"):
        c.violation(
            "R-OBJECTION",
            "the notice closed with objections unresolved",
            *state["objections"].values(),
            zh="公示结束时仍有异议未处理",
        )
    state.update(status="in_management", closed_pos=c.position)
    c.save(state)


def notice_waived(c: Check) -> None:
    state = c.state()
    if not state.get("classified"):
        c.violation(
            "R-PUBLICITY",
            "the notice of a non-classified project waived",
            zh="非涉密项目免于公示",
        )
    state.update(status="in_management", closed_pos=c.position)
    c.save(state)


NUMBERS = "district-numbers"  # the compliance state of every district number given


def entered_management(c: Check) -> None:
    """R-OBJECTION: a number only after the notice passed (or was waived), unique in its year."""
    e, state = c.event, c.state()
    if state.get("status") != "in_management":
        c.violation(
            "R-OBJECTION",
            f"district number {e.number} given to a {state.get('status')} project",
            state.get("publicized_pos"),
            zh=f"为处于“{zh.status(state.get('status'))}”的项目编区级项目号 {e.number}",
        )
    if state.get("district_number"):
        c.violation(
            "R-OBJECTION",
            f"a second district number {e.number}",
            state.get("numbered_pos"),
            zh=f"再次编区级项目号 {e.number}",
        )
    given = c.state(NUMBERS)
    if e.number in given:
        c.violation(
            "R-OBJECTION",
            f"district number {e.number} given twice",
            given[e.number],
            zh=f"区级项目号 {e.number} 被重复使用",
        )
    c.save({**given, e.number: c.position}, NUMBERS)
    state.update(district_number=e.number, numbered_pos=c.position)
    c.save(state)


def check_schedule(c: Check, terms: Any) -> None:
    """R-CONTRACT: the payment schedule pays exactly the budget on conditions the contract has."""
    total = sum((t.amount for t in terms.tranches), Decimal("0.00"))
    if not terms.tranches or total != terms.budget:
        c.violation(
            "R-CONTRACT",
            f"the payment schedule totals {total}, not {terms.budget}",
            zh=f"拨付计划合计 {total} 元，而非合同经费 {terms.budget} 元",
        )
    for t in terms.tranches:
        try:
            n = schedule.milestone_number(t.condition)
            schedule.check_condition(t.condition)
        except JiebangError:
            c.violation(
                "R-CONTRACT",
                f"a tranche on an unknown condition {t.condition!r}",
                zh=f"一笔拨付的条件“{t.condition}”无法识别",
            )
            continue
        if n is not None and n > len(terms.milestones):
            c.violation(
                "R-CONTRACT",
                f"a tranche on milestone {n} the contract lacks",
                zh=f"一笔拨付以合同中没有的第 {n} 个节点为条件",
            )


def fallen_due(state: dict[str, Any]) -> Decimal:
    """What the recorded schedule had made due, from the checker's own state."""
    milestones = state.get("milestones_ordered", [])
    passed = set(state.get("passed", []))

    def met(condition: str) -> bool:
        if condition == schedule.SIGNATURE:
            return True
        if condition == schedule.FINAL_ASSESSMENT:
            return state.get("verdict") == Verdict.PASS.value
        try:
            n = schedule.milestone_number(condition)
        except JiebangError:
            return False
        return n is not None and n <= len(milestones) and milestones[n - 1] in passed

    return sum((Decimal(a) for a, cond in state.get("tranches", []) if met(cond)), Decimal(0))


def check_terms(c: Check, state: dict[str, Any], terms: Any) -> None:
    """R-CONTRACT, R-FUND-CAP, R-PERIOD-MAX on contract terms (first or amended)."""
    check_schedule(c, terms)
    if terms.budget > Decimal(state.get("funding") or "0"):
        c.violation(
            "R-CONTRACT",
            f"budget {terms.budget} over the funding {state.get('funding')}",
            zh=f"合同经费 {terms.budget} 元，超过支持金额 {state.get('funding')} 元",
        )
    if terms.period_months > (state.get("period") or 0) + state.get("extended", 0):
        c.violation(
            "R-CONTRACT",
            f"period {terms.period_months} over the challenge's",
            zh=f"合同周期 {terms.period_months} 个月，超过榜单的实施周期",
        )
    missing = set(state.get("indicators", [])) - {i.name for i in terms.indicators}
    if missing:
        c.violation(
            "R-CONTRACT",
            "the contract lacks indicators " + ", ".join(sorted(missing)),
            zh="合同缺少考核指标：" + zh.names(sorted(missing)),
        )
    check_money_and_period(
        c, state.get("category", "major"), terms.budget, terms.period_months, "the contract's"
    )


def contracted(c: Check) -> None:
    e, state = c.event, c.state()
    status = state.get("status")
    if status == "revoked":
        c.violation(
            "R-OBJECTION",
            "a revoked selection contracted",
            state.get("selected_pos"),
            zh="已撤销入选的项目签订了合同",
        )
    elif status != "in_management":
        rule = "R-PUBLICITY" if status in ("selected", "publicized") else "R-ORDER"
        c.violation(
            rule,
            f"contracted while the project is {status}: no closed notice or recorded waiver",
            state.get("selected_pos"),
            state.get("publicized_pos"),
            zh=f"项目处于“{zh.status(status)}”时签订合同：公示未结束，也未记录免于公示",
        )
    signed = {(s.role, s.org_code) for s in e.signatures}
    parties = {
        (Role.END_USER, state.get("end_user")),
        (Role.APPLICANT, state.get("solver")),
    }
    if not parties <= signed or Role.BUREAU not in {role for role, _ in signed}:
        c.violation(
            "R-CONTRACT",
            "not signed by bureau, end user and solver",
            zh="合同未经区科技局、最终用户和揭榜单位三方签订",
        )
    check_terms(c, state, e.terms)
    state.update(
        status="contracted",
        contracted_pos=c.position,
        budget=str(e.terms.budget),
        milestones=[m.name for m in e.terms.milestones],
        **schedule_state(e.terms),
    )
    c.save(state)


def schedule_state(terms: Any) -> dict[str, Any]:
    return {
        "milestones_ordered": [m.name for m in terms.milestones],
        "tranches": [[str(t.amount), t.condition] for t in terms.tranches],
    }


def funded(c: Check) -> None:
    e, state = c.event, c.state()
    if state.get("status") not in PAYABLE or state.get("budget") is None:
        c.violation(
            "R-DISBURSE",
            "a disbursement before the contract",
            state.get("selected_pos"),
            zh="签订合同之前即拨付经费",
        )
    if state.get("failed"):
        c.violation(
            "R-MILESTONE",
            "a disbursement while milestone " + ", ".join(state["failed"]) + " stands failed",
            *state.get("failed_pos", []),
            zh="节点" + zh.names(state["failed"]) + "评估未通过期间拨付经费",
        )
    total = Decimal(state.get("disbursed", "0")) + e.amount
    budget = state.get("budget")
    due = fallen_due(state)
    if budget is not None and total > Decimal(budget):
        c.violation(
            "R-DISBURSE",
            f"disbursed {total} in total, over the contracted {budget}",
            state.get("contracted_pos"),
            zh=f"累计拨付 {total} 元，超过合同经费 {budget} 元",
        )
    elif state.get("tranches") and total > due:
        c.violation(
            "R-DISBURSE",
            f"disbursed {total} in total, more than the {due} the schedule had made due",
            state.get("contracted_pos"),
            zh=f"累计拨付 {total} 元，超过拨付计划此时应付的 {due} 元",
        )
    state["disbursed"] = str(total)
    c.save(state)


def milestone_reported(c: Check) -> None:
    e, state = c.event, c.state()
    if e.milestone not in state.get("milestones", []):
        c.violation(
            "R-MILESTONE",
            f"{e.milestone!r} reported but not a contracted milestone",
            zh=f"报告的“{e.milestone}”不是合同约定的节点",
        )
    state["reported"] = [*state.get("reported", []), e.milestone]
    c.save(state)


def milestone_assessed(c: Check) -> None:
    e, state = c.event, c.state()
    if e.milestone not in state.get("reported", []):
        c.violation(
            "R-MILESTONE",
            f"{e.milestone!r} assessed before its report",
            zh=f"节点“{e.milestone}”在报告之前即被评估",
        )
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation(
            "R-MILESTONE",
            f"{e.milestone!r} assessed by someone other than the end user",
            zh=f"节点“{e.milestone}”由最终用户以外的人评估",
        )
    if e.milestone in state.get("assessed", []):
        c.violation(
            "R-MILESTONE",
            f"{e.milestone!r} assessed a second time",
            zh=f"节点“{e.milestone}”被再次评估",
        )
    state["assessed"] = [*state.get("assessed", []), e.milestone]
    mark(state, e.milestone, e.verdict, c.position)
    c.save(state)


def mark(state: dict[str, Any], milestone: str, verdict: Verdict, position: int) -> None:
    """The checker's view of which milestones stand passed and which failed."""
    failed = [m for m in state.get("failed", []) if m != milestone]
    passed = [m for m in state.get("passed", []) if m != milestone]
    if verdict is Verdict.PASS:
        passed.append(milestone)
    else:
        failed.append(milestone)
        state["failed_pos"] = [*state.get("failed_pos", []), position]
    state.update(failed=failed, passed=passed)


def rectification_reported(c: Check) -> None:
    e, state = c.event, c.state()
    if e.milestone not in state.get("failed", []):
        c.violation(
            "R-MILESTONE",
            f"a rectification of {e.milestone!r}, which had not failed",
            zh=f"节点“{e.milestone}”并未评估不通过，却报告整改",
        )
    state["rectifying"] = sorted({*state.get("rectifying", []), e.milestone})
    c.save(state)


def rectification_assessed(c: Check) -> None:
    e, state = c.event, c.state()
    if e.milestone not in state.get("rectifying", []):
        c.violation(
            "R-MILESTONE",
            f"a rectification of {e.milestone!r} assessed, never reported",
            zh=f"节点“{e.milestone}”的整改从未报告却被评估",
        )
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation(
            "R-MILESTONE",
            f"a rectification assessed by {c.audit.role.value}",
            zh=f"整改由{zh.role(c.audit.role.value)}评估",
        )
    state["rectifying"] = [m for m in state.get("rectifying", []) if m != e.milestone]
    if e.verdict is Verdict.PASS:
        mark(state, e.milestone, e.verdict, c.position)
    c.save(state)


def route_change_filed(c: Check) -> None:
    if c.audit.role is not Role.APPLICANT or c.audit.org_code != c.state().get("solver"):
        c.violation(
            "R-AUTONOMY",
            "a route or team change filed by someone other than the solver",
            zh="技术路线或团队的调整由揭榜单位以外的人备案",
        )
    if c.event.kind in CONTRACT_CHANGE_KINDS:
        c.violation(
            "R-AUTONOMY",
            f"a change of {c.event.kind} filed, not approved as a contract change",
            zh=f"{zh.CHANGE_KIND_ZH.get(c.event.kind, c.event.kind)}的变更仅作备案，"
            "未按合同变更审批",
        )


def change_approved(c: Check) -> None:
    e, state = c.event, c.state()
    approvals = state.get("approvals", {})
    approvals[e.change_id] = sorted({*approvals.get(e.change_id, []), e.role.value})
    state["approvals"] = approvals
    c.save(state)


def amended(c: Check) -> None:
    e, state = c.event, c.state()
    if not {"bureau", "end_user"} <= set(state.get("approvals", {}).get(e.change_id, [])):
        c.violation(
            "R-AUTONOMY",
            "the contract amended without bureau and end user approval",
            zh="合同未经区科技局和最终用户批准即变更",
        )
    check_terms(c, state, e.terms)
    state.update(
        budget=str(e.terms.budget),
        milestones=sorted({*state.get("milestones", []), *(m.name for m in e.terms.milestones)}),
        approvals={},
        **schedule_state(e.terms),
    )
    if e.terms.lead_unit_code:
        state["solver"] = e.terms.lead_unit_code
    c.save(state)


def extended(c: Check) -> None:
    e, state = c.event, c.state()
    if not e.opinions or any(not o.opinion.strip() for o in e.opinions):
        c.violation(
            "R-EXTEND",
            "an extension without written expert opinions",
            zh="延期没有书面专家意见",
        )
    kinds: list[ExpertKind | None] = [o.kind for o in e.opinions]
    short = len(kinds) < MIN_PANEL or missing_kinds(kinds, ARG_PANEL_KINDS)
    if short and not any(x.rule_id == "R-ARG-PANEL" for x in c.audit.exceptions):
        c.violation(
            "R-EXTEND",
            f"an extension argued by {len(kinds)} experts, not a full panel (R-ARG-PANEL)",
            zh=f"延期仅由 {len(kinds)} 名专家论证，专家组不完整（R-ARG-PANEL）",
        )
    cap = PERIOD_MAX.get(state.get("category", "major"), 60)
    if e.terms.period_months > cap:
        c.violation(
            "R-EXTEND",
            f"extended to {e.terms.period_months} months, over {cap}",
            zh=f"延期至 {e.terms.period_months} 个月，超过上限 {cap} 个月",
        )
    state.update(extended=state.get("extended", 0) + e.extra_months, approvals={})
    c.save(state)


def assessed(c: Check) -> None:
    state = c.state()
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation(
            "R-ASSESS-EU",
            f"the final assessment made by {c.audit.role.value} {c.audit.org_code}",
            zh=f"结题评价由{zh.role(c.audit.role.value)} {c.audit.org_code} 作出",
        )
    if state.get("status") != "contracted":
        c.violation(
            "R-ORDER",
            f"a final assessment of a {state.get('status')} project",
            zh=f"对处于“{zh.status(state.get('status'))}”的项目作结题评价",
        )
    unassessed = set(state.get("milestones", [])) - set(state.get("assessed", []))
    if unassessed:
        c.violation(
            "R-MILESTONE",
            "finally assessed before " + ", ".join(sorted(unassessed)),
            zh="节点" + zh.names(sorted(unassessed)) + "尚未评估即作结题评价",
        )
    if c.event.verdict is Verdict.PASS and state.get("failed"):
        c.violation(
            "R-MILESTONE",
            "a final pass while milestone " + ", ".join(state["failed"]) + " stood failed",
            *state.get("failed_pos", []),
            zh="节点" + zh.names(state["failed"]) + "评估未通过，结题评价却为通过",
        )
    # A first-release assessment closed the project itself (``closes``, upcast).
    state.update(
        status="completed" if c.event.closes else "assessed",
        verdict=c.event.verdict.value,
        assessed_pos=c.position,
    )
    c.save(state)


def accepted(c: Check) -> None:
    """R-ASSESS-EU: the bureau's acceptance follows the end user's verdict and keeps it."""
    e, state = c.event, c.state()
    if c.audit.role is not Role.BUREAU:
        c.violation(
            "R-ASSESS-EU",
            f"the acceptance recorded by {c.audit.role.value}",
            zh=f"验收由{zh.role(c.audit.role.value)}记录",
        )
    if state.get("status") != "assessed":
        c.violation(
            "R-ASSESS-EU",
            f"an acceptance of a {state.get('status')} project, before the verdict",
            zh=f"对处于“{zh.status(state.get('status'))}”的项目验收，早于最终用户的评价",
        )
    elif e.verdict.value != state.get("verdict"):
        c.violation(
            "R-ASSESS-EU",
            f"the acceptance says {e.verdict.value}; the end user's verdict was "
            f"{state.get('verdict')}",
            state.get("assessed_pos"),
            zh=f"验收结论为“{zh.verdict(e.verdict.value)}”，而最终用户的评价为"
            f"“{zh.verdict(state.get('verdict'))}”",
        )
    if not state.get("co_investment_reports"):
        c.violation(
            "R-EU-COMMIT",
            "closed without the end user's report of its co-investment",
            zh="结题时没有最终用户关于其配套投入的报告",
        )
    state["status"] = "completed"
    c.save(state)


def co_investment_reported(c: Check) -> None:
    """R-EU-COMMIT: the project's own end user reports, under a contract."""
    e, state = c.event, c.state()
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation(
            "R-EU-COMMIT",
            f"co-investment reported by {c.audit.role.value}",
            zh=f"配套投入由{zh.role(c.audit.role.value)}报告",
        )
    if state.get("status") not in PAYABLE:
        c.violation(
            "R-EU-COMMIT",
            f"co-investment reported on a {state.get('status')} project",
            zh=f"对处于“{zh.status(state.get('status'))}”的项目报告配套投入",
        )
    total = Decimal(state.get("co_invested", "0")) + e.amount
    state.update(
        co_invested=str(total), co_investment_reports=state.get("co_investment_reports", 0) + 1
    )
    c.save(state)


def terminated(c: Check) -> None:
    state = c.state()
    state["status"] = "terminated"
    c.save(state)


CHECKS: dict[type, CheckFn] = {
    Project.Selected: selected,
    Project.Publicized: publicized,
    Project.ObjectionLodged: objection_lodged,
    Project.ObjectionResolved: objection_resolved,
    Project.SelectionRevoked: selection_revoked,
    Project.NoticeClosed: notice_closed,
    Project.NoticeWaived: notice_waived,
    Project.Contracted: contracted,
    Project.Funded: funded,
    Project.MilestoneReported: milestone_reported,
    Project.MilestoneAssessed: milestone_assessed,
    Project.RouteChangeFiled: route_change_filed,
    Project.ContractChangeApproved: change_approved,
    Project.ContractAmended: amended,
    Project.Extended: extended,
    Project.Assessed: assessed,
    Project.Terminated: terminated,
    Project.EnteredDistrictManagement: entered_management,
    Project.RectificationReported: rectification_reported,
    Project.RectificationAssessed: rectification_assessed,
    Project.Accepted: accepted,
    Project.CoInvestmentReported: co_investment_reported,
}
