"""Demands (需求): every collected need, its enterprise and industry, and whether it was refined
into a challenge — what the bureau's clerk lists to find the year's needs without keeping ids."""

from __future__ import annotations

from jiebang_es.domain.demand import Demand
from projections.model import Handler, ReadModel, Rows, iso
from projections.schema import table

DEMANDS = table(
    "demands",
    "demand_id, created_position:int, status, source, industry, title, end_user_code, "
    "end_user_name, challenge_id, collected_at, updated_position:int",
    key=("demand_id",),
    indexes=(
        ("created_position",),
        ("end_user_code", "created_position"),
        ("industry", "created_position"),
        ("status", "created_position"),
    ),
)


class Demands(ReadModel):
    name = "demands"
    title = "collected demands"
    tables = (DEMANDS,)

    def handle(self) -> dict[type, Handler]:
        return {Demand.Collected: self.collected, Demand.Refined: self.refined}

    def collected(self, e: Demand.Collected, pos: int, rows: Rows) -> None:
        rows.put(
            DEMANDS.name,
            {
                "demand_id": str(e.originator_id),
                "created_position": pos,
                # open: not yet refined into a challenge; refined: drawn into one.
                "status": "open",
                "source": e.source.value,
                "industry": e.industry,
                "title": e.title,
                "end_user_code": e.enterprise.credit_code,
                "end_user_name": e.enterprise.name,
                "challenge_id": None,
                "collected_at": iso(e.audit.effective_at),
                "updated_position": pos,
            },
        )

    def refined(self, e: Demand.Refined, pos: int, rows: Rows) -> None:
        rows.update(
            DEMANDS.name,
            (str(e.originator_id),),
            status="refined",
            challenge_id=e.challenge_id,
            updated_position=pos,
        )
