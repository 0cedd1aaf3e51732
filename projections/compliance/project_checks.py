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
        c.violation("R-EU-NOT-SOLVER", f"the end user {e.end_user_code} selected as the solver")
    if c.audit.role is not Role.END_USER or c.audit.org_code != challenge.get("end_user"):
        c.violation(
            "R-SELECT-EU",
            f"the solver selected by {c.audit.role.value} {c.audit.org_code}, not the end user",
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
        )
    if dishonest(c, e.solver_code):
        c.violation("R-CREDIT", f"selected unit {e.solver_code} is recorded as seriously dishonest")
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
        c.violation("R-PUBLICITY", "a classified project publicized", state.get("selected_pos"))
    if state.get("status") != "selected":
        c.violation("R-ORDER", f"a notice for a {state.get('status')} project")
    notice = e.notice  # None: a first-release notice, which recorded no text
    if notice is not None:
        blank = [
            name
            for name, value in (
                ("solver", notice.solver_name),
                ("end user", notice.end_user_name),
                ("project leader", shown(notice.project_leader)),
                ("where and how to object", notice.objection_channel),
            )
            if not value.strip()
        ]
        if not notice.restricted and not (notice.challenge_name and notice.funding):
            blank.append("challenge and funding")
        if blank:
            c.violation("R-PUBLICITY", "the notice does not say its " + ", ".join(blank))
    days = working_days(c, e.starts_on, e.ends_on)
    if days is not None and days < c.settings.notice_working_days:
        c.violation(
            "R-PUBLICITY",
            f"a notice of {days} working days, shorter than {c.settings.notice_working_days}",
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
            "R-OBJECTION", "an objection lodged outside the notice", state.get("publicized_pos")
        )
    state["objections"] = {**state.get("objections", {}), e.objection_id: c.position}
    c.save(state)


def objection_resolved(c: Check) -> None:
    e, state = c.event, c.state()
    objections = state.get("objections", {})
    if e.objection_id not in objections:
        c.violation("R-OBJECTION", f"objection {e.objection_id} resolved but never lodged")
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
        )
    if state.get("objections"):
        c.violation(
            "R-OBJECTION",
            "the notice closed with objections unresolved",
            *state["objections"].values(),
        )
    state.update(status="in_management", closed_pos=c.position)
    c.save(state)


def notice_waived(c: Check) -> None:
    state = c.state()
    if not state.get("classified"):
        c.violation("R-PUBLICITY", "the notice of a non-classified project waived")
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
        )
    if state.get("district_number"):
        c.violation(
            "R-OBJECTION", f"a second district number {e.number}", state.get("numbered_pos")
        )
    given = c.state(NUMBERS)
    if e.number in given:
        c.violation("R-OBJECTION", f"district number {e.number} given twice", given[e.number])
    c.save({**given, e.number: c.position}, NUMBERS)
    state.update(district_number=e.number, numbered_pos=c.position)
    c.save(state)


def check_schedule(c: Check, terms: Any) -> None:
    """R-CONTRACT: the payment schedule pays exactly the budget on conditions the contract has."""
    total = sum((t.amount for t in terms.tranches), Decimal("0.00"))
    if not terms.tranches or total != terms.budget:
        c.violation("R-CONTRACT", f"the payment schedule totals {total}, not {terms.budget}")
    for t in terms.tranches:
        try:
            n = schedule.milestone_number(t.condition)
            schedule.check_condition(t.condition)
        except JiebangError:
            c.violation("R-CONTRACT", f"a tranche on an unknown condition {t.condition!r}")
            continue
        if n is not None and n > len(terms.milestones):
            c.violation("R-CONTRACT", f"a tranche on milestone {n} the contract lacks")


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
        c.violation("R-CONTRACT", f"budget {terms.budget} over the funding {state.get('funding')}")
    if terms.period_months > (state.get("period") or 0) + state.get("extended", 0):
        c.violation("R-CONTRACT", f"period {terms.period_months} over the challenge's")
    missing = set(state.get("indicators", [])) - {i.name for i in terms.indicators}
    if missing:
        c.violation("R-CONTRACT", "the contract lacks indicators " + ", ".join(sorted(missing)))
    check_money_and_period(
        c, state.get("category", "major"), terms.budget, terms.period_months, "the contract's"
    )


def contracted(c: Check) -> None:
    e, state = c.event, c.state()
    status = state.get("status")
    if status == "revoked":
        c.violation("R-OBJECTION", "a revoked selection contracted", state.get("selected_pos"))
    elif status != "in_management":
        rule = "R-PUBLICITY" if status in ("selected", "publicized") else "R-ORDER"
        c.violation(
            rule,
            f"contracted while the project is {status}: no closed notice or recorded waiver",
            state.get("selected_pos"),
            state.get("publicized_pos"),
        )
    signed = {(s.role, s.org_code) for s in e.signatures}
    parties = {
        (Role.END_USER, state.get("end_user")),
        (Role.APPLICANT, state.get("solver")),
    }
    if not parties <= signed or Role.BUREAU not in {role for role, _ in signed}:
        c.violation("R-CONTRACT", "not signed by bureau, end user and solver")
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
        c.violation("R-DISBURSE", "a disbursement before the contract", state.get("selected_pos"))
    if state.get("failed"):
        c.violation(
            "R-MILESTONE",
            "a disbursement while milestone " + ", ".join(state["failed"]) + " stands failed",
            *state.get("failed_pos", []),
        )
    total = Decimal(state.get("disbursed", "0")) + e.amount
    budget = state.get("budget")
    due = fallen_due(state)
    if budget is not None and total > Decimal(budget):
        c.violation(
            "R-DISBURSE",
            f"disbursed {total} in total, over the contracted {budget}",
            state.get("contracted_pos"),
        )
    elif state.get("tranches") and total > due:
        c.violation(
            "R-DISBURSE",
            f"disbursed {total} in total, more than the {due} the schedule had made due",
            state.get("contracted_pos"),
        )
    state["disbursed"] = str(total)
    c.save(state)


def milestone_reported(c: Check) -> None:
    e, state = c.event, c.state()
    if e.milestone not in state.get("milestones", []):
        c.violation("R-MILESTONE", f"{e.milestone!r} reported but not a contracted milestone")
    state["reported"] = [*state.get("reported", []), e.milestone]
    c.save(state)


def milestone_assessed(c: Check) -> None:
    e, state = c.event, c.state()
    if e.milestone not in state.get("reported", []):
        c.violation("R-MILESTONE", f"{e.milestone!r} assessed before its report")
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation("R-MILESTONE", f"{e.milestone!r} assessed by someone other than the end user")
    if e.milestone in state.get("assessed", []):
        c.violation("R-MILESTONE", f"{e.milestone!r} assessed a second time")
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
        c.violation("R-MILESTONE", f"a rectification of {e.milestone!r}, which had not failed")
    state["rectifying"] = sorted({*state.get("rectifying", []), e.milestone})
    c.save(state)


def rectification_assessed(c: Check) -> None:
    e, state = c.event, c.state()
    if e.milestone not in state.get("rectifying", []):
        c.violation("R-MILESTONE", f"a rectification of {e.milestone!r} assessed, never reported")
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation("R-MILESTONE", f"a rectification assessed by {c.audit.role.value}")
    state["rectifying"] = [m for m in state.get("rectifying", []) if m != e.milestone]
    if e.verdict is Verdict.PASS:
        mark(state, e.milestone, e.verdict, c.position)
    c.save(state)


def route_change_filed(c: Check) -> None:
    if c.audit.role is not Role.APPLICANT or c.audit.org_code != c.state().get("solver"):
        c.violation("R-AUTONOMY", "a route or team change filed by someone other than the solver")
    if c.event.kind in CONTRACT_CHANGE_KINDS:
        c.violation(
            "R-AUTONOMY", f"a change of {c.event.kind} filed, not approved as a contract change"
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
        c.violation("R-AUTONOMY", "the contract amended without bureau and end user approval")
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
        c.violation("R-EXTEND", "an extension without written expert opinions")
    kinds: list[ExpertKind | None] = [o.kind for o in e.opinions]
    short = len(kinds) < MIN_PANEL or missing_kinds(kinds, ARG_PANEL_KINDS)
    if short and not any(x.rule_id == "R-ARG-PANEL" for x in c.audit.exceptions):
        c.violation(
            "R-EXTEND",
            f"an extension argued by {len(kinds)} experts, not a full panel (R-ARG-PANEL)",
        )
    cap = PERIOD_MAX.get(state.get("category", "major"), 60)
    if e.terms.period_months > cap:
        c.violation("R-EXTEND", f"extended to {e.terms.period_months} months, over {cap}")
    state.update(extended=state.get("extended", 0) + e.extra_months, approvals={})
    c.save(state)


def assessed(c: Check) -> None:
    state = c.state()
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation(
            "R-ASSESS-EU", f"the final assessment made by {c.audit.role.value} {c.audit.org_code}"
        )
    if state.get("status") != "contracted":
        c.violation("R-ORDER", f"a final assessment of a {state.get('status')} project")
    unassessed = set(state.get("milestones", [])) - set(state.get("assessed", []))
    if unassessed:
        c.violation("R-MILESTONE", "finally assessed before " + ", ".join(sorted(unassessed)))
    if c.event.verdict is Verdict.PASS and state.get("failed"):
        c.violation(
            "R-MILESTONE",
            "a final pass while milestone " + ", ".join(state["failed"]) + " stood failed",
            *state.get("failed_pos", []),
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
        c.violation("R-ASSESS-EU", f"the acceptance recorded by {c.audit.role.value}")
    if state.get("status") != "assessed":
        c.violation(
            "R-ASSESS-EU", f"an acceptance of a {state.get('status')} project, before the verdict"
        )
    elif e.verdict.value != state.get("verdict"):
        c.violation(
            "R-ASSESS-EU",
            f"the acceptance says {e.verdict.value}; the end user's verdict was "
            f"{state.get('verdict')}",
            state.get("assessed_pos"),
        )
    if not state.get("co_investment_reports"):
        c.violation("R-EU-COMMIT", "closed without the end user's report of its co-investment")
    state["status"] = "completed"
    c.save(state)


def co_investment_reported(c: Check) -> None:
    """R-EU-COMMIT: the project's own end user reports, under a contract."""
    e, state = c.event, c.state()
    if c.audit.role is not Role.END_USER or c.audit.org_code != state.get("end_user"):
        c.violation("R-EU-COMMIT", f"co-investment reported by {c.audit.role.value}")
    if state.get("status") not in PAYABLE:
        c.violation("R-EU-COMMIT", f"co-investment reported on a {state.get('status')} project")
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
