"""项目 Project: from the end user's selection through public notice, contract and funds to the
final assessment (§八(六)–(九), §三 节点管理, §六 extension)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from enum import Enum

from eventsourcing.domain import event

from jiebang_es.domain import rules
from jiebang_es.domain.base import JiebangAggregate, order_violation
from jiebang_es.domain.values import (
    Audit,
    Category,
    ContractTerms,
    ExpertOpinion,
    Indicator,
    Role,
    ScoreRef,
    Signature,
    Verdict,
)
from jiebang_es.errors import InvalidValueError, RuleViolationError


class ProjectStatus(Enum):
    SELECTED = "selected"
    PUBLICIZED = "publicized"  # 公示 running
    IN_MANAGEMENT = "in_management"  # notice closed: district-level project management
    CONTRACTED = "contracted"
    COMPLETED = "completed"  # final assessment recorded
    TERMINATED = "terminated"
    REVOKED = "revoked"  # an upheld objection revoked the selection


SIGNING_ROLES = (Role.BUREAU, Role.END_USER, Role.APPLICANT)


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

    # ---- public notice (项目公示) and objections --------------------------------------------
    class Publicized(JiebangAggregate.Event):
        starts_on: date
        ends_on: date
        working_days: int
        calendar_version: str

    def publicize(
        self, audit: Audit, starts_on: date, ends_on: date, working_days: int, calendar_version: str
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
        self._publicized(
            audit=audit,
            starts_on=starts_on,
            ends_on=ends_on,
            working_days=working_days,
            calendar_version=calendar_version,
        )

    @event(Publicized)
    def _publicized(
        self, audit: Audit, starts_on: date, ends_on: date, working_days: int, calendar_version: str
    ) -> None:
        self.status = ProjectStatus.PUBLICIZED
        self.notice_starts = starts_on
        self.notice_ends = ends_on

    class ObjectionLodged(JiebangAggregate.Event):
        objection_id: str
        objector: str  # who objects: the actor, or the outside person staff record it for
        grounds: str

    def lodge_objection(self, audit: Audit, objection_id: str, objector: str, grounds: str) -> None:
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
        self, audit: Audit, objection_id: str, objector: str, grounds: str
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
            raise RuleViolationError(
                "R-OBJECTION", f"the notice period runs until {self.notice_ends} inclusive"
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

    def _require_in_management(self) -> None:
        if self.status is not ProjectStatus.IN_MANAGEMENT:
            raise RuleViolationError(
                "R-PUBLICITY",
                "the task contract follows a public notice closed without a standing objection "
                f"(or, if classified, its recorded waiver); the project is {self.status.value}",
            )

    # ---- task contract (任务书) ----------------------------------------------------------
    def _check_terms(self, terms: ContractTerms, rule_id: str) -> None:
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

    class ContractDrafted(JiebangAggregate.Event):
        terms: ContractTerms

    def draft_contract(self, audit: Audit, terms: ContractTerms) -> None:
        self._require_in_management()
        self._check_terms(terms, "R-CONTRACT")
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

    class Contracted(JiebangAggregate.Event):
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

    def disburse(self, audit: Audit, amount: Decimal, purpose: str, paid_on: date) -> None:
        terms = self._require_contracted("R-DISBURSE", "a disbursement")
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
        self._milestone_assessed(audit=audit, milestone=milestone, verdict=verdict, remarks=remarks)

    @event(MilestoneAssessed)
    def _milestone_assessed(
        self, audit: Audit, milestone: str, verdict: Verdict, remarks: str
    ) -> None:
        self.milestone_verdicts = {**self.milestone_verdicts, milestone: verdict}

    # ---- full authorisation and contract changes (R-AUTONOMY) ---------------------------------
    class RouteChangeFiled(JiebangAggregate.Event):
        kind: str  # "technical_route" or "team"
        description: str

    def file_route_change(self, audit: Audit, kind: str, description: str) -> None:
        """充分授权: the solver files a change of technical route or team; nobody approves it."""
        self._require_contracted("R-AUTONOMY", "filing a route or team change")
        if kind not in ("technical_route", "team"):
            raise InvalidValueError("kind", "a filed change is of the technical_route or the team")
        rules.require_text(description, "R-AUTONOMY", "the filed change's description")
        rules.require_reason(audit.reason, "R-AUTONOMY", "a filed change (备案)")
        self._route_change_filed(audit=audit, kind=kind, description=description)

    @event(RouteChangeFiled)
    def _route_change_filed(self, audit: Audit, kind: str, description: str) -> None:
        # On file (备案) only: the contract itself is unchanged.
        self.filed_changes = (*self.filed_changes, (kind, description))

    class ContractChangeProposed(JiebangAggregate.Event):
        change_id: str
        terms: ContractTerms

    def propose_contract_change(self, audit: Audit, change_id: str, terms: ContractTerms) -> None:
        current = self._require_contracted("R-AUTONOMY", "a contract change")
        rules.require_reason(audit.reason, "R-AUTONOMY", "a contract change")
        if terms == current:
            raise InvalidValueError("terms", "the proposed terms equal the current contract")
        self._check_terms(terms, "R-CONTRACT")
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

    class ContractAmended(JiebangAggregate.Event):
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
        # Other pending proposals were made against the old terms: they lapse.
        self.changes = {}
        self.change_approvals = {}

    # ---- extension (§六) and closing ---------------------------------------------------------
    class Extended(JiebangAggregate.Event):
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

    def assess(self, audit: Audit, verdict: Verdict, remarks: str) -> None:
        """The end user's final assessment (考核)."""
        terms = self._require_contracted("R-ASSESS-EU", "the final assessment")
        rules.require_text(remarks, "R-ASSESS-EU", "the assessment's remarks")
        unassessed = [m.name for m in terms.milestones if m.name not in self.milestone_verdicts]
        if unassessed:
            raise RuleViolationError(
                "R-MILESTONE",
                "the final assessment follows every milestone's report and assessment; "
                f"not yet assessed: {', '.join(unassessed)}",
            )
        self._assessed(audit=audit, verdict=verdict, remarks=remarks)

    @event(Assessed)
    def _assessed(self, audit: Audit, verdict: Verdict, remarks: str) -> None:
        self.verdict = verdict
        self.status = ProjectStatus.COMPLETED

    class Terminated(JiebangAggregate.Event):
        pass

    def terminate(self, audit: Audit) -> None:
        rules.require_reason(audit.reason, "R-AUDIT-WHO", "terminating a project")
        if self.status in (
            ProjectStatus.COMPLETED,
            ProjectStatus.TERMINATED,
            ProjectStatus.REVOKED,
        ):
            raise order_violation(f"a {self.status.value} project cannot be terminated")
        self._terminated(audit=audit)

    @event(Terminated)
    def _terminated(self, audit: Audit) -> None:
        self.status = ProjectStatus.TERMINATED
