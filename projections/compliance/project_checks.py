"""Checks of projects: selection, public notice and objections, contract, funds, milestones,
changes, extension and final assessment (R-SELECT-EU … R-EXTEND)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from jiebang_es.domain.project import Project
from jiebang_es.domain.values import Role
from jiebang_es.errors import JiebangError
from projections.compliance.application_checks import dishonest
from projections.compliance.challenge_checks import PERIOD_MAX, check_money_and_period
from projections.compliance.check import Check, CheckFn


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
            "R-OBJECTION",
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


def check_terms(c: Check, state: dict[str, Any], terms: Any) -> None:
    """R-CONTRACT, R-FUND-CAP, R-PERIOD-MAX on contract terms (first or amended)."""
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
    )
    c.save(state)


def funded(c: Check) -> None:
    e, state = c.event, c.state()
    if state.get("status") != "contracted" or state.get("budget") is None:
        c.violation("R-DISBURSE", "a disbursement before the contract", state.get("selected_pos"))
    total = Decimal(state.get("disbursed", "0")) + e.amount
    budget = state.get("budget")
    if budget is not None and total > Decimal(budget):
        c.violation(
            "R-DISBURSE",
            f"disbursed {total} in total, over the contracted {budget}",
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
    state["assessed"] = [*state.get("assessed", []), e.milestone]
    c.save(state)


def route_change_filed(c: Check) -> None:
    if c.audit.role is not Role.APPLICANT or c.audit.org_code != c.state().get("solver"):
        c.violation("R-AUTONOMY", "a route or team change filed by someone other than the solver")


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
    )
    c.save(state)


def extended(c: Check) -> None:
    e, state = c.event, c.state()
    if not e.opinions or any(not o.opinion.strip() for o in e.opinions):
        c.violation("R-EXTEND", "an extension without written expert opinions")
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
    state["status"] = "completed"
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
}
