"""`jiebang demo`: one simulated year of the procedure on the configured store.

Two challenges (a key one in 智能科技, public; a major one in 生命健康, restricted) go through all
nine steps with applicants from inside and outside the district, the end users' confirmation of
their drafts, the year's budget envelope (a list over it refused), an industry outside the list
accepted with its justification, argumentation and review panels drawn verifiably from the
expert pool, a recusal filled from the draw's order and confirmed again by bureau and end
user, a selection against the experts' ranking with its justification, an objection lodged and
dismissed, the district project numbers, contracts with payment schedules, a failed
milestone stopping a tranche until its rectification passes, the end user's assessment, its
reported co-investment, the bureau's acceptance and the final tranche — and the refusals the
rules must produce. Business dates are simulated (2026, a year the holiday calendar knows;
2027 for the end of A's delivery); recording times are real. Each run adds a new sample:
nothing is overwritten.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from jiebang_es import demo_panels
from jiebang_es.demo_delivery import deliver
from jiebang_es.domain.content import ChallengeContent, content_digest
from jiebang_es.domain.values import (
    Actor,
    ContractTerms,
    CreditStatus,
    DemandSource,
    Organisation,
    Role,
)
from jiebang_es.errors import JiebangError, NotFoundError, RuleViolationError
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
    key_challenge_content,
    major_challenge_content,
)
from jiebang_es.sample_documents import papers_for
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CHINA_TZ, CommandMeta, Receipt

# The sample's solver units (揭榜单位), whose credit the bureau checks before each step.
SOLVERS = (
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    ENTERPRISE_STARTUP,
    ENTERPRISE_HUADONG,
    UNIVERSITY_MEDICAL,
)


class SimulatedClock:
    """The demo's business calendar: it moves only when the script turns a page."""

    def __init__(self) -> None:
        self.current = datetime(2026, 1, 5, 9, 0, tzinfo=CHINA_TZ)

    def now(self) -> datetime:
        return self.current

    def on(self, day: date, hour: int = 10) -> None:
        self.current = datetime.combine(day, time(hour), tzinfo=CHINA_TZ)


class DemoFailedError(Exception):
    """The rules did not answer as the plan requires: the demo stops loudly."""


@dataclass
class Track:
    """One challenge of the sample and what the script learns about it as it goes."""

    label: str
    end_user: Organisation
    content: ChallengeContent
    tag: str
    demand_id: str = ""
    challenge_id: str = ""
    project_id: str = ""
    experts: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> person, org
    head: str = ""  # the end user's responsible person, designated beside the drawn experts
    review_draw: str = ""
    applications: dict[str, str] = field(default_factory=dict)  # org name -> application id

    @property
    def eu(self) -> Actor:
        return actor(Role.END_USER, self.end_user, f"eu-{self.tag}")


@dataclass
class DemoRun:
    app: JiebangApp
    clock: SimulatedClock
    console: Console
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    recorded: Counter[str] = field(default_factory=Counter)
    refusals: list[tuple[str, str]] = field(default_factory=list)

    bureau: Actor = field(default_factory=lambda: actor(Role.BUREAU, BUREAU, "bureau-li"))

    # ---- printing --------------------------------------------------------------------------
    def day(self, when: date, title: str) -> None:
        self.clock.on(when)
        self.console.print(f"\n[bold cyan]{when:%Y-%m-%d}[/]  [bold]{title}[/]")

    def do(
        self, who: str, what: str, command: Callable[..., Receipt], *args: Any, **kwargs: Any
    ) -> Receipt:
        receipt = command(*args, **papers_for(self.app, command.__name__, kwargs, *args[1:]))
        self.recorded.update(receipt.events)
        self.console.print(
            f"  [green]✓[/] {who}: {what} → [dim]{', '.join(receipt.events)} @{receipt.position}[/]"
        )
        return receipt

    def refuse(
        self,
        rule_id: str,
        who: str,
        what: str,
        command: Callable[..., Receipt],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        before = self.app.position()
        try:
            command(*args, **papers_for(self.app, command.__name__, kwargs, *args[1:]))
        except RuleViolationError as e:
            if e.rule_id != rule_id or self.app.position() != before:
                raise DemoFailedError(f"expected {rule_id}, got {e}") from e
            self.refusals.append((rule_id, what))
            self.console.print(
                f"  [red]✗[/] {who}: {what} → [red]refused {rule_id}[/]: {e.message}"
            )
            return
        raise DemoFailedError(f"{what} should have been refused under {rule_id}")

    # ---- the script -----------------------------------------------------------------------------
    def tracks(self) -> tuple[Track, Track]:
        key = Track("A", END_USER_EQUIPMENT, key_challenge_content(), f"a{self.run}")
        major = Track("B", END_USER_PHARMA, major_challenge_content(), f"b{self.run}")
        return key, major

    def play(self) -> tuple[Track, Track]:
        a, b = self.tracks()
        self.console.rule(f"[bold]揭榜挂帅 demo — sample {self.run}")
        self.collect(a, b)
        self.refine(a, b)
        self.out_of_list_industry(a)
        self.confirm_drafts(a, b)
        self.argue(a, b)
        self.approve_and_publish(a, b)
        self.applications(a, b)
        self.review(a, b)
        self.notice(a, b)
        self.contract_and_fund(a, b)
        return a, b

    def collect(self, a: Track, b: Track) -> None:
        self.day(date(2026, 2, 24), "1 需求征集 demand collection")
        for track, source, title in (
            (a, DemandSource.SURVEY_VISIT, "伺服编码器依赖进口"),
            (b, DemandSource.PUBLIC_SOLICITATION, "可降解支架工艺缺失"),
        ):
            r = self.do(
                "bureau",
                f"collect demand of {track.end_user.name} ({source.value})",
                self.app.collect_demand,
                self.bureau,
                source=source,
                enterprise=track.end_user,
                industry=track.content.industry,
                title=title,
                description="企业关键核心技术需求",
            )
            track.demand_id = r.aggregate_id

    def refine(self, a: Track, b: Track) -> None:
        self.day(date(2026, 3, 2), "2 需求凝练 refinement into draft challenges")
        for track in (a, b):
            r = self.do(
                "bureau",
                f"draft challenge {track.label} 《{track.content.name}》 "
                f"({track.content.category.value}, {track.content.industry})",
                self.app.draft_challenge,
                self.bureau,
                end_user=track.end_user,
                content=track.content,
                demand_ids=[track.demand_id],
            )
            track.challenge_id = r.aggregate_id
        over_cap = replace(a.content, funding=Decimal("150000.00"))
        self.refuse(
            "R-FUND-CAP",
            "end user",
            "raise A's funding to 150,000 yuan",
            self.app.revise_draft,
            a.eu,
            a.challenge_id,
            content=over_cap,
        )
        a.content = replace(a.content, benchmarking="对标海德汉ECN 1325，国内同类最高20位")
        self.do(
            "end user",
            "revise A's benchmarking",
            self.app.revise_draft,
            a.eu,
            a.challenge_id,
            content=a.content,
            meta=CommandMeta(reason="补充对标型号"),
        )

    def out_of_list_industry(self, a: Track) -> None:
        """R-INDUSTRY (in principle): 先进材料 is outside the configured list; with the bureau's
        justification the demand and its draft are accepted and the exception recorded."""
        why = "先进材料为我区培育产业（区产业发展规划），属“等”所含领域"
        content = replace(a.content, name="高性能磁性材料国产化", industry="先进材料")
        self.refuse(
            "R-INDUSTRY",
            "bureau",
            "collect a 先进材料 demand with no justification",
            self.app.collect_demand,
            self.bureau,
            source=DemandSource.SURVEY_VISIT,
            enterprise=a.end_user,
            industry="先进材料",
            title="磁性材料依赖进口",
            description="企业关键核心技术需求",
        )
        r = self.do(
            "bureau",
            "collect a 先进材料 demand, justified as a cultivated industry",
            self.app.collect_demand,
            self.bureau,
            source=DemandSource.SURVEY_VISIT,
            enterprise=a.end_user,
            industry="先进材料",
            title="磁性材料依赖进口",
            description="企业关键核心技术需求",
            exception_reason=why,
        )
        self.do(
            "bureau",
            "draft challenge C 《高性能磁性材料国产化》 (先进材料, exception recorded)",
            self.app.draft_challenge,
            self.bureau,
            end_user=a.end_user,
            content=content,
            demand_ids=[r.aggregate_id],
            exception_reason=why,
        )

    def confirm_drafts(self, a: Track, b: Track) -> None:
        """R-EU-DRAFTS: each end user confirms the draft as it stands and its own commitment."""
        self.day(date(2026, 3, 6), "2 需求凝练 the end users confirm the drafts")
        for track in (a, b):
            challenge = self.app.challenge(track.challenge_id)
            commitment = challenge.eu_commitment_amount
            self.do(
                f"end user {track.end_user.name}",
                f"confirm draft {track.label} and its own R&D investment of {commitment} yuan",
                self.app.confirm_draft,
                track.eu,
                track.challenge_id,
                content_digest=content_digest(challenge.content),
            )

    def budget(self, a: Track, b: Track) -> None:
        """R-BUDGET: the year's envelope first; a list that does not fit it is refused."""
        year = 2026
        try:
            listed = self.app.budget(year).listed_total
        except NotFoundError:
            listed = None
        taken = sum(
            (self.app.challenge(t.challenge_id).content.settled()[0] for t in (a, b)),
            Decimal("0.00"),
        )
        short = (listed or Decimal("0.00")) + taken - Decimal("100000.00")
        if listed is None:
            self.do(
                "bureau",
                f"budget envelope {year}, set on 01-05: {short} yuan",
                self.app.set_budget,
                self.bureau,
                year=year,
                amount=short,
                meta=CommandMeta(effective_at=datetime(year, 1, 5, 10, tzinfo=CHINA_TZ)),
            )
        else:
            self.do(
                "bureau",
                f"revise the {year} envelope to {short} yuan",
                self.app.revise_budget,
                self.bureau,
                year=year,
                amount=short,
                meta=CommandMeta(reason="年度经费预算调整"),
            )
        self.refuse(
            "R-BUDGET",
            "bureau",
            f"annual list {year} of {taken} yuan over the envelope",
            self.app.approve_annual_list,
            self.bureau,
            year=year,
            meeting_date=date(2026, 4, 8),
            minutes_ref="党组会〔2026〕7号",
            challenge_ids=[a.challenge_id, b.challenge_id],
        )
        self.do(
            "bureau",
            f"revise the {year} envelope to {short + Decimal('200000.00')} yuan",
            self.app.revise_budget,
            self.bureau,
            year=year,
            amount=short + Decimal("200000.00"),
            meta=CommandMeta(reason="追加年度经费预算（区财政批复）"),
        )

    def argue(self, a: Track, b: Track) -> None:
        demo_panels.argue(self, a, b)

    def approve_and_publish(self, a: Track, b: Track) -> None:
        self.day(date(2026, 4, 8), "4 榜单确定 the party group meeting approves the annual list")
        self.budget(a, b)
        self.do(
            "bureau",
            "annual list 2026 (党组会〔2026〕7号)",
            self.app.approve_annual_list,
            self.bureau,
            year=2026,
            meeting_date=date(2026, 4, 8),
            minutes_ref="党组会〔2026〕7号",
            challenge_ids=[a.challenge_id, b.challenge_id],
        )
        self.day(date(2026, 4, 10), "5 写榜发布 publication with the application guide")
        opens = datetime(2026, 4, 10, 9, tzinfo=CHINA_TZ)
        closes = datetime(2026, 5, 10, 17, tzinfo=CHINA_TZ)
        for track in (a, b):
            scope = track.content.scope.value if track.content.scope else "?"
            self.do(
                "bureau",
                f"publish {track.label} ({scope}), window 04-10 – 05-10",
                self.app.publish,
                self.bureau,
                track.challenge_id,
                guide=f"{track.content.name}申报指南",
                window_opens=opens,
                window_closes=closes,
            )

    def check_credit(self, *orgs: Organisation) -> None:
        """R-CREDIT: the bureau checks the solvers in the national credit system today; a
        check counts for the configured number of days (default 30)."""
        for org in orgs:
            record = self.app.credit_record(org.credit_code)
            if record is not None and record.effective_at >= self.clock.now():
                continue  # an earlier run of the sample year checked it on this day or later
            r = self.app.record_credit_status(
                self.bureau,
                org_code=org.credit_code,
                status=CreditStatus.GOOD,
                source="信用中国 严重失信主体名单查询",
            )
            self.recorded.update(r.events)
        names = "、".join(o.name for o in orgs)
        self.console.print(f"  [green]✓[/] bureau: credit checked today (信用中国): {names}")

    def _apply(
        self,
        track: Track,
        lead: Organisation,
        budget: str,
        participants: tuple[Organisation, ...] = (),
    ) -> None:
        where = "in district" if lead.in_district else "outside the district"
        r = self.do(
            f"applicant {lead.name}",
            f"apply to {track.label} ({where}, {budget} yuan)",
            self.app.apply,
            actor(Role.APPLICANT, lead, f"lead-{lead.credit_code[-4:]}"),
            track.challenge_id,
            lead=lead,
            participants=participants,
            leader_name="项目负责人",
            technical_plan="针对卡点问题的技术方案",
            ip_declaration=True,
            budget=budget,
            period_months=track.content.period_months or 0,
        )
        track.applications[lead.name] = r.aggregate_id

    def applications(self, a: Track, b: Track) -> None:
        self.day(date(2026, 4, 20), "6 揭榜 applications")
        self.check_credit(*SOLVERS)
        self._apply(a, INSTITUTE_WEST, "95000.00")
        self._apply(a, UNIVERSITY_JIANGNAN, "98000.00", (ENTERPRISE_STARTUP,))
        self._apply(a, ENTERPRISE_HUADONG, "88000.00")
        self.refuse(
            "R-EU-NOT-SOLVER",
            f"end user {a.end_user.name}",
            "apply to its own challenge A",
            self.app.apply,
            actor(Role.APPLICANT, a.end_user, "eu-as-applicant"),
            a.challenge_id,
            lead=a.end_user,
            leader_name="x",
            technical_plan="自研",
            ip_declaration=True,
            budget="90000",
            period_months=18,
        )
        self.refuse(
            "R-ASK-CAP",
            "applicant 重庆青创微纳",
            "ask A for 120,000 yuan",
            self.app.apply,
            actor(Role.APPLICANT, ENTERPRISE_STARTUP, "startup"),
            a.challenge_id,
            lead=ENTERPRISE_STARTUP,
            leader_name="x",
            technical_plan="方案",
            ip_declaration=True,
            budget="120000",
            period_months=18,
        )
        self._apply(b, UNIVERSITY_MEDICAL, "290000.00")
        self._apply(b, INSTITUTE_WEST, "300000.00")
        self.refuse(
            "R-SCOPE",
            f"applicant {ENTERPRISE_HUADONG.name}",
            "apply to restricted challenge B from outside its range",
            self.app.apply,
            actor(Role.APPLICANT, ENTERPRISE_HUADONG, "huadong"),
            b.challenge_id,
            lead=ENTERPRISE_HUADONG,
            leader_name="x",
            technical_plan="方案",
            ip_declaration=True,
            budget="280000",
            period_months=b.content.period_months or 0,
        )

    def review(self, a: Track, b: Track) -> None:
        demo_panels.propose_panels(self, a, b)
        self.day(date(2026, 5, 12), "6 declarations of interest and scores")
        scores = {
            ("A", INSTITUTE_WEST.name): 86,
            ("A", UNIVERSITY_JIANGNAN.name): 91,
            ("A", ENTERPRISE_HUADONG.name): 78,
            ("B", UNIVERSITY_MEDICAL.name): 89,
            ("B", INSTITUTE_WEST.name): 92,
        }
        demo_panels.recusal_filled_from_the_draw(self, a, a.applications[INSTITUTE_WEST.name])
        for track in (a, b):
            for lead_name, application_id in track.applications.items():
                score = scores.get((track.label, lead_name), 80)
                self._score(track, lead_name, application_id, score)
        self.day(date(2026, 5, 15), "6 the end users select their solvers")
        self.check_credit(UNIVERSITY_JIANGNAN, ENTERPRISE_STARTUP, UNIVERSITY_MEDICAL)
        r = self.do(
            f"end user {a.end_user.name}",
            f"select {UNIVERSITY_JIANGNAN.name} for A (ranked first)",
            self.app.select,
            a.eu,
            a.challenge_id,
            application_id=a.applications[UNIVERSITY_JIANGNAN.name],
            note="综合评分最高",
        )
        a.project_id = r.aggregate_id
        # R-SELECT-REASON: the experts ranked 西部智能制造研究院 first for B.
        self.refuse(
            "R-SELECT-REASON",
            f"end user {b.end_user.name}",
            f"select {UNIVERSITY_MEDICAL.name} for B (ranked second) without a reason",
            self.app.select,
            b.eu,
            b.challenge_id,
            application_id=b.applications[UNIVERSITY_MEDICAL.name],
        )
        r = self.do(
            f"end user {b.end_user.name}",
            f"select {UNIVERSITY_MEDICAL.name} for B (ranked second), with its justification",
            self.app.select,
            b.eu,
            b.challenge_id,
            application_id=b.applications[UNIVERSITY_MEDICAL.name],
            note="结合专家评审意见",
            exception_reason="附属医院可开展临床验证，需求单位可率先应用；评分差距3分",
        )
        b.project_id = r.aggregate_id

    def _score(self, track: Track, lead_name: str, application_id: str, score: int) -> None:
        application = self.app.application(application_id)
        for expert_id, (person, org_code, _kind) in track.experts.items():
            if expert_id in (*application.cleared, *application.recused):
                continue  # declared already, before a replacement joined the panel
            who = Actor(id=person, role=Role.EXPERT, org_code=org_code)
            r = self.app.declare_conflict(who, application_id, expert_id=expert_id, conflict=False)
            self.recorded.update(r.events)
            if r.events == ("ExpertRecused",):
                self.console.print(
                    f"  [yellow]↷[/] expert {person} recused from {lead_name}'s "
                    f"application: same organisation (R-CONFLICT)"
                )
                continue
            r = self.app.score(
                who,
                application_id,
                **papers_for(
                    self.app,
                    "score",
                    {
                        "expert_id": expert_id,
                        "score": score,
                        "opinion": "技术路线可行，团队基础扎实",
                    },
                ),
            )
            self.recorded.update(r.events)
        scored = len(self.app.application(application_id).scores)
        self.console.print(
            f"  [green]✓[/] {lead_name}'s application to {track.label}: "
            f"{scored} scores, {len(application.participants)} participant(s)"
        )

    def notice(self, a: Track, b: Track) -> None:
        self.day(date(2026, 5, 18), "7 项目公示 public notice, 5 working days")
        for track in (a, b):
            self.do(
                "bureau",
                f"publicize {track.label}",
                self.app.publicize,
                self.bureau,
                track.project_id,
            )
        self.day(date(2026, 5, 19), "7 an objection is lodged")
        rival = actor(Role.APPLICANT, ENTERPRISE_HUADONG, "lead-huadong")
        self.do(
            f"applicant {ENTERPRISE_HUADONG.name}",
            "object to A's selection",
            self.app.lodge_objection,
            rival,
            a.project_id,
            grounds="对评分结果有异议",
        )
        (objection_id,) = self.app.project(a.project_id).objections
        self.day(date(2026, 5, 21), "7 the objection is examined and dismissed")
        self.do(
            "bureau",
            "dismiss the objection",
            self.app.resolve_objection,
            self.bureau,
            a.project_id,
            objection_id=objection_id,
            upheld=False,
            meta=CommandMeta(reason="经复核，评分程序与回避均合规"),
        )
        self.day(date(2026, 5, 25), "7 the notices close: district project management")
        for track in (a, b):
            self.do(
                "bureau",
                f"close {track.label}'s notice",
                self.app.close_notice,
                self.bureau,
                track.project_id,
            )
            number = self.app.project(track.project_id).district_number
            self.console.print(f"    {track.label}: district project number {number}")

    def contract_and_fund(self, a: Track, b: Track) -> None:
        self.day(date(2026, 6, 1), "8 任务书签订 task contracts")
        self.check_credit(UNIVERSITY_JIANGNAN, ENTERPRISE_STARTUP, UNIVERSITY_MEDICAL)
        for track, solver, budget in (
            (a, UNIVERSITY_JIANGNAN, "98000.00"),
            (b, UNIVERSITY_MEDICAL, "290000.00"),
        ):
            terms = ContractTerms(
                indicators=track.content.indicators,
                milestones=track.content.milestones,
                budget=Decimal(budget),
                period_months=track.content.period_months or 0,
            )
            self.do(
                "bureau",
                f"draft {track.label}'s contract ({budget} yuan)",
                self.app.draft_contract,
                self.bureau,
                track.project_id,
                terms=terms,
            )
            for who, signer in (
                ("bureau", self.bureau),
                ("end user", track.eu),
                ("solver", actor(Role.APPLICANT, solver, "solver")),
            ):
                self.do(who, "sign", self.app.sign_contract, signer, track.project_id)
        self.day(date(2026, 6, 10), "9 资金拨付 first disbursements")
        for track, amount in ((a, "49000.00"), (b, "145000.00")):
            self.do(
                "bureau",
                f"disburse {Decimal(amount):,} yuan to {track.label}",
                self.app.disburse,
                self.bureau,
                track.project_id,
                amount=amount,
                purpose="首期拨付",
            )
        self.refuse(
            "R-DISBURSE",
            "bureau",
            "disburse 30,000 more to A (more than its schedule has made due)",
            self.app.disburse,
            self.bureau,
            a.project_id,
            amount="30000.00",
            purpose="超额",
        )
        deliver(self, a)

    # ---- summary --------------------------------------------------------------------------
    def summary(self, a: Track, b: Track) -> None:
        table = Table(title=f"sample {self.run}: where each project stands")
        for column in ("challenge", "category", "industry", "status", "contracted", "disbursed"):
            table.add_column(column)
        for track in (a, b):
            project = self.app.project(track.project_id)
            budget = project.terms.budget if project.terms else Decimal(0)
            table.add_row(
                f"{track.label} {track.content.name}",
                project.category.value,
                project.industry,
                project.status.value,
                f"{budget:,}",
                f"{project.disbursed:,}",
            )
        self.console.print()
        self.console.print(table)
        refusals = Table(title="refusals, each naming its rule")
        refusals.add_column("rule")
        refusals.add_column("attempt")
        for rule_id, what in self.refusals:
            refusals.add_row(rule_id, what)
        self.console.print(refusals)
        total = sum(self.recorded.values())
        self.console.print(
            f"{total} events recorded in this run ({len(self.recorded)} kinds); "
            f"the log now ends at position {self.app.position()}."
        )


def run_demo(app: JiebangApp, console: Console) -> DemoRun:
    """Play the sample year on ``app`` and print what happened; raises if a rule misbehaves."""
    clock = app.clock
    if not isinstance(clock, SimulatedClock):
        raise TypeError("the demo runs on a SimulatedClock")
    demo = DemoRun(app=app, clock=clock, console=console)
    try:
        a, b = demo.play()
    except JiebangError as e:
        raise DemoFailedError(f"the demo was refused unexpectedly: {e}") from e
    demo.summary(a, b)
    return demo
