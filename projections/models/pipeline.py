"""Application pipeline: per challenge, how many applications are in each status.

Only counts leave this model: no applicant ever sees another's details through it.
"""

from __future__ import annotations

from typing import Any

from jiebang_es.domain.application import Application
from jiebang_es.domain.project import Project
from projections.model import Handler, ReadModel, Rows
from projections.schema import table

COUNTS = table(
    "application_counts", "challenge_id, status, count:int", key=("challenge_id", "status")
)
# Private working state: each application's challenge and status; a project's application.
APPLICATIONS = table(
    "pipeline_applications", "application_id, challenge_id, status", key=("application_id",)
)
PROJECTS = table("pipeline_projects", "project_id, application_id", key=("project_id",))


class Pipeline(ReadModel):
    name = "pipeline"
    title = "application pipeline"
    tables = (COUNTS, APPLICATIONS, PROJECTS)

    def handle(self) -> dict[type, Handler]:
        return {
            Application.Applied: self.applied,
            Application.Withdrawn: self.to("withdrawn"),
            Application.Scored: self.scored,
            Project.Selected: self.selected,
            Project.SelectionRevoked: self.revoked,
        }

    @staticmethod
    def _count(rows: Rows, challenge_id: str, status: str, delta: int) -> None:
        row = rows.get(COUNTS.name, challenge_id, status)
        count = (row["count"] if row else 0) + delta
        if count:
            rows.put(COUNTS.name, {"challenge_id": challenge_id, "status": status, "count": count})
        else:
            rows.delete(COUNTS.name, challenge_id, status)

    def _move(self, rows: Rows, application_id: str, status: str) -> None:
        app = rows.get(APPLICATIONS.name, application_id)
        if app is None or app["status"] == status:
            return
        self._count(rows, app["challenge_id"], app["status"], -1)
        self._count(rows, app["challenge_id"], status, +1)
        rows.update(APPLICATIONS.name, (application_id,), status=status)

    def applied(self, e: Application.Applied, pos: int, rows: Rows) -> None:
        rows.put(
            APPLICATIONS.name,
            {
                "application_id": str(e.originator_id),
                "challenge_id": e.challenge_id,
                "status": "applied",
            },
        )
        self._count(rows, e.challenge_id, "applied", +1)

    def to(self, status: str) -> Handler:
        def handler(e: Any, pos: int, rows: Rows) -> None:
            self._move(rows, str(e.originator_id), status)

        return handler

    def scored(self, e: Application.Scored, pos: int, rows: Rows) -> None:
        app = rows.get(APPLICATIONS.name, str(e.originator_id))
        if app is not None and app["status"] == "applied":
            self._move(rows, str(e.originator_id), "under_review")

    def selected(self, e: Project.Selected, pos: int, rows: Rows) -> None:
        rows.put(
            PROJECTS.name,
            {"project_id": str(e.originator_id), "application_id": e.application_id},
        )
        self._move(rows, e.application_id, "selected")

    def revoked(self, e: Project.SelectionRevoked, pos: int, rows: Rows) -> None:
        link = rows.get(PROJECTS.name, str(e.originator_id))
        if link is not None:
            self._move(rows, link["application_id"], "revoked")
