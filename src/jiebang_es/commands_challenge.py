"""Commands of steps 1–5: demand collection and refinement, argumentation, the annual list,
publication, and a challenge's failure (流榜) or cancellation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from jiebang_es.commands_budget import BudgetCommands
from jiebang_es.domain import rules
from jiebang_es.domain.base import order_violation
from jiebang_es.domain.challenge import Challenge, approve_list
from jiebang_es.domain.content import (
    ChallengeContent,
    check_commitment,
    check_draft,
    industry_exceptions,
    recipient_codes,
)
from jiebang_es.domain.demand import Demand
from jiebang_es.domain.draw import DrawPurpose
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.personal import Personal, expert_subject
from jiebang_es.domain.values import (
    Actor,
    BudgetLine,
    Conclusion,
    DemandSource,
    ExpertKind,
    Organisation,
    Role,
    RuleException,
    Scope,
    credit_code,
    is_enterprise_code,
    registration_region,
    yuan,
)
from jiebang_es.draws.panels import HAND_PICKED, PanelDraws, differences
from jiebang_es.errors import (
    ConflictError,
    InvalidValueError,
    RuleViolationError,
)
from jiebang_es.service_base import (
    NO_META,
    CommandMeta,
    Receipt,
    command,
)


def normalise_content(content: ChallengeContent) -> ChallengeContent:
    """Exact money and tuples, so that what is stored is what is checked."""
    commitment = content.commitment
    if commitment is not None:
        commitment = replace(
            commitment, own_investment=yuan(commitment.own_investment, field_name="own_investment")
        )
    recipients = tuple(r.strip() for r in content.recipients)
    if content.scope is Scope.RESTRICTED:
        recipients = recipient_codes(recipients)
    return replace(
        content,
        funding=None if content.funding is None else yuan(content.funding, field_name="funding"),
        indicators=tuple(content.indicators),
        milestones=tuple(content.milestones),
        recipients=recipients,
        commitment=commitment,
    )


def end_user_exceptions(
    end_user: Organisation, district_code: str, exception_reason: str | None
) -> tuple[RuleException, ...]:
    """R-EU-LOCAL (in principle): the end user is an enterprise registered in the district,
    read from its credit code (GB 32100-2015), not from what the caller says of it."""
    code = end_user.credit_code
    problems = []
    if registration_region(code) != district_code:
        problems.append(
            f"its credit code is registered in division {registration_region(code)}, not in "
            f"the district ({district_code})"
        )
    if not is_enterprise_code(code):
        problems.append(f"its credit code ({code[:2]}…) is not an enterprise's (91…)")
    return rules.in_principle(
        "R-EU-LOCAL",
        bool(problems),
        f"end user {end_user.name or code}: " + "; ".join(problems),
        exception_reason,
    )


def normalise_org(org: Organisation, field_name: str) -> Organisation:
    return replace(org, credit_code=credit_code(org.credit_code, field_name=field_name))


class ChallengeCommands(BudgetCommands, PanelDraws):
    # ---- 1. demand collection (需求征集) ----------------------------------------------------
    @command
    def collect_demand(
        self,
        actor: Actor,
        *,
        source: DemandSource,
        enterprise: Organisation,
        industry: str,
        title: str,
        description: str,
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Record a need gathered by survey visit or public solicitation."""
        rules.check_role(actor, [Role.BUREAU], "R-AUDIT-WHO", "demand collection (需求征集)")
        if not industry.strip():
            raise InvalidValueError("industry", "a demand names its industry")
        exceptions = industry_exceptions(industry, self.settings.industries, exception_reason)
        if not title.strip():
            raise InvalidValueError("title", "a demand has a title")
        demand = Demand(
            audit=self._audit(actor, meta, exceptions, backdate=True),
            source=source,
            enterprise=normalise_org(enterprise, "enterprise.credit_code"),
            industry=industry,
            title=title.strip(),
            description=description,
        )
        return self._save(demand)

    # ---- 2. refinement into a draft (需求凝练) --------------------------------------------
    @command
    def draft_challenge(
        self,
        actor: Actor,
        *,
        end_user: Organisation,
        content: ChallengeContent,
        demand_ids: Sequence[str] = (),
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Refine one or more demands into a draft challenge (Drafted)."""
        end_user = normalise_org(end_user, "end_user.credit_code")
        rules.check_party(
            actor,
            [Role.BUREAU, Role.END_USER],
            "R-CONTENT",
            "drafting a challenge",
            end_user_code=end_user.credit_code,
        )
        content = normalise_content(content)
        exceptions = check_draft(content, self.settings.draft_policy(), exception_reason)
        exceptions += end_user_exceptions(end_user, self.settings.district_code, exception_reason)
        if not demand_ids:
            raise order_violation(
                "a challenge is refined from the demands collected first (需求征集 → 需求凝练)"
            )
        demands = [self._load(Demand, d) for d in demand_ids]
        if len({d.id for d in demands}) != len(demands):
            raise InvalidValueError("demand_ids", "a demand is named twice")
        for demand in demands:
            if (demand.enterprise.credit_code, demand.industry) != (
                end_user.credit_code,
                content.industry,
            ):
                raise RuleViolationError(
                    "R-CONTENT",
                    f"demand {demand.id} is {demand.enterprise.name}'s need in {demand.industry}; "
                    "a challenge refines its own end user's needs in its own industry",
                )
        audit = self._audit(actor, meta, exceptions)
        challenge = Challenge(
            audit=audit,
            end_user=end_user,
            demand_ids=tuple(str(d.id) for d in demands),
            content=content,
        )
        for demand in demands:
            demand.refine(audit, str(challenge.id))
        return self._save(challenge, *demands)

    @command
    def revise_draft(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        content: ChallengeContent,
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Revise a draft; the revision references the version it replaces."""
        challenge = self._challenge_for(actor, challenge_id, meta, "R-CONTENT", "revising a draft")
        content = normalise_content(content)
        if content.industry != challenge.content.industry:
            raise RuleViolationError(
                "R-CONTENT",
                f"a revision keeps the industry ({challenge.content.industry}) of the demands "
                "the challenge refines",
            )
        exceptions = check_draft(
            content, self.settings.draft_policy(), exception_reason, industry_settled=True
        )
        challenge.revise(self._audit(actor, meta, exceptions), content)
        return self._save(challenge)

    @command
    def confirm_draft(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        content_digest: str,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """The end user confirms the draft it read (by its digest) and its own commitment."""
        challenge = self._load(Challenge, challenge_id, meta)
        rules.check_party(
            actor,
            [Role.END_USER],
            "R-EU-DRAFTS",
            "confirming the draft and the end user's commitment",
            end_user_code=challenge.end_user.credit_code,
        )
        check_commitment(challenge.content, self.settings.eu_commitment_min_ratio)
        challenge.confirm_by_end_user(self._audit(actor, meta), content_digest)
        return self._save(challenge)

    # ---- experts ----------------------------------------------------------------------------
    @command
    def register_expert(
        self,
        actor: Actor,
        *,
        person_id: str,
        name: str,
        org_code: str,
        org_name: str,
        kind: ExpertKind,
        speciality: str,
        specialities: Sequence[str] = (),
        region: str = "",
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Register an expert in the pool with the kind of expert they are (R-ARG-PANEL), their
        speciality codes (industry and field, what draws match on) and region."""
        rules.check_role(actor, [Role.BUREAU], "R-ARG-PANEL", "registering an expert")
        if not person_id.strip():
            raise InvalidValueError("person_id", "an expert has a person id (人员编号)")
        if not name.strip():
            raise InvalidValueError("name", "an expert has a name (姓名)")
        expert_key = Expert.create_id(person_id.strip())
        if self._exists(expert_key):
            raise ConflictError(expert_key, f"expert {person_id} is already registered")
        expert = Expert(
            audit=self._audit(actor, meta),
            person_id=person_id.strip(),
            name=Personal(expert_subject(person_id.strip()), "name", name.strip()),
            org_code=credit_code(org_code, field_name="org_code"),
            org_name=org_name,
            kind=kind,
            speciality=speciality,
            specialities=tuple(dict.fromkeys(s.strip() for s in specialities if s.strip()))
            or ((speciality.strip(),) if speciality.strip() else ()),
            region=region.strip(),
        )
        return self._save(expert)

    def expert(self, expert_id: str) -> Expert:
        return self._get(Expert, expert_id)

    def expert_of_person(self, person_id: str) -> Expert:
        return self._get(Expert, Expert.create_id(person_id))

    # ---- 3. argumentation (榜单论证) -------------------------------------------------------
    @command
    def record_argumentation(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        conclusion: Conclusion,
        opinions: Sequence[tuple[str, str]],
        period_argued: bool = False,
        draw_id: str | None = None,
        exception_reason: str | None = None,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Record the argumentation panel's opinions and conclusion (Reviewed). The panel is
        the draw's result (R-DRAW); a panel named by hand needs the bureau's justification."""
        rules.check_role(actor, [Role.BUREAU], "R-ARG-PANEL", "organising the argumentation")
        challenge = self._load(Challenge, challenge_id, meta)
        recorded = self._opinions(opinions, "R-ARG-PANEL")
        if draw_id:
            draw = self._panel_draw(challenge, draw_id, DrawPurpose.ARGUMENTATION)
            drawn = {m.expert_id for m in draw.seated}
            given = {o.expert_id for o in recorded}
            if given != drawn:
                raise RuleViolationError(
                    "R-DRAW",
                    f"the argumentation panel is the draw's result: {differences(given, drawn)} "
                    "(论证专家须为抽取结果; 缺席或拒绝的专家先按抽取顺序递补)",
                )
        self._check_not_end_users(recorded, challenge.end_user.credit_code, "its argumentation")
        if period_argued and len(recorded) < rules.MIN_PANEL:
            raise RuleViolationError(
                "R-PERIOD-ARGUED",
                f"arguing a period over three years takes a full panel of {rules.MIN_PANEL} "
                f"experts; {len(recorded)} gave opinions",
            )
        exceptions = rules.panel_exceptions(
            "R-ARG-PANEL", [o.kind for o in recorded], rules.ARG_PANEL_KINDS, exception_reason
        )
        exceptions += rules.in_principle("R-DRAW", not draw_id, HAND_PICKED, exception_reason)
        audit = self._audit(actor, meta, exceptions, backdate=True)
        challenge.review(audit, conclusion, recorded, period_argued, draw_id=draw_id or "")
        return self._save(challenge)

    # ---- 4. the annual list (榜单确定) -----------------------------------------------------
    @command
    def approve_annual_list(
        self,
        actor: Actor,
        *,
        year: int,
        meeting_date: date,
        minutes_ref: str,
        challenge_ids: Sequence[str],
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Record the party group meeting's approval of the year's list (all or nothing)."""
        rules.check_role(actor, [Role.BUREAU], "R-PARTY-APPROVAL", "recording the annual list")
        if not challenge_ids:
            raise InvalidValueError("challenge_ids", "the annual list names its challenges")
        challenges = [self._load(Challenge, c) for c in challenge_ids]
        if len({c.id for c in challenges}) != len(challenges):
            raise InvalidValueError("challenge_ids", "a challenge is named twice")
        audit = self._audit(actor, meta, backdate=True)
        approve_list(challenges, audit, year, meeting_date, minutes_ref)
        envelope = self._envelope(year)
        envelope.charge(
            audit,
            tuple(BudgetLine(str(c.id), c.content.settled()[0]) for c in challenges),
        )
        return self._save(*challenges, envelope)

    # ---- 5. publication (写榜发布) ---------------------------------------------------------
    @command
    def publish(
        self,
        actor: Actor,
        challenge_id: str,
        *,
        guide: str,
        window_opens: datetime,
        window_closes: datetime,
        meta: CommandMeta = NO_META,
    ) -> Receipt:
        """Publish a listed challenge with its application guide and window (Published)."""
        rules.check_role(actor, [Role.BUREAU], "R-GUIDE", "publication (写榜发布)")
        for name, value in (("window_opens", window_opens), ("window_closes", window_closes)):
            if value.tzinfo is None:
                raise InvalidValueError(name, "carries its time zone")
        challenge = self._load(Challenge, challenge_id, meta)
        challenge.publish(self._audit(actor, meta), guide, window_opens, window_closes)
        return self._save(challenge)

    @command
    def declare_failed(
        self, actor: Actor, challenge_id: str, *, meta: CommandMeta = NO_META
    ) -> Receipt:
        """流榜: the window closed and no solver will be selected."""
        rules.check_role(actor, [Role.BUREAU], "R-AUDIT-WHO", "declaring a challenge failed")
        challenge = self._load(Challenge, challenge_id, meta)
        audit = self._audit(actor, meta)
        challenge.fail(audit)
        return self._save(challenge, *self._released(challenge, audit))

    @command
    def cancel_challenge(
        self, actor: Actor, challenge_id: str, *, meta: CommandMeta = NO_META
    ) -> Receipt:
        """Cancel a challenge before a solver is selected; the reason is mandatory."""
        rules.check_role(actor, [Role.BUREAU], "R-AUDIT-WHO", "cancelling a challenge")
        challenge = self._load(Challenge, challenge_id, meta)
        audit = self._audit(actor, meta)
        challenge.cancel(audit)
        return self._save(challenge, *self._released(challenge, audit))

    def challenge(self, challenge_id: str) -> Challenge:
        return self._get(Challenge, challenge_id)

    def demand(self, demand_id: str) -> Demand:
        return self._get(Demand, demand_id)
