"""Project portfolio: each project's status, district number, milestones and their assessments
(a rectification that passed marks its milestone passed), contracted against disbursed money,
the end user's co-investment committed in the contract against what it reported, and the days
each challenge and project spent in each step."""

from __future__ import annotations

from typing import Any

from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import Conclusion, ContractTerms, Verdict
from projections.model import Handler, ReadModel, Rows, days_between, iso
from projections.schema import table

PROJECTS = table(
    "projects",
    "project_id, challenge_id, application_id, selected_position:int, year:int, industry, "
    "category, classified:bool, end_user_code, solver_code, solver_name, status, funding:money, "
    "contracted:money, disbursed:money, period_months:int, contracted_on, verdict, selected_at, "
    "updated_at, district_number, co_investment_committed:money, co_investment_reported:money",
    key=("project_id",),
    # Each filter of the portfolio's list, and each party's own rows, with the order after it.
    indexes=(
        ("selected_position",),
        ("challenge_id", "selected_position"),
        ("status", "selected_position"),
        ("year", "selected_position"),
        ("industry", "selected_position"),
        ("category", "selected_position"),
        ("end_user_code", "selected_position"),
        ("solver_code", "selected_position"),
    ),
)
MILESTONES = table(
    "project_milestones",
    "project_id, milestone, due_month:int, deliverable, reported_at, verdict, remarks, "
    "assessed_at, rectified_at",
    key=("project_id", "milestone"),
)
STEPS = table(
    "step_days",
    "aggregate_id, kind, step, entered_at, left_at, days:int",
    key=("aggregate_id", "step"),
)
# Private working state: the annual-list year of each challenge, the lead unit of each
# application, and the step each challenge or project is in.
REFS = table("portfolio_refs", "ref_id, year:int, name, step", key=("ref_id",))


class Portfolio(ReadModel):
    name = "portfolio"
    title = "project portfolio"
    tables = (PROJECTS, MILESTONES, STEPS, REFS)

    def handle(self) -> dict[type, Handler]:
        return {
            Challenge.Drafted: self.challenge_step("draft"),
            Challenge.Reviewed: self.argued,
            Challenge.Listed: self.listed,
            Challenge.Published: self.challenge_step("published"),
            Challenge.SolverSelected: self.challenge_step("selected"),
            Challenge.SolverSelectionRevoked: self.challenge_step("published"),
            Challenge.Failed: self.challenge_step("failed"),
            Challenge.Cancelled: self.challenge_step("cancelled"),
            Application.Applied: self.applied,
            Project.Selected: self.selected,
            Project.Publicized: self.status("publicized"),
            Project.SelectionRevoked: self.status("revoked"),
            Project.NoticeClosed: self.status("in_management"),
            Project.NoticeWaived: self.status("in_management"),
            Project.Contracted: self.contracted,
            Project.ContractAmended: self.amended,
            Project.Extended: self.amended,
            Project.Funded: self.funded,
            Project.MilestoneReported: self.reported,
            Project.MilestoneAssessed: self.milestone_assessed,
            Project.Assessed: self.assessed,
            Project.Terminated: self.status("terminated"),
            Project.EnteredDistrictManagement: self.numbered,
            Project.RectificationAssessed: self.rectified,
            Project.CoInvestmentReported: self.co_invested,
            Project.Accepted: self.status("completed"),
        }

    # ---- steps ------------------------------------------------------------------------------
    @staticmethod
    def _enter(rows: Rows, ident: str, kind: str, step: str, at: str | None) -> None:
        ref = rows.get(REFS.name, ident)
        current = ref["step"] if ref else None
        if current == step:
            return
        if current is not None:
            left = rows.get(STEPS.name, ident, current)
            if left is not None:
                rows.update(
                    STEPS.name,
                    (ident, current),
                    left_at=at,
                    days=days_between(left["entered_at"], at),
                )
        rows.put(
            STEPS.name,
            {"aggregate_id": ident, "kind": kind, "step": step, "entered_at": at},
        )
        if ref is None:
            rows.put(REFS.name, {"ref_id": ident, "step": step})
        else:
            rows.update(REFS.name, (ident,), step=step)

    def challenge_step(self, step: str) -> Handler:
        def handler(e: Any, pos: int, rows: Rows) -> None:
            self._enter(rows, str(e.originator_id), "challenge", step, iso(e.audit.effective_at))

        return handler

    def argued(self, e: Challenge.Reviewed, pos: int, rows: Rows) -> None:
        step = {
            Conclusion.PASS: "reviewed",
            Conclusion.REVISE: "draft",
            Conclusion.REJECT: "rejected",
        }[e.conclusion]
        self._enter(rows, str(e.originator_id), "challenge", step, iso(e.audit.effective_at))

    def listed(self, e: Challenge.Listed, pos: int, rows: Rows) -> None:
        rows.update(REFS.name, (str(e.originator_id),), year=e.year)
        self._enter(rows, str(e.originator_id), "challenge", "listed", iso(e.audit.effective_at))

    def applied(self, e: Application.Applied, pos: int, rows: Rows) -> None:
        rows.put(REFS.name, {"ref_id": str(e.originator_id), "name": e.lead.organisation.name})

    # ---- projects ---------------------------------------------------------------------------
    def selected(self, e: Project.Selected, pos: int, rows: Rows) -> None:
        pid = str(e.originator_id)
        challenge = rows.get(REFS.name, e.challenge_id) or {}
        application = rows.get(REFS.name, e.application_id) or {}
        at = iso(e.audit.effective_at)
        rows.put(
            PROJECTS.name,
            {
                "project_id": pid,
                "challenge_id": e.challenge_id,
                "application_id": e.application_id,
                "selected_position": pos,
                "year": challenge.get("year"),
                "industry": e.industry,
                "category": e.category.value,
                "classified": e.classified,
                "end_user_code": e.end_user_code,
                "solver_code": e.solver_code,
                "solver_name": application.get("name"),
                "status": "selected",
                "funding": e.funding,
                "disbursed": 0,
                "period_months": e.period_months,
                "selected_at": at,
                "updated_at": at,
            },
        )
        self._enter(rows, pid, "project", "selected", at)

    def _project(self, rows: Rows, e: Any, **changes: Any) -> None:
        at = iso(e.audit.effective_at)
        rows.update(PROJECTS.name, (str(e.originator_id),), updated_at=at, **changes)
        if "status" in changes:
            self._enter(rows, str(e.originator_id), "project", changes["status"], at)

    def status(self, status: str) -> Handler:
        def handler(e: Any, pos: int, rows: Rows) -> None:
            self._project(rows, e, status=status)

        return handler

    def _terms(self, rows: Rows, e: Any, terms: ContractTerms, **changes: Any) -> None:
        self._project(
            rows,
            e,
            contracted=terms.budget,
            period_months=terms.period_months,
            co_investment_committed=terms.co_investment,
            **changes,
        )
        pid = str(e.originator_id)
        for m in terms.milestones:
            row = rows.get(MILESTONES.name, pid, m.name)
            if row is None:
                rows.put(
                    MILESTONES.name,
                    {
                        "project_id": pid,
                        "milestone": m.name,
                        "due_month": m.due_month,
                        "deliverable": m.deliverable,
                    },
                )
            else:
                rows.update(
                    MILESTONES.name, (pid, m.name), due_month=m.due_month, deliverable=m.deliverable
                )

    def contracted(self, e: Project.Contracted, pos: int, rows: Rows) -> None:
        signed = max(s.signed_on for s in e.signatures) if e.signatures else None
        self._terms(rows, e, e.terms, status="contracted", contracted_on=iso(signed))

    def amended(self, e: Any, pos: int, rows: Rows) -> None:
        self._terms(rows, e, e.terms)

    def funded(self, e: Project.Funded, pos: int, rows: Rows) -> None:
        row = rows.get(PROJECTS.name, str(e.originator_id))
        if row is not None:
            self._project(rows, e, disbursed=(row["disbursed"] or 0) + e.amount)

    def reported(self, e: Project.MilestoneReported, pos: int, rows: Rows) -> None:
        rows.update(
            MILESTONES.name,
            (str(e.originator_id), e.milestone),
            reported_at=iso(e.audit.effective_at),
        )

    def milestone_assessed(self, e: Project.MilestoneAssessed, pos: int, rows: Rows) -> None:
        rows.update(
            MILESTONES.name,
            (str(e.originator_id), e.milestone),
            verdict=e.verdict.value,
            remarks=e.remarks,
            assessed_at=iso(e.audit.effective_at),
        )

    def assessed(self, e: Project.Assessed, pos: int, rows: Rows) -> None:
        # v2: the end user's verdict, then the bureau's acceptance closes; a first-release
        # assessment (closes) closed the project itself.
        status = "completed" if e.closes else "assessed"
        self._project(rows, e, status=status, verdict=e.verdict.value)

    def numbered(self, e: Project.EnteredDistrictManagement, pos: int, rows: Rows) -> None:
        self._project(rows, e, district_number=e.number)

    def rectified(self, e: Project.RectificationAssessed, pos: int, rows: Rows) -> None:
        if e.verdict is Verdict.PASS:
            rows.update(
                MILESTONES.name,
                (str(e.originator_id), e.milestone),
                verdict=e.verdict.value,
                rectified_at=iso(e.audit.effective_at),
            )

    def co_invested(self, e: Project.CoInvestmentReported, pos: int, rows: Rows) -> None:
        row = rows.get(PROJECTS.name, str(e.originator_id))
        if row is not None:
            total = (row["co_investment_reported"] or 0) + e.amount
            self._project(rows, e, co_investment_reported=total)
