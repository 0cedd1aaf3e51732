"""Panels from draws (R-DRAW): the checks that a panel is its draw's result, and the filling of
a seat that falls vacant from the draw's own replacement order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from jiebang_es.domain.application import Application, ApplicationStatus
from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.draw import Draw, DrawPurpose, DrawStatus
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.values import Audit, ExpertKind, PanelMember
from jiebang_es.errors import RuleViolationError
from jiebang_es.event_keys import applications_of, panels_of
from jiebang_es.service_base import ServiceBase

HAND_PICKED = (
    "the panel is named by hand, not drawn from the expert pool (人工指定专家, 未经随机抽取)"
)


@dataclass(frozen=True)
class Assignment:
    """An application an expert reviews, and where the expert stands on it."""

    challenge_id: str
    challenge_name: str
    application_id: str
    lead_unit: str
    state: str  # to_declare, recused, to_score, scored, absent


class PanelDraws(ServiceBase):
    def applications_to(self, challenge_id: str) -> list[Application]:
        """Every application to a challenge, in the order they were made."""
        return [self._get(Application, ident) for _, ident in self._applied(challenge_id, 0)]

    def _applied(self, challenge_id: str, after: int) -> list[tuple[int, UUID]]:
        """The log positions and ids of a challenge's applications.

        Applications are aggregates of their own (DESIGN.md §1), so the challenge does not
        list them: their creation events are found under the challenge's key (event_keys.py).
        """
        return [
            (position, applied.originator_id)
            for position, applied in self.keyed_events(
                applications_of(challenge_id), Application.Applied, after
            )
        ]

    def expert_assignments(self, expert_id: str) -> list[Assignment]:
        """The applications an expert reviews: those of every challenge whose confirmed review
        panel has the expert (replacements included), with the expert's own step on each —
        never another expert's score."""
        kinds = (Challenge.ReviewPanelProposed, Challenge.ReplacementExpertProposed)
        sat = [e for _, e in self.keyed_events(panels_of(expert_id), kinds)]  # one read
        challenge_ids: dict[str, None] = {}
        for cls in kinds:  # the proposed panels' challenges first, then the replacements'
            for e in sat:
                if isinstance(e, cls):
                    challenge_ids[str(e.originator_id)] = None
        found: list[Assignment] = []
        for challenge_id in challenge_ids:
            challenge = self._get(Challenge, challenge_id)
            if expert_id not in challenge.panel_member_ids():
                continue
            for application in self.applications_to(challenge_id):
                if application.status is not ApplicationStatus.APPLIED:
                    continue
                found.append(
                    Assignment(
                        challenge_id=challenge_id,
                        challenge_name=challenge.content.name,
                        application_id=str(application.id),
                        lead_unit=application.lead.organisation.name,
                        state=_state(application, expert_id, challenge.absent),
                    )
                )
        return found

    def _panel_draw(self, challenge: Challenge, draw_id: str, purpose: DrawPurpose) -> Draw:
        """The performed draw a panel of this challenge comes from, for this purpose."""
        draw = self._get(Draw, draw_id)
        if draw.challenge_id != challenge.id:
            raise RuleViolationError(
                "R-DRAW",
                f"draw {draw.id} was drawn for challenge {draw.challenge_id}, not for this one "
                "(抽取记录不属于本榜单)",
            )
        if draw.purpose is not purpose:
            raise RuleViolationError(
                "R-DRAW",
                f"draw {draw.id} was drawn for the {draw.purpose.value} panel, not for the "
                f"{purpose.value} panel (抽取用途不符)",
            )
        if draw.status is not DrawStatus.PERFORMED:
            raise RuleViolationError(
                "R-DRAW", f"draw {draw.id} is not performed yet: its panel is not known"
            )
        return draw

    def _fill_from_draw(
        self, challenge: Challenge, expert_id: str, cause: str, grounds: str, audit: Audit
    ) -> tuple[JiebangAggregate, ...]:
        """Give a drawn member's seat on a confirmed review panel to the next candidate of the
        same kind in the draw's order, proposed as a replacement that bureau and end user
        confirm again (R-PANEL-JOINT). Nothing when the panel was not drawn, the member was not
        drawn (the end user's own head) or was already replaced, or the order is used up (the
        selection then justifies the smaller panel, R-REVIEW-PANEL)."""
        if not challenge.panel_draw_id:
            return ()
        draw = self._get(Draw, challenge.panel_draw_id)
        member = next((m for m in draw.seated if m.expert_id == expert_id), None)
        if member is None:
            return ()
        taken = challenge.panel_member_ids() | {m.expert_id for m in challenge.replacements}
        try:
            place, successor_id = draw.next_in_order(member.kind)
        except RuleViolationError:
            return ()
        if successor_id in taken:  # cannot happen with the draw's own order; never seat twice
            return ()
        draw.record_replacement(
            audit=audit,
            kind=member.kind,
            replaced_expert_id=expert_id,
            expert_id=successor_id,
            place=place,
            cause=cause,
        )
        successor = self._get(Expert, successor_id)
        successor.take_seat(audit=audit, draw_id=str(draw.id), year=draw.year)
        challenge.propose_replacement(
            audit,
            PanelMember(expert_id=successor_id, kind=member.kind),
            expert_id,
            f"{grounds} (由抽取顺序第{place}位递补, draw {draw.id})",
        )
        return draw, successor


def designated(experts: Iterable[Expert], end_user_code: str) -> list[Expert]:
    """The experts a drawn review panel adds by designation: only the end user's own
    responsible person (R-REVIEW-PANEL); every other seat comes from the draw."""
    chosen = list(experts)
    for e in chosen:
        if e.kind is not ExpertKind.END_USER_REP or e.org_code != end_user_code:
            raise RuleViolationError(
                "R-DRAW",
                f"expert {e.name} ({e.person_id}) is not drawn: beside the drawn experts a review "
                "panel names only the end user's own responsible person (除最终用户负责人外, "
                "评审专家均须随机抽取)",
            )
    return chosen


def differences(named: set[str], drawn: set[str]) -> str:
    """How a named panel differs from its draw's result."""
    parts = []
    if named - drawn:
        parts.append("not drawn: " + ", ".join(sorted(named - drawn)))
    if drawn - named:
        parts.append("drawn and missing: " + ", ".join(sorted(drawn - named)))
    return "; ".join(parts)


def _state(application: Application, expert_id: str, absent: Iterable[str]) -> str:
    if expert_id in application.recused:
        return "recused"
    if any(s.expert_id == expert_id for s in application.scores):
        return "scored"
    if expert_id in absent:
        return "absent"
    return "to_score" if expert_id in application.cleared else "to_declare"
