"""The plan's numbers and the checks shared by several aggregates. Ids are those of RULES.md."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from jiebang_es.domain.values import (
    Actor,
    Category,
    ExpertKind,
    Role,
    RuleException,
)
from jiebang_es.errors import (
    ExceptionReasonRequiredError,
    NotPermittedError,
    RuleViolationError,
)

DEFAULT_INDUSTRIES = ("智能科技", "生命健康", "绿色低碳")

# §七 资助强度: key ≤ 10万元, major ≤ 30万元.
FUND_CAP: dict[Category, Decimal] = {
    Category.KEY: Decimal("100000.00"),
    Category.MAJOR: Decimal("300000.00"),
}
# §六 实施周期, in months: key ≤ 3 years, major ≤ 5 years, any ≤ 5 years.
PERIOD_MAX_MONTHS: dict[Category, int] = {Category.KEY: 36, Category.MAJOR: 60}
# §六 in principle: key 1–2 years, major 2–3 years.
PERIOD_NORM_MONTHS: dict[Category, tuple[int, int]] = {
    Category.KEY: (12, 24),
    Category.MAJOR: (24, 36),
}
# §六: a period over 3 years needs an expert argumentation organised by the bureau.
PERIOD_ARGUED_OVER_MONTHS = 36
MIN_PANEL = 5
# §八(三) the argumentation panel's kinds; §八(六) the review panel adds the end user's head.
ARG_PANEL_KINDS = {
    "management": {ExpertKind.MANAGEMENT},
    "front-line": {ExpertKind.FRONT_LINE},
    "peer": {ExpertKind.PEER_INSIDE, ExpertKind.PEER_OUTSIDE},
}
REVIEW_PANEL_KINDS = {**ARG_PANEL_KINDS, "end user's responsible person": {ExpertKind.END_USER_REP}}


def check_role(actor: Actor, roles: Iterable[Role], rule_id: str, step: str) -> None:
    """The plan gives each step to certain parties; anyone else is refused under that rule."""
    allowed = tuple(roles)
    if actor.role not in allowed:
        names = " or ".join(r.value for r in allowed)
        raise NotPermittedError(
            rule_id, f"{step} is for the {names}; the actor's role is {actor.role.value}"
        )


def check_org(actor: Actor, org_code: str, rule_id: str, step: str) -> None:
    if actor.org_code != org_code:
        raise NotPermittedError(
            rule_id,
            f"{step}: organisation {actor.org_code} is not the one responsible ({org_code})",
        )


def check_party(
    actor: Actor,
    roles: Iterable[Role],
    rule_id: str,
    step: str,
    *,
    end_user_code: str = "",
    solver_code: str = "",
) -> None:
    """Role, then organisation: an end user acts on its own challenges, a solver on its own."""
    check_role(actor, roles, rule_id, step)
    if actor.role is Role.END_USER and end_user_code:
        check_org(actor, end_user_code, rule_id, step)
    if actor.role is Role.APPLICANT and solver_code:
        check_org(actor, solver_code, rule_id, step)


def said(text: str) -> str:
    """What a written reason says: without invisible format characters (zero-width spaces and
    joiners, byte-order marks, which ``str.strip`` keeps) and surrounding white space. A reason
    of nothing but those says nothing."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def in_principle(
    rule_id: str, departs: bool, detail: str, exception_reason: str | None
) -> tuple[RuleException, ...]:
    """An in-principle (原则上) rule: a departure passes only with a written justification."""
    if not departs:
        return ()
    reason = (exception_reason or "").strip()
    if not said(reason):
        raise ExceptionReasonRequiredError(
            rule_id,
            f"{detail}; this departs from the plan's in-principle (原则上) rule and needs an "
            "exception_reason",
        )
    return (RuleException(rule_id=rule_id, justification=reason, detail=detail),)


def check_fund_cap(category: Category, amount: Decimal, what: str = "funding") -> None:
    cap = FUND_CAP[category]
    if amount > cap:
        raise RuleViolationError(
            "R-FUND-CAP",
            f"{what} {amount} yuan exceeds the {category.value} project cap of {cap} yuan "
            f"(资助强度: 重点≤10万元, 重大≤30万元)",
        )


def check_period_max(category: Category, months: int, what: str = "period") -> None:
    if months <= 0:
        raise RuleViolationError("R-PERIOD-MAX", f"{what} must be at least one month")
    cap = PERIOD_MAX_MONTHS[category]
    if months > cap:
        raise RuleViolationError(
            "R-PERIOD-MAX",
            f"{what} of {months} months exceeds the {category.value} project maximum of {cap} "
            "months (实施周期: 重点最多3年, 重大最多5年)",
        )


def period_norm_exceptions(
    category: Category, months: int, exception_reason: str | None
) -> tuple[RuleException, ...]:
    low, high = PERIOD_NORM_MONTHS[category]
    return in_principle(
        "R-PERIOD-NORM",
        not low <= months <= high,
        f"a {category.value} project of {months} months is outside the usual {low}–{high} months",
        exception_reason,
    )


def panel_exceptions(
    rule_id: str,
    kinds: list[ExpertKind | None],
    required: dict[str, set[ExpertKind]],
    exception_reason: str | None,
) -> tuple[RuleException, ...]:
    """Panel size and composition (R-ARG-PANEL, R-REVIEW-PANEL), both in principle."""
    missing = missing_kinds(kinds, required)
    problems = []
    if len(kinds) < MIN_PANEL:
        problems.append(f"{len(kinds)} experts, fewer than {MIN_PANEL}")
    if missing:
        problems.append("no " + ", no ".join(missing) + " expert")
    return in_principle(
        rule_id, bool(problems), "panel has " + "; ".join(problems), exception_reason
    )


def missing_kinds(
    kinds: Iterable[ExpertKind | None], required: dict[str, set[ExpertKind]]
) -> list[str]:
    """The kinds of expert a panel must have and does not."""
    present = set(kinds)
    return [name for name, accepted in required.items() if not accepted & present]


def require_reason(reason: str, rule_id: str, what: str) -> None:
    """R-AUDIT-WHO: exceptions, dismissed objections, revocations, cancellations say why."""
    if not said(reason):
        raise RuleViolationError(rule_id, f"{what} must give a reason (R-AUDIT-WHO)")


def require_text(value: str, rule_id: str, what: str) -> None:
    if not said(value):
        raise RuleViolationError(rule_id, f"{what} is required")
