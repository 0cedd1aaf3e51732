"""榜单内容: what a challenge says (§八(二)), and the checks on it as a draft and as complete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from jiebang_es.domain import rules
from jiebang_es.domain.values import (
    Category,
    Commitment,
    Indicator,
    Milestone,
    RuleException,
    Scope,
    parse_category,
)
from jiebang_es.errors import RuleViolationError


@dataclass(frozen=True)
class ChallengeContent:
    """The list contents. A draft may leave fields empty; review needs them all (R-CONTENT)."""

    name: str
    industry: str
    category: Category
    chokepoint: str  # the 卡脖子 / 卡点 problem
    industry_effect: str  # its effect on the industry
    indicators: tuple[Indicator, ...] = ()
    benchmarking: str = ""  # 对标情况
    funding: Decimal | None = None
    period_months: int | None = None
    milestones: tuple[Milestone, ...] = ()
    solver_conditions: str = ""
    scope: Scope | None = None
    recipients: tuple[str, ...] = ()
    commitment: Commitment | None = None
    classified: bool = False  # 涉密: never shown in public queries, no public notice

    def settled(self) -> tuple[Decimal, int, Scope]:
        """Funding, period and scope of a complete challenge (complete since argumentation)."""
        if self.funding is None or self.period_months is None or self.scope is None:
            raise RuleViolationError(
                "R-CONTENT", "the challenge's funding, period and scope are not settled"
            )
        return self.funding, self.period_months, self.scope


def check_draft(
    content: ChallengeContent, industries: Sequence[str], exception_reason: str | None
) -> tuple[RuleException, ...]:
    """The hard rules a draft must meet even while incomplete; returns in-principle exceptions."""
    if not isinstance(content.category, Category):
        parse_category(content.category)
    if content.industry not in industries:
        raise RuleViolationError(
            "R-INDUSTRY",
            f"industry {content.industry!r} is not one of the district's industries "
            f"({', '.join(industries)})",
        )
    if not content.chokepoint.strip() or not content.industry_effect.strip():
        raise RuleViolationError(
            "R-CHOKEPOINT",
            "a challenge states the 卡脖子/卡点 problem it solves and its effect on the industry",
        )
    if not content.name.strip():
        raise RuleViolationError("R-CONTENT", "a challenge needs a name (榜单名称)")
    if content.funding is not None:
        rules.check_fund_cap(content.category, content.funding)
    exceptions: tuple[RuleException, ...] = ()
    if content.period_months is not None:
        rules.check_period_max(content.category, content.period_months)
        exceptions = rules.period_norm_exceptions(
            content.category, content.period_months, exception_reason
        )
        for m in content.milestones:
            if not 1 <= m.due_month <= content.period_months:
                raise RuleViolationError(
                    "R-CONTENT",
                    f"milestone {m.name!r} is due in month {m.due_month}, outside the "
                    f"{content.period_months}-month period",
                )
    if content.scope is not None:
        check_scope(content.scope, content.recipients, content.classified)
    return exceptions


def check_scope(scope: Scope, recipients: tuple[str, ...], classified: bool) -> None:
    if classified and scope is Scope.PUBLIC:
        raise RuleViolationError(
            "R-SCOPE", "a classified (涉密) challenge is never published on the public portal"
        )
    if scope is Scope.RESTRICTED and not any(r.strip() for r in recipients):
        raise RuleViolationError(
            "R-SCOPE", "a restricted challenge names the range of recipients it is published to"
        )
    if scope is Scope.PUBLIC and recipients:
        raise RuleViolationError(
            "R-SCOPE", "a public challenge goes to the portal; it names no recipients"
        )


def missing_contents(content: ChallengeContent) -> list[str]:
    """The list contents (§八(二)) a draft still lacks; empty when it is complete."""
    missing = []
    if not content.indicators:
        missing.append("assessment indicators (考核指标)")
    for ind in content.indicators:
        if not (ind.name.strip() and ind.target.strip() and ind.unit.strip()):
            missing.append(f"a measurable target and unit for indicator {ind.name!r}")
    if not content.benchmarking.strip():
        missing.append("benchmarking (对标情况)")
    if content.funding is None:
        missing.append("funding amount (资助强度)")
    if content.period_months is None:
        missing.append("implementation period (实施周期)")
    if not content.milestones:
        missing.append("key milestones (关键时间节点)")
    if not content.solver_conditions.strip():
        missing.append("conditions for solvers (揭榜单位条件)")
    if content.scope is None:
        missing.append("publication scope (发布范围)")
    return missing


def check_complete(content: ChallengeContent) -> None:
    """R-CONTENT and R-EU-COMMIT: what a draft needs before it goes to argumentation."""
    missing = missing_contents(content)
    if missing:
        raise RuleViolationError(
            "R-CONTENT", "the draft is incomplete; it lacks " + "; ".join(missing)
        )
    c = content.commitment
    if c is None or c.own_investment <= 0 or not c.support.strip() or not c.first_application:
        raise RuleViolationError(
            "R-EU-COMMIT",
            "the end user commits its own R&D investment, the support it provides and to be "
            "first to apply the result (最终用户承诺保障研发投入、提供配套条件、率先示范应用)",
        )
