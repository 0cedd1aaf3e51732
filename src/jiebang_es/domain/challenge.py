"""榜单 Challenge: from draft through argumentation, party approval and publication to selection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from eventsourcing.domain import event

from jiebang_es.domain import rules
from jiebang_es.domain.base import JiebangAggregate, order_violation
from jiebang_es.domain.content import (
    ChallengeContent,
    check_complete,
    check_scope,
    content_digest,
)
from jiebang_es.domain.values import (
    Audit,
    Commitment,
    Conclusion,
    ExpertOpinion,
    Organisation,
    PanelMember,
    Role,
)
from jiebang_es.errors import InvalidValueError, RuleViolationError


class ChallengeStatus(Enum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    REJECTED = "rejected"
    LISTED = "listed"
    PUBLISHED = "published"
    SELECTED = "selected"
    FAILED = "failed"  # 流榜
    CANCELLED = "cancelled"


# The version of RULES.md a challenge is drafted under. The rules new in version 2 (R-EU-LOCAL,
# R-EU-DRAFTS, R-BUDGET, the conditions of R-OPEN) were never asked of challenges drafted before.
RULES_VERSION = 2


class Challenge(JiebangAggregate):
    class Drafted(JiebangAggregate.Created):
        end_user: Organisation
        demand_ids: tuple[str, ...]
        content: ChallengeContent
        rules_version: int

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            # Drafted by the first release, under RULES.md version 1 (docs/rules-challenge.md).
            state["rules_version"] = 1

    @event(Drafted)
    def __init__(
        self,
        audit: Audit,
        end_user: Organisation,
        demand_ids: tuple[str, ...],
        content: ChallengeContent,
        rules_version: int = RULES_VERSION,
    ) -> None:
        self.rules_version = rules_version
        self.end_user = end_user
        self.demand_ids = tuple(demand_ids)
        self.content = content
        self.status = ChallengeStatus.DRAFT
        self.review_rounds = 0
        self.period_argued = False
        self.reviewed_on: date | None = None
        self.year: int | None = None
        self.meeting_date: date | None = None
        self.minutes_ref = ""
        self.guide = ""
        self.window_opens: datetime | None = None
        self.window_closes: datetime | None = None
        self.panel: tuple[PanelMember, ...] = ()
        self.panel_confirmed_by: tuple[Role, ...] = ()
        # R-DRAW: the draw the review panel came from ("" for a hand-picked panel)
        self.panel_draw_id = ""
        self.project_id: str | None = None
        self.application_id: str | None = None
        self.revoked_applications: tuple[str, ...] = ()
        # R-REVIEW-PANEL per application (version 2): replacements added to the confirmed
        # panel, each confirmed by both parties, and members recorded absent.
        self.replacements: tuple[PanelMember, ...] = ()
        self.replacement_confirmed_by: tuple[tuple[str, Role], ...] = ()
        self.absent: tuple[str, ...] = ()
        # R-EU-DRAFTS: the digest of the content the end user last confirmed (None: not yet,
        # or revised since). Events of the first release never confirmed anything.
        self.eu_confirmed_digest: str | None = None

    @property
    def eu_commitment_amount(self) -> Decimal | None:
        """R-EU-COMMIT: the end user's own R&D investment, as the draft records it."""
        c = self.content.commitment
        return None if c is None else c.own_investment

    @property
    def eu_commitment_support(self) -> str:
        """R-EU-COMMIT: the support and conditions the end user provides."""
        c = self.content.commitment
        return "" if c is None else c.support

    @property
    def eu_confirmed(self) -> bool:
        """R-EU-DRAFTS: the end user confirmed the draft as it stands."""
        return self.eu_confirmed_digest == content_digest(self.content)

    # ---- drafting (需求凝练) -------------------------------------------------------------
    class DraftRevised(JiebangAggregate.Event):
        content: ChallengeContent
        revises_version: int

    def revise(self, audit: Audit, content: ChallengeContent) -> None:
        """Replace the draft's contents; the earlier version stays on record."""
        if self.status is not ChallengeStatus.DRAFT:
            raise order_violation(
                f"only a draft can be revised; this challenge is {self.status.value}"
            )
        if content.category is not self.content.category and self.review_rounds:
            raise order_violation("the category cannot change after an argumentation")
        self._draft_revised(audit=audit, content=content, revises_version=self.version)

    @event(DraftRevised)
    def _draft_revised(self, audit: Audit, content: ChallengeContent, revises_version: int) -> None:
        self.content = content
        self.period_argued = False
        self.eu_confirmed_digest = None

    class EndUserConfirmed(JiebangAggregate.Event):
        """R-EU-DRAFTS: the end user confirms the draft's content and its own commitment."""

        confirmed_version: int
        content_digest: str
        commitment: Commitment

    def confirm_by_end_user(self, audit: Audit, digest: str) -> None:
        """The end user confirms the draft it read (by the content's digest) and its commitment."""
        if self.status is not ChallengeStatus.DRAFT:
            raise order_violation(
                f"the end user confirms a draft; this challenge is {self.status.value}"
            )
        current = content_digest(self.content)
        if digest.strip().lower() != current:
            raise RuleViolationError(
                "R-EU-DRAFTS",
                f"the draft the end user read (digest {digest.strip()[:12]}…) is not the draft as "
                f"it stands (version {self.version}, digest {current[:12]}…); read it again",
            )
        if self.eu_confirmed_digest == current:
            raise RuleViolationError(
                "R-EU-DRAFTS", f"the end user already confirmed version {self.version}"
            )
        if self.content.commitment is None:
            raise RuleViolationError(
                "R-EU-COMMIT", "the draft records no commitment of the end user to confirm"
            )
        self._end_user_confirmed(
            audit=audit,
            confirmed_version=self.version,
            content_digest=current,
            commitment=self.content.commitment,
        )

    @event(EndUserConfirmed)
    def _end_user_confirmed(
        self, audit: Audit, confirmed_version: int, content_digest: str, commitment: Commitment
    ) -> None:
        self.eu_confirmed_digest = content_digest

    # ---- argumentation (榜单论证) -------------------------------------------------------
    class Reviewed(JiebangAggregate.Event):
        conclusion: Conclusion
        opinions: tuple[ExpertOpinion, ...]
        period_argued: bool
        draw_id: str  # R-DRAW: the draw the panel came from; "" for a hand-picked panel

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            # Recorded before panels came from draws: the panel was named by hand.
            state["draw_id"] = ""

    def review(
        self,
        audit: Audit,
        conclusion: Conclusion,
        opinions: tuple[ExpertOpinion, ...],
        period_argued: bool,
        draw_id: str = "",
    ) -> None:
        """Record the argumentation panel's opinions and conclusion (pass, revise, reject)."""
        if self.status is not ChallengeStatus.DRAFT:
            raise order_violation(
                f"argumentation reviews a draft; this challenge is {self.status.value}"
            )
        check_complete(self.content)
        if not self.eu_confirmed:
            raise RuleViolationError(
                "R-EU-DRAFTS",
                "the end user has not confirmed the draft as it stands (content and its own "
                "commitment); argumentation waits for its confirmation (会同最终用户凝练)",
            )
        self._reviewed(
            audit=audit,
            conclusion=conclusion,
            opinions=opinions,
            period_argued=period_argued,
            draw_id=draw_id,
        )

    @event(Reviewed)
    def _reviewed(
        self,
        audit: Audit,
        conclusion: Conclusion,
        opinions: tuple[ExpertOpinion, ...],
        period_argued: bool,
        draw_id: str = "",
    ) -> None:
        self.review_rounds += 1
        self.status = {
            Conclusion.PASS: ChallengeStatus.REVIEWED,
            Conclusion.REVISE: ChallengeStatus.DRAFT,
            Conclusion.REJECT: ChallengeStatus.REJECTED,
        }[conclusion]
        self.period_argued = conclusion is Conclusion.PASS and period_argued
        self.reviewed_on = audit.effective_at.date()

    # ---- annual list (榜单确定, 党组会) --------------------------------------------------
    class Listed(JiebangAggregate.Event):
        year: int
        meeting_date: date
        minutes_ref: str

    def list_in_annual_plan(
        self, audit: Audit, year: int, meeting_date: date, minutes_ref: str
    ) -> None:
        """Put the challenge on the annual list approved by the party group meeting."""
        if self.status is not ChallengeStatus.REVIEWED:
            raise order_violation(
                "only a challenge that passed argumentation goes on the annual list; this one is "
                f"{self.status.value}"
            )
        rules.require_text(
            minutes_ref, "R-PARTY-APPROVAL", "the party group meeting's minutes reference"
        )
        if meeting_date > audit.effective_at.date():
            raise RuleViolationError(
                "R-PARTY-APPROVAL", f"the meeting of {meeting_date} has not taken place yet"
            )
        if self.reviewed_on is not None and meeting_date < self.reviewed_on:
            raise order_violation(
                f"the meeting of {meeting_date} predates the argumentation of {self.reviewed_on}"
            )
        if year not in (meeting_date.year, meeting_date.year + 1):
            raise RuleViolationError(
                "R-PARTY-APPROVAL",
                f"a meeting held on {meeting_date} approves the list of {meeting_date.year} or "
                f"{meeting_date.year + 1}, not {year}",
            )
        period = self.content.period_months or 0
        if period > rules.PERIOD_ARGUED_OVER_MONTHS and not self.period_argued:
            raise RuleViolationError(
                "R-PERIOD-ARGUED",
                f"a period of {period} months (over 3 years) needs an expert argumentation of "
                "the period organised by the bureau before approval "
                "(确需超过规定实施周期的，由区科技局组织专家论证后确认)",
            )
        self._listed(audit=audit, year=year, meeting_date=meeting_date, minutes_ref=minutes_ref)

    @event(Listed)
    def _listed(self, audit: Audit, year: int, meeting_date: date, minutes_ref: str) -> None:
        self.status = ChallengeStatus.LISTED
        self.year = year
        self.meeting_date = meeting_date
        self.minutes_ref = minutes_ref

    # ---- publication (写榜发布) ----------------------------------------------------------
    class Published(JiebangAggregate.Event):
        guide: str
        window_opens: datetime
        window_closes: datetime

    def publish(
        self, audit: Audit, guide: str, window_opens: datetime, window_closes: datetime
    ) -> None:
        """Publish with the application guide (申报指南) and window, in the draft's scope."""
        if self.status is not ChallengeStatus.LISTED:
            raise RuleViolationError(
                "R-PARTY-APPROVAL",
                "only challenges on an annual list approved at a party group meeting can be "
                f"published; this one is {self.status.value}",
            )
        _, _, scope = self.content.settled()
        check_scope(scope, self.content.recipients, self.content.classified)
        rules.require_text(guide, "R-GUIDE", "the application guide (申报指南)")
        if window_closes <= window_opens:
            raise RuleViolationError("R-GUIDE", "the application window closes after it opens")
        if window_closes <= audit.effective_at:
            raise RuleViolationError("R-GUIDE", "the application window is already over")
        self._published(
            audit=audit, guide=guide, window_opens=window_opens, window_closes=window_closes
        )

    @event(Published)
    def _published(
        self, audit: Audit, guide: str, window_opens: datetime, window_closes: datetime
    ) -> None:
        self.status = ChallengeStatus.PUBLISHED
        self.guide = guide
        self.window_opens = window_opens
        self.window_closes = window_closes

    def window_is_open(self, at: datetime) -> bool:
        return (
            self.status is ChallengeStatus.PUBLISHED
            and self.window_opens is not None
            and self.window_closes is not None
            and self.window_opens <= at < self.window_closes
        )

    def window_has_closed(self, at: datetime) -> bool:
        return self.window_closes is not None and at >= self.window_closes

    def check_open_for_applications(self, at: datetime) -> None:
        if not self.window_is_open(at):
            raise order_violation(
                f"applications are taken only in the open window ({self.window_opens} – "
                f"{self.window_closes}) of a published challenge; it is {self.status.value} at {at}"
            )

    # ---- review panel (揭榜评审) ----------------------------------------------------------
    class ReviewPanelProposed(JiebangAggregate.Event):
        members: tuple[PanelMember, ...]
        draw_id: str  # R-DRAW: the draw the panel came from; "" for a hand-picked panel

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            # Proposed before panels came from draws: the panel was named by hand.
            state["draw_id"] = ""

    def propose_panel(
        self, audit: Audit, members: tuple[PanelMember, ...], draw_id: str = ""
    ) -> None:
        """Propose the review panel; it takes effect once bureau and end user both confirm.
        A panel re-proposed from its draw after a refusal to serve needs both again."""
        if self.status is not ChallengeStatus.PUBLISHED:
            raise order_violation(
                "a review panel is formed for a published challenge; this one is "
                f"{self.status.value}"
            )
        if self.panel_is_effective:
            raise order_violation(
                "the review panel was already confirmed by both parties; propose a replacement "
                "expert for a recused or absent member instead"
            )
        if len({m.expert_id for m in members}) != len(members):
            raise RuleViolationError("R-REVIEW-PANEL", "an expert is named twice on the panel")
        self._panel_proposed(audit=audit, members=members, draw_id=draw_id)

    @event(ReviewPanelProposed)
    def _panel_proposed(
        self, audit: Audit, members: tuple[PanelMember, ...], draw_id: str = ""
    ) -> None:
        self.panel = tuple(members)
        self.panel_confirmed_by = ()
        self.panel_draw_id = draw_id

    class ReviewPanelConfirmed(JiebangAggregate.Event):
        role: Role

    def confirm_panel(self, audit: Audit) -> None:
        """Bureau or end user confirms the proposed panel (R-PANEL-JOINT)."""
        if not self.panel:
            raise order_violation("there is no proposed review panel to confirm")
        if audit.role in self.panel_confirmed_by:
            raise RuleViolationError("R-PANEL-JOINT", f"the {audit.role.value} already confirmed")
        self._panel_confirmed(audit=audit, role=audit.role)

    @event(ReviewPanelConfirmed)
    def _panel_confirmed(self, audit: Audit, role: Role) -> None:
        self.panel_confirmed_by = (*self.panel_confirmed_by, role)

    @property
    def panel_is_effective(self) -> bool:
        return {Role.BUREAU, Role.END_USER} <= set(self.panel_confirmed_by)

    def panel_member_ids(self) -> set[str]:
        """The confirmed panel's members: the original panel and every replacement both
        parties confirmed (absent members included: their scores on record stand)."""
        return {m.expert_id for m in self.panel} | {
            m.expert_id for m in self.replacements if self.replacement_is_effective(m.expert_id)
        }

    def replacement_is_effective(self, expert_id: str) -> bool:
        roles = {role for x, role in self.replacement_confirmed_by if x == expert_id}
        return {Role.BUREAU, Role.END_USER} <= roles

    # ---- replacements and absences (R-REVIEW-PANEL, R-PANEL-JOINT) ---------------------
    class ReplacementExpertProposed(JiebangAggregate.Event):
        member: PanelMember
        replaces: str
        grounds: str  # why the replacement: the recusal or absence it makes up for

    def _check_panel_in_review(self, step: str) -> None:
        if self.status is not ChallengeStatus.PUBLISHED:
            raise order_violation(
                f"{step} while the challenge is published; it is {self.status.value}"
            )
        if not self.panel_is_effective:
            raise order_violation(
                f"{step} on a panel both parties confirmed; until then, propose the panel again"
            )

    def propose_replacement(
        self, audit: Audit, member: PanelMember, replaces: str, reason: str
    ) -> None:
        """Propose an expert to join the confirmed panel in place of a recused or absent one;
        the replacement takes effect once bureau and end user both confirm it."""
        self._check_panel_in_review("a replacement expert joins the panel")
        rules.require_text(reason, "R-REVIEW-PANEL", "the reason for the replacement")
        if replaces not in self.panel_member_ids():
            raise InvalidValueError("replaces", f"expert {replaces} is not on the confirmed panel")
        if member.expert_id in self.panel_member_ids() or any(
            m.expert_id == member.expert_id for m in self.replacements
        ):
            raise RuleViolationError(
                "R-REVIEW-PANEL",
                f"expert {member.expert_id} is already on or proposed for the panel",
            )
        self._replacement_proposed(audit=audit, member=member, replaces=replaces, grounds=reason)

    @event(ReplacementExpertProposed)
    def _replacement_proposed(
        self, audit: Audit, member: PanelMember, replaces: str, grounds: str
    ) -> None:
        self.replacements = (*self.replacements, member)

    class ReplacementExpertConfirmed(JiebangAggregate.Event):
        expert_id: str
        role: Role

    def confirm_replacement(self, audit: Audit, expert_id: str) -> None:
        """The bureau's or the end user's confirmation of a proposed replacement."""
        self._check_panel_in_review("a replacement is confirmed")
        if not any(m.expert_id == expert_id for m in self.replacements):
            raise order_violation(f"no replacement expert {expert_id} was proposed")
        if (expert_id, audit.role) in self.replacement_confirmed_by:
            raise RuleViolationError(
                "R-PANEL-JOINT", f"the {audit.role.value} already confirmed this replacement"
            )
        self._replacement_confirmed(audit=audit, expert_id=expert_id, role=audit.role)

    @event(ReplacementExpertConfirmed)
    def _replacement_confirmed(self, audit: Audit, expert_id: str, role: Role) -> None:
        self.replacement_confirmed_by = (*self.replacement_confirmed_by, (expert_id, role))

    class ExpertAbsent(JiebangAggregate.Event):
        expert_id: str
        grounds: str  # why the expert takes no further part

    def record_absence(self, audit: Audit, expert_id: str, reason: str) -> None:
        """A panel member who takes no further part in the review (illness, travel, …)."""
        self._check_panel_in_review("an absence is recorded")
        rules.require_text(reason, "R-REVIEW-PANEL", "the reason for the absence")
        if expert_id not in self.panel_member_ids():
            raise InvalidValueError(
                "expert_id", f"expert {expert_id} is not on the confirmed panel"
            )
        if expert_id in self.absent:
            raise RuleViolationError("R-REVIEW-PANEL", f"expert {expert_id} is already absent")
        self._expert_absent(audit=audit, expert_id=expert_id, grounds=reason)

    @event(ExpertAbsent)
    def _expert_absent(self, audit: Audit, expert_id: str, grounds: str) -> None:
        self.absent = (*self.absent, expert_id)

    # ---- selection, revocation, 流榜, cancellation ----------------------------------------
    class SolverSelected(JiebangAggregate.Event):
        project_id: str
        application_id: str

    def record_selection(self, audit: Audit, project_id: str, application_id: str) -> None:
        if self.status is not ChallengeStatus.PUBLISHED:
            raise order_violation(
                f"a solver is selected for a published challenge; this one is {self.status.value}"
            )
        if not self.window_has_closed(audit.effective_at):
            raise order_violation("the solver is selected after the application window closed")
        self._solver_selected(audit=audit, project_id=project_id, application_id=application_id)

    @event(SolverSelected)
    def _solver_selected(self, audit: Audit, project_id: str, application_id: str) -> None:
        self.status = ChallengeStatus.SELECTED
        self.project_id = project_id
        self.application_id = application_id

    class SolverSelectionRevoked(JiebangAggregate.Event):
        project_id: str

    def revoke_selection(self, audit: Audit, project_id: str) -> None:
        if self.project_id != project_id:
            raise order_violation(f"project {project_id} is not this challenge's selection")
        self._solver_selection_revoked(audit=audit, project_id=project_id)

    @event(SolverSelectionRevoked)
    def _solver_selection_revoked(self, audit: Audit, project_id: str) -> None:
        # Back to published: the end user may select another reviewed application, or 流榜.
        self.status = ChallengeStatus.PUBLISHED
        if self.application_id is not None:
            self.revoked_applications = (*self.revoked_applications, self.application_id)
        self.project_id = None
        self.application_id = None

    class Failed(JiebangAggregate.Event):
        """流榜: the window closed and no solver was selected."""

    def fail(self, audit: Audit) -> None:
        rules.require_reason(audit.reason, "R-AUDIT-WHO", "declaring a challenge failed (流榜)")
        if self.status is not ChallengeStatus.PUBLISHED or not self.window_has_closed(
            audit.effective_at
        ):
            raise order_violation(
                "a challenge fails (流榜) only once published and its window has closed"
            )
        self._failed(audit=audit)

    @event(Failed)
    def _failed(self, audit: Audit) -> None:
        self.status = ChallengeStatus.FAILED

    class Cancelled(JiebangAggregate.Event):
        pass

    def cancel(self, audit: Audit) -> None:
        rules.require_reason(audit.reason, "R-AUDIT-WHO", "cancelling a challenge")
        if self.status in (
            ChallengeStatus.SELECTED,
            ChallengeStatus.FAILED,
            ChallengeStatus.CANCELLED,
            ChallengeStatus.REJECTED,
        ):
            raise order_violation(f"a {self.status.value} challenge cannot be cancelled")
        self._cancelled(audit=audit)

    @event(Cancelled)
    def _cancelled(self, audit: Audit) -> None:
        self.status = ChallengeStatus.CANCELLED


def approve_list(
    challenges: Sequence[Challenge], audit: Audit, year: int, meeting_date: date, minutes_ref: str
) -> None:
    """The party group meeting approves the year's list: every challenge on it, or none."""
    for challenge in challenges:
        challenge.list_in_annual_plan(audit, year, meeting_date, minutes_ref)
