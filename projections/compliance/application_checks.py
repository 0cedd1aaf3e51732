"""Checks of applications, experts and credit records: R-OPEN, R-CREDIT, R-PLAN-IP,
R-EU-NOT-SOLVER, R-ASK-CAP, R-CONFLICT, R-PANEL-JOINT at scoring, R-ORDER of the window."""

from __future__ import annotations

from decimal import Decimal

from jiebang_es.domain.application import Application
from jiebang_es.domain.credit import CreditRecord
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.values import CreditStatus
from projections.compliance import zh
from projections.compliance.challenge_checks import panel_effective
from projections.compliance.check import Check, CheckFn
from projections.model import iso

# R-OPEN: what the plan forbids asking of solvers; an application recording any is a breach.
FORBIDDEN = ("registration_age", "unit_age", "leader_age", "age", "degree", "title")
DISHONEST = CreditStatus.SERIOUSLY_DISHONEST.value


def credit_ref(code: str) -> str:
    return f"credit:{code}"


def dishonest(c: Check, code: str) -> bool:
    """The bureau's credit record says the unit is seriously dishonest (as of this event)."""
    return c.state(credit_ref(code)).get("status") == DISHONEST


def applied(c: Check) -> None:
    e = c.event
    challenge = c.state(e.challenge_id)
    at = iso(c.audit.effective_at) or ""
    opens, closes = challenge.get("window_opens"), challenge.get("window_closes")
    if challenge.get("status") != "published" or not (opens and closes and opens <= at < closes):
        c.violation(
            "R-ORDER",
            "an application outside the open window of a published challenge",
            challenge.get("published_pos"),
            zh="申报不在已发布榜单的申报窗口之内",
        )
    lead = e.lead.organisation.credit_code
    if (
        int(challenge.get("rules_version") or 1) >= 2
        and challenge.get("scope") == "restricted"
        and lead.strip().upper() not in challenge.get("recipients", [])
    ):
        c.violation(
            "R-SCOPE",
            f"lead unit {lead} is outside the restricted challenge's range",
            zh=f"牵头单位 {lead} 不在定向发布榜单的对象范围之内",
        )
    recorded = [name for name in FORBIDDEN if name in e.__dict__]
    if recorded:
        c.violation(
            "R-OPEN",
            f"the application records {', '.join(recorded)}",
            zh="申报记录了不得作为门槛的条件："
            + "、".join(zh.THRESHOLD_ZH.get(n, n) for n in recorded),
        )
    units = [e.lead, *e.participants]
    for unit in units:
        code = unit.organisation.credit_code
        if unit.credit_status is CreditStatus.SERIOUSLY_DISHONEST or dishonest(c, code):
            c.violation(
                "R-CREDIT",
                f"unit {code} is recorded as seriously dishonest",
                zh=f"单位 {code} 被记录为严重失信",
            )
        if code == challenge.get("end_user"):
            c.violation(
                "R-EU-NOT-SOLVER",
                f"the end user {code} is a unit of an application to its own challenge",
                challenge.get("drafted_pos"),
                zh=f"最终用户 {code} 参与申报本单位的榜单",
            )
    if not e.technical_plan.strip() or not e.ip_declaration:
        c.violation(
            "R-PLAN-IP",
            "no technical plan or no declaration of independent IP",
            zh="没有技术方案，或未声明自主知识产权",
        )
    funding, period = challenge.get("funding"), challenge.get("period")
    if funding is not None and e.budget > Decimal(funding):
        c.violation(
            "R-ASK-CAP",
            f"asks {e.budget}, over the challenge's {funding}",
            zh=f"申请经费 {e.budget} 元，超过榜单的 {funding} 元",
        )
    if period is not None and e.period_months > period:
        c.violation(
            "R-ASK-CAP",
            f"asks {e.period_months} months, over the challenge's {period}",
            zh=f"申请周期 {e.period_months} 个月，超过榜单的 {period} 个月",
        )
    c.save(
        {
            "kind": "application",
            "challenge_id": e.challenge_id,
            "units": [u.organisation.credit_code for u in units],
            "recused": [],
            "cleared": [],
            "scored": [],
            "applied_pos": c.position,
        }
    )


def declared(c: Check) -> None:
    e, state = c.event, c.state()
    org = c.state(e.expert_id).get("org")
    recusal = isinstance(e, Application.ExpertRecused)
    if not recusal and org in state.get("units", []):
        c.violation(
            "R-CONFLICT",
            f"expert {e.expert_id} of applicant unit {org} cleared instead of recused",
            state.get("applied_pos"),
            zh=f"申报单位 {org} 的专家 {e.expert_id} 未回避，反被认定无利益冲突",
        )
    key = "recused" if recusal else "cleared"
    state[key] = [*state.get(key, []), e.expert_id]
    c.save(state)


def scored(c: Check) -> None:
    e, state = c.event, c.state()
    challenge = c.state(state.get("challenge_id"))
    org = c.state(e.expert_id).get("org")
    if e.expert_id in state.get("recused", []) or org in state.get("units", []):
        c.violation(
            "R-CONFLICT",
            f"expert {e.expert_id} scored an application they are recused from",
            state.get("applied_pos"),
            zh=f"专家 {e.expert_id} 为其应回避的申报打分",
        )
    if not panel_effective(challenge) or e.expert_id not in challenge.get("panel", []):
        c.violation(
            "R-PANEL-JOINT",
            f"expert {e.expert_id} scored without being on a panel both parties confirmed",
            challenge.get("panel_pos"),
            zh=f"专家 {e.expert_id} 不在双方共同确认的专家组中却打分",
        )
    closes = challenge.get("window_closes")
    if closes is None or (iso(c.audit.effective_at) or "") < closes:
        c.violation(
            "R-ORDER",
            "scored before the application window closed",
            zh="申报窗口关闭前即打分",
        )
    state["scored"] = [*state.get("scored", []), e.expert_id]
    c.save(state)


def withdrawn(c: Check) -> None:
    state = c.state()
    state["status"] = "withdrawn"
    c.save(state)


def registered(c: Check) -> None:
    e = c.event
    c.save({"kind": "expert", "org": e.org_code, "expert_kind": e.kind.value})


def credit(c: Check) -> None:
    e = c.event
    code = e.credit_code if isinstance(e, CreditRecord.Recorded) else c.state().get("code")
    c.save({"kind": "credit", "code": code})
    c.save({"status": e.status.value}, credit_ref(code or ""))


CHECKS: dict[type, CheckFn] = {
    Application.Applied: applied,
    Application.NoConflictDeclared: declared,
    Application.ExpertRecused: declared,
    Application.Scored: scored,
    Application.Withdrawn: withdrawn,
    Expert.Registered: registered,
    CreditRecord.Recorded: credit,
    CreditRecord.Updated: credit,
}
