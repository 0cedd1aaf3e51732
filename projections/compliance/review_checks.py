"""Checks of version 2's review and selection, and of credit at every step that needs it:
R-REVIEW-PANEL per application (recusals, absences, replacements), R-PANEL-JOINT for
replacements, R-SELECT-REASON, and R-CREDIT's recent check at application, selection, contract
signature and disbursement.

They keep their own working state (``review:…`` and ``credit-checks:…`` documents) beside the
other checks', and run after them on the events both look at (``AFTER``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.credit import CreditRecord
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import Role
from jiebang_es.labels_zh import CREDIT_STATUS_ZH
from projections.compliance import zh
from projections.compliance.challenge_checks import excepted, panel_effective
from projections.compliance.check import Check, CheckFn

MIN_PANEL = 5  # restated from the plan, not imported from the guards


def review_ref(ident: str) -> str:
    return f"review:{ident}"


def credit_checks_ref(code: str) -> str:
    return f"credit-checks:{code}"


# ---- credit (R-CREDIT) ---------------------------------------------------------------------
def credit_recorded(c: Check) -> None:
    e = c.event
    code = e.credit_code if isinstance(e, CreditRecord.Recorded) else c.state().get("code")
    ref = credit_checks_ref(code or "")
    history = c.state(ref).get("checks", [])
    c.save({"checks": [*history, [e.checked_on.isoformat(), e.status.value]]}, ref)


def credit_problem(c: Check, code: str, on: date) -> tuple[str, str] | None:
    """Why the unit's credit did not count on ``on``, as the bureau's record stood then, in
    English and in Chinese."""
    checks = [
        (date.fromisoformat(day), status)
        for day, status in c.state(credit_checks_ref(code)).get("checks", [])
        if date.fromisoformat(day) <= on
    ]
    if not checks:
        return "never checked", "从未核查信用"
    # The latest check by date; of equal dates, the later record.
    day, status = max(reversed(checks), key=lambda x: x[0])
    if status != "good":
        return (
            f"recorded {status} on {day}",
            f"于 {day} 被记录为{CREDIT_STATUS_ZH.get(status, status)}",
        )
    if (on - day).days > c.settings.credit_max_age_days:
        return (
            f"last checked on {day}, {(on - day).days} days before",
            f"最近一次信用核查在 {day}，已过去 {(on - day).days} 天",
        )
    return None


# check_units_credit's steps, in Chinese.
STEP_ZH = {
    "application": "申报",
    "selection": "确定揭榜单位",
    "contract signature": "签订合同",
    "disbursement": "拨付经费",
}


def check_units_credit(c: Check, codes: list[str], step: str, dishonest_too: bool) -> None:
    """Each unit's credit on the event's business date; a dishonest record only where the
    first build's checks (application, selection) do not report it already."""
    for code in codes:
        found = credit_problem(c, code, c.on)
        if found and (dishonest_too or not found[0].startswith("recorded ")):
            problem, problem_zh = found
            c.violation(
                "R-CREDIT",
                f"{step}: unit {code} {problem}",
                zh=f"{STEP_ZH[step]}：单位 {code} {problem_zh}",
            )


def applied(c: Check) -> None:
    e = c.event
    units = [u.organisation.credit_code for u in (e.lead, *e.participants)]
    check_units_credit(c, units, "application", dishonest_too=False)
    ref = review_ref(e.challenge_id)
    state = c.state(ref)
    state["applications"] = [*state.get("applications", []), c.aggregate_id]
    c.save(state, ref)


# ---- scores, replacements and absences ------------------------------------------------------
def scored(c: Check) -> None:
    e = c.event
    ref = review_ref(c.aggregate_id)
    state = c.state(ref)
    state["scores"] = [*state.get("scores", []), [str(e.score), e.recommended]]
    c.save(state, ref)


def replacement_proposed(c: Check) -> None:
    e, challenge = c.event, c.state()
    if not panel_effective(challenge):
        c.violation(
            "R-ORDER",
            "a replacement expert proposed before the panel was confirmed",
            challenge.get("panel_pos"),
            zh="专家组确认之前即提出替补专家",
        )
    if not e.grounds.strip():
        c.violation(
            "R-REVIEW-PANEL",
            "a replacement expert proposed without a reason",
            zh="提出替补专家而未说明理由",
        )
    ref = review_ref(c.aggregate_id)
    state = c.state(ref)
    state.setdefault("replacements", {})[e.member.expert_id] = []
    c.save(state, ref)


def replacement_confirmed(c: Check) -> None:
    e, challenge = c.event, c.state()
    role = c.audit.role
    if role not in (Role.BUREAU, Role.END_USER) or (
        role is Role.END_USER and c.audit.org_code != challenge.get("end_user")
    ):
        c.violation(
            "R-PANEL-JOINT",
            f"a replacement confirmed by {role.value} {c.audit.org_code}",
            zh=f"替补专家由{zh.role(role.value)} {c.audit.org_code} 确认，"
            "而非区科技局或本榜单的最终用户",
        )
    ref = review_ref(c.aggregate_id)
    state = c.state(ref)
    confirmed = state.setdefault("replacements", {}).setdefault(e.expert_id, [])
    if role.value not in confirmed:
        confirmed.append(role.value)
    c.save(state, ref)
    if {"bureau", "end_user"} <= set(confirmed) and e.expert_id not in challenge.get("panel", []):
        # From now on the replacement is a panel member for the other checks too.
        challenge["panel"] = [*challenge.get("panel", []), e.expert_id]
        c.save(challenge)


def expert_absent(c: Check) -> None:
    e, challenge = c.event, c.state()
    if not e.grounds.strip():
        c.violation(
            "R-REVIEW-PANEL",
            f"expert {e.expert_id} recorded absent without a reason",
            zh=f"专家 {e.expert_id} 被记录缺席而未说明理由",
        )
    challenge["absent"] = [*challenge.get("absent", []), e.expert_id]
    c.save(challenge)


# ---- selection --------------------------------------------------------------------------
def effective_reviewers(challenge: dict[str, Any], application: dict[str, Any]) -> set[str]:
    scored = set(application.get("scored", []))
    absent = set(challenge.get("absent", [])) - scored
    return set(challenge.get("panel", [])) - set(application.get("recused", [])) - absent


def mean(c: Check, application_id: str) -> Decimal | None:
    scores = [Decimal(s) for s, _ in c.state(review_ref(application_id)).get("scores", [])]
    if not scores:
        return None
    return (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"))


def selected(c: Check) -> None:
    e = c.event
    challenge, application = c.state(e.challenge_id), c.state(e.application_id)
    effective = effective_reviewers(challenge, application)
    if (
        len(effective) < MIN_PANEL
        and len(effective) < len(challenge.get("panel", []))
        and not excepted(c, "R-REVIEW-PANEL")
    ):
        c.violation(
            "R-REVIEW-PANEL",
            f"selected on {len(effective)} effective reviewers after recusals or absences, "
            "without a replacement or a justification",
            application.get("applied_pos"),
            zh=f"因回避或缺席仅剩 {len(effective)} 名有效评审专家即确定人选，既未替补也未说明理由",
        )
    means = {}
    review = c.state(review_ref(e.challenge_id))
    for other in review.get("applications", []):
        if other in review.get("revoked", []):
            continue  # an upheld objection took it out of the running
        state = c.state(other)
        reviewed = effective_reviewers(challenge, state) <= set(state.get("scored", []))
        value = mean(c, other)
        if state.get("status") != "withdrawn" and reviewed and value is not None:
            means[other] = value
    mine = mean(c, e.application_id)
    top = max(means.values(), default=None)
    scores = c.state(review_ref(e.application_id)).get("scores", [])
    against = sum(1 for _, recommended in scores if recommended is False)
    problems, problems_zh = [], []
    if top is not None and mine is not None and mine < top:
        problems.append(f"mean score {mine} below the top-ranked {top}")
        problems_zh.append(f"平均分 {mine} 低于排名第一的 {top}")
    if against * 2 > len(scores):
        problems.append(f"{against} of {len(scores)} experts advised against it")
        problems_zh.append(f"{len(scores)} 名专家中有 {against} 名不建议")
    if problems and not excepted(c, "R-SELECT-REASON"):
        c.violation(
            "R-SELECT-REASON",
            "; ".join(problems) + ", without a justification",
            zh="确定人选时" + "；".join(problems_zh) + "，且未说明理由",
        )
    units = application.get("units", [e.solver_code])
    check_units_credit(c, units, "selection", dishonest_too=False)
    c.save({"units": units}, review_ref(c.aggregate_id))


def solver_selected(c: Check) -> None:
    ref = review_ref(c.aggregate_id)
    state = c.state(ref)
    state["selected"] = c.event.application_id
    c.save(state, ref)


def selection_revoked(c: Check) -> None:
    ref = review_ref(c.aggregate_id)
    state = c.state(ref)
    state["revoked"] = [*state.get("revoked", []), state.get("selected")]
    c.save(state, ref)


def project_units(c: Check) -> list[str]:
    units: list[str] = c.state(review_ref(c.aggregate_id)).get("units", [])
    solver = c.state().get("solver")
    return [solver, *[u for u in units[1:] if u != solver]] if solver else units


def contract_signed(c: Check) -> None:
    check_units_credit(c, project_units(c), "contract signature", dishonest_too=True)


def funded(c: Check) -> None:
    check_units_credit(c, project_units(c), "disbursement", dishonest_too=True)


CHECKS: dict[type, CheckFn] = {
    Challenge.ReplacementExpertProposed: replacement_proposed,
    Challenge.ReplacementExpertConfirmed: replacement_confirmed,
    Challenge.ExpertAbsent: expert_absent,
}
# Run after the other checks of the same event, which keep the state these read.
AFTER: dict[type, CheckFn] = {
    CreditRecord.Recorded: credit_recorded,
    CreditRecord.Updated: credit_recorded,
    Application.Applied: applied,
    Application.Scored: scored,
    Project.Selected: selected,
    Challenge.SolverSelected: solver_selected,
    Challenge.SolverSelectionRevoked: selection_revoked,
    Project.ContractSigned: contract_signed,
    Project.Funded: funded,
}
