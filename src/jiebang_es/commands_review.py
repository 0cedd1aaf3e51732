"""Commands of step 6 (揭榜评审): applications, the review panel, conflicts, scores, selection."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from jiebang_es.commands_challenge import normalise_org
from jiebang_es.domain import rules
from jiebang_es.domain.application import Application, ApplicationStatus, check_units
from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.content import admits
from jiebang_es.domain.credit import CreditRecord
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import (
    Actor,
    ApplicantUnit,
    CreditStatus,
    ExpertKind,
    Organisation,
    PanelMember,
    Role,
    Scope,
    credit_code,
    yuan,
)
from jiebang_es.errors import InvalidValueError, NotFoundError, RuleViolationError
from jiebang_es.service_base import (
    NO_META,
    CommandMeta,
    Receipt,
    ServiceBase,
    check_version,
    command,
)


def check_in_scope(challenge: Challenge, lead_code: str) -> None:
    """R-SCOPE: a restricted challenge takes applications only from the units in its range."""
    if challenge.content.scope is Scope.RESTRICTED and not admits(
        challenge.content.recipients, lead_code
    ):
        raise RuleViolationError(
            "R-SCOPE",
            f"challenge {challenge.id} is published to a restricted range of units; lead unit "
            f"{lead_code} is not in it",
        )


class ReviewCommands(ServiceBase):
    @command
    def apply(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        lead: Organisation,
        participants: Sequence[Organisation] = (),
        leader_name: str,
        technical_plan: str,
        ip_declaration: bool,
        budget: Decimal | str | int,
        period_months: int,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Apply to a published challenge (Applied). No age, degree, title or registration age
        is asked of anyone (R-OPEN); each unit's credit is the bureau's record (R-CREDIT)."""
        rules.check_role(actor, [Role.APPLICANT], "R-OPEN", "applying (揭榜)")
        lead_org = normalise_org(lead, "lead.credit_code")
        rules.check_org(actor, lead_org.credit_code, "R-OPEN", "applying for a lead unit")
        challenge = self._load(Challenge, challenge_id)
        audit = self._audit(actor, meta)
        challenge.check_open_for_applications(audit.effective_at)
        check_in_scope(challenge, lead_org.credit_code)
        lead_unit = self._with_credit(lead_org)
        units = tuple(
            self._with_credit(normalise_org(p, "participants.credit_code")) for p in participants
        )
        check_units(lead_unit, units, challenge.end_user.credit_code)
        if not technical_plan.strip() or not ip_declaration:
            raise RuleViolationError(
                "R-PLAN-IP",
                "an application carries a feasible technical plan for the chokepoint and declares "
                "independent intellectual property (可行性方案, 自主知识产权)",
            )
        asked = yuan(budget, field_name="budget")
        funding, period, _ = challenge.content.settled()
        if asked > funding:
            raise RuleViolationError(
                "R-ASK-CAP",
                f"the application asks {asked} yuan, more than the challenge's {funding}",
            )
        if not 1 <= period_months <= period:
            raise RuleViolationError(
                "R-ASK-CAP",
                f"the application's period of {period_months} months is not within the "
                f"challenge's {period} months",
            )
        application = Application(
            audit=audit,
            challenge_id=str(challenge.id),
            lead=lead_unit,
            participants=units,
            leader_name=leader_name.strip(),
            technical_plan=technical_plan,
            ip_declaration=ip_declaration,
            budget=asked,
            period_months=period_months,
        )
        return self._save(application)

    # ---- the bureau's credit record (R-CREDIT) ---------------------------------------------
    @command
    def record_credit_status(
        self,
        actor: Actor,
        *,
        org_code: str,
        status: CreditStatus,
        source: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Record a unit's social credit as found in the national credit system, with the source."""
        rules.check_role(actor, [Role.BUREAU], "R-CREDIT", "recording a unit's social credit")
        code = credit_code(org_code, field_name="org_code")
        rules.require_text(source, "R-CREDIT", "the source of the credit record")
        audit = self._audit(actor, meta, backdate=True)
        record = self._credit_record(code)
        if record is None:
            record = CreditRecord(
                audit=audit, credit_code=code, status=status, source=source.strip()
            )
        else:
            check_version(record, meta)
            record.update(audit, status, source.strip())
        return self._save(record)

    def credit_status_of(self, org_code: str) -> CreditStatus:
        """The bureau's record of a unit; a unit never recorded is not on the dishonest list."""
        record = self._credit_record(credit_code(org_code, field_name="org_code"))
        return CreditStatus.GOOD if record is None else record.status

    def _credit_record(self, code: str) -> CreditRecord | None:
        """One read: the unit's record, or None when the bureau never recorded it."""
        try:
            return self._get(CreditRecord, CreditRecord.create_id(code))
        except NotFoundError:
            return None

    def _with_credit(self, org: Organisation) -> ApplicantUnit:
        return ApplicantUnit(organisation=org, credit_status=self.credit_status_of(org.credit_code))

    @command
    def withdraw(
        self, actor: Actor, application_id: str, *, meta: CommandMeta = NO_META
    ) -> Receipt:
        """The lead unit withdraws its application while the window is open."""
        application = self._load(Application, application_id, meta)
        rules.check_party(
            actor,
            [Role.APPLICANT],
            "R-AUDIT-WHO",
            "withdrawing an application",
            solver_code=application.lead.organisation.credit_code,
        )
        challenge = self._get(Challenge, application.challenge_id)
        audit = self._audit(actor, meta)
        application.withdraw(audit, challenge.window_is_open(audit.effective_at))
        return self._save(application)

    # ---- the review panel ---------------------------------------------------------------------
    @command
    def propose_review_panel(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        expert_ids: Sequence[str],
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Propose the review experts; bureau and end user both confirm them (R-PANEL-JOINT)."""
        challenge = self._challenge_for(
            actor, challenge_id, meta, "R-PANEL-JOINT", "forming the review panel"
        )
        experts = [self._get(Expert, x) for x in expert_ids]
        members = tuple(PanelMember(expert_id=str(e.id), kind=e.kind) for e in experts)
        # The end user's responsible person counts as such only for its own challenge.
        kinds = [
            None
            if e.kind is ExpertKind.END_USER_REP and e.org_code != challenge.end_user.credit_code
            else e.kind
            for e in experts
        ]
        exceptions = rules.panel_exceptions(
            "R-REVIEW-PANEL", kinds, rules.REVIEW_PANEL_KINDS, exception_reason
        )
        challenge.propose_panel(self._audit(actor, meta, exceptions), members)
        return self._save(challenge)

    @command
    def confirm_review_panel(
        self, actor: Actor, challenge_id: str, *, meta: CommandMeta = NO_META
    ) -> Receipt:
        """The bureau's or the end user's confirmation of the proposed panel."""
        challenge = self._challenge_for(
            actor, challenge_id, meta, "R-PANEL-JOINT", "confirming the panel"
        )
        challenge.confirm_panel(self._audit(actor, meta))
        return self._save(challenge)

    # ---- conflicts of interest and scores --------------------------------------------------------
    def _panel_expert(
        self, actor: Actor, application: Application, expert_id: str
    ) -> tuple[Challenge, Expert]:
        rules.check_role(actor, [Role.EXPERT], "R-CONFLICT", "reviewing an application")
        expert = self._get(Expert, expert_id)
        if actor.id != expert.person_id:
            raise RuleViolationError("R-CONFLICT", "an expert declares and scores only as themself")
        challenge = self._get(Challenge, application.challenge_id)
        if not challenge.panel_is_effective:
            raise RuleViolationError(
                "R-PANEL-JOINT",
                "the review panel takes effect once both the bureau and the end user confirmed it",
            )
        if str(expert.id) not in challenge.panel_member_ids():
            raise RuleViolationError("R-PANEL-JOINT", "the expert is not on the confirmed panel")
        return challenge, expert

    @command
    def declare_conflict(
        self,
        actor: Actor,
        application_id: str,
        *,
        expert_id: str,
        conflict: bool,
        statement: str = "",
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """An expert declares a conflict of interest (recusal) or none (R-CONFLICT)."""
        application = self._load(Application, application_id, meta)
        _, expert = self._panel_expert(actor, application, expert_id)
        application.declare(
            self._audit(actor, meta), str(expert.id), expert.org_code, conflict, statement
        )
        return self._save(application)

    @command
    def score(
        self,
        actor: Actor,
        application_id: str,
        *,
        expert_id: str,
        score: Decimal | str | int,
        opinion: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """An expert's score (0–100) and written opinion on an application."""
        application = self._load(Application, application_id, meta)
        challenge, expert = self._panel_expert(actor, application, expert_id)
        audit = self._audit(actor, meta)
        if challenge.status is not ChallengeStatus.PUBLISHED or not challenge.window_has_closed(
            audit.effective_at
        ):
            raise RuleViolationError(
                "R-ORDER", "applications are reviewed after the application window closed"
            )
        try:
            value = Decimal(str(score))
        except InvalidOperation:
            raise InvalidValueError("score", f"{score!r} is not a number") from None
        if not value.is_finite():
            raise InvalidValueError("score", f"{score!r} is not a finite number")
        application.score(audit, str(expert.id), expert.org_code, value, opinion)
        return self._save(application)

    # ---- selection (Selected) ----------------------------------------------------------
    @command
    def select(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        application_id: str,
        note: str = "",
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The end user selects the solver from the reviewed applications (R-SELECT-EU)."""
        challenge = self._load(Challenge, challenge_id, meta)
        rules.check_party(
            actor,
            [Role.END_USER],
            "R-SELECT-EU",
            "selecting the solver",
            end_user_code=challenge.end_user.credit_code,
        )
        application = self._get(Application, application_id)
        if application.challenge_id != str(challenge.id):
            raise InvalidValueError("application_id", "the application is to another challenge")
        if application.status is not ApplicationStatus.APPLIED:
            raise RuleViolationError("R-SELECT-EU", "a withdrawn application cannot be selected")
        for unit in (application.lead, *application.participants):
            if self.credit_status_of(unit.organisation.credit_code) is not CreditStatus.GOOD:
                raise RuleViolationError(
                    "R-CREDIT",
                    f"{unit.organisation.name} has since been recorded as seriously dishonest",
                )
        if str(application.id) in challenge.revoked_applications:
            raise RuleViolationError(
                "R-OBJECTION", "an upheld objection revoked this application's selection"
            )
        if not challenge.panel_is_effective or not application.is_reviewed_by(
            challenge.panel_member_ids()
        ):
            raise RuleViolationError(
                "R-SELECT-EU",
                "the end user selects from applications the confirmed panel has reviewed, with "
                "every member's opinion on record",
            )
        audit = self._audit(actor, meta)
        content = challenge.content
        funding, period, _ = content.settled()
        project = Project(
            audit=audit,
            challenge_id=str(challenge.id),
            application_id=str(application.id),
            end_user_code=challenge.end_user.credit_code,
            solver_code=application.lead.organisation.credit_code,
            category=content.category,
            industry=content.industry,
            funding=funding,
            period_months=period,
            classified=content.classified,
            indicators=content.indicators,
            opinions=application.scores,
            note=note,
        )
        challenge.record_selection(audit, str(project.id), str(application.id))
        return self._save(project, challenge)

    def application(self, application_id: str) -> Application:
        return self._get(Application, application_id)
