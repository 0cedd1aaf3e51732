"""Panels and experts: the registered experts; each argumentation and review panel with its
composition by kind and its confirmations (R-PANEL-JOINT); every recusal (R-CONFLICT)."""

from __future__ import annotations

from collections.abc import Sequence

from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.personal import shown
from jiebang_es.domain.values import Role
from projections.model import Handler, ReadModel, Rows, iso
from projections.schema import table

EXPERTS = table(
    "experts",
    "expert_id, person_id, name, org_code, org_name, kind, speciality",
    key=("expert_id",),
)
PANELS = table(
    "panels",
    "challenge_id, panel, round:int, size:int, confirmed_by, effective:bool, conclusion, "
    "exceptions:int, formed_at, position:int",
    key=("challenge_id", "panel", "round"),
)
MEMBERS = table(
    "panel_members",
    "challenge_id, panel, round:int, expert_id, kind, opinion",
    key=("challenge_id", "panel", "round", "expert_id"),
)
RECUSALS = table(
    "recusals",
    "application_id, expert_id, challenge_id, grounds, recorded_at, position:int",
    key=("application_id", "expert_id"),
    indexes=(("challenge_id",),),
)
# Private working state: the challenge of each application.
APPLICATIONS = table("panel_applications", "application_id, challenge_id", key=("application_id",))


class Panels(ReadModel):
    name = "panels"
    title = "panels and experts"
    tables = (EXPERTS, PANELS, MEMBERS, RECUSALS, APPLICATIONS)

    def handle(self) -> dict[type, Handler]:
        return {
            Expert.Registered: self.registered,
            Challenge.Reviewed: self.argued,
            Challenge.ReviewPanelProposed: self.proposed,
            Challenge.ReviewPanelConfirmed: self.confirmed,
            Application.Applied: self.applied,
            Application.ExpertRecused: self.recused,
        }

    def registered(self, e: Expert.Registered, pos: int, rows: Rows) -> None:
        rows.put(
            EXPERTS.name,
            {
                "expert_id": str(e.originator_id),
                "person_id": e.person_id,
                "name": shown(e.name),
                "org_code": e.org_code,
                "org_name": e.org_name,
                "kind": e.kind.value,
                "speciality": e.speciality,
            },
        )

    @staticmethod
    def _next_round(rows: Rows, challenge_id: str, panel: str) -> int:
        # Rounds are few per challenge: probing by key stays cheap however large the table.
        n = 1
        while rows.get(PANELS.name, challenge_id, panel, n) is not None:
            n += 1
        return n

    def _panel(
        self,
        rows: Rows,
        e: Challenge.Reviewed | Challenge.ReviewPanelProposed,
        pos: int,
        panel: str,
        members: Sequence[tuple[str, str, str | None]],  # expert id, kind, opinion
        **head: object,
    ) -> None:
        cid = str(e.originator_id)
        n = self._next_round(rows, cid, panel)
        rows.put(
            PANELS.name,
            {
                "challenge_id": cid,
                "panel": panel,
                "round": n,
                "size": len(members),
                "exceptions": len(e.audit.exceptions),
                "formed_at": iso(e.audit.effective_at),
                "position": pos,
                **head,
            },
        )
        for expert_id, kind, opinion in members:
            rows.put(
                MEMBERS.name,
                {
                    "challenge_id": cid,
                    "panel": panel,
                    "round": n,
                    "expert_id": expert_id,
                    "kind": kind,
                    "opinion": opinion,
                },
            )

    def argued(self, e: Challenge.Reviewed, pos: int, rows: Rows) -> None:
        # The argumentation is organised by the bureau: in effect as recorded.
        members = [(o.expert_id, o.kind.value, o.opinion) for o in e.opinions]
        self._panel(
            rows,
            e,
            pos,
            "argumentation",
            members,
            confirmed_by="bureau",
            effective=True,
            conclusion=e.conclusion.value,
        )

    def proposed(self, e: Challenge.ReviewPanelProposed, pos: int, rows: Rows) -> None:
        members = [(m.expert_id, m.kind.value, None) for m in e.members]
        self._panel(rows, e, pos, "review", members, confirmed_by="", effective=False)

    def confirmed(self, e: Challenge.ReviewPanelConfirmed, pos: int, rows: Rows) -> None:
        cid = str(e.originator_id)
        n = self._next_round(rows, cid, "review") - 1
        panel = rows.get(PANELS.name, cid, "review", n)
        if panel is None:
            return
        roles = sorted({*filter(None, panel["confirmed_by"].split(",")), e.role.value})
        rows.update(
            PANELS.name,
            (cid, "review", n),
            confirmed_by=",".join(roles),
            effective={Role.BUREAU.value, Role.END_USER.value} <= set(roles),
        )

    def applied(self, e: Application.Applied, pos: int, rows: Rows) -> None:
        rows.put(
            APPLICATIONS.name,
            {"application_id": str(e.originator_id), "challenge_id": e.challenge_id},
        )

    def recused(self, e: Application.ExpertRecused, pos: int, rows: Rows) -> None:
        app = rows.get(APPLICATIONS.name, str(e.originator_id)) or {}
        rows.put(
            RECUSALS.name,
            {
                "application_id": str(e.originator_id),
                "expert_id": e.expert_id,
                "challenge_id": app.get("challenge_id"),
                "grounds": e.grounds,
                "recorded_at": iso(e.audit.effective_at),
                "position": pos,
            },
        )
