"""Commands of steps 7–9 and project management: public notice and objections, the task
contract, disbursements, milestones, filed changes, contract changes, extension, assessment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from jiebang_es.commands_credit import CreditCommands
from jiebang_es.domain import rules, schedule
from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.numbering import DistrictNumbering
from jiebang_es.domain.personal import (
    Personal,
    PersonalText,
    leader_subject,
    objector_subject,
    personal,
    shown,
)
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import (
    Actor,
    Audit,
    ContractTerms,
    PublicNotice,
    Role,
    Scope,
    Tranche,
    Verdict,
    yuan,
)
from jiebang_es.errors import InvalidValueError, NotFoundError, NotPermittedError
from jiebang_es.service_base import NO_META, CommandMeta, Receipt, command

EVERY_PARTY = (Role.BUREAU, Role.END_USER, Role.APPLICANT)
# On the notice of a project on a restricted challenge, in place of the challenge's name.
RESTRICTED_TITLE = "揭榜挂帅项目（定向发布榜单，榜单内容不公开）"


def normalise_terms(terms: ContractTerms) -> ContractTerms:
    return replace(
        terms,
        indicators=tuple(terms.indicators),
        milestones=tuple(terms.milestones),
        budget=yuan(terms.budget, field_name="budget"),
        co_investment=None
        if terms.co_investment is None
        else yuan(terms.co_investment, field_name="co_investment"),
        tranches=tuple(
            Tranche(amount=yuan(t.amount, field_name="tranches"), condition=t.condition.strip())
            for t in terms.tranches
        ),
        project_leader=terms.project_leader.strip()
        if isinstance(terms.project_leader, str)
        else terms.project_leader,
        lead_unit_code=terms.lead_unit_code.strip().upper(),
    )


def contract_leader(project: Project, given: PersonalText, current: PersonalText) -> PersonalText:
    """The contract's project leader (personal information): the current one unless the terms
    name another person, who is then a data subject of their own."""
    kept = personal(current, leader_subject(project.application_id), "name")
    if isinstance(given, Personal) or not given.strip() or given.strip() == shown(kept):
        return given if isinstance(given, Personal) else kept
    subject = f"{leader_subject(str(project.id))}:{uuid.uuid4().hex[:12]}"
    return Personal(subject, "name", given.strip())


class ProjectCommands(CreditCommands):
    def _project_for(
        self,
        actor: Actor,
        project_id: str,
        meta: CommandMeta,
        roles: Sequence[Role],
        rule_id: str,
        step: str,
    ) -> Project:
        project = self._load(Project, project_id, meta)
        rules.check_party(
            actor,
            roles,
            rule_id,
            step,
            end_user_code=project.end_user_code,
            solver_code=project.solver_code,
        )
        return project

    # ---- 7. public notice (项目公示) --------------------------------------------------------
    @command
    def publicize(
        self,
        actor: Actor,
        project_id: str,
        *,
        starts_on: date | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Publicize the selection on the portal for N working days (Publicized)."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-PUBLICITY", "publicizing a project"
        )
        audit = self._audit(actor, meta)
        start = starts_on or audit.effective_at.date()
        days = self.settings.notice_working_days
        ends_on = self.calendar.working_days_end(start, days)
        notice = self._notice_text(project)
        project.publicize(audit, start, ends_on, days, self.calendar.version, notice)
        return self._save(project)

    def _notice_text(self, project: Project) -> PublicNotice:
        """R-PUBLICITY: what the notice says. For a restricted challenge (R-SCOPE) it names the
        parties, the leader and the dates, never the challenge's name, funding or period."""
        challenge = self._get(Challenge, project.challenge_id)
        application = self._get(Application, project.application_id)
        restricted = challenge.content.scope is not Scope.PUBLIC
        return PublicNotice(
            project_title=RESTRICTED_TITLE if restricted else challenge.content.name,
            challenge_name=None if restricted else challenge.content.name,
            restricted=restricted,
            solver_name=application.lead.organisation.name,
            end_user_name=challenge.end_user.name,
            funding=None if restricted else project.funding,
            period_months=None if restricted else project.challenge_period_months,
            project_leader=personal(
                application.leader_name, leader_subject(project.application_id), "name"
            ),
            objection_channel=self.settings.objection_channel,
        )

    def _number(self, project: Project, audit: Audit) -> DistrictNumbering:
        """纳入区级科研项目管理: the year's next district number, from the year's counter, saved
        with the project in one transaction (a concurrent numbering is a write conflict)."""
        year = audit.effective_at.year
        try:
            counter = self._get(DistrictNumbering, DistrictNumbering.create_id(year))
        except NotFoundError:
            counter = DistrictNumbering(audit=audit, year=year)
        number = counter.issue(audit, str(project.id), self.settings.district_number_format)
        project.enter_district_management(audit, number, year)
        return counter

    @command
    def lodge_objection(
        self,
        actor: Actor,
        project_id: str,
        *,
        grounds: str,
        objector: str = "",
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Lodge an objection during the notice period; staff may record one for an outside
        ``objector`` (named), otherwise the actor objects."""
        rules.check_role(actor, [*EVERY_PARTY, Role.EXPERT], "R-OBJECTION", "lodging an objection")
        project = self._load(Project, project_id, meta)
        if project.classified:
            # A classified project has no public notice; to the public it does not exist.
            raise InvalidValueError("project_id", "no publicized project with this id")
        if objector.strip() and actor.role is not Role.BUREAU:
            raise NotPermittedError(
                "R-OBJECTION", "only the bureau's staff record an objection for someone else"
            )
        objection_id = uuid.uuid4().hex
        who: PersonalText = (
            Personal(objector_subject(objection_id), "name_and_contact", objector.strip())
            if objector.strip()
            else f"{actor.id} ({actor.role.value}, {actor.org_code})"
        )
        project.lodge_objection(self._audit(actor, meta), objection_id, who, grounds)
        return self._save(project)

    @command
    def resolve_objection(
        self,
        actor: Actor,
        project_id: str,
        *,
        objection_id: str,
        upheld: bool,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Dismiss or uphold an objection; upholding revokes the selection (R-OBJECTION)."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-OBJECTION", "resolving an objection"
        )
        audit = self._audit(actor, meta)
        project.resolve_objection(audit, objection_id, upheld)
        if not upheld:
            return self._save(project)
        challenge = self._get(Challenge, project.challenge_id)
        challenge.revoke_selection(audit, str(project.id))
        return self._save(project, challenge)

    @command
    def close_notice(
        self, actor: Actor, project_id: str, *, meta: CommandMeta = NO_META
    ) -> Receipt:
        """Close the notice: the project enters district-level project management."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-OBJECTION", "closing the notice"
        )
        audit = self._audit(actor, meta)
        project.close_notice(audit)
        counter = self._number(project, audit)
        return self._save(project, counter)

    @command
    def waive_notice(
        self, actor: Actor, project_id: str, *, meta: CommandMeta = NO_META
    ) -> Receipt:
        """A classified (涉密) project enters management without a public notice; the bureau
        records why."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-PUBLICITY", "waiving the public notice"
        )
        audit = self._audit(actor, meta)
        project.waive_notice(audit)
        counter = self._number(project, audit)
        return self._save(project, counter)

    # ---- 8. the task contract (任务书签订) ----------------------------------------------------
    @command
    def draft_contract(
        self, actor: Actor, project_id: str, *, terms: ContractTerms, meta: CommandMeta = NO_META
    ) -> Receipt:
        """Draft the task contract's terms for the three parties to sign."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-CONTRACT", "drafting the task contract"
        )
        challenge = self._get(Challenge, project.challenge_id)
        committed = challenge.eu_commitment_amount or Decimal("0.00")
        given = normalise_terms(terms)
        application = self._get(Application, project.application_id)
        filled = replace(
            given,
            co_investment=committed if given.co_investment is None else given.co_investment,
            tranches=given.tranches
            or schedule.default_tranches(self.settings.payment_schedule_default, given.budget),
            project_leader=contract_leader(project, given.project_leader, application.leader_name),
            lead_unit_code=given.lead_unit_code or project.solver_code,
        )
        project.draft_contract(self._audit(actor, meta), filled, committed)
        return self._save(project)

    @command
    def sign_contract(
        self, actor: Actor, project_id: str, *, meta: CommandMeta = NO_META
    ) -> Receipt:
        """Sign the drafted contract; the third signature records Contracted."""
        project = self._project_for(
            actor, project_id, meta, EVERY_PARTY, "R-CONTRACT", "signing the task contract"
        )
        audit = self._audit(actor, meta, backdate=True)
        # R-CREDIT (rules-review): the solver's credit, checked recently, at every signature.
        self._check_project_credit(project, audit.effective_at.date(), "signing the task contract")
        project.sign_contract(audit)
        return self._save(project)

    # ---- 9. funds (资金拨付) ---------------------------------------------------------------------
    @command
    def disburse(
        self,
        actor: Actor,
        project_id: str,
        *,
        amount: Decimal | str | int,
        purpose: str,
        paid_on: date | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Disburse funds under the contract (Funded)."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-DISBURSE", "disbursing funds"
        )
        audit = self._audit(actor, meta)
        # R-CREDIT (rules-review): the solver's credit, checked recently, at every disbursement.
        self._check_project_credit(project, audit.effective_at.date(), "a disbursement")
        project.disburse(audit, yuan(amount), purpose, paid_on or audit.effective_at.date())
        return self._save(project)

    # ---- milestones and changes -----------------------------------------------------------------
    @command
    def report_milestone(
        self,
        actor: Actor,
        project_id: str,
        *,
        milestone: str,
        report: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The solver reports on a contracted milestone (节点管理)."""
        project = self._project_for(
            actor, project_id, meta, [Role.APPLICANT], "R-MILESTONE", "reporting a milestone"
        )
        project.report_milestone(self._audit(actor, meta, backdate=True), milestone, report)
        return self._save(project)

    @command
    def assess_milestone(
        self,
        actor: Actor,
        project_id: str,
        *,
        milestone: str,
        verdict: Verdict,
        remarks: str = "",
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The end user assesses a reported milestone."""
        project = self._project_for(
            actor, project_id, meta, [Role.END_USER], "R-MILESTONE", "assessing a milestone"
        )
        audit = self._audit(actor, meta, backdate=True)
        project.assess_milestone(audit, milestone, verdict, remarks)
        return self._save(project)

    @command
    def file_route_change(
        self,
        actor: Actor,
        project_id: str,
        *,
        kind: str,
        description: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """充分授权: the solver files a change of technical route or team; it needs no approval."""
        project = self._project_for(
            actor, project_id, meta, [Role.APPLICANT], "R-AUTONOMY", "filing a route or team change"
        )
        project.file_route_change(self._audit(actor, meta), kind, description)
        return self._save(project)

    @command
    def propose_contract_change(
        self, actor: Actor, project_id: str, *, terms: ContractTerms, meta: CommandMeta = NO_META
    ) -> Receipt:
        """Propose new indicators, budget or period; bureau and end user must both approve."""
        project = self._project_for(
            actor, project_id, meta, EVERY_PARTY, "R-AUTONOMY", "proposing a contract change"
        )
        given = normalise_terms(terms)
        current = project.terms
        if current is not None:
            # What the proposal leaves out stays as contracted; a new budget without its own
            # schedule is split by the configured shares.
            same_budget = given.budget == current.budget
            given = replace(
                given,
                co_investment=current.co_investment
                if given.co_investment is None
                else given.co_investment,
                tranches=given.tranches
                or (
                    current.tranches
                    if same_budget
                    else schedule.default_tranches(
                        self.settings.payment_schedule_default, given.budget
                    )
                ),
                project_leader=contract_leader(
                    project, given.project_leader, current.project_leader
                ),
                lead_unit_code=given.lead_unit_code or current.lead_unit_code,
            )
        committed = self._get(Challenge, project.challenge_id).eu_commitment_amount or Decimal(
            "0.00"
        )
        project.propose_contract_change(
            self._audit(actor, meta), uuid.uuid4().hex, given, committed
        )
        return self._save(project)

    @command
    def approve_contract_change(
        self, actor: Actor, project_id: str, *, change_id: str, meta: CommandMeta = NO_META
    ) -> Receipt:
        """Bureau's or end user's approval; with both, the contract is amended."""
        project = self._project_for(
            actor,
            project_id,
            meta,
            [Role.BUREAU, Role.END_USER],
            "R-AUTONOMY",
            "approving a contract change",
        )
        project.approve_contract_change(self._audit(actor, meta), change_id)
        return self._save(project)

    @command
    def extend(
        self,
        actor: Actor,
        project_id: str,
        *,
        extra_months: int,
        opinions: Sequence[tuple[str, str]],
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Extend the period after an argumentation panel (R-ARG-PANEL), within the category's
        maximum (R-PERIOD-MAX)."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-EXTEND", "extending a project"
        )
        recorded = self._opinions(opinions, "R-EXTEND")
        challenge = self._get(Challenge, project.challenge_id)
        self._check_not_end_users(
            recorded, challenge.end_user.credit_code, "the argumentation of an extension"
        )
        exceptions = rules.panel_exceptions(
            "R-ARG-PANEL", [o.kind for o in recorded], rules.ARG_PANEL_KINDS, exception_reason
        )
        project.extend(self._audit(actor, meta, exceptions), extra_months, recorded)
        return self._save(project)

    @command
    def assess(
        self,
        actor: Actor,
        project_id: str,
        *,
        verdict: Verdict,
        remarks: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The end user's final assessment (考核)."""
        project = self._project_for(
            actor, project_id, meta, [Role.END_USER], "R-ASSESS-EU", "the final assessment"
        )
        project.assess(self._audit(actor, meta, backdate=True), verdict, remarks)
        return self._save(project)

    @command
    def accept(
        self,
        actor: Actor,
        project_id: str,
        *,
        remarks: str,
        verdict: Verdict | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The bureau's acceptance (验收/结题) on the end user's verdict; it closes the project."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-ASSESS-EU", "the acceptance (验收)"
        )
        project.accept(self._audit(actor, meta, backdate=True), remarks, verdict)
        return self._save(project)

    @command
    def report_rectification(
        self,
        actor: Actor,
        project_id: str,
        *,
        milestone: str,
        report: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The solver reports the rectification (整改) of a failed milestone."""
        project = self._project_for(
            actor, project_id, meta, [Role.APPLICANT], "R-MILESTONE", "reporting a rectification"
        )
        project.report_rectification(self._audit(actor, meta, backdate=True), milestone, report)
        return self._save(project)

    @command
    def assess_rectification(
        self,
        actor: Actor,
        project_id: str,
        *,
        milestone: str,
        verdict: Verdict,
        remarks: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The end user assesses a rectification; a pass clears the failed milestone."""
        project = self._project_for(
            actor, project_id, meta, [Role.END_USER], "R-MILESTONE", "assessing a rectification"
        )
        audit = self._audit(actor, meta, backdate=True)
        project.assess_rectification(audit, milestone, verdict, remarks)
        return self._save(project)

    @command
    def report_co_investment(
        self,
        actor: Actor,
        project_id: str,
        *,
        amount: Decimal | str | int,
        note: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """R-EU-COMMIT: the end user reports an amount it actually invested (since its last
        report)."""
        project = self._project_for(
            actor, project_id, meta, [Role.END_USER], "R-EU-COMMIT", "reporting co-investment"
        )
        amount = yuan(amount, field_name="amount")
        project.report_co_investment(self._audit(actor, meta, backdate=True), amount, note)
        return self._save(project)

    @command
    def terminate(self, actor: Actor, project_id: str, *, meta: CommandMeta = NO_META) -> Receipt:
        """Terminate a project; the reason is mandatory."""
        project = self._project_for(
            actor, project_id, meta, [Role.BUREAU], "R-AUDIT-WHO", "terminating a project"
        )
        project.terminate(self._audit(actor, meta))
        return self._save(project)

    def project(self, project_id: str) -> Project:
        return self._get(Project, project_id)
