"""榜单内容: what a challenge says (§八(二)), and the checks on it as a draft and as complete."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from jiebang_es.domain import rules
from jiebang_es.domain.values import (
    Category,
    Commitment,
    Indicator,
    Milestone,
    RuleException,
    Scope,
    credit_code,
    parse_category,
)
from jiebang_es.errors import RuleViolationError

# R-OPEN: wording of a registration period, an age, a degree or a professional title. A
# condition for solvers containing any of these is refused; the list is configuration
# (JIEBANG_FORBIDDEN_SOLVER_CONDITIONS). Kept to words that state a threshold on the unit or the
# leader, so that ordinary technical conditions (研发基础, 实验条件) are never caught.
DEFAULT_FORBIDDEN_CONDITIONS = (
    "注册满",
    "注册时间",
    "注册年限",
    "成立满",
    "成立时间",
    "成立年限",
    "年龄",
    "周岁",
    "岁",
    "博士",
    "硕士",
    "学士",
    "本科",
    "学历",
    "学位",
    "职称",
    "正高",
    "副高",
    "教授",
    "研究员",
    "高级工程师",
    "高工",
    "院士",
    "导师",
    # the same words in traditional characters (港澳台 applicants write them so)
    "註冊",
    "年齡",
    "歲",
    "碩士",
    "學士",
    "學歷",
    "學位",
    "職稱",
    "研究員",
    "高級工程師",
)
# Thresholds written without any of those words: a registration period as a number of years
# after 成立/设立/注册/经营 with 满, 以上, 不少于…; and the English words for the same.
_NUM = r"[0-9一二三四五六七八九十两]+"
_THRESHOLDS = (
    re.compile(
        rf"(成立|设立|註冊|注册|经营|運營|运营)\D{{0,6}}?(满|滿|超过|超過|不少于|不低于|达到|达)\s*{_NUM}\s*个?年"
    ),
    re.compile(rf"(成立|设立|註冊|注册|经营|運營|运营)\D{{0,6}}?{_NUM}\s*个?年(以上|及以上)"),
    re.compile(
        r"\b(ph\.?\s?d|doctora(te|l)|master'?s degree|bachelor'?s? degree|professor|"
        r"senior engineer|academician|years? old|aged? (under|over|below|above)|"
        r"(registered|established|incorporated) (for )?(at least |over |more than )?\d+ years?)"
    ),
)
# R-EU-COMMIT: the end user's own R&D investment, at least this share of the district's
# funding (JIEBANG_EU_COMMITMENT_MIN_RATIO); a token amount is no 保障研发投入.
DEFAULT_COMMITMENT_MIN_RATIO = Decimal("0.10")


@dataclass(frozen=True)
class DraftPolicy:
    """The configured parts of the draft's rules (see ``config.Settings``)."""

    industries: tuple[str, ...]
    forbidden_conditions: tuple[str, ...] = DEFAULT_FORBIDDEN_CONDITIONS
    commitment_min_ratio: Decimal = DEFAULT_COMMITMENT_MIN_RATIO


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


def industry_exceptions(
    industry: str, industries: tuple[str, ...], exception_reason: str | None
) -> tuple[RuleException, ...]:
    """R-INDUSTRY (in principle): the plan's list ends with 等; another industry is justified."""
    return rules.in_principle(
        "R-INDUSTRY",
        industry not in industries,
        f"industry {industry!r} is not one of the district's listed industries "
        f"({', '.join(industries)}); say why it is a leading or cultivated industry of the "
        "district (主导或培育产业)",
        exception_reason,
    )


def check_conditions_open(conditions: str, forbidden: tuple[str, ...]) -> None:
    """R-OPEN: conditions for solvers set no registration, age, degree or title threshold:
    none of the configured words, nor a registration period or an English degree, title or
    age written without them."""
    text = unicodedata.normalize("NFKC", conditions)  # full-width digits and letters
    found = [w for w in forbidden if w and w in text]
    found += [m.group(0) for p in _THRESHOLDS for m in p.finditer(text.lower())]
    if found:
        raise RuleViolationError(
            "R-OPEN",
            "the conditions for solvers may not require a registration period, an age, a degree "
            "or a title (揭榜单位无注册时间要求，项目负责人无年龄、学历和职称要求); found: "
            + "、".join(found),
        )


def check_commitment(content: ChallengeContent, min_ratio: Decimal) -> None:
    """R-EU-COMMIT: a positive own investment, at least the configured share of the funding,
    the support given, and the promise to be first to apply the result."""
    c = content.commitment
    if c is None or c.own_investment <= 0 or not c.support.strip() or not c.first_application:
        raise RuleViolationError(
            "R-EU-COMMIT",
            "the end user commits its own R&D investment, the support it provides and to be "
            "first to apply the result (最终用户承诺保障研发投入、提供配套条件、率先示范应用)",
        )
    if content.funding is not None:
        least = (content.funding * min_ratio).quantize(Decimal("0.01"))
        if c.own_investment < least:
            raise RuleViolationError(
                "R-EU-COMMIT",
                f"the end user's own R&D investment of {c.own_investment} yuan is less than "
                f"{least} yuan ({min_ratio} of the district's funding of {content.funding})",
            )


def check_draft(
    content: ChallengeContent,
    policy: DraftPolicy,
    exception_reason: str | None,
    *,
    industry_settled: bool = False,
) -> tuple[RuleException, ...]:
    """The hard rules a draft must meet even while incomplete; returns in-principle exceptions.

    ``industry_settled``: a revision keeps the industry justified when the draft was made.
    """
    if not isinstance(content.category, Category):
        parse_category(content.category)
    exceptions: tuple[RuleException, ...] = ()
    if not industry_settled:
        exceptions = industry_exceptions(content.industry, policy.industries, exception_reason)
    if not content.chokepoint.strip() or not content.industry_effect.strip():
        raise RuleViolationError(
            "R-CHOKEPOINT",
            "a challenge states the 卡脖子/卡点 problem it solves and its effect on the industry",
        )
    if not content.name.strip():
        raise RuleViolationError("R-CONTENT", "a challenge needs a name (榜单名称)")
    if content.funding is not None:
        rules.check_fund_cap(content.category, content.funding)
    check_conditions_open(content.solver_conditions, policy.forbidden_conditions)
    if content.commitment is not None:
        check_commitment(content, policy.commitment_min_ratio)
    if content.period_months is not None:
        rules.check_period_max(content.category, content.period_months)
        exceptions += rules.period_norm_exceptions(
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


def recipient_codes(recipients: tuple[str, ...]) -> tuple[str, ...]:
    """R-SCOPE: a restricted challenge's recipients are units named by their credit code."""
    return tuple(credit_code(r, field_name=f"recipients[{i}]") for i, r in enumerate(recipients))


def admits(recipients: tuple[str, ...], code: str) -> bool:
    """Whether a unit is inside a restricted challenge's range. A recipient recorded as free
    text by the first release names no credit code and so admits no unit."""
    return code.strip().upper() in {r.strip().upper() for r in recipients}


def content_digest(content: ChallengeContent) -> str:
    """SHA-256 of the content in a canonical JSON form: what the end user confirms."""
    return hashlib.sha256(
        json.dumps(asdict(content), default=_canonical, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form")


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


def check_complete(content: ChallengeContent, min_ratio: Decimal = Decimal(0)) -> None:
    """R-CONTENT and R-EU-COMMIT: what a draft needs before it goes to argumentation. The
    configured share of the funding is applied where the content is written and confirmed."""
    missing = missing_contents(content)
    if missing:
        raise RuleViolationError(
            "R-CONTENT", "the draft is incomplete; it lacks " + "; ".join(missing)
        )
    check_commitment(content, min_ratio)
