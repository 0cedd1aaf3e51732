"""Commands of step 6 (揭榜评审): applications, the review panel, conflicts, scores, selection."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from uuid import uuid4

from jiebang_es.commands_challenge import normalise_org
from jiebang_es.commands_credit import CreditCommands
from jiebang_es.domain import rules
from jiebang_es.domain.application import Application, ApplicationStatus, check_units
from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.content import admits
from jiebang_es.domain.draw import Draw, DrawPurpose
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.personal import leader_subject, personal
from jiebang_es.domain.project import Project
from jiebang_es.domain.selection import review_panel_exceptions, selection_exceptions
from jiebang_es.domain.values import (
    Actor,
    ExpertKind,
    Organisation,
    PanelMember,
    Role,
    Scope,
    yuan,
)
from jiebang_es.draws.panels import HAND_PICKED, PanelDraws, designated
from jiebang_es.errors import InvalidValueError, RuleViolationError
from jiebang_es.service_base import (
    NO_META,
    CommandMeta,
    Receipt,
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


class ReviewCommands(CreditCommands, PanelDraws):
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
        self._check_credit_recent(
            (lead_org, *(u.organisation for u in units)),
            audit.effective_at.date(),
            "applying (揭榜)",
        )
        if not rules.said(leader_name):
            # 挂帅: the application names who leads it; the notice publicizes them (R-PUBLICITY)
            # and changing them later is a contract change (R-AUTONOMY).
            raise RuleViolationError(
                "R-PUBLICITY",
                "an application names its project leader (项目负责人): the selection notice "
                "publicizes who leads the project",
            )
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
            leader_name=personal(leader_name, leader_subject(uuid4().hex), "name"),
            technical_plan=technical_plan,
            ip_declaration=ip_declaration,
            budget=asked,
            period_months=period_months,
        )
        return self._save(application)

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
        draw_id: str | None = None,
        expert_ids: Sequence[str] = (),
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Propose the review experts; bureau and end user both confirm them (R-PANEL-JOINT).
        The panel is the draw's result (R-DRAW) with the end user's own responsible person
        named beside it; a panel named by hand needs the bureau's justification."""
        challenge = self._challenge_for(
            actor, challenge_id, meta, "R-PANEL-JOINT", "forming the review panel"
        )
        named = [self._get(Expert, x) for x in expert_ids]
        if draw_id:
            draw = self._panel_draw(challenge, draw_id, DrawPurpose.REVIEW)
            drawn = [self._get(Expert, m.expert_id) for m in draw.seated]
            self._check_drawn_against_applicants(challenge, drawn)
            experts = [*drawn, *designated(named, challenge.end_user.credit_code)]
        else:
            experts = named
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
        exceptions += rules.in_principle("R-DRAW", not draw_id, HAND_PICKED, exception_reason)
        challenge.propose_panel(self._audit(actor, meta, exceptions), members, draw_id or "")
        return self._save(challenge)

    def _check_drawn_against_applicants(self, challenge: Challenge, drawn: list[Expert]) -> None:
        """R-CONFLICT: a review draw avoided the units of the applications standing when it
        was scheduled; one scheduled before the last application came in may not have."""
        for application in self.applications_to(str(challenge.id)):
            if application.status is not ApplicationStatus.APPLIED:
                continue
            units = application.unit_codes()
            for expert in drawn:
                if expert.org_code in units:
                    raise RuleViolationError(
                        "R-CONFLICT",
                        f"drawn expert {expert.name} ({expert.person_id}) is of applicant unit "
                        f"{expert.org_code}: the draw did not avoid application {application.id}; "
                        "schedule a new draw after the application window closed",
                    )

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

    @command
    def propose_replacement(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        expert_id: str,
        replaces: str,
        reason: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Propose an expert for the confirmed panel in place of a recused or absent member
        (R-REVIEW-PANEL); bureau and end user both confirm it (R-PANEL-JOINT)."""
        challenge = self._challenge_for(
            actor, challenge_id, meta, "R-PANEL-JOINT", "proposing a replacement expert"
        )
        expert = self._get(Expert, expert_id)
        if challenge.panel_draw_id:
            # R-DRAW: a drawn seat is filled from the draw's order, never by hand; only the
            # end user's own head, designated beside the draw, is replaced by designation.
            draw = self._get(Draw, challenge.panel_draw_id)
            if replaces in {m.expert_id for m in draw.candidates}:
                raise RuleViolationError(
                    "R-DRAW",
                    f"expert {replaces} holds a drawn seat: it is filled from draw {draw.id}'s "
                    "order when the absence or recusal is recorded (抽取席位按抽取顺序递补)",
                )
            designated([expert], challenge.end_user.credit_code)
        member = PanelMember(expert_id=str(expert.id), kind=expert.kind)
        challenge.propose_replacement(self._audit(actor, meta), member, replaces, reason.strip())
        return self._save(challenge)

    @command
    def confirm_replacement(
        self, actor: Actor, challenge_id: str, *, expert_id: str, meta: CommandMeta = NO_META
    ) -> Receipt:
        """The bureau's or the end user's confirmation of a proposed replacement expert."""
        challenge = self._challenge_for(
            actor, challenge_id, meta, "R-PANEL-JOINT", "confirming a replacement expert"
        )
        challenge.confirm_replacement(self._audit(actor, meta), expert_id)
        return self._save(challenge)

    @command
    def record_absence(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        expert_id: str,
        reason: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The bureau records that a panel member takes no further part in the review: the
        member's applications no longer wait for their score (R-REVIEW-PANEL)."""
        rules.check_role(actor, [Role.BUREAU], "R-REVIEW-PANEL", "recording an expert's absence")
        challenge = self._load(Challenge, challenge_id, meta)
        audit = self._audit(actor, meta)
        challenge.record_absence(audit, expert_id, reason.strip())
        filled = self._fill_from_draw(
            challenge, expert_id, "absent", f"专家{expert_id}缺席：{reason.strip()}", audit
        )
        return self._save(challenge, *filled)

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
        if str(expert.id) in challenge.absent:
            raise RuleViolationError(
                "R-REVIEW-PANEL", "the expert was recorded absent and takes no further part"
            )
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
        challenge, expert = self._panel_expert(actor, application, expert_id)
        audit = self._audit(actor, meta)
        application.declare(audit, str(expert.id), expert.org_code, conflict, statement)
        if str(expert.id) not in application.recused:
            return self._save(application)
        # R-DRAW: a recusal on a drawn panel is filled from the draw's order.
        filled = self._fill_from_draw(
            challenge,
            str(expert.id),
            "recused",
            f"专家{expert.id}回避申请{application.id}",
            audit,
        )
        return self._save(application, *filled, *((challenge,) if filled else ()))

    @command
    def score(
        self,
        actor: Actor,
        application_id: str,
        *,
        expert_id: str,
        score: Decimal | str | int,
        opinion: str,
        recommend: bool | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """An expert's score (0–100), written opinion and, where given, whether they recommend
        the application (推荐) or advise against it (不推荐)."""
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
        application.score(audit, str(expert.id), expert.org_code, value, opinion, recommend)
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
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The end user selects the solver from the reviewed applications (R-SELECT-EU), in
        the light of the experts' opinions (R-SELECT-REASON)."""
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
        if str(application.id) in challenge.revoked_applications:
            raise RuleViolationError(
                "R-OBJECTION", "an upheld objection revoked this application's selection"
            )
        members = challenge.panel_member_ids()
        if not challenge.panel_is_effective or not application.is_reviewed_by(
            members, challenge.absent
        ):
            raise RuleViolationError(
                "R-SELECT-EU",
                "the end user selects from applications the confirmed panel has reviewed, with "
                "every effective member's opinion on record",
            )
        exceptions = (
            *review_panel_exceptions(application, members, challenge.absent, exception_reason),
            *selection_exceptions(
                application,
                self.reviewed_applications(challenge),
                exception_reason,
            ),
        )
        audit = self._audit(actor, meta, exceptions)
        self._check_credit_recent(
            (u.organisation for u in (application.lead, *application.participants)),
            audit.effective_at.date(),
            "selection (确定揭榜单位)",
        )
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

    def application_page(
        self, challenge_id: str, *, after: int = 0, limit: int = 50
    ) -> tuple[list[Application], int | None]:
        """A page of a challenge's applications made after log position ``after``; and the
        position to continue after, when there are more."""
        applied = self._applied(challenge_id, after)
        page = [self._get(Application, ident) for _, ident in applied[:limit]]
        return page, applied[limit - 1][0] if len(applied) > limit else None

    def reviewed_applications(self, challenge: Challenge) -> list[Application]:
        """The applications the end user may choose among: applied, not revoked, reviewed by
        every effective member of the confirmed panel."""
        members = challenge.panel_member_ids()
        return [
            a
            for a in self.applications_to(str(challenge.id))
            if a.status is ApplicationStatus.APPLIED
            and str(a.id) not in challenge.revoked_applications
            and a.is_reviewed_by(members, challenge.absent)
        ]

    def application(self, application_id: str) -> Application:
        return self._get(Application, application_id)
