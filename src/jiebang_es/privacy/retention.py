"""R-RETENTION: how long a kind of record keeps its personal information (GB/T 35273 §6.1, PIPL
art. 19): ``JIEBANG_RETENTION_YEARS`` years after the record closed — a project after its
acceptance (验收), termination or revocation; an application not selected after its last step;
an expert after leaving the pool (退出). Before then an erasure needs a legal ground."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from jiebang_es.audit.queries import log_events
from jiebang_es.domain.expert import ExpertStatus
from jiebang_es.domain.project import Project, ProjectStatus
from jiebang_es.errors import RuleViolationError
from jiebang_es.privacy.records import PersonalRecord
from jiebang_es.service_base import ServiceBase

PROJECT_CLOSED = (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED, ProjectStatus.REVOKED)


@dataclass(frozen=True)
class Period:
    """One record's retention: its kind, id, what closed it and when, and until when it runs
    (``closed_on`` None: the record is still open)."""

    kind: str
    record_id: str
    years: int
    closed_on: date | None

    @property
    def until(self) -> date | None:
        return None if self.closed_on is None else add_years(self.closed_on, self.years)

    def describe(self) -> str:
        rule = f"JIEBANG_RETENTION_YEARS {self.kind}={self.years}"
        if self.closed_on is None:
            return f"{self.kind} {self.record_id} is still open ({rule}: kept until it closes)"
        return (
            f"{self.kind} {self.record_id} closed on {self.closed_on}, kept until {self.until} "
            f"({rule})"
        )


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _closed_on(app: ServiceBase, ident: str, closed: Any, status_of: str = "status") -> date | None:
    """The business date of the event that first brought the aggregate into a closed status."""
    agg: Any = None
    for e in app.events_of(ident):
        agg = e.mutate(agg)
        if getattr(agg, status_of, None) in closed:
            return e.audit.effective_at.date()
    return None


def periods(app: ServiceBase, records: Iterable[PersonalRecord]) -> list[Period]:
    """The retention period of every record holding the subject's data."""
    years = app.settings.retention_years
    project_of = {
        e.application_id: str(e.originator_id)
        for _, e in log_events(app)
        if isinstance(e, Project.Selected)
    }
    found: dict[tuple[str, str], Period] = {}
    for r in records:
        if r.aggregate == "Expert":
            key = ("expert", r.aggregate_id)
            if key not in found:
                closed = _closed_on(app, r.aggregate_id, (ExpertStatus.RETIRED,))
                found[key] = Period("expert", r.aggregate_id, years["expert"], closed)
            continue
        project_id = r.aggregate_id if r.aggregate == "Project" else project_of.get(r.aggregate_id)
        if project_id is not None:
            key = ("project", project_id)
            if key not in found:
                closed = _closed_on(app, project_id, PROJECT_CLOSED)
                found[key] = Period("project", project_id, years["project"], closed)
        else:
            key = ("application", r.aggregate_id)
            if key not in found:
                last = app.events_of(r.aggregate_id)[-1].audit.effective_at.date()
                found[key] = Period("application", r.aggregate_id, years["application"], last)
    return list(found.values())


def check_retention(
    app: ServiceBase, records: Sequence[PersonalRecord], today: date, legal_ground: str
) -> str:
    """The retention rule that allows the erasure today, as recorded with it; a refusal naming
    the rule when a period still runs and no legal ground is given."""
    found = periods(app, records)
    summary = "; ".join(p.describe() for p in found)
    if legal_ground.strip():
        return f"erased on a legal ground before or after the retention periods: {summary}"
    running = [p for p in found if p.until is None or p.until > today]
    if running:
        raise RuleViolationError(
            "R-RETENTION",
            "the personal information is kept for the retention period of its records: "
            + "; ".join(p.describe() for p in running)
            + ". Erasing it earlier needs a legal ground (PIPL art. 47, e.g. consent withdrawn, "
            "purpose achieved) given with the erasure (保存期限未届满，须说明法定删除事由)",
        )
    return f"every retention period has ended: {summary}"
