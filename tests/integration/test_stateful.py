"""A random walk through the 揭榜挂帅 procedure, checked after every step (hypothesis stateful).

Random actors — the bureau (and someone at another organisation posing as it), the challenge's own
end user and a wrong one, applicants (the end user's own organisation, and a unit the bureau's
credit record lists as seriously dishonest, among them), experts (sometimes posing as another
expert), a supervisor and an analyst — issue random but plausible commands: amounts around the
caps, periods around the maxima, application windows and meeting, notice and payment dates around
the business date, which only moves forward; now and then a command says when it took effect
(earlier, later, in another time zone, without one). A run starts with one or two challenges
already driven (by valid commands) to a random step of §八, so that contracts, disbursements and
assessments are reached in a few steps.

Every command either records its events or is refused with a ``JiebangError`` that records
nothing; what it records reads back from the store exactly as it was triggered. After every step
the whole store (SQLite; PostgreSQL in a test of its own) is read back and checked: each recorded
event was allowed by the hard rules of RULES.md in the state it was recorded in (credit as the
bureau's record stood then), by a role the plan gives that step to, taking effect when it was
recorded unless it records an earlier decision, and never before its aggregate's previous step;
nothing recorded before has changed; and replaying the events gives the same state as the
repository, as a second application on the same store and as the command itself computed.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.domain import rules
from jiebang_es.domain.application import Application, ApplicationStatus
from jiebang_es.domain.budget import BudgetEnvelope
from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.content import (
    DEFAULT_COMMITMENT_MIN_RATIO,
    DEFAULT_FORBIDDEN_CONDITIONS,
    ChallengeContent,
    content_digest,
    missing_contents,
)
from jiebang_es.domain.credit import CreditRecord, credit_problem
from jiebang_es.domain.demand import Demand
from jiebang_es.domain.draw import Draw, DrawPurpose, DrawStatus
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.numbering import DistrictNumbering
from jiebang_es.domain.personal import shown
from jiebang_es.domain.project import Project, ProjectStatus
from jiebang_es.domain.rules import DEFAULT_INDUSTRIES, FUND_CAP, MIN_PANEL, PERIOD_MAX_MONTHS
from jiebang_es.domain.values import (
    FEN,
    Actor,
    ApplicantUnit,
    Audit,
    Category,
    Commitment,
    Conclusion,
    ContractTerms,
    CreditStatus,
    DemandSource,
    ExpertKind,
    Indicator,
    Milestone,
    Organisation,
    Role,
    Scope,
    Verdict,
    is_enterprise_code,
    registration_region,
)
from jiebang_es.draws.algorithm import commitment_of
from jiebang_es.draws.verify import verify_recorded_draw
from jiebang_es.errors import JiebangError
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    ENTERPRISE_STARTUP,
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    UNIVERSITY_MEDICAL,
    actor,
    experts_for,
    key_challenge_content,
    major_challenge_content,
    make_code,
)
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CHINA_TZ, NO_META, CommandMeta, Receipt
from tests.conftest import DEEP, new_postgres_schema
from tests.support import (
    BUREAU_STAFF,
    DRAW_PUBLIC_VALUE,
    DRAW_SEED,
    DRAW_SOURCE,
    Journey,
    ScriptedClock,
    journey_field,
)

END_USERS = (END_USER_EQUIPMENT, END_USER_PHARMA)
_UNITS = (INSTITUTE_WEST, UNIVERSITY_JIANGNAN, ENTERPRISE_HUADONG, ENTERPRISE_STARTUP)
ORGS = {o.credit_code: o for o in (BUREAU, *END_USERS, *_UNITS, UNIVERSITY_MEDICAL)}
SUPERVISOR = Actor(id="sup-wang", role=Role.SUPERVISOR, org_code=BUREAU.credit_code)
ANALYST = Actor(id="ana-chen", role=Role.ANALYST, org_code=BUREAU.credit_code)
# Someone at another organisation claiming the bureau's role (the bureau's code is configured).
FAKE_BUREAU = actor(Role.BUREAU, INSTITUTE_WEST, "fake-bureau")
# UNIVERSITY_MEDICAL is this world's seriously dishonest unit (严重失信): the bureau records it so
# at the start, and may later record it restored, or another unit as dishonest.
DISHONEST = UNIVERSITY_MEDICAL
NOT_RECORDED_BY = (Role.SUPERVISOR, Role.ANALYST)
CHINA_OFFSET = timedelta(hours=8)
CREDIT_MAX_AGE_DAYS = 30  # R-CREDIT: the configured default
# The events of steps that record a decision taken earlier: only these may be backdated.
BACKDATED = (
    *(Demand.Collected, Challenge.Reviewed, Challenge.Listed, CreditRecord.Recorded),
    *(Project.ContractSigned, Project.Contracted, Project.Assessed, CreditRecord.Updated),
    *(Project.MilestoneReported, Project.MilestoneAssessed),
    *(Project.RectificationReported, Project.RectificationAssessed),
    *(Project.Accepted, Project.CoInvestmentReported),
    *(BudgetEnvelope.BudgetSet, BudgetEnvelope.BudgetRevised, BudgetEnvelope.ListCharged),
)

# ---- strategies ----------------------------------------------------------------------------------
PICK = st.integers(0, 7)
REASON = st.sampled_from(("", "经专家论证，确有必要", "经专家论证，确有必要"))
RARE_REASON = st.sampled_from(("", " ", "", "经研究决定"))  # ending a challenge or project: rarely
EXCEPTION_REASON = st.sampled_from((None, "", "产业需求紧迫", "产业需求紧迫"))
TEXT = st.sampled_from(("", "  ", "方案可行，建议支持", "方案可行，建议支持"))
# amounts around both caps, and malformed ones (sub-fen, negative, a float)
AMOUNTS: tuple[Any, ...] = (
    *("1.00", "99999.99", "100000.00", "100000.01", "299999.99", "300000.00", "300000.01"),
    *("0.001", "-5", 99999.5),
)
PERIODS = (0, 1, 11, 12, 24, 25, 36, 37, 48, 60, 61)  # around the norms and the maxima
# scope, recipients and whether the challenge is classified (涉密: restricted, never public)
SCOPES = {
    "public": (Scope.PUBLIC, (), False),
    # R-SCOPE: the range by credit code; a free-text range (as the first release kept) is refused
    "restricted": (
        Scope.RESTRICTED,
        (INSTITUTE_WEST.credit_code, UNIVERSITY_JIANGNAN.credit_code),
        False,
    ),
    "classified": (Scope.RESTRICTED, (INSTITUTE_WEST.credit_code,), True),
    "restricted_free_text": (Scope.RESTRICTED, ("重庆市医疗器械创新联盟成员单位",), False),
    "classified_public": (Scope.PUBLIC, (), True),
    "restricted_to_nobody": (Scope.RESTRICTED, (), False),
    "public_named": (Scope.PUBLIC, ("某联盟",), False),
}
# R-OPEN: conditions for solvers, and the issue's example of a threshold the plan forbids
CONDITIONS = {
    "open": "具备编码器或精密光栅研发基础",
    "thresholds": "注册满3年；正高级职称、博士，年龄≤45",
}
RANDOM_CONTENT = st.fixed_dictionaries(
    {
        "category": st.sampled_from(Category),
        "industry": st.sampled_from((*DEFAULT_INDUSTRIES, "房地产", "先进材料")),
        "funding": st.sampled_from(AMOUNTS),
        "period": st.sampled_from(PERIODS),
        "milestone_overrun": st.sampled_from((0, 1)),
        "scope": st.sampled_from(tuple(SCOPES)),
        "complete": st.booleans(),
        "conditions": st.sampled_from(tuple(CONDITIONS)),
        "commitment": st.sampled_from(("ample", "ample", "token", "none")),
    }
)
VALID_FUNDING = {
    Category.KEY: ("50000.00", "100000.00"),
    Category.MAJOR: ("200000.00", "300000.00"),
}
VALID_PERIODS = {Category.KEY: (12, 18, 24, 36), Category.MAJOR: (24, 30, 36, 48, 60)}
VALID_CONTENT = st.sampled_from(Category).flatmap(
    lambda category: st.fixed_dictionaries(
        {
            "category": st.just(category),
            "industry": st.sampled_from(DEFAULT_INDUSTRIES),
            "funding": st.sampled_from(VALID_FUNDING[category]),
            "period": st.sampled_from(VALID_PERIODS[category]),
            "milestone_overrun": st.just(0),
            "scope": st.sampled_from(("public", "restricted", "classified")),
            "complete": st.just(True),
            "conditions": st.just("open"),
            "commitment": st.just("ample"),
        }
    )
)
CONTENT = st.one_of(VALID_CONTENT, RANDOM_CONTENT)
# the steps of §八 as tests.support's Journey takes them, in order
STAGES = (
    *("none", "draft", "argue", "list", "publish", "apply", "panel", "review", "select"),
    *("publicize", "close_notice", "contract", "fund"),
)
APPLICANT_ORGS = {
    **dict(zip(("institute", "university", "huadong", "startup"), _UNITS, strict=True)),
    "dishonest": DISHONEST,
    "dishonest_lowercase": replace(DISHONEST, credit_code=DISHONEST.credit_code.lower()),
}
GOOD_APPLICANTS = ("institute", "university", "huadong", "startup")
APPLICATION_DEFECTS = (
    *("none",) * 8,
    *("own_end_user", "own_end_user_lead"),  # as participating or lead unit (R-EU-NOT-SOLVER)
    "other_end_user",  # another challenge's end user: allowed
    *("dishonest", "dishonest_lead"),  # R-CREDIT, as the bureau's record stands
    "dishonest_lowercase",  # the same unit, its code spelt in lower case
    "duplicate_unit",
    *("over_budget", "way_over", "over_period", "zero_period"),  # R-ASK-CAP
    *("no_plan", "no_ip"),  # R-PLAN-IP
    "other_actor",  # R-OPEN: a unit applies only for itself
)
EXTRA_INDICATOR = Indicator("批量良品率", "≥99", "%")


def actors(right: str | tuple[str, ...], *wrong: str) -> st.SearchStrategy[str]:
    """Mostly the actor(s) the plan gives the step to, sometimes someone else."""
    rights = (right,) if isinstance(right, str) else right
    return st.sampled_from(rights * 3 + wrong)


BUREAU_STEP = actors("bureau", "end_user", "supervisor")
PARTIES_STEP = actors(("bureau", "end_user", "solver"), "wrong_end_user", "applicant", "expert")


def journey_step(j: Journey, stage: str) -> None:
    """Take one journey to the given step of §八 with the valid commands of tests.support."""
    if stage in ("review", "select"):
        getattr(j, stage)(j.applications[0])
    elif stage == "fund":
        j.app.disburse(BUREAU_STAFF, j.project_id, amount="40000.00", purpose="首期拨付")
    else:
        getattr(j, stage)()


def other_end_user(org: Organisation) -> Organisation:
    return END_USERS[1] if org.credit_code == END_USERS[0].credit_code else END_USERS[0]


def make_content(p: dict[str, Any]) -> ChallengeContent:
    """A challenge's contents from the drawn parameters: valid, over a cap or incomplete."""
    period: int = p["period"]
    scope, recipients, classified = SCOPES[p["scope"]]
    funding = p["funding"] if isinstance(p["funding"], float) else Decimal(p["funding"])
    base = key_challenge_content if p["category"] is Category.KEY else major_challenge_content
    commitment = {  # R-EU-COMMIT: ample, a token 0.01 yuan, or none
        "ample": Commitment(Decimal("600000.00"), "提供中试平台与示范应用场景", True),
        "token": Commitment(Decimal("0.01"), "提供场地", True),
        "none": None,
    }[p.get("commitment", "ample")]
    return base(
        solver_conditions=CONDITIONS[p.get("conditions", "open")],
        commitment=commitment,
        category=p["category"],
        industry=p["industry"],
        funding=funding,
        period_months=period,
        milestones=(
            Milestone("中期", max(1, period // 2), "中期报告"),
            Milestone("验收", max(1, period) + p["milestone_overrun"], "验收报告"),
        ),
        scope=scope,
        recipients=recipients,
        benchmarking="对标国际先进水平" if p["complete"] else "",
        classified=classified,
    )


class RecordingApp(JiebangApp):
    """Keeps what its last command saved (aggregates, recordings) and the business time at which
    each position was recorded, to compare them with the store read back."""

    name = "jiebang"  # the same tables as JiebangApp (the library would name them after the class)

    def __init__(self, settings: Settings, clock: ScriptedClock) -> None:
        super().__init__(settings, clock=clock)
        self.business_time: dict[int, datetime] = {}
        self.last_saved: tuple[Any, ...] = ()
        self.last_recordings: list[Any] = []

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        self.last_saved, self.last_recordings = objs, recordings
        for r in recordings:
            self.business_time[r.notification.id] = self.clock.now()
        return recordings


# ---- the store, read back ----------------------------------------------------------------------
@dataclass
class World:
    """Everything recorded: events per aggregate, their global positions, current states, and
    the business time at which each position was recorded."""

    events: dict[UUID, list[Any]]
    pos: dict[tuple[UUID, int], int]
    state: dict[UUID, Any]
    now: dict[int, datetime]

    def position_of(self, e: Any) -> int:
        return self.pos[(e.originator_id, e.originator_version)]

    def as_of(self, ident: str | UUID, position: int) -> Any:
        """An aggregate as it was just before the event at ``position`` was recorded."""
        agg: Any = None
        for e in self.events.get(UUID(str(ident)), ()):
            if self.position_of(e) >= position:
                break
            agg = e.mutate(agg)
        return agg

    def credit(self, code: str, position: int) -> CreditStatus:
        """A unit's credit as the bureau's record stood just before ``position`` (R-CREDIT)."""
        record = self.as_of(CreditRecord.create_id(code), position)
        return CreditStatus.GOOD if record is None else record.status

    def credit_recent(self, code: str, position: int, on: date) -> bool:
        """R-CREDIT (version 2): as the record stood before ``position``, the latest check made
        by ``on`` found the unit in good credit, at most CREDIT_MAX_AGE_DAYS before ``on``."""
        record = self.as_of(CreditRecord.create_id(code), position)
        checks = [] if record is None else [c for c in record.checks if c.checked_on <= on]
        if not checks:
            return False
        latest = max(c.checked_on for c in checks)
        found = [c for c in checks if c.checked_on == latest][-1]
        age = (on - latest).days
        return found.status is CreditStatus.GOOD and age <= CREDIT_MAX_AGE_DAYS

    def of_type(self, cls: type) -> list[UUID]:
        return [k for k, v in self.state.items() if isinstance(v, cls)]


# ---- the rules, checked on each recorded event ---------------------------------------------------
B, E, A, X = Role.BUREAU, Role.END_USER, Role.APPLICANT, Role.EXPERT
CS, PS, APPLIED = ChallengeStatus, ProjectStatus, (ApplicationStatus.APPLIED,)
NEW, ANY = (), None  # the event creates its aggregate; it may follow any status
# Each event type: the roles that may record it, the statuses it may follow (R-ORDER), and
# whether it needs a reason (R-AUDIT-WHO). An event type missing here fails the check.
STEPS: dict[type, tuple[tuple[Role, ...], tuple[Any, ...] | None, bool]] = {
    Demand.Collected: ((B,), NEW, False),
    Demand.Refined: ((B, E), ANY, False),
    Expert.Registered: ((B,), NEW, False),
    # R-DRAW: the bureau draws; a drawn expert's recusal takes the next in the draw's order
    Expert.SeatTaken: ((B, X), ANY, False),
    Draw.DrawScheduled: ((B,), NEW, False),
    Draw.DrawPerformed: ((B,), (DrawStatus.SCHEDULED,), False),
    Draw.ReplacementDrawn: ((B, X), (DrawStatus.PERFORMED,), False),
    CreditRecord.Recorded: ((B,), NEW, False),  # R-CREDIT
    CreditRecord.Updated: ((B,), ANY, False),
    Challenge.Drafted: ((B, E), NEW, False),
    Challenge.DraftRevised: ((B, E), (CS.DRAFT,), False),
    Challenge.EndUserConfirmed: ((E,), (CS.DRAFT,), False),  # R-EU-DRAFTS
    BudgetEnvelope.BudgetSet: ((B,), NEW, False),  # R-BUDGET
    BudgetEnvelope.BudgetRevised: ((B,), ANY, True),
    BudgetEnvelope.ListCharged: ((B,), ANY, False),
    BudgetEnvelope.ListReleased: ((B,), ANY, True),
    Challenge.Reviewed: ((B,), (CS.DRAFT,), False),
    Challenge.Listed: ((B,), (CS.REVIEWED,), False),
    Challenge.Published: ((B,), (CS.LISTED,), False),  # R-PARTY-APPROVAL
    Challenge.ReviewPanelProposed: ((B, E), (CS.PUBLISHED,), False),
    Challenge.ReviewPanelConfirmed: ((B, E), ANY, False),
    # R-REVIEW-PANEL per application (version 2): replacements and absences on a confirmed panel
    Challenge.ReplacementExpertProposed: ((B, E, X), (CS.PUBLISHED,), False),
    Challenge.ReplacementExpertConfirmed: ((B, E), (CS.PUBLISHED,), False),
    Challenge.ExpertAbsent: ((B,), (CS.PUBLISHED,), False),
    Challenge.SolverSelected: ((E,), (CS.PUBLISHED,), False),  # R-SELECT-EU
    Challenge.SolverSelectionRevoked: ((B,), (CS.SELECTED,), True),
    Challenge.Failed: ((B,), (CS.PUBLISHED,), True),
    Challenge.Cancelled: ((B,), (CS.DRAFT, CS.REVIEWED, CS.LISTED, CS.PUBLISHED), True),
    Application.Applied: ((A,), NEW, False),
    Application.Withdrawn: ((A,), APPLIED, False),
    Application.NoConflictDeclared: ((X,), APPLIED, False),
    Application.ExpertRecused: ((X,), APPLIED, False),
    Application.Scored: ((X,), APPLIED, False),
    Project.Selected: ((E,), NEW, False),
    Project.Publicized: ((B,), (PS.SELECTED,), False),
    Project.ObjectionLodged: ((B, E, A, X), (PS.PUBLICIZED,), False),  # R-OBJECTION
    # The status an objection is resolved in is not checked: an objection still open when the
    # project was terminated can be upheld afterwards, and turns it from terminated to revoked.
    Project.ObjectionResolved: ((B,), ANY, True),
    Project.SelectionRevoked: ((B,), ANY, True),
    Project.NoticeClosed: ((B,), (PS.PUBLICIZED,), False),
    Project.NoticeWaived: ((B,), (PS.SELECTED,), True),
    Project.ContractDrafted: ((B,), (PS.IN_MANAGEMENT,), False),
    Project.ContractSigned: ((B, E, A), (PS.IN_MANAGEMENT,), False),
    Project.Contracted: ((B, E, A), (PS.IN_MANAGEMENT,), False),
    # R-DISBURSE: the final tranche (尾款) follows the assessment and the acceptance
    Project.Funded: ((B,), (PS.CONTRACTED, PS.ASSESSED, PS.COMPLETED), False),
    Project.EnteredDistrictManagement: ((B,), (PS.IN_MANAGEMENT,), False),  # R-OBJECTION
    DistrictNumbering.Opened: ((B,), NEW, False),
    DistrictNumbering.NumberIssued: ((B,), ANY, False),
    Project.RectificationReported: ((A,), (PS.CONTRACTED,), False),  # R-MILESTONE
    Project.RectificationAssessed: ((E,), (PS.CONTRACTED,), False),
    Project.Accepted: ((B,), (PS.ASSESSED,), False),  # R-ASSESS-EU
    Project.CoInvestmentReported: ((E,), (PS.CONTRACTED, PS.ASSESSED, PS.COMPLETED), False),
    Project.MilestoneReported: ((A,), (PS.CONTRACTED,), False),
    Project.MilestoneAssessed: ((E,), (PS.CONTRACTED,), False),
    Project.RouteChangeFiled: ((A,), (PS.CONTRACTED,), True),  # R-AUTONOMY
    Project.ContractChangeProposed: ((B, E, A), (PS.CONTRACTED,), True),
    Project.ContractChangeApproved: ((B, E), (PS.CONTRACTED,), False),
    Project.ContractAmended: ((B, E), (PS.CONTRACTED,), False),
    Project.Extended: ((B,), (PS.CONTRACTED,), True),
    Project.Assessed: ((E,), (PS.CONTRACTED,), False),  # R-ASSESS-EU
    Project.Terminated: ((B,), (PS.SELECTED, PS.PUBLICIZED, PS.IN_MANAGEMENT, PS.CONTRACTED), True),
}


def justified(audit: Audit, rule_id: str) -> bool:
    return any(x.rule_id == rule_id and x.justification.strip() for x in audit.exceptions)


def check_step(s: Any, e: Any, w: World) -> None:
    """R-AUDIT-WHO and R-ORDER: who (never a supervisor, an analyst or a false bureau), in which
    state, why, and when: in China's time, never in the future, backdated only where an earlier
    decision is recorded."""
    a: Audit = e.audit
    roles, after, needs_reason = STEPS[type(e)]
    assert a.role in roles, f"a {a.role.value} recorded {type(e).__name__}"
    assert a.role not in NOT_RECORDED_BY
    assert a.role is not B or a.org_code == BUREAU.credit_code, "someone posing as the bureau"
    assert s is None if after == NEW else s is not None
    assert not after or s.status in after, f"R-ORDER: {type(e).__name__} after {s.status}"
    assert a.reason.strip() or not needs_reason, f"{type(e).__name__} without a reason"
    assert a.actor_id.strip(), e
    assert a.org_code.strip(), e
    assert a.request_id, e
    assert a.effective_at.utcoffset() == CHINA_OFFSET, e
    assert a.recorded_at.tzinfo is not None, e
    assert all(x.justification.strip() for x in a.exceptions), e
    now = w.now[w.position_of(e)]
    assert a.effective_at <= now, f"{e!r} takes effect in the future"
    assert isinstance(e, BACKDATED) or a.effective_at == now, f"{type(e).__name__} backdated"


def check_org(a: Audit, end_user: str = "", solver: str = "") -> None:
    """An end user acts on its own challenges and projects, a solver on its own project."""
    assert a.role is not E or not end_user or a.org_code == end_user, "another end user's"
    assert a.role is not A or not solver or a.org_code == solver, "another solver's"


def check_credit(units: Sequence[ApplicantUnit], w: World, position: int, on: date) -> None:
    """R-CREDIT: every unit in good credit, as the bureau's record stood at ``position``, and
    checked recently before ``on`` (version 2)."""
    for u in units:
        code = u.organisation.credit_code
        assert code in ORGS, f"{code} not normalised"
        assert u.credit_status is w.credit(code, position) is CreditStatus.GOOD, "R-CREDIT"
        assert w.credit_recent(code, position, on), f"R-CREDIT: {code} not checked recently"


def check_project_credit(s: Project, w: World, position: int, on: date) -> None:
    """R-CREDIT at contract signature and each disbursement: the solver's units."""
    application = w.as_of(s.application_id, position)
    codes = {s.solver_code, *(u.organisation.credit_code for u in application.participants)}
    for code in codes:
        assert w.credit(code, position) is CreditStatus.GOOD, "R-CREDIT"
        assert w.credit_recent(code, position, on), f"R-CREDIT: {code} not checked recently"


def check_content(content: ChallengeContent, audit: Audit, drafted: bool = True) -> None:
    """R-FUND-CAP, R-PERIOD-MAX, R-PERIOD-NORM, R-INDUSTRY, R-CHOKEPOINT, R-SCOPE, R-OPEN and
    R-EU-COMMIT on a draft (a revision keeps the industry justified when it was drafted)."""
    category = content.category
    assert isinstance(category, Category)
    if drafted:
        assert content.industry in DEFAULT_INDUSTRIES or justified(audit, "R-INDUSTRY")
    assert not [w for w in DEFAULT_FORBIDDEN_CONDITIONS if w in content.solver_conditions], "R-OPEN"
    if content.commitment is not None:
        assert content.commitment.own_investment > 0, "R-EU-COMMIT"
        least = (content.funding or 0) * DEFAULT_COMMITMENT_MIN_RATIO
        assert content.commitment.own_investment >= least, "R-EU-COMMIT: a token investment"
    assert content.chokepoint.strip()
    assert content.industry_effect.strip()
    assert content.name.strip()
    if content.funding is not None:
        assert isinstance(content.funding, Decimal)
        assert content.funding.quantize(FEN) == content.funding
        assert Decimal("0.01") <= content.funding <= FUND_CAP[category]
    if content.period_months is not None:
        assert 1 <= content.period_months <= PERIOD_MAX_MONTHS[category] <= 60
        low, high = rules.PERIOD_NORM_MONTHS[category]
        if not low <= content.period_months <= high:
            assert justified(audit, "R-PERIOD-NORM"), "a period outside the norm needs a reason"
        assert all(1 <= m.due_month <= content.period_months for m in content.milestones)
    if content.scope is Scope.RESTRICTED:
        assert content.recipients
        assert all(r in ORGS for r in content.recipients), "R-SCOPE: recipients by credit code"
    if content.scope is Scope.PUBLIC:
        assert not content.recipients
        assert not content.classified, "R-SCOPE: a classified challenge in public scope"


def check_panel(
    kinds: list[Any], required: dict[str, set[ExpertKind]], rule_id: str, a: Audit
) -> None:
    """R-ARG-PANEL, R-REVIEW-PANEL (in principle): a short or incomplete panel is justified."""
    complete = all(accepted & set(kinds) for accepted in required.values())
    if len(kinds) < MIN_PANEL or not complete:
        assert justified(a, rule_id), f"{rule_id}: {kinds} without a justification"


def check_opinions(opinions: tuple[Any, ...], w: World) -> None:
    """Argumentations and extensions: experts' written opinions, each expert once, each with the
    kind the expert is registered as."""
    assert opinions, "an argumentation without experts"
    assert len({o.expert_id for o in opinions}) == len(opinions)
    for o in opinions:
        assert o.opinion.strip() == o.opinion != ""
        assert o.kind is w.state[UUID(o.expert_id)].kind


def check_selection_in_principle(
    challenge: Challenge, application: Application, a: Audit, w: World, position: int
) -> None:
    """R-REVIEW-PANEL per application and R-SELECT-REASON: a selection on fewer than five
    effective reviewers (after recusals or absences), below the top mean score, or of an
    application most experts advised against, is justified."""
    members, absent = challenge.panel_member_ids(), challenge.absent
    effective = application.effective_reviewers(members, absent)
    if len(effective) < MIN_PANEL and len(effective) < len(members):
        assert justified(a, "R-REVIEW-PANEL"), "R-REVIEW-PANEL: 4 reviewers, no reason"
    others = [w.as_of(i, position) for i in w.of_type(Application)]
    means = [
        sum(x.score for x in o.scores) / len(o.scores)
        for o in others
        if o is not None
        and o.challenge_id == application.challenge_id
        and o.status is ApplicationStatus.APPLIED
        and str(o.id) not in challenge.revoked_applications
        and o.is_reviewed_by(members, absent)
        and o.scores
    ]
    mine = sum(x.score for x in application.scores) / len(application.scores)
    below = bool(means) and mine.quantize(FEN) < max(means).quantize(FEN)
    against = sum(1 for x in application.scores if x.recommended is False)
    if below or against * 2 > len(application.scores):
        assert justified(a, "R-SELECT-REASON"), "R-SELECT-REASON: against the experts, no reason"


def check_terms(terms: ContractTerms, p: Project) -> None:
    """R-CONTRACT: budget ≤ funding ≤ cap, period ≤ the challenge's (extended) ≤ the maximum."""
    assert terms.indicators
    assert terms.milestones
    assert Decimal("0.01") <= terms.budget <= p.funding <= FUND_CAP[p.category]
    assert 1 <= terms.period_months <= p.challenge_period_months + p.extended_months
    assert terms.period_months <= PERIOD_MAX_MONTHS[p.category]
    assert all(1 <= m.due_month <= terms.period_months for m in terms.milestones)
    # R-CONTRACT (v2): a schedule paying exactly the budget; the end user's co-investment
    assert sum(t.amount for t in terms.tranches) == terms.budget, "R-CONTRACT: schedule"
    assert terms.co_investment is not None
    assert shown(terms.project_leader).strip()


def committed(p: Project, w: World) -> Decimal:
    """The end user's commitment in the challenge (R-EU-COMMIT)."""
    commitment = w.state[UUID(p.challenge_id)].content.commitment
    return Decimal(0) if commitment is None else commitment.own_investment


def check_challenge_event(s: Challenge | None, e: Any, w: World) -> None:
    a: Audit = e.audit
    position = w.position_of(e)
    if isinstance(e, Challenge.Drafted):
        check_org(a, end_user=e.end_user.credit_code)
        check_content(e.content, a)
        assert e.rules_version == 2
        code = e.end_user.credit_code  # R-EU-LOCAL: a district enterprise, or justified
        local = registration_region(code) == "500106" and is_enterprise_code(code)
        assert local or justified(a, "R-EU-LOCAL"), "R-EU-LOCAL without a justification"
        # R-ORDER: refined from demands collected first, the end user's own, in its industry
        assert e.demand_ids, "a challenge without a collected demand"
        assert len(set(e.demand_ids)) == len(e.demand_ids)
        for d in e.demand_ids:
            demand = w.as_of(d, position)
            assert isinstance(demand, Demand)
            assert demand.challenge_id is None
            assert demand.enterprise.credit_code == e.end_user.credit_code, "R-CONTENT"
            assert demand.industry == e.content.industry, "R-CONTENT"
        return
    assert s is not None
    check_org(a, end_user=s.end_user.credit_code)
    c = s.content
    if isinstance(e, Challenge.DraftRevised):
        assert e.content.industry == c.industry, "R-CONTENT: a revision left its demands' industry"
        assert e.revises_version == s.version
        assert not s.review_rounds or e.content.category is c.category
        check_content(e.content, a, drafted=False)
    elif isinstance(e, Challenge.EndUserConfirmed):
        assert a.role is E, "R-EU-DRAFTS: only the end user confirms"
        assert e.content_digest == content_digest(c) != s.eu_confirmed_digest, "R-EU-DRAFTS"
        assert e.confirmed_version == s.version
        assert e.commitment == c.commitment is not None
    elif isinstance(e, Challenge.Reviewed):
        assert s.eu_confirmed, "R-EU-DRAFTS: argued before the end user confirmed the draft"
        for o in e.opinions:  # R-CONFLICT: no expert of the challenge's own end user
            assert w.state[UUID(o.expert_id)].org_code != s.end_user.credit_code, "R-CONFLICT"
        assert not missing_contents(c), "R-CONTENT: an incomplete draft was reviewed"
        com = c.commitment  # R-EU-COMMIT
        assert com is not None
        assert com.own_investment > 0
        assert com.support.strip()
        assert com.first_application
        check_opinions(e.opinions, w)
        check_panel([o.kind for o in e.opinions], rules.ARG_PANEL_KINDS, "R-ARG-PANEL", a)
        drawn = {o.expert_id for o in e.opinions}
        check_drawn(e.draw_id, s, DrawPurpose.ARGUMENTATION, drawn, set(), a, w, position)
        assert not e.period_argued or len(e.opinions) >= MIN_PANEL, "R-PERIOD-ARGUED"
    elif isinstance(e, Challenge.Listed):
        assert e.minutes_ref.strip()
        assert s.reviewed_on is not None
        assert s.reviewed_on <= e.meeting_date <= a.effective_at.date()
        assert e.year in (e.meeting_date.year, e.meeting_date.year + 1)
        if (c.period_months or 0) > rules.PERIOD_ARGUED_OVER_MONTHS:
            assert c.category is Category.MAJOR, "R-PERIOD-MAX"
            assert s.period_argued, "R-PERIOD-ARGUED"
        # R-BUDGET: the year's envelope took this challenge's funding in the same transaction
        envelope = BudgetEnvelope.create_id(e.year)
        assert w.as_of(envelope, position) is not None, "R-BUDGET: listed without an envelope"
        charged = [
            x
            for x in w.events[envelope]
            if isinstance(x, BudgetEnvelope.ListCharged)
            and w.position_of(x) > position
            and x.audit == a
            and any(line.challenge_id == str(s.id) for line in x.challenges)
        ]
        assert len(charged) == 1, "R-BUDGET: listed without being charged to the envelope"
    elif isinstance(e, Challenge.Published):
        assert e.guide.strip(), "R-GUIDE"
        assert e.window_opens < e.window_closes, "R-GUIDE"
        assert e.window_closes > a.effective_at
        assert c.scope is Scope.RESTRICTED or not c.classified, "R-SCOPE: classified in public"
    elif isinstance(e, Challenge.ReviewPanelProposed):
        assert not s.panel_is_effective
        assert len({m.expert_id for m in e.members}) == len(e.members)
        experts = [w.state[UUID(m.expert_id)] for m in e.members]
        assert [m.kind for m in e.members] == [x.kind for x in experts]
        # the end user's responsible person counts only as the head of this challenge's end user
        eu = s.end_user.credit_code
        kinds = [
            None if x.kind is ExpertKind.END_USER_REP and x.org_code != eu else x.kind
            for x in experts
        ]
        check_panel(kinds, rules.REVIEW_PANEL_KINDS, "R-REVIEW-PANEL", a)
        heads = {
            m.expert_id
            for m, x in zip(e.members, experts, strict=True)
            if x.kind is ExpertKind.END_USER_REP and x.org_code == eu
        }
        members = {m.expert_id for m in e.members}
        check_drawn(e.draw_id, s, DrawPurpose.REVIEW, members, heads, a, w, position)
    elif isinstance(e, Challenge.ReviewPanelConfirmed):
        assert s.panel
        assert e.role is a.role
        assert a.role not in s.panel_confirmed_by
    elif isinstance(e, Challenge.ReplacementExpertProposed):
        assert s.panel_is_effective, "R-ORDER: a replacement before the panel took effect"
        assert e.grounds.strip(), "R-REVIEW-PANEL: a replacement without its reason"
        assert e.replaces in s.panel_member_ids()
        assert e.member.expert_id not in s.panel_member_ids()
        assert all(m.expert_id != e.member.expert_id for m in s.replacements)
        assert e.member.kind is w.state[UUID(e.member.expert_id)].kind
        if s.panel_draw_id:  # R-DRAW: a drawn seat goes to the next in the draw's order
            draw = w.as_of(s.panel_draw_id, position + 1)
            drawn = {m.expert_id for m in draw.candidates}
            assert e.replaces not in drawn or e.member.expert_id in {
                m.expert_id for m in draw.seated
            }, "R-DRAW: a drawn seat filled by hand"
    elif isinstance(e, Challenge.ReplacementExpertConfirmed):
        assert s.panel_is_effective
        assert e.role is a.role
        assert any(m.expert_id == e.expert_id for m in s.replacements)
        assert (e.expert_id, e.role) not in s.replacement_confirmed_by, "R-PANEL-JOINT"
    elif isinstance(e, Challenge.ExpertAbsent):
        assert s.panel_is_effective
        assert e.grounds.strip(), "R-REVIEW-PANEL: an absence without its reason"
        assert e.expert_id in s.panel_member_ids()
        assert e.expert_id not in s.absent
    elif isinstance(e, Challenge.SolverSelected):
        assert s.panel_is_effective
        assert s.window_has_closed(a.effective_at)
        assert e.application_id not in s.revoked_applications
        project = w.state[UUID(e.project_id)]
        assert project.application_id == e.application_id
        # the Selected project and the challenge's SolverSelected: one transaction, adjacent
        assert w.pos[(project.id, 1)] + 1 == position
    elif isinstance(e, Challenge.SolverSelectionRevoked):
        assert s.project_id == e.project_id
        # the project's revocation and the challenge's: one transaction, adjacent
        events = w.events[UUID(e.project_id)]
        revoked = [w.position_of(x) for x in events if type(x) is Project.SelectionRevoked]
        assert revoked == [position - 1]
    elif isinstance(e, Challenge.Failed):
        assert s.window_has_closed(a.effective_at)


def check_application_event(s: Application | None, e: Any, w: World) -> None:
    a: Audit = e.audit
    position = w.position_of(e)
    if isinstance(e, Application.Applied):
        challenge = w.as_of(e.challenge_id, position)
        assert isinstance(challenge, Challenge)
        c = challenge.content
        # R-ORDER: inside the open window of a published challenge
        assert challenge.status is ChallengeStatus.PUBLISHED, "applied to an unpublished challenge"
        assert challenge.window_is_open(a.effective_at)
        check_org(a, solver=e.lead.organisation.credit_code)
        units: list[ApplicantUnit] = [e.lead, *e.participants]
        codes = [u.organisation.credit_code for u in units]
        assert len(set(codes)) == len(codes)
        assert challenge.end_user.credit_code not in codes, "R-EU-NOT-SOLVER"
        if c.scope is Scope.RESTRICTED:  # R-SCOPE, by the domain
            assert e.lead.organisation.credit_code in c.recipients, "R-SCOPE: outside the range"
        check_credit(units, w, position, a.effective_at.date())
        assert e.technical_plan.strip(), "R-PLAN-IP"
        assert e.ip_declaration is True, "R-PLAN-IP"
        assert Decimal("0.01") <= e.budget <= (c.funding or 0), "R-ASK-CAP"
        assert 1 <= e.period_months <= (c.period_months or 0), "R-ASK-CAP"
        return
    assert s is not None
    challenge = w.as_of(s.challenge_id, position)
    if isinstance(e, Application.Withdrawn):
        check_org(a, solver=s.lead.organisation.credit_code)
        assert challenge.window_is_open(a.effective_at)
        return
    # declarations and scores (R-CONFLICT, R-PANEL-JOINT)
    expert = w.state[UUID(e.expert_id)]
    assert isinstance(expert, Expert)
    assert a.actor_id == expert.person_id
    assert challenge.panel_is_effective
    assert e.expert_id in challenge.panel_member_ids()
    assert e.expert_id not in challenge.absent, "R-REVIEW-PANEL: an absent expert took part"
    if isinstance(e, Application.NoConflictDeclared | Application.ExpertRecused):
        assert e.expert_id not in (*s.cleared, *s.recused)
        if isinstance(e, Application.NoConflictDeclared):
            assert expert.org_code not in s.unit_codes(), "R-CONFLICT: own unit not recused"
        else:
            assert e.grounds.strip()
    else:
        assert e.expert_id in s.cleared, "R-CONFLICT: scored without declaring"
        assert e.expert_id not in s.recused, "R-CONFLICT: a recused expert scored"
        assert expert.org_code not in s.unit_codes(), "R-CONFLICT"
        assert all(x.expert_id != e.expert_id for x in s.scores)
        assert e.score.is_finite()
        assert Decimal(0) <= e.score <= Decimal(100)
        assert e.opinion.strip()
        assert challenge.status is ChallengeStatus.PUBLISHED
        assert challenge.window_has_closed(a.effective_at), "R-ORDER: scored in the window"


def check_project_event(s: Project | None, e: Any, w: World) -> None:
    a: Audit = e.audit
    position = w.position_of(e)
    if isinstance(e, Project.Selected):
        # R-SELECT-EU: the end user selects an application the confirmed panel reviewed
        challenge = w.as_of(e.challenge_id, position)
        application = w.as_of(e.application_id, position)
        assert isinstance(challenge, Challenge)
        assert isinstance(application, Application)
        check_org(a, end_user=challenge.end_user.credit_code)
        assert application.challenge_id == e.challenge_id
        assert application.status is ApplicationStatus.APPLIED
        assert challenge.panel_is_effective
        members, absent = challenge.panel_member_ids(), challenge.absent
        assert application.is_reviewed_by(members, absent), "selected unreviewed"
        assert e.opinions == application.scores, "the selection references the opinions"
        check_selection_in_principle(challenge, application, a, w, position)
        # R-CREDIT again at selection: no unit dishonest since it applied, and checked recently
        units = [application.lead, *application.participants]
        check_credit(units, w, position, a.effective_at.date())
        assert e.solver_code == application.lead.organisation.credit_code
        assert e.end_user_code == challenge.end_user.credit_code != e.solver_code
        c = challenge.content
        selected = (e.category, e.funding, e.period_months, e.classified, e.indicators)
        assert selected == (c.category, c.funding, c.period_months, c.classified, c.indicators)
        assert e.funding <= FUND_CAP[e.category]
        assert e.period_months <= PERIOD_MAX_MONTHS[e.category]
        return
    assert s is not None
    if not isinstance(e, Project.ObjectionLodged):  # anyone in the roles may object
        check_org(a, end_user=s.end_user_code, solver=s.solver_code)
    if isinstance(e, Project.Publicized):
        assert not s.classified, "R-PUBLICITY: a classified project was publicized"
        assert a.effective_at.date() <= e.starts_on <= e.ends_on, "R-PUBLICITY"
        n = e.notice  # what the public needs to object
        assert all((n.solver_name, n.end_user_name, n.project_leader, n.objection_channel))
        assert n.restricted or (n.funding, n.period_months) == (
            s.funding,
            s.challenge_period_months,
        )
        challenge = w.state[UUID(s.challenge_id)]
        assert n.restricted is (challenge.content.scope is not Scope.PUBLIC), "R-SCOPE"
        assert not n.restricted or (n.challenge_name, n.funding) == (None, None), "R-SCOPE"
    elif isinstance(e, Project.EnteredDistrictManagement):
        assert s.district_number is None
        before = [type(x) for x in w.events[s.id] if w.position_of(x) < position]
        assert before[-1] in (Project.NoticeClosed, Project.NoticeWaived), "R-OBJECTION"
    elif isinstance(e, Project.ObjectionLodged):
        assert not s.classified
        assert s.notice_starts is not None
        assert s.notice_ends is not None
        assert s.notice_starts <= a.effective_at.date() <= s.notice_ends, "R-OBJECTION"
        assert e.grounds.strip()
        assert shown(e.objector).strip()
    elif isinstance(e, Project.ObjectionResolved):
        assert s.objections.get(e.objection_id) == "open"
        assert s.status is ProjectStatus.PUBLICIZED, "R-ORDER: resolved outside the notice"
    elif isinstance(e, Project.SelectionRevoked):
        assert s.objections.get(e.objection_id) == "upheld"
    elif isinstance(e, Project.NoticeClosed):
        assert s.notice_ends is not None
        assert a.effective_at.date() > s.notice_ends
        assert "open" not in s.objections.values(), "R-OBJECTION: closed with an open objection"
    elif isinstance(e, Project.NoticeWaived):
        assert s.classified, "R-PUBLICITY: the notice of a project not classified was waived"
    elif isinstance(e, Project.ContractDrafted):
        check_terms(e.terms, s)
        assert e.terms.co_investment >= committed(s, w), "R-CONTRACT: co-investment"
        assert e.terms.lead_unit_code == s.solver_code, "R-AUTONOMY: another lead unit"
        assert set(s.challenge_indicators) <= set(e.terms.indicators), "R-CONTRACT: indicators"
    elif isinstance(e, Project.ContractSigned):
        check_project_credit(s, w, position, a.effective_at.date())
        assert s.draft_terms is not None
        assert s.terms is None
        sig = e.signature
        assert (sig.role, sig.org_code, sig.signed_on) == (
            a.role,
            a.org_code,
            a.effective_at.date(),
        )
        assert all(x.role is not sig.role for x in s.signatures)
        expected = {E: s.end_user_code, A: s.solver_code}
        assert sig.org_code == expected.get(sig.role, sig.org_code), "R-CONTRACT: wrong signer"
    elif isinstance(e, Project.Contracted):
        check_project_credit(s, w, position, a.effective_at.date())
        assert {x.role for x in e.signatures} == {B, E, A}
        assert (e.signatures, e.terms) == (s.signatures, s.draft_terms)
        check_terms(e.terms, s)
        before = [type(x) for x in w.events[s.id] if w.position_of(x) < position]
        waived = Project.NoticeWaived in before
        assert Project.NoticeClosed in before or waived, "R-PUBLICITY: contracted without notice"
        assert s.classified or not waived
    elif isinstance(e, Project.Funded):
        check_project_credit(s, w, position, a.effective_at.date())
        assert s.terms is not None
        assert s.contracted_on is not None
        assert s.contracted_on <= e.paid_on <= a.effective_at.date(), "R-DISBURSE: paid when?"
        assert e.amount > 0
        assert s.disbursed + e.amount <= s.terms.budget, "R-DISBURSE: over the budget"
        assert s.disbursed + e.amount <= s.fallen_due(), "R-DISBURSE: more than has fallen due"
        assert not s.failed_milestones(), "R-MILESTONE: paid over a failed milestone"
    elif isinstance(e, Project.MilestoneReported):
        assert e.report.strip()
        assert s.terms is not None
        assert e.milestone in {m.name for m in s.terms.milestones}
    elif isinstance(e, Project.MilestoneAssessed):
        assert e.milestone in s.reports
        assert e.milestone not in s.milestone_verdicts, "R-MILESTONE: assessed twice"
    elif isinstance(e, Project.RectificationReported):
        assert s.milestone_verdicts.get(e.milestone) is Verdict.FAIL, "R-MILESTONE"
        assert e.report.strip()
    elif isinstance(e, Project.RectificationAssessed):
        assert e.milestone in s.rectifications, "R-MILESTONE: no rectification reported"
    elif isinstance(e, Project.Accepted):
        assert e.verdict is s.verdict, "R-ASSESS-EU: the verdict reversed"
        assert s.co_investment_reports > 0, "R-EU-COMMIT: closed without the report"
    elif isinstance(e, Project.CoInvestmentReported):
        assert e.amount > 0
        assert e.note.strip()
    elif isinstance(e, Project.RouteChangeFiled):
        assert e.kind in ("technical_route", "team")
    elif isinstance(e, Project.ContractChangeProposed):
        assert e.terms != s.terms
        check_terms(e.terms, s)
        assert e.terms.budget >= s.disbursed
    elif isinstance(e, Project.ContractChangeApproved):
        assert e.role is a.role
        assert e.change_id in s.changes
        assert a.role not in s.change_approvals[e.change_id]
    elif isinstance(e, Project.ContractAmended):
        assert set(s.change_approvals[e.change_id]) == {B, E}
        assert e.terms == s.changes[e.change_id]
        assert e.terms.budget >= s.disbursed
    elif isinstance(e, Project.Extended):
        check_opinions(e.opinions, w)
        assert s.terms is not None
        assert e.extra_months >= 1
        assert e.terms == replace(s.terms, period_months=s.terms.period_months + e.extra_months)
        assert e.terms.period_months <= PERIOD_MAX_MONTHS[s.category], "R-EXTEND"
        kinds = [o.kind for o in e.opinions]
        full = len(kinds) >= MIN_PANEL and not rules.missing_kinds(kinds, rules.ARG_PANEL_KINDS)
        assert full or justified(a, "R-ARG-PANEL"), "R-EXTEND: no full argumentation panel"
    elif isinstance(e, Project.Assessed):
        assert e.remarks.strip()
        assert s.terms is not None
        milestones = {m.name for m in s.terms.milestones}
        assert milestones <= set(s.milestone_verdicts), "R-MILESTONE: assessed before them all"
        assert e.verdict is Verdict.FAIL or not s.failed_milestones(), "R-MILESTONE: pass"
        assert not e.closes, "only a first-release assessment closes the project itself"


def check_numbering_event(s: DistrictNumbering | None, e: Any, w: World) -> None:
    """R-OBJECTION: each year's numbers follow one another and are never given twice; each is
    the number its project entered district management with."""
    if isinstance(e, DistrictNumbering.Opened):
        assert e.originator_id == DistrictNumbering.create_id(e.year)
        return
    assert s is not None
    assert e.sequence == s.last + 1
    assert e.number not in s.numbers.values(), "R-OBJECTION: a number given twice"
    assert e.project_id not in s.numbers
    project = w.state[UUID(e.project_id)]
    assert project.district_number == e.number


def check_demand_event(s: Demand | None, e: Any, w: World) -> None:
    if isinstance(e, Demand.Collected):
        assert e.industry in DEFAULT_INDUSTRIES or justified(e.audit, "R-INDUSTRY")
        assert e.title.strip()
        return
    assert s is not None
    assert s.challenge_id is None, "a demand is refined once"
    challenge = w.state[UUID(e.challenge_id)]
    assert str(s.id) in challenge.demand_ids
    # refined by whoever drafted the challenge (bureau or its end user), in one transaction
    drafted = w.events[challenge.id][0]
    assert e.audit == drafted.audit
    assert w.position_of(e) > w.position_of(drafted)
    assert (s.enterprise.credit_code, s.industry) == (
        drafted.end_user.credit_code,
        drafted.content.industry,
    )


def check_drawn(
    draw_id: str,
    s: Challenge,
    purpose: DrawPurpose,
    members: set[str],
    designated: set[str],
    a: Audit,
    w: World,
    position: int,
) -> None:
    """R-DRAW: a panel is its performed draw's result for that challenge and purpose (the
    review panel adding only the end user's head), or is named by hand with a justification."""
    if not draw_id:
        assert justified(a, "R-DRAW"), "R-DRAW: a panel named by hand without a justification"
        return
    draw = w.as_of(draw_id, position)
    assert isinstance(draw, Draw)
    assert draw.challenge_id == s.id, "R-DRAW: another challenge's draw"
    assert draw.purpose is purpose, "R-DRAW: a draw for the other panel"
    assert draw.status is DrawStatus.PERFORMED
    assert members - designated == {m.expert_id for m in draw.seated}, "R-DRAW: not the draw"


def check_draw_event(s: Draw | None, e: Any, w: World) -> None:
    """R-DRAW and R-CONFLICT: no excluded expert among the candidates; the randomness named
    after the schedule; the seed matching its commitment; the draw recomputes from its events;
    replacements in the draw's order."""
    if isinstance(e, Draw.DrawScheduled):
        excluded = {x.expert_id for x in e.exclusions}
        assert not excluded & {m.expert_id for m in e.candidates}, "R-CONFLICT"
        assert e.randomness_date > e.audit.effective_at.date(), "R-DRAW: a value known already"
        return
    assert s is not None
    if isinstance(e, Draw.DrawPerformed):
        assert commitment_of(e.seed) == s.commitment, "R-DRAW: the seed is not the committed one"
        assert e.audit.effective_at.date() >= s.randomness_date
        performed = e.mutate(copy.deepcopy(s))  # the draw as this event leaves it
        assert verify_recorded_draw(performed) == [], "R-DRAW: the draw does not recompute"
    elif isinstance(e, Draw.ReplacementDrawn):
        ranking = s.ranking_of(e.kind)
        assert e.place == s.next_place[e.kind.value] + 1, "R-DRAW: out of the draw's order"
        assert ranking.ranked[e.place - 1] == e.expert_id
        assert e.replaced_expert_id in {m.expert_id for m in s.seated}


def check_expert_event(s: Expert | None, e: Any, w: World) -> None:
    """One expert per person: the id derives from the person id; a seat is a draw's."""
    if isinstance(e, Expert.SeatTaken):
        assert isinstance(w.state.get(UUID(e.draw_id)), Draw)
        return
    assert e.person_id == e.person_id.strip() != ""
    assert e.originator_id == Expert.create_id(e.person_id)


def check_credit_event(s: CreditRecord | None, e: Any, w: World) -> None:
    """R-CREDIT: the bureau records a unit's credit with its source, one record per code."""
    assert e.source.strip() == e.source != "", "R-CREDIT: a credit record names its source"
    assert isinstance(e.status, CreditStatus)
    assert e.checked_on <= e.audit.effective_at.date(), "R-CREDIT: a check dated in the future"
    if isinstance(e, CreditRecord.Recorded):
        assert e.credit_code in ORGS, f"{e.credit_code} not normalised"
        assert e.originator_id == CreditRecord.create_id(e.credit_code)


def check_budget_event(s: BudgetEnvelope | None, e: Any, w: World) -> None:
    """R-BUDGET: one envelope per year, revised with a reason never below what the list takes;
    the list's charges are the funding of challenges listed in the same transaction."""
    if isinstance(e, BudgetEnvelope.BudgetSet):
        assert e.originator_id == BudgetEnvelope.create_id(e.year)
        assert e.amount > 0
        assert e.amount.quantize(FEN) == e.amount
        return
    assert s is not None
    if isinstance(e, BudgetEnvelope.BudgetRevised):
        assert e.previous == s.amount
        assert e.amount >= s.listed_total, "R-BUDGET: revised below the list"
        return
    position = w.position_of(e)
    if isinstance(e, BudgetEnvelope.ListReleased):
        assert e.line in s.listed, "released what was never charged"
        ended = [
            x
            for x in w.events[UUID(e.line.challenge_id)]
            if isinstance(x, Challenge.Cancelled | Challenge.Failed) and x.audit == e.audit
        ]
        assert len(ended) == 1
        assert w.position_of(ended[0]) < position
        return
    total = s.listed_total + sum((line.funding for line in e.challenges), Decimal(0))
    assert total <= s.amount, "R-BUDGET: the list exceeds the envelope"
    for line in e.challenges:
        listed = [
            x
            for x in w.events[UUID(line.challenge_id)]
            if isinstance(x, Challenge.Listed) and x.audit == e.audit and x.year == s.year
        ]
        assert len(listed) == 1
        assert w.position_of(listed[0]) < position
        challenge = w.as_of(line.challenge_id, position)
        assert line.funding == challenge.content.funding


CHECKS: dict[type, Callable[[Any, Any, World], None]] = {
    BudgetEnvelope: check_budget_event,
    Challenge: check_challenge_event,
    Application: check_application_event,
    Project: check_project_event,
    Demand: check_demand_event,
    Expert: check_expert_event,
    Draw: check_draw_event,
    CreditRecord: check_credit_event,
    DistrictNumbering: check_numbering_event,
}


# ---- the machine ---------------------------------------------------------------------------------
class ProcedureMachine(RuleBasedStateMachine):
    """Random commands by random actors; the store is checked against the rules after each."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        url = self.store_url() or f"sqlite:///{self.tmp.name}/x.db"
        config = Settings(database_url=url, bureau_code=BUREAU.credit_code)
        self.clock = ScriptedClock()
        self.app = RecordingApp(config, self.clock)
        # a second application on the same file, as another process would open it
        self.reader = JiebangApp(config, clock=self.clock)
        self.challenges: list[str] = []
        self.applications: list[str] = []
        self.projects: list[str] = []
        self.demands: list[str] = []
        self.experts: dict[str, str] = {}  # person id -> expert aggregate id
        self.draws: dict[tuple[str, str], str] = {}  # (challenge, purpose) -> draw id
        self.stored: dict[int, tuple[Any, ...]] = {}  # every notification seen so far
        self.world: tuple[int, World] | None = None  # the store as read at a position
        self.when: datetime | None = None  # the business time the next command gives

    def store_url(self) -> str | None:
        """The store of each run: a fresh SQLite file (here) or PostgreSQL schema (below)."""
        return None

    def teardown(self) -> None:
        self.app.close()
        self.reader.close()
        self.tmp.cleanup()

    # ---- helpers -------------------------------------------------------------------------------
    def attempt(self, command: Any, *args: Any, **kwargs: Any) -> Receipt | None:
        """Run one command: it records its events, or it is refused and records nothing."""
        if self.when is not None:
            kwargs["meta"] = replace(kwargs.get("meta", NO_META), effective_at=self.when)
            self.when = None
        before = self.app.position()
        self.app.last_saved, self.app.last_recordings = (), []
        try:
            receipt = command(*args, **kwargs)
        except JiebangError:
            assert self.app.position() == before, "a refused command recorded an event"
            assert self.app.last_saved == ()
            return None
        assert isinstance(receipt, Receipt)
        assert receipt.position == self.app.position() > before
        assert len(receipt.events) == receipt.position - before
        # what the store gives back is what was triggered (its tuples are tuples) ...
        notes = self.app.recorder.select_notifications(start=before + 1, limit=len(receipt.events))
        stored = [self.app.mapper.to_domain_event(n) for n in notes]
        assert stored == [r.domain_event for r in self.app.last_recordings]
        # ... and the state the command computed is the state the store replays
        for agg in self.app.last_saved:
            assert not agg.pending_events
            assert self.app.repository.get(agg.id).__dict__ == agg.__dict__
        return receipt

    @staticmethod
    def pick(items: Sequence[str], i: int) -> str:
        return items[i % len(items)]

    def now(self) -> datetime:
        return self.clock.now()

    def actor_for(
        self, who: str, end_user: Organisation = END_USER_EQUIPMENT, solver: str = ""
    ) -> Actor:
        if who == "end_user":
            return actor(Role.END_USER, end_user, "eu-zhou")
        if who == "wrong_end_user":
            return actor(Role.END_USER, other_end_user(end_user), "eu-other")
        if who == "solver" and solver:
            return actor(Role.APPLICANT, ORGS[solver], "lead")
        if who == "expert":
            return actor(Role.EXPERT, INSTITUTE_WEST, "exp-k-peer-in")
        fixed = {"bureau": BUREAU_STAFF, "fake_bureau": FAKE_BUREAU, "supervisor": SUPERVISOR}
        fixed["analyst"] = ANALYST
        return fixed.get(who) or actor(Role.APPLICANT, ENTERPRISE_HUADONG, "rival")

    def on_challenge(self, c: int, who: str, command: Any, **kwargs: Any) -> Receipt | None:
        """A command on a challenge, by whom ``who`` stands for on that challenge."""
        cid = self.pick(self.challenges, c)
        end_user = self.app.challenge(cid).end_user
        return self.attempt(command, self.actor_for(who, end_user), cid, **kwargs)

    def project_actor(self, who: str, pid: str) -> Actor:
        p = self.app.project(pid)
        return self.actor_for(who, ORGS[p.end_user_code], solver=p.solver_code)

    def on_project(self, p: int, who: str, command: Any, **kwargs: Any) -> Receipt | None:
        """A command on a project, by whom ``who`` stands for on that project."""
        pid = self.pick(self.projects, p)
        return self.attempt(command, self.project_actor(who, pid), pid, **kwargs)

    def expert_actor(self, expert_id: str, pose_as: str | None = None) -> Actor:
        expert = self.app.expert(expert_id)
        return Actor(id=pose_as or expert.person_id, role=Role.EXPERT, org_code=expert.org_code)

    def panel_of(self, challenge_id: str, other: bool = False) -> list[str]:
        """The sample experts of the challenge's end user, or the other's, each kind once, the
        end user's responsible person last (the ids derive from the person ids)."""
        own = self.app.challenge(challenge_id).end_user == END_USER_EQUIPMENT
        tag = "k" if own != other else "p"
        kinds = ("mgmt", "front", "peer-in", "peer-out", "peer-out2", "eu")
        return [str(Expert.create_id(f"exp-{tag}-{kind}")) for kind in kinds]

    def register_spares(self, tag: str) -> None:
        """R-DRAW: one expert more of the drawn kinds in each journey's field, from a unit that
        never applies, so that the draws leave a replacement order."""
        kept, self.clock.current = self.clock.current, datetime(2026, 2, 20, 10, tzinfo=CHINA_TZ)
        kinds = (ExpertKind.MANAGEMENT, ExpertKind.FRONT_LINE, ExpertKind.PEER_OUTSIDE)
        for i, kind in enumerate(kinds):
            person = f"spare-{tag}-{kind.value}"
            r = self.app.register_expert(
                BUREAU_STAFF,
                person_id=person,
                name=f"备选专家{i}",
                org_code=make_code(f"1250010{i}MB09{ord(tag) % 100:02d}000"),
                org_name=f"备选单位{i}",
                kind=kind,
                speciality="智能科技",
                specialities=[journey_field(tag)],
            )
            self.experts[person] = r.aggregate_id
        self.clock.current = kept

    @precondition(lambda self: any(p == "review" for _, p in self.draws))
    @rule(
        d=PICK,
        e=st.integers(0, 6),
        cause=st.sampled_from(("refused", "absent", "recused", "ill")),
        reason=st.sampled_from(("出差无法参会", "", " ")),
        who=BUREAU_STEP,
    )
    def replace_drawn(self, d: int, e: int, cause: str, reason: str, who: str) -> None:
        """A drawn reviewer refuses to serve or is absent (before or after the panel took
        effect): the next in the draw's order takes the seat (R-DRAW, R-PANEL-JOINT)."""
        reviews = [x for (_, p), x in self.draws.items() if p == "review"]
        draw_id = self.pick(reviews, d)
        seated = [m.expert_id for m in self.app.draw(draw_id).seated] or ["none"]
        self.attempt(
            self.app.draw_replacement,
            self.actor_for(who),
            draw_id,
            expert_id=self.pick(seated, e),
            cause=cause,
            meta=CommandMeta(reason=reason),
        )

    def draw_for(
        self, ch: Challenge, purpose: DrawPurpose, live: Sequence[Application] = ()
    ) -> str | None:
        """R-DRAW: a draw of the end user's sample experts who may sit (after avoidance),
        scheduled today and performed the next morning; a draw already performed for the
        argumentation sits again; None when the pool cannot seat it."""
        key = (str(ch.id), purpose.value)
        if purpose is DrawPurpose.ARGUMENTATION and key in self.draws:
            return self.draws[key]
        own = ch.end_user == END_USER_EQUIPMENT
        tag = "k" if own else "p"
        avoid = {ch.end_user.credit_code}
        if purpose is DrawPurpose.REVIEW:
            avoid = {code for a in live for code in a.unit_codes()}
        needs: dict[ExpertKind, int] = {}
        for e in experts_for(ch.end_user, tag):
            if e.kind is not ExpertKind.END_USER_REP and e.org.credit_code not in avoid:
                needs[e.kind] = needs.get(e.kind, 0) + 1
        today = self.now().date()
        scheduled = self.attempt(
            self.app.schedule_draw,
            BUREAU_STAFF,
            str(ch.id),
            purpose=purpose,
            needs=needs,
            commitment=commitment_of(DRAW_SEED),
            randomness_source=DRAW_SOURCE,
            randomness_date=today + timedelta(days=1),
            specialities=[journey_field(tag)],
        )
        if scheduled is None:
            return None
        self.clock.current = datetime.combine(today + timedelta(days=1), time(9), CHINA_TZ)
        performed = self.attempt(
            self.app.perform_draw,
            BUREAU_STAFF,
            scheduled.aggregate_id,
            seed=DRAW_SEED,
            public_value=DRAW_PUBLIC_VALUE,
        )
        if performed is None:
            return None
        self.draws[key] = scheduled.aggregate_id
        return scheduled.aggregate_id

    def collect(
        self, who: Actor, enterprise: Organisation, industry: str, reason: str | None = None
    ) -> str | None:
        r = self.attempt(
            self.app.collect_demand,
            who,
            source=DemandSource.PUBLIC_SOLICITATION,
            enterprise=enterprise,
            industry=industry,
            title="共性技术难题",
            description="社会征集",
            exception_reason=reason,
        )
        self.demands.extend([r.aggregate_id] if r else [])
        return r.aggregate_id if r else None

    # ---- the start: experts, credit, and one or two challenges driven to a random step ---------
    @initialize(
        stage_a=st.sampled_from(STAGES + STAGES[7:]),
        stage_b=st.sampled_from(STAGES[:6]),
        classified=st.booleans(),
    )
    def start(self, stage_a: str, stage_b: str, classified: bool) -> None:
        """The sample experts; the dishonest unit on record; the equipment maker's public key
        challenge and the pharma company's restricted, perhaps classified, major challenge."""
        status, source = CreditStatus.SERIOUSLY_DISHONEST, "信用中国 严重失信主体名单"
        record = self.app.record_credit_status
        record(BUREAU_STAFF, org_code=DISHONEST.credit_code, status=status, source=source)
        ranged = (INSTITUTE_WEST.credit_code, UNIVERSITY_JIANGNAN.credit_code)  # R-SCOPE
        content = major_challenge_content(classified=classified, recipients=ranged)
        pharma = Journey(self.app, self.clock, END_USER_PHARMA, content, "p")
        journeys = [(Journey(self.app, self.clock), stage_a), (pharma, stage_b)]
        for j, _ in journeys:  # the sample experts, registered once per person
            j.experts = self.experts
            j.register_experts()
            self.register_spares(j.tag)
        assert all(x == str(Expert.create_id(p)) for p, x in self.experts.items())
        # Both journeys step in lockstep, each step on the date tests.support gives it.
        for stage in STAGES[1:]:
            for j, target in journeys:
                if STAGES.index(stage) <= STAGES.index(target):
                    journey_step(j, stage)
        # The journeys checked every sample unit's credit; the bureau then finds one dishonest.
        status, source = CreditStatus.SERIOUSLY_DISHONEST, "信用中国 严重失信主体名单"
        record = self.app.record_credit_status
        record(BUREAU_STAFF, org_code=DISHONEST.credit_code, status=status, source=source)
        for j, _ in journeys:
            self.challenges.extend([j.challenge_id] if j.challenge_id else [])
            if j.argumentation_draw:  # a second round of argumentation sits the same panel
                self.draws[(j.challenge_id, "argumentation")] = j.argumentation_draw
            self.applications.extend(j.applications)
            self.projects.extend([j.project_id] if j.project_id else [])

    # ---- the business date, and business times given with a command -----------------------------
    @rule(
        days=st.sampled_from((0, 1, 2, 3, 5, 8, 13, 21, 30)), hour=st.sampled_from((8, 9, 12, 17))
    )
    def advance_clock(self, days: int, hour: int) -> None:
        later = datetime.combine(self.now().date() + timedelta(days=days), time(hour), CHINA_TZ)
        if later > self.now():
            self.clock.current = later

    @rule(when=st.sampled_from(("hours_ago", "hours_ago", "weeks_ago", "utc", "later", "naive")))
    def date_the_next_command(self, when: str) -> None:
        """The next command says when it took effect: earlier (allowed only where it records an
        earlier decision, and never before its aggregate's last step), later, or without a zone."""
        now = self.now()
        self.when = {
            "hours_ago": now - timedelta(hours=3),
            "weeks_ago": now - timedelta(days=20),
            "utc": now.astimezone(UTC) - timedelta(hours=1),
            "later": now + timedelta(hours=1),
            "naive": now.replace(tzinfo=None),
        }[when]

    # ---- the expected next steps, so that random runs get deep into the procedure --------------
    @precondition(lambda self: self.challenges)
    @rule(c=PICK, twist=st.sampled_from((False, False, False, True)), steps=st.integers(1, 3))
    def proceed(self, c: int, twist: bool, steps: int) -> None:
        """The parties take the challenge's next steps of §八 as the plan expects them; with a
        twist, an objection is lodged and upheld, or the contract is changed or extended."""
        cid = self.pick(self.challenges, c)
        for _ in range(steps):
            ch, now = self.app.challenge(cid), self.now()
            if ch.status is ChallengeStatus.DRAFT and not ch.eu_confirmed:
                eu = actor(Role.END_USER, ch.end_user, "eu-zhou")
                digest = content_digest(ch.content)
                self.attempt(self.app.confirm_draft, eu, cid, content_digest=digest)
            elif ch.status is ChallengeStatus.DRAFT:
                draw_id = self.draw_for(ch, DrawPurpose.ARGUMENTATION)
                if draw_id is None:
                    continue
                self.attempt(
                    self.app.record_argumentation,
                    BUREAU_STAFF,
                    cid,
                    conclusion=Conclusion.PASS,
                    opinions=[(m.expert_id, "同意立榜") for m in self.app.draw(draw_id).seated],
                    period_argued=True,
                    draw_id=draw_id,
                )
            elif ch.status is ChallengeStatus.REVIEWED:
                if not self.app._exists(BudgetEnvelope.create_id(now.year)):
                    big = Decimal("10000000.00")
                    self.attempt(self.app.set_budget, BUREAU_STAFF, year=now.year, amount=big)
                self.attempt(
                    self.app.approve_annual_list,
                    BUREAU_STAFF,
                    year=now.year,
                    meeting_date=now.date(),
                    minutes_ref="党组会〔2026〕9号",
                    challenge_ids=[cid],
                )
            elif ch.status is ChallengeStatus.LISTED:
                window = {
                    "window_opens": now + timedelta(hours=1),
                    "window_closes": now + timedelta(days=10),
                }
                self.attempt(self.app.publish, BUREAU_STAFF, cid, guide="申报指南", **window)
            elif ch.status is ChallengeStatus.PUBLISHED:
                self.proceed_published(ch)
            elif ch.status is ChallengeStatus.SELECTED and ch.project_id:
                self.proceed_project(ch.project_id, twist)

    @precondition(lambda self: self.projects)
    @rule(p=PICK, twist=st.sampled_from((False, False, False, True)), steps=st.integers(1, 3))
    def proceed_with_project(self, p: int, twist: bool, steps: int) -> None:
        """The parties take a project's next steps (notice, contract, funds, milestones)."""
        for _ in range(steps):
            self.proceed_project(self.pick(self.projects, p), twist)

    def proceed_published(self, ch: Challenge) -> None:
        cid, now = str(ch.id), self.now()
        eu = actor(Role.END_USER, ch.end_user, "eu-zhou")
        assert ch.window_opens is not None
        assert ch.window_closes is not None
        mine = [self.app.application(x) for x in self.applications]
        live = [
            a
            for a in mine
            if a.challenge_id == cid
            and a.status is ApplicationStatus.APPLIED
            and str(a.id) not in ch.revoked_applications
        ]
        reviewed = [a for a in live if a.is_reviewed_by(ch.panel_member_ids(), ch.absent)]
        # a unit recorded as seriously dishonest since it applied is not selected (R-CREDIT)
        credit = self.app.credit_status_of
        good = [a for a in reviewed if {credit(u) for u in a.unit_codes()} == {CreditStatus.GOOD}]
        unreviewed = [a for a in live if a not in reviewed]
        members = ch.panel_member_ids()
        short = [a for a in live if ch.panel_is_effective and set(a.recused) & members]
        pending = [
            m.expert_id for m in ch.replacements if not ch.replacement_is_effective(m.expert_id)
        ]
        if now < ch.window_opens:
            self.clock.current = ch.window_opens
        elif ch.window_is_open(now) and live:
            self.clock.current = ch.window_closes
        elif ch.window_is_open(now):
            self.refresh_credit({UNIVERSITY_JIANGNAN.credit_code})
            self.apply(self.challenges.index(cid), "university", [], "at", "at", "none")
        elif not ch.panel:
            propose = self.app.propose_review_panel
            draw_id = self.draw_for(ch, DrawPurpose.REVIEW, live)
            if draw_id is not None:
                head = self.panel_of(cid)[-1]
                self.attempt(propose, BUREAU_STAFF, cid, draw_id=draw_id, expert_ids=[head])
            else:  # the pool cannot seat a panel (per-year cap): named by hand, justified
                why = "专家库可抽取专家不足，人工指定"
                self.attempt(
                    propose, BUREAU_STAFF, cid, expert_ids=self.panel_of(cid), exception_reason=why
                )
        elif not ch.panel_is_effective:
            who = eu if Role.BUREAU in ch.panel_confirmed_by else BUREAU_STAFF
            self.attempt(self.app.confirm_review_panel, who, cid)
        elif short and not ch.replacements:
            # R-REVIEW-PANEL: after a recusal, both parties add a replacement
            spare = next(x for x in self.experts.values() if x not in ch.panel_member_ids())
            recused = sorted(set(short[0].recused) & ch.panel_member_ids())[0]
            propose = self.app.propose_replacement
            why = {"replaces": recused, "reason": "回避后补充专家"}
            self.attempt(propose, BUREAU_STAFF, cid, expert_id=spare, **why)
        elif pending:
            spare = pending[0]
            confirmed = {role for x, role in ch.replacement_confirmed_by if x == spare}
            who = eu if Role.BUREAU in confirmed else BUREAU_STAFF
            self.attempt(self.app.confirm_replacement, who, cid, expert_id=spare)
        elif good:
            self.refresh_credit(good[0].unit_codes())
            # the end user justifies any departure from the experts' judgement (recorded only
            # where the selection departs: R-SELECT-REASON, R-REVIEW-PANEL)
            r = self.attempt(
                self.app.select,
                eu,
                cid,
                application_id=str(good[0].id),
                note="择优",
                exception_reason="结合专家评审意见综合考虑",
            )
            self.projects.extend([r.aggregate_id] if r else [])
        elif unreviewed:
            self.review_application(self.applications.index(str(unreviewed[0].id)), -1, "88")
        else:
            nobody = CommandMeta(reason="无人揭榜")
            self.attempt(self.app.declare_failed, BUREAU_STAFF, cid, meta=nobody)

    def proceed_project(self, pid: str, twist: bool) -> None:
        p = self.app.project(pid)
        eu, solver = self.project_actor("end_user", pid), self.project_actor("solver", pid)
        if p.status is ProjectStatus.SELECTED and p.classified:
            waiver = CommandMeta(reason="涉密项目，不予公示")
            self.attempt(self.app.waive_notice, BUREAU_STAFF, pid, meta=waiver)
        elif p.status is ProjectStatus.SELECTED:
            self.attempt(self.app.publicize, BUREAU_STAFF, pid)
        elif p.status is ProjectStatus.PUBLICIZED:
            assert p.notice_ends is not None
            open_ones = [k for k, v in p.objections.items() if v == "open"]
            if open_ones:
                self.attempt(
                    self.app.resolve_objection,
                    BUREAU_STAFF,
                    pid,
                    objection_id=open_ones[0],
                    upheld=twist,
                    meta=CommandMeta(reason="经核查，异议成立" if twist else "经核查，异议不成立"),
                )
            elif twist and self.now().date() <= p.notice_ends:
                rival = actor(Role.APPLICANT, ENTERPRISE_HUADONG, "rival")
                self.attempt(self.app.lodge_objection, rival, pid, grounds="评审打分不公")
            elif self.now().date() <= p.notice_ends:
                later = p.notice_ends + timedelta(days=1)
                self.clock.current = datetime.combine(later, time(9), CHINA_TZ)
            else:
                self.attempt(self.app.close_notice, BUREAU_STAFF, pid)
        elif p.status is ProjectStatus.IN_MANAGEMENT and p.draft_terms is None:
            terms = self.terms_for(pid, "below", "at", "ok", "all")
            self.attempt(self.app.draft_contract, BUREAU_STAFF, pid, terms=terms)
        elif p.status is ProjectStatus.IN_MANAGEMENT:
            self.refresh_project_credit(p)
            signed = {s.role for s in p.signatures}
            who = next(x for x in (BUREAU_STAFF, eu, solver) if x.role not in signed)
            self.attempt(self.app.sign_contract, who, pid)
        elif p.status is ProjectStatus.CONTRACTED:
            self.refresh_project_credit(p)
            self.proceed_contract(p, twist, eu, solver)
        elif p.status is ProjectStatus.ASSESSED and p.co_investment_reports == 0:
            report = self.app.report_co_investment
            self.attempt(report, eu, pid, amount="150000.00", note="测试平台与验证投入")
        elif p.status is ProjectStatus.ASSESSED:
            self.attempt(self.app.accept, BUREAU_STAFF, pid, remarks="同意结题")
        elif p.status is ProjectStatus.COMPLETED and p.fallen_due() > p.disbursed:
            rest = p.fallen_due() - p.disbursed
            self.attempt(self.app.disburse, BUREAU_STAFF, pid, amount=rest, purpose="尾款")

    def proceed_contract(self, p: Project, twist: bool, eu: Actor, solver: Actor) -> None:
        """Funds, milestones and the final assessment; with a twist, a contract change approved
        by both, a filed route change, or an extension."""
        pid, terms, why = str(p.id), p.terms, CommandMeta(reason="根据中期评估调整")
        assert terms is not None
        unreported = [m.name for m in terms.milestones if m.name not in p.reports]
        unassessed = [m for m in p.reports if m not in p.milestone_verdicts]
        if twist and p.changes:
            change_id, approved = next(iter(p.change_approvals.items()))
            who = eu if Role.BUREAU in approved else BUREAU_STAFF
            self.attempt(self.app.approve_contract_change, who, pid, change_id=change_id, meta=why)
        elif twist and p.extended_months == 0 and len(p.reports) == 1:
            # three experts: short of a full panel, so with a justification (R-ARG-PANEL)
            opinions = [(x, "同意延期") for x in self.panel_of(p.challenge_id)[:3]]
            self.attempt(
                self.app.extend,
                BUREAU_STAFF,
                pid,
                extra_months=6,
                opinions=opinions,
                exception_reason="延期半年，三位专家论证",
                meta=why,
            )
        elif twist and p.reports:
            file = self.app.file_route_change
            self.attempt(file, solver, pid, kind="team", description="更换项目骨干", meta=why)
        elif twist:
            changed = self.terms_for(pid, "at", "short", "ok", "altered")
            self.attempt(self.app.propose_contract_change, solver, pid, terms=changed, meta=why)
        elif p.fallen_due() > p.disbursed and not p.failed_milestones():
            # what the schedule has made due (R-DISBURSE)
            due = p.fallen_due() - p.disbursed
            self.attempt(self.app.disburse, BUREAU_STAFF, pid, amount=due, purpose="拨付")
        elif p.failed_milestones() and p.failed_milestones()[0] not in p.rectifications:
            name = p.failed_milestones()[0]
            rectify = self.app.report_rectification
            self.attempt(rectify, solver, pid, milestone=name, report="整改完成")
        elif p.failed_milestones():
            name = p.failed_milestones()[0]
            self.attempt(
                self.app.assess_rectification,
                eu,
                pid,
                milestone=name,
                verdict=Verdict.PASS,
                remarks="整改达标",
            )
        elif unreported:
            report = self.app.report_milestone
            self.attempt(report, solver, pid, milestone=unreported[0], report="完成")
        elif unassessed:
            # half the projects fail their first milestone and go through a rectification
            first = not p.milestone_verdicts and p.id.int % 2 == 1
            verdict = Verdict.FAIL if first else Verdict.PASS
            assess = self.app.assess_milestone
            self.attempt(assess, eu, pid, milestone=unassessed[0], verdict=verdict)
        else:
            self.attempt(self.app.assess, eu, pid, verdict=Verdict.PASS, remarks="全部指标达到")

    def refresh_credit(self, codes: set[str]) -> None:
        """The bureau checks again, today, each good unit whose check is missing or stale."""
        today = self.now().date()
        for code in sorted(codes):
            record = self.app.credit_record(code)
            if code == DISHONEST.credit_code or credit_problem(record, today, 30) is None:
                continue
            if record is not None and record.status is not CreditStatus.GOOD:
                continue  # the bureau does not clear a dishonest unit on the expected path
            record_check = self.app.record_credit_status
            self.attempt(
                record_check,
                BUREAU_STAFF,
                org_code=code,
                status=CreditStatus.GOOD,
                source="信用中国",
            )

    def refresh_project_credit(self, p: Project) -> None:
        application = self.app.application(p.application_id)
        participants = {u.organisation.credit_code for u in application.participants}
        self.refresh_credit({p.solver_code, *participants})

    # ---- credit and experts --------------------------------------------------------------------
    @rule(
        org=st.sampled_from(_UNITS),
        age=st.sampled_from((0, 0, 0, 29, 30, 31, 45)),
        who=actors("bureau", "end_user", "fake_bureau"),
    )
    def check_unit_credit(self, org: Organisation, age: int, who: str) -> None:
        """The bureau records a check of a unit in 信用中国, made today or ``age`` days ago
        (R-CREDIT: a check counts for 30 days)."""
        self.attempt(
            self.app.record_credit_status,
            self.actor_for(who),
            org_code=org.credit_code,
            status=CreditStatus.GOOD,
            source="信用中国 查询",
            checked_on=self.now().date() - timedelta(days=age),
        )

    @rule(
        org=st.sampled_from((DISHONEST, DISHONEST, DISHONEST, ENTERPRISE_STARTUP)),
        status=st.sampled_from(CreditStatus),
        source=st.sampled_from(("信用中国 严重失信主体名单", "信用修复公示", "", " ")),
        lowercase=st.sampled_from((False, False, False, True)),
        who=actors("bureau", "end_user", "supervisor", "fake_bureau"),
    )
    def record_credit_status(
        self, org: Organisation, status: CreditStatus, source: str, lowercase: bool, who: str
    ) -> None:
        """The bureau records (or corrects) a unit's credit as found in 信用中国 (R-CREDIT)."""
        code = org.credit_code.lower() if lowercase else org.credit_code
        record = self.app.record_credit_status
        r = self.attempt(record, self.actor_for(who), org_code=code, status=status, source=source)
        if r:
            assert r.aggregate_id == str(CreditRecord.create_id(org.credit_code))
            assert self.app.credit_status_of(code) is status

    @rule(
        person=st.sampled_from(("exp-k-mgmt", " exp-p-eu ", "exp-x-new", "exp-x-new", "")),
        who=actors("bureau", "supervisor", "fake_bureau"),
    )
    def register_expert(self, person: str, who: str) -> None:
        """Experts are registered once per person; a second registration is a conflict."""
        known = person.strip() in self.experts
        r = self.attempt(
            self.app.register_expert,
            self.actor_for(who),
            person_id=person,
            name="吴研究员",
            org_code=INSTITUTE_WEST.credit_code,
            org_name=INSTITUTE_WEST.name,
            kind=ExpertKind.PEER_INSIDE,
            speciality="智能控制",
        )
        assert not (r and known), "a person registered twice as an expert"
        if r:
            assert r.aggregate_id == str(self.app.expert_of_person(person.strip()).id)
            self.experts[person.strip()] = r.aggregate_id

    # ---- steps 1–5 ---------------------------------------------------------------------------
    @rule(
        who=BUREAU_STEP,
        industry=st.sampled_from((*DEFAULT_INDUSTRIES, "房地产", "先进材料")),
        enterprise=st.sampled_from((*END_USERS, *END_USERS, ENTERPRISE_HUADONG)),
        reason=EXCEPTION_REASON,
    )
    def collect_demand(
        self, who: str, industry: str, enterprise: Organisation, reason: str | None
    ) -> None:
        """R-INDUSTRY (in principle): an industry off the list passes with a justification."""
        self.collect(self.actor_for(who, enterprise), enterprise, industry, reason)

    @precondition(lambda self: len(self.challenges) < 3)
    @rule(
        p=CONTENT,
        # R-EU-LOCAL: a district enterprise, or one registered elsewhere (justified or not)
        end_user=st.sampled_from((*END_USERS, *END_USERS, ENTERPRISE_HUADONG)),
        who=actors(("bureau", "end_user"), "wrong_end_user", "supervisor"),
        reason=EXCEPTION_REASON,
        demands=st.sampled_from(("own", "own", "own", "none", "any", "twice")),
        d=PICK,
    )
    def draft_challenge(
        self, p: dict[str, Any], end_user: Organisation, who: str, reason: str, demands: str, d: int
    ) -> None:
        """A draft refined from its end user's demand in its industry (collected first if need
        be), from none, from any demand, or naming one twice."""
        wanted = (end_user.credit_code, p["industry"], None)
        own = [x for x in self.demands if self.demand_key(x) == wanted]
        if demands in ("own", "twice") and not own:
            collected = self.collect(BUREAU_STAFF, end_user, p["industry"], reason)
            own = [x for x in [collected] if x]
        ids = {
            "own": [self.pick(own, d)] if own else [],
            "twice": [self.pick(own, d)] * 2 if own else [],
            "any": [self.pick(self.demands, d)] if self.demands else [],
            "none": [],
        }[demands]
        r = self.attempt(
            self.app.draft_challenge,
            self.actor_for(who, end_user),
            end_user=end_user,
            content=make_content(p),
            demand_ids=ids,
            exception_reason=reason,
        )
        self.challenges.extend([r.aggregate_id] if r else [])

    def demand_key(self, demand_id: str) -> tuple[str, str, str | None]:
        d = self.app.demand(demand_id)
        return d.enterprise.credit_code, d.industry, d.challenge_id

    @precondition(lambda self: self.challenges)
    @rule(
        c=PICK,
        p=CONTENT,
        who=actors(("bureau", "end_user"), "wrong_end_user", "applicant"),
        reason=EXCEPTION_REASON,
        expected=st.sampled_from(("none", "current", "stale")),
    )
    def revise_draft(self, c: int, p: dict[str, Any], who: str, reason: str, expected: str) -> None:
        version = self.app.challenge(self.pick(self.challenges, c)).version
        meta = CommandMeta(
            expected_version={"current": version, "stale": version - 1}.get(expected)
        )
        revise, content = self.app.revise_draft, make_content(p)
        self.on_challenge(c, who, revise, content=content, exception_reason=reason, meta=meta)

    @precondition(lambda self: self.challenges)
    @rule(
        c=PICK,
        who=actors("end_user", "bureau", "wrong_end_user", "applicant"),
        read=st.sampled_from(("current", "current", "current", "stale")),
    )
    def confirm_draft(self, c: int, who: str, read: str) -> None:
        """R-EU-DRAFTS: the end user confirms the draft it read (stale: read before a revision)."""
        content = self.app.challenge(self.pick(self.challenges, c)).content
        digest = content_digest(content if read == "current" else replace(content, name="旧稿"))
        self.on_challenge(c, who, self.app.confirm_draft, content_digest=digest)

    @rule(
        year=st.sampled_from((0, 0, 1)),
        amount=st.sampled_from(("150000.00", "400000.00", "10000000.00", "0.001", "-5")),
        who=actors("bureau", "end_user", "supervisor", "fake_bureau"),
    )
    def set_budget(self, year: int, amount: str, who: str) -> None:
        """R-BUDGET: the year's envelope, once a year (a second time is a conflict)."""
        when = self.now().year + year
        self.attempt(self.app.set_budget, self.actor_for(who), year=when, amount=amount)

    @rule(
        year=st.sampled_from((0, 0, 1)),
        amount=st.sampled_from(("100000.00", "400000.00", "20000000.00", "1.005")),
        reason=REASON,
        who=actors("bureau", "end_user"),
    )
    def revise_budget(self, year: int, amount: str, reason: str, who: str) -> None:
        """R-BUDGET: a revision gives its reason and never goes below what is listed."""
        when, meta = self.now().year + year, CommandMeta(reason=reason)
        self.attempt(
            self.app.revise_budget, self.actor_for(who), year=when, amount=amount, meta=meta
        )

    @precondition(lambda self: self.challenges)
    @rule(
        c=PICK,
        conclusion=st.sampled_from(
            (Conclusion.PASS, Conclusion.PASS, Conclusion.REVISE, Conclusion.REJECT)
        ),
        size=st.sampled_from((0, 3, 5, 5, 6, 6)),
        duplicate=st.sampled_from((False,) * 5 + (True,)),
        opinion=st.sampled_from(("同意立榜",) * 5 + (" ",)),
        period_argued=st.booleans(),
        reason=EXCEPTION_REASON,
        who=actors("bureau", "end_user"),
    )
    def record_argumentation(
        self,
        c: int,
        conclusion: Conclusion,
        size: int,
        duplicate: bool,
        opinion: str,
        period_argued: bool,
        reason: str,
        who: str,
    ) -> None:
        """An argumentation by a panel of some size, an expert twice, an opinion left blank."""
        panel = self.panel_of(self.pick(self.challenges, c))[:size]
        opinions = [(x, opinion) for x in (*panel, *panel[: int(duplicate)])]
        self.on_challenge(
            c,
            who,
            self.app.record_argumentation,
            conclusion=conclusion,
            opinions=opinions,
            period_argued=period_argued,
            exception_reason=reason,
        )

    @precondition(lambda self: self.challenges)
    @rule(
        cs=st.lists(PICK, min_size=1, max_size=2),
        days_ago=st.sampled_from((-2, 0, 0, 1, 7)),
        year=st.sampled_from((0, 0, 1, -1)),
        minutes=st.sampled_from(("党组会〔2026〕9号", "党组会〔2026〕9号", "", " ")),
        who=actors("bureau", "end_user", "supervisor", "fake_bureau"),
    )
    def approve_annual_list(
        self, cs: list[int], days_ago: int, year: int, minutes: str, who: str
    ) -> None:
        meeting = self.now().date() - timedelta(days=days_ago)
        self.attempt(
            self.app.approve_annual_list,
            self.actor_for(who),
            year=meeting.year + year,
            meeting_date=meeting,
            minutes_ref=minutes,
            challenge_ids=[self.pick(self.challenges, c) for c in cs],
        )

    @precondition(lambda self: self.challenges)
    @rule(
        c=PICK,
        opens_in_hours=st.sampled_from((-48, -1, 0, 1, 24, 72)),
        days_open=st.sampled_from((-1, 0, 1, 7, 7, 30)),
        guide=st.sampled_from(("申报指南：揭榜条件与材料要求", "")),
        who=BUREAU_STEP,
    )
    def publish(self, c: int, opens_in_hours: int, days_open: int, guide: str, who: str) -> None:
        opens = self.now() + timedelta(hours=opens_in_hours)
        closes = opens + timedelta(days=days_open)
        publish = self.app.publish
        self.on_challenge(c, who, publish, guide=guide, window_opens=opens, window_closes=closes)

    @precondition(lambda self: self.challenges)
    @rule(c=PICK, who=BUREAU_STEP, reason=RARE_REASON, failed=st.booleans())
    def cancel_or_fail(self, c: int, who: str, reason: str, failed: bool) -> None:
        command = self.app.declare_failed if failed else self.app.cancel_challenge
        self.on_challenge(c, who, command, meta=CommandMeta(reason=reason))

    # ---- step 6: applications, panel, review, selection ------------------------------------------
    @precondition(lambda self: self.challenges)
    @rule(
        c=PICK,
        lead=st.sampled_from(GOOD_APPLICANTS),
        participants=st.lists(st.sampled_from(GOOD_APPLICANTS), max_size=2, unique=True),
        budget=st.sampled_from(("small", "at")),
        period=st.sampled_from(("short", "at")),
        defect=st.sampled_from(APPLICATION_DEFECTS),
    )
    def apply(
        self, c: int, lead: str, participants: list[str], budget: str, period: str, defect: str
    ) -> None:
        """An application, valid but for at most one deliberate defect."""
        cid = self.pick(self.challenges, c)
        challenge = self.app.challenge(cid)
        eu = challenge.end_user
        orgs = {**APPLICANT_ORGS, "own_end_user": eu, "other_end_user": other_end_user(eu)}
        lead_org = orgs[lead]
        units = [orgs[k] for k in participants if k != lead]
        if defect in ("own_end_user", "other_end_user", "dishonest", "dishonest_lowercase"):
            units.append(orgs[defect])
        elif defect in ("own_end_user_lead", "dishonest_lead"):
            lead_org = orgs[defect.removesuffix("_lead")]
        elif defect == "duplicate_unit":
            units.append(lead_org)
        funding = challenge.content.funding or Decimal("1000.00")
        months = challenge.content.period_months or 12
        asked = {"small": Decimal("1000.00"), "at": funding}[budget]
        asked = {"over_budget": funding + FEN, "way_over": funding * 2}.get(defect, asked)
        length = {"short": max(1, months // 2), "at": months}[period]
        length = {"over_period": months + 1, "zero_period": 0}.get(defect, length)
        who = ENTERPRISE_STARTUP if defect == "other_actor" else lead_org
        r = self.attempt(
            self.app.apply,
            actor(Role.APPLICANT, who, "lead"),
            cid,
            lead=lead_org,
            participants=units,
            leader_name="张工",
            technical_plan="" if defect == "no_plan" else "基于磁电复合的编码方案",
            ip_declaration=defect != "no_ip",
            budget=asked,
            period_months=length,
        )
        self.applications.extend([r.aggregate_id] if r else [])

    @precondition(lambda self: self.applications)
    @rule(a=PICK, who=actors("solver", "applicant", "bureau"))
    def withdraw(self, a: int, who: str) -> None:
        aid = self.pick(self.applications, a)
        lead = self.app.application(aid).lead.organisation.credit_code
        self.attempt(self.app.withdraw, self.actor_for(who, solver=lead), aid)

    @precondition(lambda self: self.challenges)
    @rule(
        c=PICK,
        who=actors(("bureau", "end_user"), "wrong_end_user", "supervisor", "applicant"),
        composition=st.sampled_from(
            ("confirm", "confirm", "standard", "five", "other", "other_head", "dup")
        ),
        reason=EXCEPTION_REASON,
    )
    def review_panel(self, c: int, who: str, composition: str, reason: str) -> None:
        """A review panel proposed (complete, short, mixed, with another enterprise's head, an
        expert twice), or the proposed one confirmed (R-PANEL-JOINT)."""
        if composition == "confirm":
            self.on_challenge(c, who, self.app.confirm_review_panel)
            return
        cid = self.pick(self.challenges, c)
        own, other = self.panel_of(cid), self.panel_of(cid, other=True)
        ids = {
            "standard": own,
            "five": own[:5],  # without the end user's responsible person
            "other": [other[0], own[1], own[2]],
            "other_head": [*own[:5], other[5]],  # another enterprise's head
            "dup": [*own, own[0]],
        }[composition]
        propose = self.app.propose_review_panel
        self.on_challenge(c, who, propose, expert_ids=ids, exception_reason=reason)

    @precondition(lambda self: self.applications)
    @rule(
        a=PICK,
        e=st.integers(0, 12),
        pose=st.sampled_from((False, False, False, True)),
        conflict=st.sampled_from((False, False, True, None, None)),
        text=TEXT,
        score=st.sampled_from(("-1", "0", "59.5", "88", "100", "100.01", "abc", "NaN")),
    )
    def declare_or_score(
        self, a: int, e: int, pose: bool, conflict: bool | None, text: str, score: str
    ) -> None:
        """An expert (or someone posing as one) declares a conflict of interest or none, or
        (``conflict`` None) scores the application."""
        aid = self.pick(self.applications, a)
        expert_id = list(self.experts.values())[e % len(self.experts)]
        who = self.expert_actor(expert_id, "exp-impostor" if pose else None)
        if conflict is None:
            score_it = self.app.score
            self.attempt(
                score_it, who, aid, expert_id=expert_id, score=score, opinion=text, recommend=False
            )
        else:
            declare = self.app.declare_conflict
            self.attempt(declare, who, aid, expert_id=expert_id, conflict=conflict, statement=text)

    @precondition(lambda self: self.applications)
    @rule(
        a=PICK,
        recusing=st.integers(-1, 6),
        score=st.sampled_from(("75", "88.5", "95")),
        recommend=st.sampled_from((True, True, None, False)),
    )
    def review_application(
        self, a: int, recusing: int, score: str, recommend: bool | None = True
    ) -> None:
        """Every effective member of the application's panel (confirmed replacements too,
        absent ones not) declares, then scores (each a command)."""
        aid = self.pick(self.applications, a)
        challenge = self.app.challenge(self.app.application(aid).challenge_id)
        members = challenge.panel_member_ids() - set(challenge.absent)
        panel = [m for m in (*challenge.panel, *challenge.replacements) if m.expert_id in members]
        for index, member in enumerate(panel):
            who, expert_id = self.expert_actor(member.expert_id), member.expert_id
            statement = "曾与申报单位合作" if index == recusing else ""
            declare = self.app.declare_conflict
            self.attempt(
                declare,
                who,
                aid,
                expert_id=expert_id,
                conflict=bool(statement),
                statement=statement,
            )
            self.attempt(
                self.app.score,
                who,
                aid,
                expert_id=expert_id,
                score=score,
                opinion="可行",
                recommend=recommend,
            )

    @precondition(lambda self: self.challenges)
    @rule(
        c=PICK,
        step=st.sampled_from(("propose", "propose", "confirm", "confirm", "absent")),
        e=st.integers(0, 12),
        r=st.integers(0, 12),
        who=actors(("bureau", "end_user"), "wrong_end_user", "supervisor", "applicant"),
        reason=st.sampled_from(("", "回避后补充专家", "因病无法参会", "因病无法参会")),
    )
    def change_panel(self, c: int, step: str, e: int, r: int, who: str, reason: str) -> None:
        """A replacement proposed for a member of the confirmed panel, or confirmed by one
        party (R-PANEL-JOINT), or a member recorded absent (R-REVIEW-PANEL)."""
        # mostly a challenge under review, whose panel took effect
        reviewing = [x for x in self.challenges if self.app.challenge(x).panel_is_effective]
        cid = self.pick(reviewing if reviewing and c % 4 else self.challenges, c)
        c = self.challenges.index(cid)
        experts = list(self.experts.values())
        expert_id = experts[e % len(experts)]
        members = sorted(self.app.challenge(cid).panel_member_ids()) or experts
        if step == "propose":
            # mostly an expert not yet on the panel, sometimes one already on it
            others = [x for x in experts if x not in members] if e % 4 else experts
            expert_id = (others or experts)[e % len(others or experts)]
            replaces = members[r % len(members)]
            propose = self.app.propose_replacement
            self.on_challenge(
                c, who, propose, expert_id=expert_id, replaces=replaces, reason=reason
            )
        elif step == "confirm":
            proposed = [m.expert_id for m in self.app.challenge(cid).replacements] or experts
            confirm = self.app.confirm_replacement
            self.on_challenge(c, who, confirm, expert_id=proposed[e % len(proposed)])
        else:
            absent = members[e % len(members)] if r % 4 else expert_id
            self.on_challenge(c, who, self.app.record_absence, expert_id=absent, reason=reason)

    @precondition(lambda self: self.challenges and self.applications)
    @rule(
        c=PICK,
        a=PICK,
        who=actors("end_user", "wrong_end_user", "bureau", "applicant", "expert"),
        upper=st.booleans(),
        reason=EXCEPTION_REASON,
    )
    def select(self, c: int, a: int, who: str, upper: bool, reason: str | None) -> None:
        cid = self.pick(self.challenges, c)
        # mostly an application to this challenge, sometimes one to another; its id spelt any case
        own = [x for x in self.applications if self.app.application(x).challenge_id == cid]
        aid = self.pick(own, a) if own and a % 4 else self.pick(self.applications, a)
        r = self.on_challenge(
            c,
            who,
            self.app.select,
            application_id=aid.upper() if upper else aid,
            exception_reason=reason,
        )
        self.projects.extend([r.aggregate_id] if r else [])

    # ---- steps 7–9 and project management -----------------------------------------------------
    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        who=BUREAU_STEP,
        starts_in=st.sampled_from((None, None, -1, 0, 2, "waive")),
        reason=RARE_REASON,
    )
    def publicize_or_waive(
        self, p: int, who: str, starts_in: int | str | None, reason: str
    ) -> None:
        """The public notice (from today or a given date), or the recorded waiver of it."""
        if starts_in == "waive":
            self.on_project(p, who, self.app.waive_notice, meta=CommandMeta(reason=reason))
        else:
            start = (
                None if starts_in is None else self.now().date() + timedelta(days=int(starts_in))
            )
            self.on_project(p, who, self.app.publicize, starts_on=start)

    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        who=actors(("applicant", "wrong_end_user", "expert"), "bureau", "supervisor", "analyst"),
        grounds=TEXT,
        objector=st.sampled_from(("", "", "市民张某")),
    )
    def lodge_objection(self, p: int, who: str, grounds: str, objector: str) -> None:
        self.on_project(p, who, self.app.lodge_objection, grounds=grounds, objector=objector)

    @precondition(lambda self: self.projects)
    @rule(p=PICK, o=PICK, upheld=st.booleans(), reason=REASON, who=BUREAU_STEP)
    def resolve_objection(self, p: int, o: int, upheld: bool, reason: str, who: str) -> None:
        objection = self.pick([*self.app.project(self.pick(self.projects, p)).objections, "x"], o)
        meta = CommandMeta(reason=reason)
        resolve = self.app.resolve_objection
        self.on_project(p, who, resolve, objection_id=objection, upheld=upheld, meta=meta)

    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        step=st.sampled_from(("close_notice", "sign_contract", "sign_contract", "assess")),
        who=PARTIES_STEP,
        verdict=st.sampled_from(Verdict),
        remarks=TEXT,
    )
    def project_step(self, p: int, step: str, who: str, verdict: Verdict, remarks: str) -> None:
        """Closing the notice, a signature of the task contract, or the final assessment."""
        kwargs: dict[str, Any] = (
            {"verdict": verdict, "remarks": remarks} if step == "assess" else {}
        )
        self.on_project(p, who, getattr(self.app, step), **kwargs)

    def terms_for(
        self, pid: str, budget: str, period: str, milestones: str, indicators: str
    ) -> ContractTerms:
        p = self.app.project(pid)
        months = p.challenge_period_months + p.extended_months
        base = p.terms.budget if p.terms else p.funding
        amount = {
            "at": p.funding,
            "below": max(FEN, base - 1000),
            "above": base + 1000,
            "over": p.funding + FEN,
            "cap_over": FUND_CAP[p.category] + FEN,
        }[budget]
        length = {
            "at": months,
            "short": max(1, months // 2),
            "over": months + 1,
            "max_over": PERIOD_MAX_MONTHS[p.category] + 1,
        }[period]
        plan = (
            Milestone("中期", max(1, length // 2), "中期报告"),
            Milestone("验收", length + (milestones == "late"), "验收报告"),
        )
        ind = p.challenge_indicators
        chosen = {
            "all": ind,
            "extra": (*ind, EXTRA_INDICATOR),
            "missing": ind[:-1],
            "altered": (replace(ind[0], target=ind[0].target + "以上"), *ind[1:]),
            "none": (),
        }[indicators]
        return ContractTerms(chosen, () if milestones == "none" else plan, amount, length)

    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        who=actors("bureau", "end_user", "solver"),
        budget=st.sampled_from(("at", "at", "below", "below", "over", "cap_over")),
        period=st.sampled_from(("at", "at", "short", "short", "over", "max_over")),
        milestones=st.sampled_from(("ok", "ok", "ok", "late", "none")),
        indicators=st.sampled_from(("all", "all", "all", "extra", "missing", "altered", "none")),
    )
    def draft_contract(
        self, p: int, who: str, budget: str, period: str, milestones: str, indicators: str
    ) -> None:
        terms = self.terms_for(self.pick(self.projects, p), budget, period, milestones, indicators)
        self.on_project(p, who, self.app.draft_contract, terms=terms)

    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        amount=st.sampled_from(("remaining", "half", "half", "over", "zero", "subfen", "float")),
        paid=st.sampled_from((None, None, None, "contract", "before_contract", "tomorrow")),
        who=actors("bureau", "end_user", "supervisor", "fake_bureau"),
    )
    def disburse(self, p: int, amount: str, paid: str | None, who: str) -> None:
        """A payment of some amount, dated today, on the contract's date, before it, or later."""
        project = self.app.project(self.pick(self.projects, p))
        remaining = (project.terms.budget if project.terms else project.funding) - project.disbursed
        value: Any = {
            "remaining": remaining,
            "half": (remaining / 2).quantize(FEN),
            "over": remaining + FEN,
            "zero": "0",
            "subfen": "0.001",
            "float": 100.5,
        }[amount]
        signed: date = project.contracted_on or self.now().date()
        paid_on = {
            None: None,
            "contract": signed,
            "before_contract": signed - timedelta(days=1),
            "tomorrow": self.now().date() + timedelta(days=1),
        }[paid]
        self.on_project(
            p, who, self.app.disburse, amount=value, purpose="分期拨付", paid_on=paid_on
        )

    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        m=PICK,
        assess=st.booleans(),
        report=TEXT,
        verdict=st.sampled_from(Verdict),
        who=actors(("solver", "end_user"), "applicant", "wrong_end_user", "bureau"),
    )
    def milestone(
        self, p: int, m: int, assess: bool, report: str, verdict: Verdict, who: str
    ) -> None:
        """A milestone reported (节点管理) or assessed, named right or wrong."""
        project = self.app.project(self.pick(self.projects, p))
        if assess:
            name = self.pick([*project.reports, "不存在的节点"], m)
            command = self.app.assess_milestone
            self.on_project(p, who, command, milestone=name, verdict=verdict, remarks="达标")
        else:
            names = [x.name for x in project.terms.milestones] if project.terms else []
            name = self.pick([*names, "不存在的节点"], m)
            self.on_project(p, who, self.app.report_milestone, milestone=name, report=report)

    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        change=st.sampled_from(("propose", "approve", "approve", "file", "extend")),
        budget=st.sampled_from(("below", "above", "over")),
        period=st.sampled_from(("at", "short", "over")),
        indicators=st.sampled_from(("all", "all", "altered")),
        i=PICK,
        kind=st.sampled_from(("technical_route", "team", "budget", "project_leader")),
        extra=st.sampled_from((0, 1, 6, 12, 30)),
        opinion=st.sampled_from(("延期确有必要", "延期确有必要", " ")),
        reason=REASON,
        exception_reason=EXCEPTION_REASON,
        who=actors(("solver", "bureau", "end_user"), "wrong_end_user", "applicant"),
    )
    def change_contract(
        self,
        p: int,
        change: str,
        budget: str,
        period: str,
        indicators: str,
        i: int,
        kind: str,
        extra: int,
        opinion: str,
        reason: str,
        exception_reason: str | None,
        who: str,
    ) -> None:
        """R-AUTONOMY and R-EXTEND: a contract change proposed or approved, a route or team
        change filed (备案), an extension with (up to three) experts' opinions."""
        pid, meta = self.pick(self.projects, p), CommandMeta(reason=reason)
        if change == "propose":
            terms = self.terms_for(pid, budget, period, "ok", indicators)
            self.on_project(p, who, self.app.propose_contract_change, terms=terms, meta=meta)
        elif change == "approve":
            change_id = self.pick([*self.app.project(pid).changes, "no-such-change"], i)
            approve = self.app.approve_contract_change
            self.on_project(p, who, approve, change_id=change_id, meta=meta)
        elif change == "file":
            file = self.app.file_route_change
            self.on_project(p, who, file, kind=kind, description="改用国产光栅方案", meta=meta)
        else:
            opinions = [(x, opinion) for x in list(self.experts.values())[: i % 7]]
            self.on_project(
                p,
                who,
                self.app.extend,
                extra_months=extra,
                opinions=opinions,
                exception_reason=exception_reason,
                meta=meta,
            )

    @precondition(lambda self: self.projects)
    @rule(
        p=PICK,
        step=st.sampled_from(("rectify", "assess_rectification", "co_invest", "accept")),
        m=PICK,
        verdict=st.sampled_from(Verdict),
        text=TEXT,
        amount=st.sampled_from(("200000.00", "0.01", "0", "0.001")),
        who=PARTIES_STEP,
    )
    def rectify_or_close(
        self, p: int, step: str, m: int, verdict: Verdict, text: str, amount: str, who: str
    ) -> None:
        """R-MILESTONE, R-ASSESS-EU, R-EU-COMMIT: a rectification reported or assessed, the end
        user's co-investment reported, the bureau's acceptance (maybe reversing the verdict)."""
        project = self.app.project(self.pick(self.projects, p))
        names = [x.name for x in project.terms.milestones] if project.terms else []
        name = self.pick([*names, "不存在的节点"], m)
        if step == "rectify":
            self.on_project(p, who, self.app.report_rectification, milestone=name, report=text)
        elif step == "assess_rectification":
            assess = self.app.assess_rectification
            self.on_project(p, who, assess, milestone=name, verdict=verdict, remarks=text)
        elif step == "co_invest":
            self.on_project(p, who, self.app.report_co_investment, amount=amount, note=text)
        else:
            chosen = verdict if m % 2 else None
            self.on_project(p, who, self.app.accept, remarks=text, verdict=chosen)

    @precondition(lambda self: self.projects)
    @rule(p=PICK, reason=RARE_REASON, who=BUREAU_STEP)
    def terminate(self, p: int, reason: str, who: str) -> None:
        self.on_project(p, who, self.app.terminate, meta=CommandMeta(reason=reason))

    # ---- invariants ------------------------------------------------------------------------------
    def read_world(self) -> World:
        """The whole store, read once per step."""
        position = self.app.position()
        if self.world is not None and self.world[0] == position:
            return self.world[1]
        notes = self.app.recorder.select_notifications(start=1, limit=position + 1)
        ids = [UUID(str(i)) for i in dict.fromkeys(n.originator_id for n in notes)]
        world = World(
            events={i: self.app.events_of(i) for i in ids},
            pos={(UUID(str(n.originator_id)), n.originator_version): n.id for n in notes},
            state={i: self.app.repository.get(i) for i in ids},
            now=self.app.business_time,
        )
        self.world = (position, world)
        return world

    @invariant()
    def nothing_recorded_is_changed_lost_or_out_of_order(self) -> None:
        """R-AUDIT-IMMUTABLE: the log only grows; positions 1..N, versions 1..n per aggregate."""
        position = self.app.position()
        notes = self.app.recorder.select_notifications(start=1, limit=position + 1)
        assert [n.id for n in notes] == list(range(1, position + 1))
        versions: dict[Any, list[int]] = {}
        for n in notes:
            record = (n.originator_id, n.originator_version, n.topic, n.state)
            assert self.stored.setdefault(n.id, record) == record, f"event {n.id} was altered"
            versions.setdefault(n.originator_id, []).append(n.originator_version)
        assert len(self.stored) == len(notes), "an event was deleted"
        assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
        assert self.reader.position() == position

    @invariant()
    def every_recorded_event_was_allowed_by_the_rules(self) -> None:
        """Each event, checked against the state its aggregate was in when it was recorded;
        an aggregate's business time never runs backwards (R-ORDER)."""
        w = self.read_world()
        for ident, events in w.events.items():
            check = CHECKS[type(w.state[ident])]
            agg: Any = None
            for e in events:
                check_step(agg, e, w)
                ledger = isinstance(agg, BudgetEnvelope)  # its entries keep their own dates
                assert ledger or agg is None or e.audit.effective_at >= agg.effective_at, "R-ORDER"
                check(agg, e, w)
                agg = e.mutate(agg)

    @invariant()
    def current_state_keeps_the_hard_rules(self) -> None:
        """Caps, periods, scope, credit, one expert per person, end user never a solver,
        disbursed ≤ budget ≤ funding ≤ cap, the selection referencing its reviews."""
        w = self.read_world()
        for ident in w.of_type(Challenge):
            c: Challenge = w.state[ident]
            content = c.content
            if content.funding is not None:
                assert content.funding <= FUND_CAP[content.category], "R-FUND-CAP"
            if content.period_months is not None:
                assert content.period_months <= PERIOD_MAX_MONTHS[content.category], "R-PERIOD-MAX"
            assert content.scope is not Scope.PUBLIC or not content.classified, "R-SCOPE"
            if c.status is ChallengeStatus.SELECTED:
                assert w.state[UUID(str(c.project_id))].status is not ProjectStatus.REVOKED
        for ident in w.of_type(Application):
            application: Application = w.state[ident]
            challenge: Challenge = w.state[UUID(application.challenge_id)]
            assert challenge.end_user.credit_code not in application.unit_codes(), "R-EU-NOT-SOLVER"
            # no dishonest unit, as the bureau's record stood when the application was made
            applied = w.events[ident][0]
            on = applied.audit.effective_at.date()
            check_credit((application.lead, *application.participants), w, w.pos[(ident, 1)], on)
        for ident in w.of_type(BudgetEnvelope):  # R-BUDGET
            envelope: BudgetEnvelope = w.state[ident]
            assert envelope.listed_total <= envelope.amount, "R-BUDGET"
        persons = [w.state[i].person_id for i in w.of_type(Expert)]
        assert len(set(persons)) == len(persons), "one expert per person"
        for ident in w.of_type(Project):
            p: Project = w.state[ident]
            events = w.events[ident]
            paid = sum((e.amount for e in events if isinstance(e, Project.Funded)), Decimal(0))
            assert paid == p.disbursed
            assert (
                p.funding == w.state[UUID(p.challenge_id)].content.funding <= FUND_CAP[p.category]
            )
            numbers = [w.state[i].district_number for i in w.of_type(Project)]
            given = [n for n in numbers if n is not None]
            assert len(set(given)) == len(given), "R-OBJECTION: a district number twice"
            if p.terms is None:
                assert p.disbursed == 0
            else:
                assert p.disbursed <= p.terms.budget <= p.funding <= FUND_CAP[p.category]
                assert p.terms.period_months <= PERIOD_MAX_MONTHS[p.category], "R-EXTEND"
                assert p.contracted_on == max(s.signed_on for s in p.signatures)
            # R-SELECT-EU: the Selected event references a reviewed application of the challenge
            selected = events[0]
            application = w.state[UUID(selected.application_id)]
            assert isinstance(application, Application)
            assert application.challenge_id == p.challenge_id
            assert selected.opinions, "selected without the experts' opinions"
            assert application.scores[: len(selected.opinions)] == selected.opinions

    @invariant()
    def replaying_the_events_gives_the_same_state(self) -> None:
        """Repository, a fresh replay of events_of() and a second application agree exactly."""
        w = self.read_world()
        for ident, stored in w.state.items():
            replayed: Any = None
            for e in self.app.events_of(ident):
                replayed = e.mutate(replayed)
            other: Any = self.reader.repository.get(ident)
            assert type(replayed) is type(stored) is type(other)
            assert replayed.__dict__ == stored.__dict__ == other.__dict__

    @invariant()
    def r_audit_immutable_every_event_is_sealed_in_order(self) -> None:
        """Whatever was recorded or refused, the seal chain covers exactly the events stored."""
        report = verify_store(self.app.settings)
        assert report.intact, report.finding
        assert report.last_position == self.app.position()


# Walks per run: bounded in the default run (CI), four times more under JIEBANG_TEST_PROFILE=deep.
EXAMPLES_SQLITE, EXAMPLES_POSTGRES = (100, 20) if DEEP else (25, 5)
ProcedureMachine.TestCase.settings = settings(
    max_examples=EXAMPLES_SQLITE,
    stateful_step_count=40,
    deadline=None,
    database=None,  # nothing written to .hypothesis/
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestProcedureStateMachine = ProcedureMachine.TestCase
TestProcedureStateMachine.__doc__ = (
    "Random commands by random actors never break a hard rule, and the store replays exactly."
)


class PostgresProcedureMachine(ProcedureMachine):
    """The same walk on PostgreSQL: each run on a fresh schema of the session's database."""

    database_url = ""  # set by the fixture below, once per test session

    def store_url(self) -> str | None:
        return new_postgres_schema(type(self).database_url)


PostgresProcedureMachine.TestCase.settings = settings(
    ProcedureMachine.TestCase.settings, max_examples=EXAMPLES_POSTGRES
)


@pytest.mark.postgres
class TestProcedureStateMachineOnPostgres(PostgresProcedureMachine.TestCase):  # type: ignore[misc, valid-type]
    """The state machine's rules and invariants hold on PostgreSQL too."""

    @pytest.fixture(autouse=True)
    def _database(self, postgres_db: str) -> None:
        PostgresProcedureMachine.database_url = postgres_db
