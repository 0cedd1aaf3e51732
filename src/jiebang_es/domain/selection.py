"""The end user's selection in the light of the review (§八(六)): the in-principle rules that a
selection departing from the panel's judgement must justify.

R-REVIEW-PANEL per application: recusals and absences may leave an application with fewer
than five effective reviewers; then the selection records why it stands on fewer.
R-SELECT-REASON: the experts' ranking is the mean of each reviewed application's scores (to the
fen, 0.01 point); every application sharing the highest mean is ranked first. Selecting another,
or one most of its scorers advised against (不推荐), needs a justification.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from jiebang_es.domain import rules
from jiebang_es.domain.application import Application
from jiebang_es.domain.values import RuleException


def review_panel_exceptions(
    application: Application,
    members: set[str],
    absent: Iterable[str],
    exception_reason: str | None,
) -> tuple[RuleException, ...]:
    """R-REVIEW-PANEL: fewer than five effective reviewers because of recusals or absences."""
    effective = application.effective_reviewers(members, absent)
    recused = members & set(application.recused)
    gone = members - recused - effective
    reduced = bool(recused or gone)
    return rules.in_principle(
        "R-REVIEW-PANEL",
        reduced and len(effective) < rules.MIN_PANEL,
        f"{len(effective)} effective reviewers on this application, fewer than "
        f"{rules.MIN_PANEL} ({len(recused)} recused, {len(gone)} absent, no replacement)",
        exception_reason,
    )


def ranked_first(reviewed: Sequence[Application]) -> list[Application]:
    """The applications with the highest mean score (ties share first place)."""
    means = [(a, a.mean_score()) for a in reviewed]
    scored = [(a, m) for a, m in means if m is not None]
    if not scored:
        return []
    top = max(m for _, m in scored)
    return [a for a, m in scored if m == top]


def selection_exceptions(
    application: Application,
    reviewed: Sequence[Application],
    exception_reason: str | None,
) -> tuple[RuleException, ...]:
    """R-SELECT-REASON: a selection against the ranking or against most experts' advice."""
    problems = []
    first = ranked_first(reviewed)
    if first and all(a.id != application.id for a in first):
        problems.append(
            f"the experts ranked first {', '.join(str(a.id) for a in first)} (mean score "
            f"{first[0].mean_score()}); this application's mean is {application.mean_score()}"
        )
    if application.advised_against():
        against = sum(1 for s in application.scores if s.recommended is False)
        problems.append(
            f"{against} of {len(application.scores)} experts advised against it (不推荐)"
        )
    return rules.in_principle(
        "R-SELECT-REASON",
        bool(problems),
        "selection against the experts' opinions: " + "; ".join(problems),
        exception_reason,
    )
