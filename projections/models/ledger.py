"""Funding ledger: every disbursement, with running totals per project, and per payment year,
industry and category (R-DISBURSE: contracted against disbursed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiebang_es.domain.project import Project
from projections.model import Handler, ReadModel, Rows, iso
from projections.schema import table

DISBURSEMENTS = table(
    "disbursements",
    "position:int, project_id, amount:money, paid_on, year:int, industry, category, purpose, "
    "actor_id, project_total:money, recorded_at",
    key=("position",),
    append_only=True,
    indexes=(("project_id", "position"), ("year", "position")),
)
PROJECT_TOTALS = table(
    "ledger_projects",
    "project_id, industry, category, contracted:money, disbursed:money, payments:int",
    key=("project_id",),
)
TOTALS = table(
    "ledger_totals",
    "dimension, value, disbursed:money, payments:int",
    key=("dimension", "value"),
)


class Ledger(ReadModel):
    name = "ledger"
    title = "funding ledger"
    tables = (DISBURSEMENTS, PROJECT_TOTALS, TOTALS)

    def handle(self) -> dict[type, Handler]:
        return {
            Project.Selected: self.selected,
            Project.Contracted: self.terms,
            Project.ContractAmended: self.terms,
            Project.Extended: self.terms,
            Project.Funded: self.funded,
        }

    def selected(self, e: Project.Selected, pos: int, rows: Rows) -> None:
        rows.put(
            PROJECT_TOTALS.name,
            {
                "project_id": str(e.originator_id),
                "industry": e.industry,
                "category": e.category.value,
                "disbursed": Decimal(0),
                "payments": 0,
            },
        )

    def terms(self, e: Any, pos: int, rows: Rows) -> None:
        rows.update(PROJECT_TOTALS.name, (str(e.originator_id),), contracted=e.terms.budget)

    def funded(self, e: Project.Funded, pos: int, rows: Rows) -> None:
        pid = str(e.originator_id)
        project = rows.get(PROJECT_TOTALS.name, pid) or {"industry": None, "category": None}
        total = (project.get("disbursed") or Decimal(0)) + e.amount
        rows.update(
            PROJECT_TOTALS.name,
            (pid,),
            disbursed=total,
            payments=(project.get("payments") or 0) + 1,
        )
        rows.append(
            DISBURSEMENTS.name,
            {
                "position": pos,
                "project_id": pid,
                "amount": e.amount,
                "paid_on": iso(e.paid_on),
                "year": e.paid_on.year,
                "industry": project["industry"],
                "category": project["category"],
                "purpose": e.purpose,
                "actor_id": e.audit.actor_id,
                "project_total": total,
                "recorded_at": iso(e.audit.recorded_at),
            },
        )
        for dimension, value in (
            ("year", str(e.paid_on.year)),
            ("industry", project["industry"]),
            ("category", project["category"]),
        ):
            if value is None:
                continue
            row = rows.get(TOTALS.name, dimension, value) or {"disbursed": 0, "payments": 0}
            rows.put(
                TOTALS.name,
                {
                    "dimension": dimension,
                    "value": value,
                    "disbursed": Decimal(row["disbursed"]) + e.amount,
                    "payments": row["payments"] + 1,
                },
            )
