"""Checks that panels come from draws (R-DRAW): an argumentation or review panel that names a
draw is that draw's result (the review panel adding only the end user's own head), a panel
named by hand carries the bureau's justification, and a drawn seat is never filled by hand.

Challenges drafted under RULES.md version 1 (the first release) had no expert pool: their
hand-named panels are not checked against R-DRAW. They run after the challenge's own checks
(``AFTER``), which keep the state these read."""

from __future__ import annotations

from typing import Any

from jiebang_es.domain.challenge import Challenge
from projections.compliance import draw_checks
from projections.compliance.challenge_checks import excepted, v2
from projections.compliance.check import Check, CheckFn
from projections.compliance.zh import PURPOSE_ZH


def _mismatch(
    c: Check, draw_id: str, purpose: str, named: list[str], challenge: dict[str, Any]
) -> tuple[str, str]:
    """Why a panel naming ``draw_id`` is not that draw's result, in English and in Chinese;
    empty when it is."""
    draw = c.state(draw_id)
    if draw.get("challenge_id") != c.aggregate_id:
        return (
            f"draw {draw_id} is not a draw for this challenge",
            f"抽取 {draw_id} 不是本榜单的抽取",
        )
    if draw.get("purpose") != purpose:
        drawn_for = draw.get("purpose")
        return (
            f"draw {draw_id} was drawn for the {drawn_for} panel",
            f"抽取 {draw_id} 是为{PURPOSE_ZH.get(str(drawn_for), drawn_for)}专家组抽取的",
        )
    if "seated" not in draw:
        return f"draw {draw_id} was not performed", f"抽取 {draw_id} 尚未执行"
    seated = set(draw["seated"])
    missing = sorted(seated - set(named))
    extra = [
        x
        for x in named
        if x not in seated
        and not (
            purpose == "review"
            and c.state(x).get("expert_kind") == "end_user_rep"
            and c.state(x).get("org") == challenge.get("end_user")
        )
    ]
    problems = [f"drawn and missing: {', '.join(missing)}"] if missing else []
    problems += [f"not drawn: {', '.join(extra)}"] if extra else []
    problems_zh = [f"抽中而未列入：{'、'.join(missing)}"] if missing else []
    problems_zh += [f"未经抽取而列入：{'、'.join(extra)}"] if extra else []
    return "; ".join(problems), "；".join(problems_zh)


def _check_panel(c: Check, purpose: str, named: list[str]) -> None:
    challenge = c.state()
    draw_id = getattr(c.event, "draw_id", "") or ""
    if draw_id:
        draw_checks.panel_used(challenge, purpose, draw_id)
        c.save(challenge)
        problem, problem_zh = _mismatch(c, draw_id, purpose, named, challenge)
        if problem:
            c.violation(
                "R-DRAW",
                f"the {purpose} panel matches no draw: {problem}",
                c.state(draw_id).get("scheduled_pos"),
                zh=f"{PURPOSE_ZH[purpose]}专家组与抽取结果不符（{problem_zh}）",
            )
    elif v2(challenge) and not excepted(c, "R-DRAW"):
        c.violation(
            "R-DRAW",
            f"a {purpose} panel named by hand, without a justification",
            zh=f"{PURPOSE_ZH[purpose]}专家组由人工指定，且未说明理由",
        )


def reviewed(c: Check) -> None:
    _check_panel(c, "argumentation", [o.expert_id for o in c.event.opinions])


def panel_proposed(c: Check) -> None:
    _check_panel(c, "review", [m.expert_id for m in c.event.members])
    challenge = c.state()
    challenge["panel_draw"] = getattr(c.event, "draw_id", "") or ""
    c.save(challenge)


def replacement_confirmed(c: Check) -> None:
    """A replacement taking effect on a drawn panel came from the draw's order, or stands in
    for the end user's own head."""
    challenge = c.state()
    draw_id = challenge.get("panel_draw") or ""
    expert_id = c.event.expert_id
    if not draw_id or expert_id in c.state(draw_id).get("seated", []):
        return
    expert = c.state(expert_id)
    if expert.get("expert_kind") == "end_user_rep" and expert.get("org") == challenge.get(
        "end_user"
    ):
        return
    if not excepted(c, "R-DRAW"):
        c.violation(
            "R-DRAW",
            f"expert {expert_id} fills a seat of draw {draw_id} but was not drawn",
            zh=f"专家 {expert_id} 占用抽取 {draw_id} 的席位，但未被抽中",
        )


AFTER: dict[type, CheckFn] = {
    Challenge.Reviewed: reviewed,
    Challenge.ReviewPanelProposed: panel_proposed,
    Challenge.ReplacementExpertConfirmed: replacement_confirmed,
}
