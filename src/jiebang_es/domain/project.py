"""项目 Project: from the end user's selection through public notice, contract and funds to the
final assessment (§八(六)–(九), §三 节点管理, §六 extension)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from eventsourcing.domain import event

from jiebang_es.domain import rules, schedule
from jiebang_es.domain.base import JiebangAggregate, order_violation
from jiebang_es.domain.personal import PersonalText, shown
from jiebang_es.domain.values import (
    Audit,
    Category,
    ContractTerms,
    ExpertOpinion,
    Indicator,
    PublicNotice,
    Role,
    ScoreRef,
    Signature,
    Verdict,
    first_release_terms,
)
from jiebang_es.errors import InvalidValueError, RuleViolationError


class ProjectStatus(Enum):
    SELECTED = "selected"
    PUBLICIZED = "publicized"  # 公示 running
    IN_MANAGEMENT = "in_management"  # notice closed: district-level project management
    CONTRACTED = "contracted"
    ASSESSED = "assessed"  # the end user's final verdict recorded; acceptance (验收) to come
    COMPLETED = "completed"  # closed (结题): the bureau's acceptance, or a first-release assessment
    TERMINATED = "terminated"
    REVOKED = "revoked"  # an upheld objection revoked the selection


SIGNING_ROLES = (Role.BUREAU, Role.END_USER, Role.APPLICANT)
# Payments follow the schedule from signature until the project is closed, the final tranche
# (尾款) after the end user's assessment and the bureau's acceptance included.
PAYABLE = (ProjectStatus.CONTRACTED, ProjectStatus.ASSESSED, ProjectStatus.COMPLETED)
# Kinds of change that R-AUTONOMY makes a contract change, never a mere filing.
CONTRACT_CHANGE_KINDS = ("project_leader", "lead_unit")


class TermsUpcast:
    """Contract terms recorded by the first release get the documented defaults of
    ``first_release_terms`` (the whole budget due on signature, no co-investment contracted)."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["terms"] = first_release_terms(state["terms"])


class Project(JiebangAggregate):
    class Selected(JiebangAggregate.Created):
        challenge_id: str
        application_id: str
        end_user_code: str
        solver_code: str
        category: Category
        industry: str
        funding: Decimal
        period_months: int
        classified: bool
        indicators: tuple[Indicator, ...]
        opinions: tuple[ScoreRef, ...]
        note: str

    @event(Selected)
    def __init__(
        self,
        audit: Audit,
        challenge_id: str,
        application_id: str,
        end_user_code: str,
        solver_code: str,
        category: Category,
        industry: str,
        funding: Decimal,
        period_months: int,
        classified: bool,
        indicators: tuple[Indicator, ...],
        opinions: tuple[ScoreRef, ...],
        note: str,
    ) -> None:
        self.challenge_id = challenge_id
        self.application_id = application_id
        self.end_user_code = end_user_code
        self.solver_code = solver_code
        self.category = category
        self.industry = industry
        self.funding = funding
        self.challenge_period_months = period_months
        self.classified = classified
        self.challenge_indicators = tuple(indicators)
        self.opinions = tuple(opinions)
        self.status = ProjectStatus.SELECTED
        self.notice_starts: date | None = None
        self.notice_ends: date | None = None
        self.objections: dict[str, str] = {}  # objection id -> "open" | "upheld" | "dismissed"
        self.draft_terms: ContractTerms | None = None
        self.signatures: tuple[Signature, ...] = ()
        self.terms: ContractTerms | None = None
        self.contracted_on: date | None = None
        self.disbursed = Decimal("0.00")
        self.reports: dict[str, str] = {}
        self.milestone_verdicts: dict[str, Verdict] = {}
        self.changes: dict[str, ContractTerms] = {}
        self.change_approvals: dict[str, tuple[Role, ...]] = {}
        self.extended_months = 0
        self.filed_changes: tuple[tuple[str, str], ...] = ()
        self.verdict: Verdict | None = None
        self.district_number: str | None = None
        self.rectifications: dict[str, str] = {}  # failed milestone -> pending rectification
        self.co_invested = Decimal("0.00")  # what the end user reported it actually invested
        self.co_investment_reports = 0
        self.accepted = False

    # ---- public notice (项目公示) and objections --------------------------------------------
    class Publicized(JiebangAggregate.Event):
        starts_on: date
        ends_on: date
        working_days: int
        calendar_version: str
        notice: PublicNotice | None  # None: recorded by the first release, which kept no text

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # The first release's notice recorded its dates only; what it said is not known.
            state["notice"] = None

    def publicize(
        self,
        audit: Audit,
        starts_on: date,
        ends_on: date,
        working_days: int,
        calendar_version: str,
        notice: PublicNotice,
    ) -> None:
        """Publicize the selection on the portal for the notice period."""
        if self.classified:
            raise RuleViolationError(
                "R-PUBLICITY",
                "a classified (涉密) project is not publicized; its details never go public",
            )
        if self.status is not ProjectStatus.SELECTED:
            raise order_violation(
                f"the notice follows selection; the project is {self.status.value}"
            )
        if starts_on < audit.effective_at.date():
            raise RuleViolationError(
                "R-PUBLICITY", f"a notice cannot start in the past ({starts_on})"
            )
        check_notice(notice, self.funding, self.challenge_period_months)
        self._publicized(
            audit=audit,
            starts_on=starts_on,
            ends_on=ends_on,
            working_days=working_days,
            calendar_version=calendar_version,
            notice=notice,
        )

    @event(Publicized)
    def _publicized(
        self,
        audit: Audit,
        starts_on: date,
        ends_on: date,
        working_days: int,
        calendar_version: str,
        notice: PublicNotice | None,
    ) -> None:
        self.status = ProjectStatus.PUBLICIZED
        self.notice_starts = starts_on
        self.notice_ends = ends_on

    class ObjectionLodged(JiebangAggregate.Event):
        objection_id: str
        # who objects: the actor, or the outside person staff record it for (personal)
        objector: PersonalText
        grounds: str

    def lodge_objection(
        self, audit: Audit, objection_id: str, objector: PersonalText, grounds: str
    ) -> None:
        today = audit.effective_at.date()
        if (
            self.status is not ProjectStatus.PUBLICIZED
            or self.notice_starts is None
            or self.notice_ends is None
            or not self.notice_starts <= today <= self.notice_ends
        ):
            raise RuleViolationError(
                "R-OBJECTION",
                f"objections are lodged during the notice period ({self.notice_starts} – "
                f"{self.notice_ends}); today is {today}",
            )
        rules.require_text(grounds, "R-OBJECTION", "an objection's grounds")
        self._objection_lodged(
            audit=audit, objection_id=objection_id, objector=objector, grounds=grounds
        )

    @event(ObjectionLodged)
    def _objection_lodged(
        self, audit: Audit, objection_id: str, objector: PersonalText, grounds: str
    ) -> None:
        self.objections = {**self.objections, objection_id: "open"}

    class ObjectionResolved(JiebangAggregate.Event):
        objection_id: str
        upheld: bool

    class SelectionRevoked(JiebangAggregate.Event):
        objection_id: str

    def resolve_objection(self, audit: Audit, objection_id: str, upheld: bool) -> None:
        """Resolve an objection; an upheld one revokes the selection (R-OBJECTION)."""
        if self.status is not ProjectStatus.PUBLICIZED:
            raise order_violation(
                f"objections are resolved while the notice runs; the project is {self.status.value}"
            )
        if self.objections.get(objection_id) != "open":
            raise RuleViolationError("R-OBJECTION", f"no open objection {objection_id}")
        rules.require_reason(
            audit.reason,
            "R-AUDIT-WHO",
            "upholding an objection (revocation)" if upheld else "dismissing an objection",
        )
        self._objection_resolved(audit=audit, objection_id=objection_id, upheld=upheld)
        if upheld:
            self._selection_revoked(audit=audit, objection_id=objection_id)

    @event(ObjectionResolved)
    def _objection_resolved(self, audit: Audit, objection_id: str, upheld: bool) -> None:
        self.objections = {**self.objections, objection_id: "upheld" if upheld else "dismissed"}

    @event(SelectionRevoked)
    def _selection_revoked(self, audit: Audit, objection_id: str) -> None:
        self.status = ProjectStatus.REVOKED

    class NoticeClosed(JiebangAggregate.Event):
        """The notice period closed without a standing objection: district management begins."""

    def close_notice(self, audit: Audit) -> None:
        if self.status is not ProjectStatus.PUBLICIZED or self.notice_ends is None:
            raise order_violation(f"no running notice to close; the project is {self.status.value}")
        if audit.effective_at.date() <= self.notice_ends:
            # The notice's own period (R-PUBLICITY), not an objection, keeps it open.
            raise RuleViolationError(
                "R-PUBLICITY", f"the notice period runs until {self.notice_ends} inclusive"
            )
        open_ones = [k for k, v in self.objections.items() if v == "open"]
        if open_ones:
            raise RuleViolationError(
                "R-OBJECTION", f"objections still unresolved: {', '.join(open_ones)}"
            )
        self._notice_closed(audit=audit)

    @event(NoticeClosed)
    def _notice_closed(self, audit: Audit) -> None:
        self.status = ProjectStatus.IN_MANAGEMENT

    class NoticeWaived(JiebangAggregate.Event):
        """A classified (涉密) project enters management without a public notice."""

    def waive_notice(self, audit: Audit) -> None:
        if not self.classified:
            raise RuleViolationError(
                "R-PUBLICITY", "only a classified (涉密) project goes without a public notice"
            )
        if self.status is not ProjectStatus.SELECTED:
            raise order_violation(f"the project is {self.status.value}, not newly selected")
        rules.require_reason(audit.reason, "R-AUDIT-WHO", "waiving the public notice")
        self._notice_waived(audit=audit)

    @event(NoticeWaived)
    def _notice_waived(self, audit: Audit) -> None:
        self.status = ProjectStatus.IN_MANAGEMENT

    class EnteredDistrictManagement(JiebangAggregate.Event):
        """纳入区级科研项目管理: the project's district number, from the year's counter."""

        number: str
        year: int

    def enter_district_management(self, audit: Audit, number: str, year: int) -> None:
        """Record the district number of a project whose notice closed (or was waived)."""
        if self.status is not ProjectStatus.IN_MANAGEMENT:
            raise RuleViolationError(
                "R-OBJECTION",
                "a project enters district management when its notice closed with every "
                f"objection resolved (or was waived); the project is {self.status.value}",
            )
        if self.district_number is not None:
            raise order_violation(f"the project already has number {self.district_number}")
        rules.require_text(number, "R-OBJECTION", "the district project number")
        self._entered_district_management(audit=audit, number=number, year=year)

    @event(EnteredDistrictManagement)
    def _entered_district_management(self, audit: Audit, number: str, year: int) -> None:
        self.district_number = number

    def _require_in_management(self) -> None:
        if self.status is not ProjectStatus.IN_MANAGEMENT:
            raise RuleViolationError(
                "R-PUBLICITY",
                "the task contract follows a public notice closed without a standing objection "
                f"(or, if classified, its recorded waiver); the project is {self.status.value}",
            )

    # ---- task contract (任务书) ----------------------------------------------------------
    def _check_terms(self, terms: ContractTerms, rule_id: str, committed: Decimal) -> None:
        if not terms.indicators or not terms.milestones:
            raise RuleViolationError(rule_id, "the contract names indicators and milestones")
        if terms.budget > self.funding:
            raise RuleViolationError(
                rule_id, f"budget {terms.budget} exceeds the challenge's funding {self.funding}"
            )
        rules.check_fund_cap(self.category, terms.budget, "budget")
        if terms.period_months > self.challenge_period_months + self.extended_months:
            raise RuleViolationError(
                rule_id,
                f"period {terms.period_months} months exceeds the challenge's "
                f"{self.challenge_period_months + self.extended_months} months",
            )
        rules.check_period_max(self.category, terms.period_months)
        for m in terms.milestones:
            if not 1 <= m.due_month <= terms.period_months:
                raise RuleViolationError(rule_id, f"milestone {m.name!r} falls outside the period")
        if len({m.name for m in terms.milestones}) != len(terms.milestones):
            raise InvalidValueError("milestones", "two milestones have the same name")
        if terms.co_investment is None or terms.co_investment < committed:
            raise RuleViolationError(
                "R-CONTRACT",
                "the contract carries the end user's co-investment of at least the "
                f"{committed} yuan it committed in the challenge (共同投入); the terms say "
                f"{terms.co_investment}",
            )
        rules.require_text(
            shown(terms.project_leader), "R-CONTRACT", "the contract's project leader"
        )
        if not terms.lead_unit_code:
            raise RuleViolationError("R-CONTRACT", "the contract names its lead unit")
        if terms.lead_unit_code == self.end_user_code:
            raise RuleViolationError(
                "R-EU-NOT-SOLVER", "the end user can never be the project's lead unit"
            )
        schedule.check_schedule(terms.tranches, terms.budget, terms.milestones)

    class ContractDrafted(TermsUpcast, JiebangAggregate.Event):
        terms: ContractTerms

    def draft_contract(self, audit: Audit, terms: ContractTerms, committed: Decimal) -> None:
        """Draft the task contract; ``committed`` is the end user's commitment in the challenge."""
        self._require_in_management()
        self._check_terms(terms, "R-CONTRACT", committed)
        if terms.lead_unit_code != self.solver_code:
            raise RuleViolationError(
                "R-AUTONOMY",
                "the contract is drafted with the selected lead unit; another lead unit is a "
                "contract change that bureau and end user approve",
            )
        missing = [i.name for i in self.challenge_indicators if i not in terms.indicators]
        if missing:
            raise RuleViolationError(
                "R-CONTRACT",
                "the contract names the challenge's assessment indicators; it lacks "
                + ", ".join(missing),
            )
        self._contract_drafted(audit=audit, terms=terms)

    @event(ContractDrafted)
    def _contract_drafted(self, audit: Audit, terms: ContractTerms) -> None:
        self.draft_terms = terms
        self.signatures = ()

    class ContractSigned(JiebangAggregate.Event):
        signature: Signature

    class Contracted(TermsUpcast, JiebangAggregate.Event):
        terms: ContractTerms
        signatures: tuple[Signature, ...]

    def sign_contract(self, audit: Audit) -> None:
        """A party signs; the third signature (bureau, end user, solver) makes the contract."""
        self._require_in_management()
        if self.draft_terms is None or self.terms is not None:
            raise order_violation("there is no drafted, unsigned task contract")
        expected_org = {
            Role.BUREAU: audit.org_code,
            Role.END_USER: self.end_user_code,
            Role.APPLICANT: self.solver_code,
        }.get(audit.role)
        if expected_org is None or audit.org_code != expected_org:
            raise RuleViolationError(
                "R-CONTRACT",
                "the task contract is signed by the bureau, the end user and the solver",
            )
        if any(s.role is audit.role for s in self.signatures):
            raise RuleViolationError("R-CONTRACT", f"the {audit.role.value} has already signed")
        signature = Signature(
            actor_id=audit.actor_id,
            role=audit.role,
            org_code=audit.org_code,
            signed_on=audit.effective_at.date(),
        )
        self._contract_signed(audit=audit, signature=signature)
        if {s.role for s in self.signatures} == set(SIGNING_ROLES):
            self._contracted(audit=audit, terms=self.draft_terms, signatures=self.signatures)

    @event(ContractSigned)
    def _contract_signed(self, audit: Audit, signature: Signature) -> None:
        self.signatures = (*self.signatures, signature)

    @event(Contracted)
    def _contracted(
        self, audit: Audit, terms: ContractTerms, signatures: tuple[Signature, ...]
    ) -> None:
        self.terms = terms
        self.contracted_on = max(s.signed_on for s in signatures)
        self.status = ProjectStatus.CONTRACTED

    def _require_contracted(self, rule_id: str, step: str) -> ContractTerms:
        if self.terms is None or self.status is not ProjectStatus.CONTRACTED:
            raise RuleViolationError(
                rule_id, f"{step} needs a signed task contract; the project is {self.status.value}"
            )
        return self.terms

    # ---- funds (资金拨付) -------------------------------------------------------------------
    class Funded(JiebangAggregate.Event):
        amount: Decimal
        purpose: str
        paid_on: date

    def condition_met(self, condition: str) -> bool:
        """Whether a tranche's condition holds now (R-DISBURSE)."""
        if self.terms is None:
            return False
        if condition == schedule.SIGNATURE:
            return True
        if condition == schedule.FINAL_ASSESSMENT:
            return self.verdict is Verdict.PASS
        n = schedule.milestone_number(condition)
        if n is None or n > len(self.terms.milestones):
            return False
        return self.milestone_verdicts.get(self.terms.milestones[n - 1].name) is Verdict.PASS

    def fallen_due(self) -> Decimal:
        """What the payment schedule has made due so far."""
        if self.terms is None:
            return Decimal("0.00")
        return schedule.fallen_due(self.terms.tranches, self.condition_met)

    def failed_milestones(self) -> list[str]:
        """Milestones that stand failed: assessed as failed, not yet rectified (R-MILESTONE)."""
        return [k for k, v in self.milestone_verdicts.items() if v is Verdict.FAIL]

    def disburse(self, audit: Audit, amount: Decimal, purpose: str, paid_on: date) -> None:
        terms = self.terms
        if terms is None or self.status not in PAYABLE:
            raise RuleViolationError(
                "R-DISBURSE",
                f"a disbursement needs a signed task contract; the project is {self.status.value}",
            )
        failed = self.failed_milestones()
        if failed:
            raise RuleViolationError(
                "R-MILESTONE",
                f"milestone {', '.join(failed)} failed: no payment until a rectification (整改) "
                "is reported and assessed as passed",
            )
        if self.contracted_on is None or not (
            self.contracted_on <= paid_on <= audit.effective_at.date()
        ):
            raise RuleViolationError(
                "R-DISBURSE",
                f"a payment dated {paid_on} must fall between the contract ({self.contracted_on}) "
                "and today",
            )
        if self.disbursed + amount > terms.budget:
            raise RuleViolationError(
                "R-DISBURSE",
                f"disbursing {amount} would bring the total to {self.disbursed + amount}, over "
                f"the contracted budget of {terms.budget}",
            )
        due = self.fallen_due()
        if self.disbursed + amount > due:
            raise RuleViolationError(
                "R-DISBURSE",
                f"the payment schedule has made {due} due and {self.disbursed} is paid; "
                f"{amount} more exceeds what has fallen due",
            )
        self._funded(audit=audit, amount=amount, purpose=purpose, paid_on=paid_on)

    @event(Funded)
    def _funded(self, audit: Audit, amount: Decimal, purpose: str, paid_on: date) -> None:
        self.disbursed += amount

    # ---- milestones (节点管理) -------------------------------------------------------------
    class MilestoneReported(JiebangAggregate.Event):
        milestone: str
        report: str

    def report_milestone(self, audit: Audit, milestone: str, report: str) -> None:
        terms = self._require_contracted("R-MILESTONE", "a milestone report")
        if milestone not in {m.name for m in terms.milestones}:
            raise RuleViolationError("R-MILESTONE", f"{milestone!r} is not a contracted milestone")
        rules.require_text(report, "R-MILESTONE", "the milestone report")
        self._milestone_reported(audit=audit, milestone=milestone, report=report)

    @event(MilestoneReported)
    def _milestone_reported(self, audit: Audit, milestone: str, report: str) -> None:
        self.reports = {**self.reports, milestone: report}

    class MilestoneAssessed(JiebangAggregate.Event):
        milestone: str
        verdict: Verdict
        remarks: str

    def assess_milestone(
        self, audit: Audit, milestone: str, verdict: Verdict, remarks: str
    ) -> None:
        self._require_contracted("R-MILESTONE", "a milestone assessment")
        if milestone not in self.reports:
            raise RuleViolationError("R-MILESTONE", f"milestone {milestone!r} has no report yet")
        if milestone in self.milestone_verdicts:
            raise RuleViolationError(
                "R-MILESTONE",
                f"milestone {milestone!r} is already assessed; a failed milestone passes only "
                "through a rectification (整改) assessed as passed",
            )
        self._milestone_assessed(audit=audit, milestone=milestone, verdict=verdict, remarks=remarks)

    @event(MilestoneAssessed)
    def _milestone_assessed(
        self, audit: Audit, milestone: str, verdict: Verdict, remarks: str
    ) -> None:
        self.milestone_verdicts = {**self.milestone_verdicts, milestone: verdict}

    class RectificationReported(JiebangAggregate.Event):
        """整改: the solver reports how it remedied a failed milestone."""

        milestone: str
        report: str

    def report_rectification(self, audit: Audit, milestone: str, report: str) -> None:
        self._require_contracted("R-MILESTONE", "a rectification report")
        if self.milestone_verdicts.get(milestone) is not Verdict.FAIL:
            raise RuleViolationError(
                "R-MILESTONE", f"milestone {milestone!r} does not stand failed; nothing to rectify"
            )
        rules.require_text(report, "R-MILESTONE", "the rectification report")
        self._rectification_reported(audit=audit, milestone=milestone, report=report)

    @event(RectificationReported)
    def _rectification_reported(self, audit: Audit, milestone: str, report: str) -> None:
        self.rectifications = {**self.rectifications, milestone: report}

    class RectificationAssessed(JiebangAggregate.Event):
        """The end user's verdict on a rectification: a pass clears the failed milestone."""

        milestone: str
        verdict: Verdict
        remarks: str

    def assess_rectification(
        self, audit: Audit, milestone: str, verdict: Verdict, remarks: str
    ) -> None:
        self._require_contracted("R-MILESTONE", "assessing a rectification")
        if milestone not in self.rectifications:
            raise RuleViolationError(
                "R-MILESTONE", f"milestone {milestone!r} has no rectification report to assess"
            )
        rules.require_text(remarks, "R-MILESTONE", "the rectification assessment's remarks")
        self._rectification_assessed(
            audit=audit, milestone=milestone, verdict=verdict, remarks=remarks
        )

    @event(RectificationAssessed)
    def _rectification_assessed(
        self, audit: Audit, milestone: str, verdict: Verdict, remarks: str
    ) -> None:
        self.rectifications = {k: v for k, v in self.rectifications.items() if k != milestone}
        if verdict is Verdict.PASS:
            self.milestone_verdicts = {**self.milestone_verdicts, milestone: Verdict.PASS}

    # ---- full authorisation and contract changes (R-AUTONOMY) ---------------------------------
    class RouteChangeFiled(JiebangAggregate.Event):
        kind: str  # "technical_route" or "team"
        description: str

    def file_route_change(self, audit: Audit, kind: str, description: str) -> None:
        """充分授权: the solver files a change of technical route or team; nobody approves it."""
        self._require_contracted("R-AUTONOMY", "filing a route or team change")
        if kind in CONTRACT_CHANGE_KINDS:
            raise RuleViolationError(
                "R-AUTONOMY",
                f"a change of {kind} is a contract change that bureau and end user must both "
                "approve, not a filing (备案)",
            )
        if kind not in ("technical_route", "team"):
            raise InvalidValueError("kind", "a filed change is of the technical_route or the team")
        rules.require_text(description, "R-AUTONOMY", "the filed change's description")
        rules.require_reason(audit.reason, "R-AUTONOMY", "a filed change (备案)")
        self._route_change_filed(audit=audit, kind=kind, description=description)

    @event(RouteChangeFiled)
    def _route_change_filed(self, audit: Audit, kind: str, description: str) -> None:
        # On file (备案) only: the contract itself is unchanged.
        self.filed_changes = (*self.filed_changes, (kind, description))

    class ContractChangeProposed(TermsUpcast, JiebangAggregate.Event):
        change_id: str
        terms: ContractTerms

    def propose_contract_change(
        self, audit: Audit, change_id: str, terms: ContractTerms, committed: Decimal
    ) -> None:
        """Propose new terms (indicators, budget, period, schedule, leader or lead unit)."""
        current = self._require_contracted("R-AUTONOMY", "a contract change")
        rules.require_reason(audit.reason, "R-AUTONOMY", "a contract change")
        if terms == current:
            raise InvalidValueError("terms", "the proposed terms equal the current contract")
        self._check_terms(terms, "R-CONTRACT", committed)
        if terms.budget < self.disbursed:
            raise RuleViolationError(
                "R-DISBURSE", f"the budget cannot fall below the {self.disbursed} already paid"
            )
        self._contract_change_proposed(audit=audit, change_id=change_id, terms=terms)

    @event(ContractChangeProposed)
    def _contract_change_proposed(self, audit: Audit, change_id: str, terms: ContractTerms) -> None:
        self.changes = {**self.changes, change_id: terms}
        self.change_approvals = {**self.change_approvals, change_id: ()}

    class ContractChangeApproved(JiebangAggregate.Event):
        change_id: str
        role: Role

    class ContractAmended(TermsUpcast, JiebangAggregate.Event):
        change_id: str
        terms: ContractTerms

    def approve_contract_change(self, audit: Audit, change_id: str) -> None:
        """Bureau and end user both approve; the second approval amends the contract."""
        self._require_contracted("R-AUTONOMY", "approving a contract change")
        if change_id not in self.changes:
            raise RuleViolationError("R-AUTONOMY", f"no pending contract change {change_id}")
        if audit.role in self.change_approvals[change_id]:
            raise RuleViolationError("R-AUTONOMY", f"the {audit.role.value} already approved")
        terms = self.changes[change_id]
        completes = {Role.BUREAU, Role.END_USER} <= {*self.change_approvals[change_id], audit.role}
        if completes and terms.budget < self.disbursed:
            raise RuleViolationError(
                "R-DISBURSE", f"the budget cannot fall below the {self.disbursed} already paid"
            )
        self._contract_change_approved(audit=audit, change_id=change_id, role=audit.role)
        if completes:
            self._contract_amended(audit=audit, change_id=change_id, terms=terms)

    @event(ContractChangeApproved)
    def _contract_change_approved(self, audit: Audit, change_id: str, role: Role) -> None:
        self.change_approvals = {
            **self.change_approvals,
            change_id: (*self.change_approvals[change_id], role),
        }

    @event(ContractAmended)
    def _contract_amended(self, audit: Audit, change_id: str, terms: ContractTerms) -> None:
        self.terms = terms
        if terms.lead_unit_code:
            # An approved change of lead unit: the new unit acts as the solver from now on.
            self.solver_code = terms.lead_unit_code
        # Other pending proposals were made against the old terms: they lapse.
        self.changes = {}
        self.change_approvals = {}

    # ---- extension (§六) and closing ---------------------------------------------------------
    class Extended(TermsUpcast, JiebangAggregate.Event):
        extra_months: int
        opinions: tuple[ExpertOpinion, ...]
        terms: ContractTerms  # the contract as extended

    def extend(self, audit: Audit, extra_months: int, opinions: tuple[ExpertOpinion, ...]) -> None:
        terms = self._require_contracted("R-EXTEND", "an extension")
        if extra_months < 1:
            raise InvalidValueError("extra_months", "an extension is at least one month")
        if not opinions:
            raise RuleViolationError(
                "R-EXTEND", "an extension is recorded with an expert argumentation (专家论证)"
            )
        if any(not o.opinion.strip() for o in opinions):
            raise RuleViolationError("R-EXTEND", "every expert's opinion is recorded in writing")
        rules.require_reason(audit.reason, "R-EXTEND", "an extension")
        total = terms.period_months + extra_months
        cap = rules.PERIOD_MAX_MONTHS[self.category]
        if total > cap:
            raise RuleViolationError(
                "R-EXTEND",
                f"extending to {total} months passes the {self.category.value} maximum of {cap} "
                "months (R-PERIOD-MAX)",
            )
        short = len(opinions) < rules.MIN_PANEL or rules.missing_kinds(
            [o.kind for o in opinions], rules.ARG_PANEL_KINDS
        )
        if short and not any(x.rule_id == "R-ARG-PANEL" for x in audit.exceptions):
            raise RuleViolationError(
                "R-EXTEND",
                "an extension follows a full argumentation panel (R-ARG-PANEL) or records why not",
            )
        if total > rules.PERIOD_ARGUED_OVER_MONTHS and len(opinions) < rules.MIN_PANEL:
            raise RuleViolationError(
                "R-PERIOD-ARGUED",
                f"a period over three years takes a full panel of {rules.MIN_PANEL} experts; "
                f"{len(opinions)} gave opinions",
            )
        extended = replace(terms, period_months=total)
        self._extended(audit=audit, extra_months=extra_months, opinions=opinions, terms=extended)

    @event(Extended)
    def _extended(
        self,
        audit: Audit,
        extra_months: int,
        opinions: tuple[ExpertOpinion, ...],
        terms: ContractTerms,
    ) -> None:
        self.extended_months += extra_months
        self.terms = terms
        # Pending contract changes were proposed against the unextended terms: they lapse.
        self.changes = {}
        self.change_approvals = {}

    class Assessed(JiebangAggregate.Event):
        verdict: Verdict
        remarks: str
        closes: bool  # True only for the first release, where the assessment closed the project

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # The first release had no acceptance: its assessment closed the project.
            state["closes"] = True

    def assess(self, audit: Audit, verdict: Verdict, remarks: str) -> None:
        """The end user's final assessment (考核): its verdict decides pass or fail."""
        terms = self._require_contracted("R-ASSESS-EU", "the final assessment")
        rules.require_text(remarks, "R-ASSESS-EU", "the assessment's remarks")
        failed = self.failed_milestones()
        if verdict is Verdict.PASS and failed:
            raise RuleViolationError(
                "R-MILESTONE",
                f"the final assessment cannot pass while milestone {', '.join(failed)} stands "
                "failed; a rectification must pass first",
            )
        unassessed = [m.name for m in terms.milestones if m.name not in self.milestone_verdicts]
        if unassessed:
            raise RuleViolationError(
                "R-MILESTONE",
                "the final assessment follows every milestone's report and assessment; "
                f"not yet assessed: {', '.join(unassessed)}",
            )
        self._assessed(audit=audit, verdict=verdict, remarks=remarks, closes=False)

    @event(Assessed)
    def _assessed(self, audit: Audit, verdict: Verdict, remarks: str, closes: bool) -> None:
        self.verdict = verdict
        self.status = ProjectStatus.COMPLETED if closes else ProjectStatus.ASSESSED

    class Accepted(JiebangAggregate.Event):
        """验收/结题: the bureau's acceptance closes the project on the end user's verdict."""

        verdict: Verdict
        remarks: str

    def accept(self, audit: Audit, remarks: str, verdict: Verdict | None = None) -> None:
        """The bureau's acceptance; it records the end user's verdict and cannot reverse it."""
        if self.status is not ProjectStatus.ASSESSED or self.verdict is None:
            raise RuleViolationError(
                "R-ASSESS-EU",
                "the end user's verdict is recorded first; the bureau's acceptance follows it "
                f"(the project is {self.status.value})",
            )
        if verdict is not None and verdict is not self.verdict:
            raise RuleViolationError(
                "R-ASSESS-EU",
                f"the end user's verdict is {self.verdict.value}; the bureau cannot reverse it",
            )
        if self.co_investment_reports == 0:
            raise RuleViolationError(
                "R-EU-COMMIT",
                "the end user reports what it actually invested (实际投入) before the project "
                "is closed",
            )
        rules.require_text(remarks, "R-ASSESS-EU", "the acceptance's remarks")
        self._accepted(audit=audit, verdict=self.verdict, remarks=remarks)

    @event(Accepted)
    def _accepted(self, audit: Audit, verdict: Verdict, remarks: str) -> None:
        self.accepted = True
        self.status = ProjectStatus.COMPLETED

    class CoInvestmentReported(JiebangAggregate.Event):
        """R-EU-COMMIT: an amount the end user actually invested, since its last report."""

        amount: Decimal
        note: str

    def report_co_investment(self, audit: Audit, amount: Decimal, note: str) -> None:
        if self.terms is None or self.status not in PAYABLE:
            raise RuleViolationError(
                "R-EU-COMMIT",
                "the end user reports its co-investment under a signed task contract; the "
                f"project is {self.status.value}",
            )
        rules.require_text(note, "R-EU-COMMIT", "what the co-investment paid for")
        self._co_investment_reported(audit=audit, amount=amount, note=note)

    @event(CoInvestmentReported)
    def _co_investment_reported(self, audit: Audit, amount: Decimal, note: str) -> None:
        self.co_invested += amount
        self.co_investment_reports += 1

    class Terminated(JiebangAggregate.Event):
        pass

    def terminate(self, audit: Audit) -> None:
        rules.require_reason(audit.reason, "R-AUDIT-WHO", "terminating a project")
        if self.status in (
            ProjectStatus.ASSESSED,
            ProjectStatus.COMPLETED,
            ProjectStatus.TERMINATED,
            ProjectStatus.REVOKED,
        ):
            raise order_violation(f"a {self.status.value} project cannot be terminated")
        self._terminated(audit=audit)

    @event(Terminated)
    def _terminated(self, audit: Audit) -> None:
        self.status = ProjectStatus.TERMINATED


def check_notice(notice: PublicNotice, funding: Decimal, period_months: int) -> None:
    """R-PUBLICITY: the notice says what a member of the public needs to object."""
    missing = [
        name
        for name, value in (
            ("project title", notice.project_title),
            ("solver", notice.solver_name),
            ("end user", notice.end_user_name),
            ("project leader", shown(notice.project_leader)),
            ("where and how to object", notice.objection_channel),
        )
        if not value.strip()
    ]
    if not notice.restricted:
        if not (notice.challenge_name or "").strip():
            missing.append("challenge")
        if notice.funding != funding or notice.period_months != period_months:
            missing.append("the selected funding and period")
    if missing:
        raise RuleViolationError("R-PUBLICITY", "the public notice lacks " + ", ".join(missing))
