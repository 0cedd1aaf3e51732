"""The rules of RULES.md (version 2) as the compliance report lists them: id, strength, and
what the checker verifies in the log for each. A rule whose feature is not built yet is listed
as "not applicable yet" rather than as holding."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    rule_id: str
    strength: str  # "hard" or "in principle"
    checked: str
    applicable: bool = True


def _r(rule_id: str, checked: str, strength: str = "hard") -> Rule:
    return Rule(rule_id, strength, checked)


def _not_yet(rule_id: str, what: str) -> Rule:
    return Rule(rule_id, "hard", f"not applicable yet: {what}", applicable=False)


RULES: tuple[Rule, ...] = (
    _r(
        "R-ORDER",
        "each aggregate's versions in order and business time never running backwards; drafts "
        "from collected demands; argumentation of drafts; applications inside the open window of "
        "a published challenge; scoring and selection after the window closed; notices after "
        "selection",
    ),
    _r(
        "R-INDUSTRY",
        "every demand, draft and revision names a configured industry, or the draft records a "
        "justification",
        "in principle",
    ),
    _r(
        "R-EU-LOCAL",
        "every end user (drafts under version 2) is an enterprise (91…) registered in the "
        "configured district, or the draft records a justification",
        "in principle",
    ),
    _r(
        "R-EU-DRAFTS",
        "every argued draft (under version 2) was confirmed as it stood by its own end user; "
        "confirmations only by that end user and of the draft's content",
    ),
    _r("R-CHOKEPOINT", "every draft states the chokepoint problem and its effect on the industry"),
    _r("R-CONTENT", "every argued draft has all list contents (indicators measurable)"),
    _r(
        "R-EU-COMMIT",
        "every argued draft records the end user's investment, support, pledge; under version 2 "
        "the investment is at least the configured share of the funding, and the end user "
        "reports its co-investment itself, under a contract, before the project is closed",
    ),
    _r("R-CATEGORY", "every challenge is key or major"),
    _r("R-FUND-CAP", "funding and contracted budgets within the category's cap, in fen"),
    _r("R-PERIOD-MAX", "challenge and contract periods within the category's maximum"),
    _r(
        "R-PERIOD-NORM",
        "periods outside the usual range carry a recorded justification",
        "in principle",
    ),
    _r(
        "R-PERIOD-ARGUED",
        "a period over 36 months listed only after a passing argumentation of the period by a "
        "panel of five",
    ),
    _r(
        "R-ARG-PANEL",
        "argumentation panels of five with management, front-line and peer experts, or a "
        "recorded justification",
        "in principle",
    ),
    _r(
        "R-BUDGET",
        "each year's list (challenges drafted under version 2) listed against a recorded "
        "envelope, its total funding within it; no envelope revised below what is listed",
    ),
    _r(
        "R-PARTY-APPROVAL",
        "publication only of challenges listed by a party group meeting (date, minutes) held "
        "by then",
    ),
    _r(
        "R-SCOPE",
        "classified never public; restricted challenges name their recipients; under version 2 "
        "only units in the range lead an application",
    ),
    _r("R-GUIDE", "publication carries a guide and a window that closes after it opens"),
    _r(
        "R-OPEN",
        "applications record no registration age, age, degree or title; under version 2 no "
        "draft's conditions for solvers carry the configured threshold wording",
    ),
    _r(
        "R-CREDIT",
        "every unit applying, selected, signing or paid was checked, not seriously dishonest, "
        "within the configured age (default 30 days) of the step",
    ),
    _r("R-PLAN-IP", "every application carries a technical plan and the IP declaration"),
    _r("R-EU-NOT-SOLVER", "the end user is never a lead or participating unit, nor the solver"),
    _r("R-ASK-CAP", "applications ask at most the challenge's funding and period"),
    _r(
        "R-REVIEW-PANEL",
        "review panels of five including the end user's head; per application, five effective "
        "reviewers after recusals and absences (replacements counted), or a recorded "
        "justification on the selection; replacements and absences give their reason",
        "in principle",
    ),
    _r(
        "R-PANEL-JOINT",
        "review panels and each replacement confirmed by bureau and end user before scoring "
        "and selection; scores only from panel members",
    ),
    _r(
        "R-SELECT-EU",
        "the challenge's end user selects an application every effective reviewer scored, "
        "the selection referencing every score on record",
    ),
    _r(
        "R-SELECT-REASON",
        "a selection other than the top mean score, or of an application most scorers advised "
        "against, carries a recorded justification",
        "in principle",
    ),
    _r(
        "R-CONFLICT",
        "no expert from an applicant's unit, or recused, scores that application; no expert of "
        "the end user argues its challenge; no excluded expert among a draw's candidates",
    ),
    _r(
        "R-DRAW",
        "every performed draw recomputes from its schedule (candidates and their digest, the "
        "seed against its commitment, each ranked place); replacements follow the draw's order; "
        "every argumentation and review panel (of challenges drafted under version 2) is its "
        "draw's result, the review panel adding only the end user's head, or was named by hand "
        "with a recorded justification; no drawn seat filled by hand",
    ),
    _r(
        "R-PUBLICITY",
        "non-classified selections publicized for the configured working days and closed after "
        "their end, before the contract; notices say solver, end user, leader, funding and how "
        "to object; classified ones never publicized, their notice waived",
    ),
    _r(
        "R-OBJECTION",
        "objections lodged during the notice; notices closed with every objection resolved; "
        "revoked selections never contracted; district numbers only after the notice passed "
        "(or was waived), once per project and never twice",
    ),
    _r(
        "R-CONTRACT",
        "contracts within the challenge's funding and period, naming its indicators, with a "
        "payment schedule totalling the budget on known conditions, signed by bureau, end user "
        "and solver",
    ),
    _r(
        "R-DISBURSE",
        "disbursements only after the contract, never more than the schedule had made due, "
        "their total within the budget",
    ),
    _r(
        "R-MILESTONE",
        "milestones reported by contract, assessed once by the end user after their report, all "
        "assessed before the final assessment; no payment while one stands failed and no final "
        "pass over it; rectifications of failed milestones only",
    ),
    _r(
        "R-AUTONOMY",
        "filed route changes carry their reason and are never of the project leader or lead "
        "unit; contract terms change only when bureau and end user both approved",
    ),
    _r(
        "R-ASSESS-EU",
        "the final assessment is the project's end user's; the bureau's acceptance follows it "
        "and keeps its verdict",
    ),
    _r(
        "R-EXTEND",
        "extensions argued by a full panel (or with an R-ARG-PANEL justification), within the "
        "category's maximum",
    ),
    _r(
        "R-EVIDENCE",
        "each step the rule names (challenges drafted under version 2) keeps the document kinds "
        "the configuration requires (JIEBANG_EVIDENCE_KINDS), even where the guard was off; "
        "whether each kept document still matches its digest is checked by the audit verifier",
    ),
    _r(
        "R-AUDIT-WHO",
        "every event names person, role, organisation, business and recording time; reasons "
        "where they are mandatory; justifications of every exception",
    ),
    _r(
        "R-ERASURE",
        "personal information erased only by the data-protection officer, with a reason, once "
        "per data subject (docs/personal-information.md)",
    ),
    _r(
        "R-RETENTION",
        "an erasure without a legal ground only after every retention period of the subject's "
        "records had ended; erasures on a legal ground listed as exceptions",
    ),
    _r(
        "R-AUDIT-IMMUTABLE",
        "each aggregate's versions contiguous from 1 (nothing deleted or inserted); the seal "
        "chain itself is verified by the audit verifier",
    ),
)
RULE_IDS = tuple(r.rule_id for r in RULES)
