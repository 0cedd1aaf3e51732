"""Test support: a scripted business clock and a journey that drives one challenge step by step.

Each step sets the business date the plan would have it on (2026, a year the calendar knows).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from jiebang_es.config import Settings
from jiebang_es.demo import SimulatedClock
from jiebang_es.domain.content import ChallengeContent, content_digest
from jiebang_es.domain.draw import DrawPurpose
from jiebang_es.domain.values import (
    Conclusion,
    ContractTerms,
    CreditStatus,
    DemandSource,
    ExpertKind,
    Organisation,
    Role,
)
from jiebang_es.draws.algorithm import commitment_of
from jiebang_es.errors import NotFoundError
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    ENTERPRISE_HUADONG,
    ENTERPRISE_STARTUP,
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    UNIVERSITY_MEDICAL,
    SampleExpert,
    actor,
    experts_for,
    key_challenge_content,
    make_code,
)
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CHINA_TZ


class ScriptedClock(SimulatedClock):
    """Business time that the test sets (from 2 March 2026); recording time stays real."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA_TZ)


BUREAU_STAFF = actor(Role.BUREAU, BUREAU, "bureau-li")
# The sample's solver units, whose credit the journey checks before each step that needs it.
SOLVER_UNITS = (
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    ENTERPRISE_HUADONG,
    ENTERPRISE_STARTUP,
    UNIVERSITY_MEDICAL,
)


def check_credit(app, *orgs: Organisation, status: CreditStatus = CreditStatus.GOOD) -> None:
    """R-CREDIT: the bureau checks the units in the national credit system today."""
    for org in orgs or SOLVER_UNITS:
        record = app.credit_record(org.credit_code)
        if record is not None and record.effective_at > app.clock.now():
            continue  # another journey on this store checked it later in the simulated year
        app.record_credit_status(
            BUREAU_STAFF, org_code=org.credit_code, status=status, source="信用中国 查询"
        )


WINDOW_OPENS = at(date(2026, 4, 10), 9)
WINDOW_CLOSES = at(date(2026, 5, 10), 17)
# R-DRAW: the bureau's secret seed (its digest is committed when the draw is scheduled) and the
# public value of the named source, published on the day after.
DRAW_SEED = "5eed" * 16
DRAW_SOURCE = "中国福利彩票双色球开奖号码"
DRAW_PUBLIC_VALUE = "03 08 15 22 27 31 + 09"
HAND_PICKED_REASON = "专家库尚未建成，由区科技局按专业领域指定（人工指定）"


def journey_field(tag: str) -> str:
    """The field code a journey's experts carry and its draws ask for: each journey draws
    from its own experts, which its tests then name."""
    return f"journey-{tag}"


@dataclass
class Journey:
    """One challenge, from draft to funds, each step callable on its own."""

    app: JiebangApp
    clock: object
    end_user: Organisation = END_USER_EQUIPMENT
    content: ChallengeContent = field(default_factory=key_challenge_content)
    tag: str = "k"
    challenge_id: str = ""
    project_id: str = ""
    experts: dict[str, str] = field(default_factory=dict)  # person id -> expert aggregate id
    applications: list[str] = field(default_factory=list)
    argumentation_draw: str = ""
    review_draw: str = ""

    @property
    def eu(self):
        return actor(Role.END_USER, self.end_user, "eu-zhou")

    def _on(self, day: date, hour: int = 10) -> None:
        self.clock.on(day, hour)  # type: ignore[attr-defined]

    def sample_experts(self) -> list[SampleExpert]:
        return experts_for(self.end_user, self.tag)

    def register_experts(self) -> None:
        """Register the sample experts, or find those another journey registered; in the
        pool since 20 February, before any step of the journey (R-ORDER keeps each expert's
        seats in time order)."""
        kept = self.clock.current  # type: ignore[attr-defined]
        try:
            self._register_experts()
        finally:
            self.clock.current = kept  # type: ignore[attr-defined]

    def _register_experts(self) -> None:
        for e in self.sample_experts():
            if e.person_id in self.experts:
                continue
            try:
                self.experts[e.person_id] = str(self.app.expert_of_person(e.person_id).id)
                continue
            except NotFoundError:
                pass
            self._on(date(2026, 2, 20))
            r = self.app.register_expert(
                BUREAU_STAFF,
                person_id=e.person_id,
                name=e.name,
                org_code=e.org.credit_code,
                org_name=e.org.name,
                kind=e.kind,
                speciality=e.speciality,
                specialities=[e.speciality, journey_field(self.tag)],
            )
            self.experts[e.person_id] = r.aggregate_id

    def drawn_panel(self, purpose: DrawPurpose, scheduled: datetime) -> str:
        """R-DRAW: schedule a draw of the journey's experts (those a panel may have, after
        avoidance) and perform it when the public value is out the next day; the draw's id."""
        self.register_experts()
        self.clock.current = scheduled  # type: ignore[attr-defined]
        avoided = {self.end_user.credit_code}
        if purpose is DrawPurpose.REVIEW:
            avoided = set()
            for application in self.app.applications_to(self.challenge_id):
                if application.status.value == "applied":
                    avoided |= application.unit_codes()
        needs: dict[ExpertKind, int] = {}
        for e in self.sample_experts():
            if e.kind is not ExpertKind.END_USER_REP and e.org.credit_code not in avoided:
                needs[e.kind] = needs.get(e.kind, 0) + 1
        draw_id = self.app.schedule_draw(
            BUREAU_STAFF,
            self.challenge_id,
            purpose=purpose,
            needs=needs,
            commitment=commitment_of(DRAW_SEED),
            randomness_source=DRAW_SOURCE,
            randomness_date=scheduled.date() + timedelta(days=1),
            specialities=[journey_field(self.tag)],
        ).aggregate_id
        self.clock.current = at(scheduled.date() + timedelta(days=1), 9)  # type: ignore[attr-defined]
        self.app.perform_draw(BUREAU_STAFF, draw_id, seed=DRAW_SEED, public_value=DRAW_PUBLIC_VALUE)
        return draw_id

    def draw_argumentation(self) -> str:
        """The argumentation panel's draw (once: a second round sits the same panel)."""
        if not self.argumentation_draw:
            self.argumentation_draw = self.drawn_panel(
                DrawPurpose.ARGUMENTATION, at(date(2026, 3, 17))
            )
        return self.argumentation_draw

    def drawn(self, draw_id: str) -> list[str]:
        """The experts a draw seats now (replacements included)."""
        return [m.expert_id for m in self.app.draw(draw_id).seated]

    def draft(self, *, confirm: bool = True, **kw) -> Journey:
        """The bureau drafts; the end user confirms the draft (R-EU-DRAFTS) unless told not to."""
        self.register_experts()
        ensure_budget(self.app, self.clock, 2026)
        if "demand_ids" not in kw:
            kw["demand_ids"] = [
                collect(
                    self.app,
                    self.clock,
                    self.end_user,
                    self.content.industry,
                    kw.get("exception_reason"),
                )
            ]
        self._on(date(2026, 3, 2))
        r = self.app.draft_challenge(
            BUREAU_STAFF, end_user=self.end_user, content=self.content, **kw
        )
        self.challenge_id = r.aggregate_id
        if confirm:
            self.confirm()
        return self

    def confirm(self) -> Journey:
        """The end user confirms the draft as it now stands (R-EU-DRAFTS)."""
        challenge = self.app.challenge(self.challenge_id)
        self.app.confirm_draft(
            self.eu, self.challenge_id, content_digest=content_digest(challenge.content)
        )
        return self

    def argue(
        self, conclusion: Conclusion = Conclusion.PASS, *, drawn: bool = True, **kw
    ) -> Journey:
        """The argumentation panel drawn from the pool (R-DRAW; a second round after a revision
        sits the same panel), or named by hand with the bureau's justification."""
        self.register_experts()
        if drawn:
            self.draw_argumentation()
        self._on(date(2026, 3, 20))
        if drawn:
            # in the sample's order (management first), any other drawn expert after them
            order = [self.experts[e.person_id] for e in self.sample_experts()]
            seated = sorted(
                self.drawn(self.argumentation_draw),
                key=lambda x: order.index(x) if x in order else len(order),
            )
            opinions = [(x, "同意") for x in seated]
            kw.setdefault("draw_id", self.argumentation_draw)
        else:
            opinions = [(self.experts[e.person_id], "同意") for e in self.sample_experts()[:5]]
            kw.setdefault("exception_reason", HAND_PICKED_REASON)
        self.app.record_argumentation(
            BUREAU_STAFF, self.challenge_id, conclusion=conclusion, opinions=opinions, **kw
        )
        return self

    def list(self) -> Journey:
        self._on(date(2026, 4, 8), 15)
        self.app.approve_annual_list(
            BUREAU_STAFF,
            year=2026,
            meeting_date=date(2026, 4, 8),
            minutes_ref="党组会〔2026〕7号",
            challenge_ids=[self.challenge_id],
        )
        return self

    def publish(self) -> Journey:
        self._on(date(2026, 4, 10), 8)
        self.app.publish(
            BUREAU_STAFF,
            self.challenge_id,
            guide="申报指南：…",
            window_opens=WINDOW_OPENS,
            window_closes=WINDOW_CLOSES,
        )
        check_credit(self.app)
        return self

    def apply(
        self,
        lead: Organisation = INSTITUTE_WEST,
        participants: tuple[Organisation, ...] = (),
        budget: str = "90000.00",
        period: int = 18,
        *,
        when: datetime | None = None,
        applicant=None,
        technical_plan: str = "基于磁电复合的编码方案",
        ip_declaration: bool = True,
        leader_name: str = "张工",
    ) -> str:
        """Apply as the lead unit's own staff, by default on 20 April, inside the window."""
        self.clock.current = when or at(date(2026, 4, 20))  # type: ignore[attr-defined]
        r = self.app.apply(
            applicant or actor(Role.APPLICANT, lead, f"lead-{lead.credit_code[-4:]}"),
            self.challenge_id,
            lead=lead,
            participants=participants,
            leader_name=leader_name,
            technical_plan=technical_plan,
            ip_declaration=ip_declaration,
            budget=budget,
            period_months=period,
        )
        self.applications.append(r.aggregate_id)
        return r.aggregate_id

    def panel(self, count: int = 6, *, drawn: bool = True) -> Journey:
        """The review panel: drawn after the window closed (R-DRAW) with the end user's head
        named beside it, or the first ``count`` sample experts named by hand with the bureau's
        justification; then both parties confirm it (R-PANEL-JOINT)."""
        self.register_experts()
        if drawn:
            self.review_draw = self.drawn_panel(DrawPurpose.REVIEW, at(date(2026, 5, 10), 18))
        self._on(date(2026, 5, 11))
        head = self.experts[self.sample_experts()[-1].person_id]
        if drawn:
            self.app.propose_review_panel(
                BUREAU_STAFF, self.challenge_id, draw_id=self.review_draw, expert_ids=[head]
            )
        else:
            ids = [self.experts[e.person_id] for e in self.sample_experts()[:count]]
            self.app.propose_review_panel(
                BUREAU_STAFF,
                self.challenge_id,
                expert_ids=ids,
                exception_reason=HAND_PICKED_REASON,
            )
        self.app.confirm_review_panel(BUREAU_STAFF, self.challenge_id)
        self.app.confirm_review_panel(self.eu, self.challenge_id)
        return self

    def review(self, application_id: str, score: str = "88", recommend: bool | None = None) -> None:
        """Every effective panel member (replacements included, absentees not) declares and,
        unless recused, scores; those who already did are left as they are."""
        self._on(date(2026, 5, 12))
        challenge = self.app.challenge(self.challenge_id)
        members = challenge.panel_member_ids()
        for member in (*challenge.panel, *challenge.replacements):
            if member.expert_id not in members or member.expert_id in challenge.absent:
                continue
            expert = self.app.expert(member.expert_id)
            who = actor(Role.EXPERT, _org(expert.org_code), expert.person_id)
            application = self.app.application(application_id)
            if member.expert_id not in (*application.cleared, *application.recused):
                self.app.declare_conflict(
                    who, application_id, expert_id=member.expert_id, conflict=False
                )
            application = self.app.application(application_id)
            if member.expert_id in application.recused or any(
                x.expert_id == member.expert_id for x in application.scores
            ):
                continue
            self.app.score(
                who,
                application_id,
                expert_id=member.expert_id,
                score=score,
                opinion="方案可行",
                recommend=recommend,
            )

    def select(self, application_id: str, exception_reason: str | None = None) -> Journey:
        self._on(date(2026, 5, 15))
        check_credit(self.app)
        r = self.app.select(
            self.eu,
            self.challenge_id,
            application_id=application_id,
            exception_reason=exception_reason,
        )
        self.project_id = r.aggregate_id
        return self

    def publicize(self) -> Journey:
        self._on(date(2026, 5, 18))
        self.app.publicize(BUREAU_STAFF, self.project_id)
        return self

    def close_notice(self) -> Journey:
        self._on(date(2026, 5, 25))
        self.app.close_notice(BUREAU_STAFF, self.project_id)
        return self

    def terms(self, budget: str = "90000.00", period: int = 18) -> ContractTerms:
        return ContractTerms(
            indicators=self.content.indicators,
            milestones=self.content.milestones,
            budget=Decimal(budget),
            period_months=period,
        )

    def contract(self, lead: Organisation = INSTITUTE_WEST) -> Journey:
        self._on(date(2026, 6, 1))
        check_credit(self.app)
        self.app.draft_contract(BUREAU_STAFF, self.project_id, terms=self.terms())
        self.app.sign_contract(BUREAU_STAFF, self.project_id)
        self.app.sign_contract(self.eu, self.project_id)
        self.app.sign_contract(actor(Role.APPLICANT, lead, "lead"), self.project_id)
        return self

    # ---- whole stretches ----------------------------------------------------------------
    def to_published(self) -> Journey:
        return self.draft().argue().list().publish()

    def to_selected(self) -> Journey:
        self.to_published()
        app_id = self.apply()
        self.panel()
        self.review(app_id)
        return self.select(app_id)

    def to_contracted(self) -> Journey:
        return self.to_selected().publicize().close_notice().contract()


def collect(
    app, clock, end_user: Organisation, industry: str, exception_reason: str | None = None
) -> str:
    """Step 1: the bureau collects the end user's demand on a survey visit (24 Feb 2026)."""
    clock.on(date(2026, 2, 24))
    r = app.collect_demand(
        BUREAU_STAFF,
        source=DemandSource.SURVEY_VISIT,
        enterprise=end_user,
        industry=industry,
        title="关键核心技术需求",
        description="调研走访记录",
        exception_reason=exception_reason,
    )
    return r.aggregate_id


# Room for every journey a test drives in one year (R-BUDGET).
TEST_BUDGET = Decimal("100000000.00")


def ensure_budget(app, clock, year: int, amount: Decimal = TEST_BUDGET) -> None:
    """The bureau records the year's budget envelope before the list (R-BUDGET), once."""
    try:
        app.budget(year)
    except NotFoundError:
        clock.on(date(year, 1, 5))
        app.set_budget(BUREAU_STAFF, year=year, amount=amount)


# A demand id for drafts that must be refused before any demand is read.
UNREAD_DEMAND = "00000000-0000-4000-8000-000000000000"


def _org(code: str) -> Organisation:
    from jiebang_es.domain.values import UnitType

    return Organisation(code, "", UnitType.ENTERPRISE, True)


def solver(lead: Organisation = INSTITUTE_WEST):
    return actor(Role.APPLICANT, lead, "lead")


FIRST_RELEASE = Path(__file__).parent / "fixtures" / "store_v1"


def first_release_store(tmp_path: Path, name: str = "demo-2026.sqlite") -> Settings:
    """Settings on a copy of a store the first release wrote (never the fixture itself); no
    checkpoint key of that release is at hand, so the chain is verified on its own."""
    copy = tmp_path / f"copy-of-{name}"
    shutil.copyfile(FIRST_RELEASE / name, copy)
    return Settings(
        database_url=f"sqlite:///{copy}",
        audit_public_key_file=tmp_path / "absent.pub",
        audit_key_file=tmp_path / "absent.key",
    )


def register_peer(app: JiebangApp, person_id: str, code17: str, name: str = "同行专家") -> str:
    """One expert of the pool (区内同行技术专家), of a unit of its own; the expert's id."""
    return app.register_expert(
        BUREAU_STAFF,
        person_id=person_id,
        name=name,
        org_code=make_code(code17),
        org_name=f"{name}的单位",
        kind=ExpertKind.PEER_INSIDE,
        speciality="智能制造",
    ).aggregate_id
