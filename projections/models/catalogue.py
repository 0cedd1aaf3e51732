"""Challenge catalogue: every challenge with its status, classification, money, period, window
and the step of the procedure (§八, 1–9) it has reached."""

from __future__ import annotations

from typing import Any

from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import Conclusion
from projections.model import Handler, ReadModel, Rows, iso
from projections.schema import table

STEPS = {
    1: "demand collection",
    2: "demand refinement",
    3: "list argumentation",
    4: "list determination",
    5: "publication",
    6: "application review",
    7: "public notice",
    8: "task contract",
    9: "funds disbursed",
}
CHALLENGES = table(
    "challenges",
    "challenge_id, created_position:int, name, status, industry, category, year:int, "
    "end_user_code, end_user_name, funding:money, period_months:int, scope, classified:bool, "
    "window_opens, window_closes, current_step:int, step_name, project_id, drafted_at, "
    "updated_at, updated_position:int",
    key=("challenge_id",),
    # Each filter of the catalogue's list with its order after it (a rare filter reads no more
    # rows than its page).
    indexes=(
        ("created_position",),
        ("status", "created_position"),
        ("industry", "created_position"),
        ("category", "created_position"),
        ("year", "created_position"),
        ("end_user_code", "created_position"),
    ),
)
PROJECT_LINKS = table("challenge_projects", "project_id, challenge_id", key=("project_id",))


class Catalogue(ReadModel):
    name = "catalogue"
    title = "challenge catalogue"
    tables = (CHALLENGES, PROJECT_LINKS)

    def handle(self) -> dict[type, Handler]:
        return {
            Challenge.Drafted: self.drafted,
            Challenge.DraftRevised: self.revised,
            Challenge.Reviewed: self.reviewed,
            Challenge.Listed: self.listed,
            Challenge.Published: self.published,
            Challenge.SolverSelected: self.selected,
            Challenge.SolverSelectionRevoked: self.revoked,
            Challenge.Failed: self.status("failed"),
            Challenge.Cancelled: self.status("cancelled"),
            Project.Selected: self.project_selected,
            Project.Publicized: self.project_step(7),
            Project.NoticeWaived: self.project_step(7),
            Project.Contracted: self.project_step(8),
            Project.Funded: self.project_step(9),
        }

    @staticmethod
    def _touch(rows: Rows, challenge_id: str, e: Any, pos: int, **changes: Any) -> None:
        rows.update(
            CHALLENGES.name,
            (challenge_id,),
            updated_at=iso(e.audit.effective_at),
            updated_position=pos,
            **changes,
        )

    @staticmethod
    def _step(step: int) -> dict[str, Any]:
        return {"current_step": step, "step_name": STEPS[step]}

    def drafted(self, e: Challenge.Drafted, pos: int, rows: Rows) -> None:
        c = e.content
        rows.put(
            CHALLENGES.name,
            {
                "challenge_id": str(e.originator_id),
                "created_position": pos,
                "status": "draft",
                "end_user_code": e.end_user.credit_code,
                "end_user_name": e.end_user.name,
                "drafted_at": iso(e.audit.effective_at),
                "updated_at": iso(e.audit.effective_at),
                "updated_position": pos,
                **self._content(c),
                **self._step(2),
            },
        )

    @staticmethod
    def _content(c: Any) -> dict[str, Any]:
        return {
            "name": c.name,
            "industry": c.industry,
            "category": c.category.value,
            "funding": c.funding,
            "period_months": c.period_months,
            "scope": c.scope.value if c.scope is not None else None,
            "classified": c.classified,
        }

    def revised(self, e: Challenge.DraftRevised, pos: int, rows: Rows) -> None:
        self._touch(rows, str(e.originator_id), e, pos, **self._content(e.content))

    def reviewed(self, e: Challenge.Reviewed, pos: int, rows: Rows) -> None:
        status = {
            Conclusion.PASS: "reviewed",
            Conclusion.REVISE: "draft",
            Conclusion.REJECT: "rejected",
        }[e.conclusion]
        self._touch(rows, str(e.originator_id), e, pos, status=status, **self._step(3))

    def listed(self, e: Challenge.Listed, pos: int, rows: Rows) -> None:
        self._touch(
            rows, str(e.originator_id), e, pos, status="listed", year=e.year, **self._step(4)
        )

    def published(self, e: Challenge.Published, pos: int, rows: Rows) -> None:
        self._touch(
            rows,
            str(e.originator_id),
            e,
            pos,
            status="published",
            window_opens=iso(e.window_opens),
            window_closes=iso(e.window_closes),
            **self._step(5),
        )

    def selected(self, e: Challenge.SolverSelected, pos: int, rows: Rows) -> None:
        self._touch(
            rows,
            str(e.originator_id),
            e,
            pos,
            status="selected",
            project_id=e.project_id,
            **self._step(6),
        )

    def revoked(self, e: Challenge.SolverSelectionRevoked, pos: int, rows: Rows) -> None:
        self._touch(
            rows, str(e.originator_id), e, pos, status="published", project_id=None, **self._step(5)
        )

    def status(self, status: str) -> Handler:
        def handler(e: Any, pos: int, rows: Rows) -> None:
            self._touch(rows, str(e.originator_id), e, pos, status=status)

        return handler

    def project_selected(self, e: Project.Selected, pos: int, rows: Rows) -> None:
        rows.put(
            PROJECT_LINKS.name, {"project_id": str(e.originator_id), "challenge_id": e.challenge_id}
        )

    def project_step(self, step: int) -> Handler:
        def handler(e: Any, pos: int, rows: Rows) -> None:
            link = rows.get(PROJECT_LINKS.name, str(e.originator_id))
            if link is None:
                return
            row = rows.get(CHALLENGES.name, link["challenge_id"])
            if row is not None and (row["current_step"] or 0) < step:
                self._touch(rows, link["challenge_id"], e, pos, **self._step(step))

        return handler
