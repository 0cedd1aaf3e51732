"""Value objects of the procedure: money, organisations, actors, audit metadata, contents.

All are frozen dataclasses or plain enums so that they compare by value and round-trip
exactly through the store (see ``transcodings.py``). Sequences are tuples for the same reason.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

from jiebang_es.domain.personal import PersonalText
from jiebang_es.errors import InvalidValueError, RuleViolationError

FEN = Decimal("0.01")


def control_character(value: str) -> str | None:
    """The first control character (C0, DEL, C1) or lone surrogate in ``value``, if any: text
    the stores and read models keep must be printable (PostgreSQL text cannot hold NUL)."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def check_text(value: str, field_name: str) -> str:
    """``value`` unchanged, or InvalidValueError naming the field when it holds a control
    character."""
    found = control_character(value)
    if found is not None:
        raise InvalidValueError(field_name, f"contains the control character U+{ord(found):04X}")
    return value


def yuan(value: Decimal | str | int, *, field_name: str = "amount") -> Decimal:
    """Parse an amount of yuan with fen precision (R-FUND-CAP: exact decimals, never floats)."""
    # A malformed amount is an invalid value of its field, not a breach of the funding cap.
    if isinstance(value, float | bool):
        raise InvalidValueError(
            field_name,
            f"amounts are exact decimal yuan, a float ({value!r}) is not accepted "
            "(金额须为精确到分的十进制数)",
        )
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise InvalidValueError(field_name, f"{value!r} is not a decimal amount of yuan") from None
    if not amount.is_finite():
        raise InvalidValueError(field_name, f"{value!r} is not a finite amount")
    if abs(amount) >= Decimal("1e15"):
        raise InvalidValueError(field_name, f"{value} is out of any plausible range")
    if amount.quantize(FEN) != amount:
        raise InvalidValueError(field_name, f"{value} has more than fen precision (金额精确到分)")
    if amount <= 0:
        raise InvalidValueError(field_name, f"{value} must be more than zero")
    return amount.quantize(FEN)


class Role(Enum):
    BUREAU = "bureau"
    END_USER = "end_user"
    APPLICANT = "applicant"
    EXPERT = "expert"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    # the bureau's data-protection officer (个人信息保护负责人, PIPL art. 52): erasure
    DATA_PROTECTION_OFFICER = "data_protection_officer"


class Category(Enum):
    """R-CATEGORY: 重点项目 (key) or 重大项目 (major)."""

    KEY = "key"
    MAJOR = "major"


def parse_category(value: str | Category) -> Category:
    """R-CATEGORY: a challenge is a key (重点) or a major (重大) project, nothing else."""
    try:
        return Category(value)
    except ValueError:
        raise RuleViolationError(
            "R-CATEGORY", f"category {value!r} is neither key (重点) nor major (重大)"
        ) from None


class DemandSource(Enum):
    SURVEY_VISIT = "survey_visit"  # 调研走访
    PUBLIC_SOLICITATION = "public_solicitation"  # 社会征集


class Scope(Enum):
    """R-SCOPE: where a challenge is published."""

    PUBLIC = "public"  # the district government portal
    RESTRICTED = "restricted"  # a named range of recipients


class ExpertKind(Enum):
    MANAGEMENT = "management"  # 行业主管部门管理专家
    FRONT_LINE = "front_line"  # 产业一线专家
    PEER_INSIDE = "peer_inside"  # 区内同行技术专家
    PEER_OUTSIDE = "peer_outside"  # 区外同行技术专家
    END_USER_REP = "end_user_rep"  # 最终用户（需求单位）负责人


class Conclusion(Enum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    REVISE = "revise"
    REJECT = "reject"


class UnitType(Enum):
    UNIVERSITY = "university"  # 高校
    INSTITUTE = "institute"  # 科研院所
    ENTERPRISE = "enterprise"  # 企业
    # R-OPEN (version 2): other legal-person research units may apply too.
    HOSPITAL = "hospital"  # 医院
    NEW_RD_INSTITUTION = "new_rd_institution"  # 新型研发机构
    OTHER_RESEARCH_UNIT = "other_research_unit"  # 其他法人科研单位


class CreditStatus(Enum):
    GOOD = "good"
    SERIOUSLY_DISHONEST = "seriously_dishonest"  # 严重失信


class Verdict(Enum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"


# GB 32100-2015: the 18-character unified social credit code and its check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The check character of a unified social credit code, from its first 17 characters."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def credit_code(value: str, *, field_name: str = "credit_code") -> str:
    """Normalise and validate a unified social credit code (统一社会信用代码)."""
    code = value.strip().upper()
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        raise InvalidValueError(
            field_name, f"{value!r} is not an 18-character unified social credit code"
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidValueError(field_name, f"{value!r} fails the GB 32100-2015 check character")
    return code


def registration_region(code: str) -> str:
    """Characters 3–8 of a credit code: the registering authority's administrative division."""
    return code[2:8]


# GB 32100-2015: character 1 is the registration authority (1 机构编制, 5 民政, 9 工商 …),
# character 2 the kind of unit under it (for 9: 1 企业, 2 个体工商户, 3 农民专业合作社). Only
# "91" is an enterprise; universities, institutes and public institutions are "12" (事业单位).
ENTERPRISE_CODE_PREFIX = "91"


def is_enterprise_code(code: str) -> bool:
    """Whether a unified social credit code is an enterprise's (registered with 市场监管, 企业)."""
    return code.startswith(ENTERPRISE_CODE_PREFIX)


@dataclass(frozen=True)
class Organisation:
    """A unit: end user, solver, bureau. Identity is the credit code, never the name."""

    credit_code: str
    name: str
    unit_type: UnitType
    in_district: bool


@dataclass(frozen=True)
class ApplicantUnit:
    """A lead or participating unit of an application, with the credit status checked for it."""

    organisation: Organisation
    credit_status: CreditStatus


@dataclass(frozen=True)
class Actor:
    """Who issues a command: person id, role and organisation (R-AUDIT-WHO)."""

    id: str
    role: Role
    org_code: str
    name: str = ""

    def __post_init__(self) -> None:
        # Every event names its actor: no path may record a control character.
        for name in ("id", "org_code", "name"):
            check_text(getattr(self, name), f"actor.{name}")


@dataclass(frozen=True)
class RuleException:
    """An accepted departure from an in-principle rule, with its written justification."""

    rule_id: str
    justification: str
    detail: str


@dataclass(frozen=True)
class DocumentRef:
    """R-EVIDENCE: a document kept with a decision, by the SHA-256 digest of its exact bytes.

    ``kind`` says what the document is to the procedure (会议纪要, 申报书, 任务书…); the media
    type is the one its content was recognised as, never the one its name claimed."""

    digest: str
    media_type: str
    size: int
    file_name: str
    kind: str


@dataclass(frozen=True)
class Audit:
    """The audit metadata every event carries (DESIGN.md §4).

    ``documents`` came with R-EVIDENCE: events stored before it decode with none."""

    actor_id: str
    role: Role
    org_code: str
    reason: str
    request_id: str
    correlation_id: str
    causation_id: str
    effective_at: datetime
    recorded_at: datetime
    exceptions: tuple[RuleException, ...]
    documents: tuple[DocumentRef, ...] = ()


@dataclass(frozen=True)
class Indicator:
    """An assessment indicator (考核指标): measurable, with a target value and unit."""

    name: str
    target: str
    unit: str


@dataclass(frozen=True)
class Milestone:
    """A key milestone (关键时间节点): what is due by the given month of the period."""

    name: str
    due_month: int
    deliverable: str


@dataclass(frozen=True)
class Commitment:
    """R-EU-COMMIT: the end user's own R&D investment, the support it gives, first application."""

    own_investment: Decimal
    support: str
    first_application: bool


@dataclass(frozen=True)
class ExpertOpinion:
    """One expert's opinion in an argumentation (论证) or an extension argumentation."""

    expert_id: str
    kind: ExpertKind
    opinion: str


@dataclass(frozen=True)
class PanelMember:
    expert_id: str
    kind: ExpertKind


@dataclass(frozen=True)
class ScoreRef:
    """A reviewed application's score, as referenced by the selection (R-SELECT-EU)."""

    expert_id: str
    score: Decimal
    opinion: str
    event_version: int
    # R-SELECT-REASON: the expert recommends (推荐) the application or advises against it;
    # None where the expert did not say (every score of the first build).
    recommended: bool | None = None


@dataclass(frozen=True)
class Signature:
    actor_id: str
    role: Role
    org_code: str
    signed_on: date


@dataclass(frozen=True)
class Tranche:
    """One payment of the task contract's schedule (R-DISBURSE): an amount and the condition on
    which it falls due: ``signature``, ``milestone:<n>`` (the contract's n-th milestone, from
    1, passed) or ``final_assessment`` (the end user's final verdict is a pass)."""

    amount: Decimal
    condition: str


@dataclass(frozen=True)
class ContractTerms:
    """What the task contract (任务书) fixes: indicators, milestones, budget and period; the end
    user's co-investment and the payment schedule (R-CONTRACT); the project leader and the lead
    unit, which only a contract change alters (R-AUTONOMY).

    The fields after ``period_months`` were added in the second release. Their defaults exist
    only so that the first release's stored terms decode; the events' upcasts then give them
    explicit values (``first_release_terms``), and the command layer fills a new draft's from
    the challenge, the application and the configured schedule before the domain checks them.
    """

    indicators: tuple[Indicator, ...]
    milestones: tuple[Milestone, ...]
    budget: Decimal
    period_months: int
    co_investment: Decimal | None = None
    tranches: tuple[Tranche, ...] = ()
    project_leader: PersonalText = ""  # personal information (domain/personal.py)
    lead_unit_code: str = ""  # "" in terms of the first release: the lead unit as selected


def first_release_terms(terms: ContractTerms) -> ContractTerms:
    """The explicit defaults for contract terms recorded by the first release, which knew no
    schedule and no co-investment: the whole budget fell due on signature, no co-investment was
    contracted (0.00), and the leader and lead unit are those of the selected application."""
    if terms.tranches:
        return terms
    return ContractTerms(
        indicators=terms.indicators,
        milestones=terms.milestones,
        budget=terms.budget,
        period_months=terms.period_months,
        co_investment=Decimal("0.00") if terms.co_investment is None else terms.co_investment,
        tranches=(Tranche(amount=terms.budget, condition="signature"),),
        project_leader=terms.project_leader,
        lead_unit_code=terms.lead_unit_code,
    )


@dataclass(frozen=True)
class PublicNotice:
    """What a public notice (公示) says so that a member of the public can object (R-PUBLICITY).

    For a restricted challenge the notice withholds what R-SCOPE keeps inside the range: the
    challenge's name, funding and period are ``None`` and the title is a neutral one."""

    project_title: str
    challenge_name: str | None
    restricted: bool
    solver_name: str
    end_user_name: str
    funding: Decimal | None
    period_months: int | None
    project_leader: PersonalText  # personal information (domain/personal.py)
    objection_channel: str


@dataclass(frozen=True)
class BudgetLine:
    """R-BUDGET: a challenge on the year's list and the funding it takes of the envelope."""

    challenge_id: str
    funding: Decimal
