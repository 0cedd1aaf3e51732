"""The expert pool (专家库) and verifiable draws (R-DRAW, R-CONFLICT): the bureau's commands to
keep the pool, schedule a draw before its randomness exists, perform it, and replace an expert
from the draw's own order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from jiebang_es.domain import rules
from jiebang_es.domain.application import ApplicationStatus
from jiebang_es.domain.base import order_violation
from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.draw import (
    Draw,
    DrawPurpose,
    DrawRanking,
    DrawStatus,
    SeatNeed,
)
from jiebang_es.domain.expert import Expert, ExpertStatus, Relation, RelationKind
from jiebang_es.domain.values import Actor, ExpertKind, Role, credit_code
from jiebang_es.draws import algorithm
from jiebang_es.draws.eligibility import Avoidance, screen
from jiebang_es.draws.panels import PanelDraws
from jiebang_es.draws.verify import as_candidates, verify_recorded_draw
from jiebang_es.errors import InvalidValueError, NotPermittedError, RuleViolationError
from jiebang_es.event_keys import EXPERT_POOL, draws_of
from jiebang_es.service_base import NO_META, CommandMeta, Receipt, command

_HEX = set("0123456789abcdef")


# The challenge's status in which a panel of each purpose is drawn.
PANEL_STEP = {
    DrawPurpose.ARGUMENTATION: ChallengeStatus.DRAFT,
    DrawPurpose.REVIEW: ChallengeStatus.PUBLISHED,
}


def _draw_order_violation(message: str) -> RuleViolationError:
    return RuleViolationError("R-DRAW", message)


class DrawCommands(PanelDraws):
    # ---- the pool ------------------------------------------------------------------------
    @command
    def change_expert_status(
        self,
        actor: Actor,
        expert_id: str,
        *,
        status: ExpertStatus,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Suspend (with a reason), reinstate or retire a pool member."""
        rules.check_role(actor, [Role.BUREAU], "R-DRAW", "keeping the expert pool")
        expert = self._load(Expert, expert_id, meta)
        if expert.status is ExpertStatus.RETIRED:
            raise RuleViolationError("R-ORDER", "a retired expert has left the pool for good")
        if status is expert.status:
            raise InvalidValueError("status", f"the expert is already {status.value}")
        if status is not ExpertStatus.ACTIVE and not rules.said(meta.reason):
            raise InvalidValueError("reason", "suspending or retiring an expert says why")
        expert.change_status(audit=self._audit(actor, meta), status=status)
        return self._save(expert)

    @command
    def declare_expert_relation(
        self,
        actor: Actor,
        expert_id: str,
        *,
        org_code: str,
        kind: RelationKind,
        ended_on: date | None = None,
        detail: str = "",
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Record a tie between an expert and a unit (R-CONFLICT): the expert himself or the
        bureau declares it; it keeps the expert off that unit's panels."""
        expert = self._load(Expert, expert_id, meta)
        if actor.role is Role.EXPERT:
            if actor.id != expert.person_id:
                raise NotPermittedError("R-CONFLICT", "an expert declares only his own ties")
        else:
            rules.check_role(actor, [Role.BUREAU], "R-CONFLICT", "declaring an expert's ties")
        relation = Relation(
            org_code=credit_code(org_code, field_name="org_code"),
            kind=kind,
            ended_on=ended_on,
            detail=detail.strip(),
        )
        if relation in expert.relations:
            raise InvalidValueError("org_code", "this relation is already declared")
        expert.declare_relation(audit=self._audit(actor, meta), relation=relation)
        return self._save(expert)

    def experts_in_pool(self) -> list[Expert]:
        """Every registered expert (the pool's key, event_keys.py: the first release's experts
        are given it when their store is first opened)."""
        registered = self.keyed_events(EXPERT_POOL, Expert.Registered)
        return [self._get(Expert, e.originator_id) for _, e in registered]

    def _avoided_units(self, challenge: Challenge, purpose: DrawPurpose) -> dict[str, str]:
        if purpose is DrawPurpose.ARGUMENTATION:
            return {challenge.end_user.credit_code: "最终用户"}
        # A review panel includes the end user's own responsible person (R-REVIEW-PANEL), who
        # is designated, not drawn; what the drawn experts avoid is every applicant's unit.
        units: dict[str, str] = {}
        for application in self.applications_to(str(challenge.id)):
            if application.status is not ApplicationStatus.APPLIED:
                continue
            for code in application.unit_codes():
                units.setdefault(code, "申报单位")
        return units

    def _unused_draws(self, challenge: Challenge, purpose: DrawPurpose) -> list[str]:
        """The challenge's earlier draws for this panel that no panel used, in their order."""
        sat: type[object] = (
            Challenge.Reviewed
            if purpose is DrawPurpose.ARGUMENTATION
            else Challenge.ReviewPanelProposed
        )
        used = {
            str(getattr(e, "draw_id", ""))
            for e in self.events_of(challenge.id)
            if isinstance(e, sat)
        }
        return [
            str(e.originator_id)
            for _, e in self.keyed_events(draws_of(challenge.id), Draw.DrawScheduled)
            if getattr(e, "purpose", None) is purpose and str(e.originator_id) not in used
        ]

    # ---- the draw ------------------------------------------------------------------------
    @command
    def schedule_draw(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        purpose: DrawPurpose,
        needs: Mapping[ExpertKind, int],
        commitment: str,
        randomness_source: str,
        randomness_date: date,
        specialities: Sequence[str] = (),
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Fix a draw before its randomness exists: the needs, the eligible candidates after
        avoidance (each exclusion with its reason), the commitment to the bureau's secret seed
        and the public randomness source, named with the future date of its value.

        Drawing again for a panel while an earlier draw for it stands unused could be drawing
        until the result suits (R-DRAW): it needs the bureau's written justification, recorded
        as an exception that the compliance report lists."""
        rules.check_role(actor, [Role.BUREAU], "R-DRAW", "scheduling an expert draw")
        challenge = self._get(Challenge, challenge_id)
        # A panel is drawn for the step that seats it: the argumentation of a draft, the review
        # of a published challenge's applications. Any other draw would only use up seats.
        drawn_for = PANEL_STEP[purpose]
        if challenge.status is not drawn_for:
            raise order_violation(
                f"a {purpose.value} panel is drawn while the challenge is {drawn_for.value}; "
                f"it is {challenge.status.value} (专家抽取须在相应环节进行)"
            )
        wanted = tuple(sorted({s.strip() for s in specialities if s.strip()}))
        commitment = commitment.strip().lower()
        if len(commitment) != 64 or not set(commitment) <= _HEX:
            raise InvalidValueError("commitment", "the SHA-256 digest of the seed, 64 hex digits")
        if not randomness_source.strip():
            raise InvalidValueError("randomness_source", "name the public randomness source")
        if not needs or any(n < 1 for n in needs.values()):
            raise InvalidValueError("needs", "at least one seat of each kind named")
        unused = self._unused_draws(challenge, purpose)
        exceptions = rules.in_principle(
            "R-DRAW",
            bool(unused),
            f"another {purpose.value} draw while {', '.join(unused)} was never used by a panel "
            "(重新抽取)",
            exception_reason,
        )
        audit = self._audit(actor, meta, exceptions)
        today = audit.effective_at.date()
        if randomness_date <= today:
            raise _draw_order_violation(
                f"the public value of {randomness_date} may already be known on {today}: name a "
                "source whose value is published after the draw is scheduled (随机源须晚于登记日)"
            )
        avoid = Avoidance(
            units=self._avoided_units(challenge, purpose),
            on=today,
            year=today.year,
            max_seats_per_year=self.settings.expert_max_seats_per_year,
            relation_years=self.settings.expert_relation_years,
        )
        candidates, exclusions = screen(self.experts_in_pool(), needs, wanted, avoid)
        for kind, count in needs.items():
            available = sum(1 for c in candidates if c.kind is kind)
            if available < count:
                raise _draw_order_violation(
                    f"{count} {kind.value} experts are needed and only {available} in the pool "
                    "may sit after avoidance (可抽取专家不足)"
                )
        draw = Draw(
            audit=audit,
            challenge_id=challenge.id,
            purpose=purpose,
            year=today.year,
            needs=tuple(
                SeatNeed(kind=k, count=needs[k]) for k in sorted(needs, key=lambda k: k.value)
            ),
            specialities=wanted,
            candidates=candidates,
            candidates_digest=algorithm.candidates_digest(as_candidates(candidates)),
            exclusions=exclusions,
            commitment=commitment,
            randomness_source=randomness_source.strip(),
            randomness_date=randomness_date,
            algorithm=algorithm.ALGORITHM,
        )
        return self._save(draw)

    @command
    def perform_draw(
        self,
        actor: Actor,
        draw_id: str,
        *,
        seed: str,
        public_value: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Reveal the seed (checked against its commitment) and the public value; record the
        ranking they give; the first N of each kind take their seats."""
        rules.check_role(actor, [Role.BUREAU], "R-DRAW", "performing an expert draw")
        draw = self._load(Draw, draw_id, meta)
        if draw.status is not DrawStatus.SCHEDULED:
            raise _draw_order_violation("this draw was already performed")
        if algorithm.commitment_of(seed) != draw.commitment:
            raise _draw_order_violation(
                "the revealed seed does not match the commitment recorded when the draw was "
                "scheduled (种子与承诺值不符)"
            )
        value = algorithm.normalise_public_value(public_value)
        if not value:
            raise InvalidValueError("public_value", "the published value of the named source")
        audit = self._audit(actor, meta)
        if audit.effective_at.date() < draw.randomness_date:
            raise _draw_order_violation(
                f"the source's value is published on {draw.randomness_date}, not before"
            )
        rankings = algorithm.perform(
            as_candidates(draw.candidates),
            {n.kind.value: n.count for n in draw.needs},
            seed,
            value,
        )
        draw.record_result(
            audit=audit,
            seed=seed,
            public_value=value,
            rankings=tuple(
                DrawRanking(kind=ExpertKind(r.kind), ranked=r.ranked, taken=r.taken)
                for r in rankings
            ),
        )
        seated = [self._get(Expert, m.expert_id) for m in draw.seated]
        for expert in seated:
            expert.take_seat(audit=audit, draw_id=str(draw.id), year=draw.year)
        return self._save(draw, *seated)

    @command
    def draw_replacement(
        self,
        actor: Actor,
        draw_id: str,
        *,
        expert_id: str,
        cause: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """An expert who refuses to serve, is absent or recuses gives his seat to the next
        candidate of the same kind in the draw's order, never to a hand-picked one."""
        rules.check_role(actor, [Role.BUREAU], "R-DRAW", "replacing a drawn expert")
        draw = self._load(Draw, draw_id, meta)
        if draw.status is not DrawStatus.PERFORMED:
            raise _draw_order_violation("a replacement follows a performed draw")
        if cause not in REPLACEMENT_CAUSES:
            raise InvalidValueError("cause", f"one of {', '.join(sorted(REPLACEMENT_CAUSES))}")
        member = next((m for m in draw.seated if m.expert_id == expert_id), None)
        if member is None:
            raise InvalidValueError("expert_id", "this expert holds no seat of this draw")
        if not rules.said(meta.reason):
            raise InvalidValueError("reason", "a replacement records why the seat fell vacant")
        panel = self._review_panel_of(draw)
        if panel is not None and panel.panel_is_effective:
            if cause == "recused":
                raise InvalidValueError(
                    "cause",
                    "on a confirmed review panel a recusal is the expert's own declaration on "
                    "the application; it is filled from this draw's order then",
                )
            # Refusing to serve or absent once the panel took effect: recorded as an absence,
            # the seat filled from the order and confirmed again by both (R-PANEL-JOINT).
            audit = self._audit(actor, meta)
            panel.record_absence(audit, expert_id, f"{cause}: {meta.reason.strip()}")
            filled = self._fill_from_draw(
                panel, expert_id, cause, f"{cause}: {meta.reason.strip()}", audit
            )
            if not filled:
                draw.next_in_order(member.kind)  # the order is used up: refused, R-DRAW
            return self._save(filled[0], *filled[1:], panel)
        place, successor_id = draw.next_in_order(member.kind)
        audit = self._audit(actor, meta)
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
        if panel is None:
            return self._save(draw, successor)
        # The proposed panel, not yet confirmed, is proposed again from the draw: bureau and
        # end user confirm it again (R-PANEL-JOINT).
        kept = [m for m in panel.panel if m.expert_id not in draw_ids(draw)]
        panel.propose_panel(audit, (*draw.seated, *kept), str(draw.id))
        return self._save(draw, successor, panel)

    def _review_panel_of(self, draw: Draw) -> Challenge | None:
        """The challenge whose proposed or confirmed review panel came from this draw."""
        if draw.purpose is not DrawPurpose.REVIEW:
            return None
        challenge = self._get(Challenge, draw.challenge_id)
        if challenge.panel_draw_id != str(draw.id):
            return None
        return challenge

    def draw(self, draw_id: str) -> Draw:
        return self._get(Draw, draw_id)

    def verify_draw(self, draw_id: str) -> list[str]:
        """Recompute a performed draw from its events alone; the differences, or []."""
        return verify_recorded_draw(self._get(Draw, draw_id))


REPLACEMENT_CAUSES = frozenset({"refused", "absent", "recused"})


def draw_ids(draw: Draw) -> set[str]:
    """Every candidate of the draw: on a drawn panel, the seats that are the draw's."""
    return {m.expert_id for m in draw.candidates}
