"""Avoidance before the draw (回避, R-CONFLICT): who in the pool may be drawn for one panel.

Every pool member of a needed kind is either a candidate or excluded with its reason, and both
lists are recorded with the draw, so a supervisor sees who was left out and why, and a candidate
who should have been excluded cannot be drawn without the record showing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from jiebang_es.domain.draw import DrawExclusion
from jiebang_es.domain.expert import Expert, ExpertStatus, RelationKind
from jiebang_es.domain.values import ExpertKind, PanelMember

_RELATION_WORDS = {
    RelationKind.FORMER_EMPLOYER: "曾任职于",
    RelationKind.COLLABORATION: "近年与之合作或合著",
    RelationKind.FAMILY_TIE: "与其负责人有亲属关系",
}


@dataclass(frozen=True)
class Avoidance:
    """What this panel must avoid: the units (credit code → who they are to the challenge)."""

    units: Mapping[str, str]  # e.g. {"9150…": "最终用户"} or {"1210…": "申报单位"}
    on: date  # the day of the draw's schedule: relations are judged as of then
    year: int  # the year whose seats count towards the cap
    max_seats_per_year: int
    relation_years: int  # how long a former employer or a collaboration still counts


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def exclusion_reason(expert: Expert, avoid: Avoidance, specialities: Iterable[str]) -> str:
    """Why this expert may not be drawn for the panel, or "" when they may."""
    if expert.status is ExpertStatus.RETIRED:
        return "已退出专家库 (retired)"
    if expert.status is ExpertStatus.SUSPENDED:
        return f"暂停使用：{expert.status_reason or '未说明'} (suspended)"
    if expert.org_code in avoid.units:
        return f"与{avoid.units[expert.org_code]}同单位 {expert.org_code} (R-CONFLICT)"
    horizon = _years_before(avoid.on, avoid.relation_years)
    for relation in expert.relations:
        if relation.org_code not in avoid.units:
            continue
        # "Ended less than N years before" excludes: a tie that ended N years ago to the day
        # no longer does.
        lapsed = relation.ended_on is not None and relation.ended_on <= horizon
        if relation.kind is not RelationKind.FAMILY_TIE and lapsed:
            continue
        return (
            f"{_RELATION_WORDS[relation.kind]}{avoid.units[relation.org_code]} "
            f"{relation.org_code} (R-CONFLICT)"
        )
    if expert.seats_in(avoid.year) >= avoid.max_seats_per_year:
        return (
            f"{avoid.year}年已参加{expert.seats_in(avoid.year)}次，达到每年上限"
            f"{avoid.max_seats_per_year}次 (per-year cap)"
        )
    wanted = set(specialities)
    if wanted and not wanted.intersection(expert.specialities):
        return "专业领域不符 (no matching speciality)"
    return ""


def screen(
    pool: Iterable[Expert],
    kinds: Iterable[ExpertKind],
    specialities: Iterable[str],
    avoid: Avoidance,
) -> tuple[tuple[PanelMember, ...], tuple[DrawExclusion, ...]]:
    """The eligible candidates of the needed kinds, and every exclusion with its reason, both in
    a canonical order (by kind, then id)."""
    needed = set(kinds)
    wanted = tuple(specialities)
    candidates: list[PanelMember] = []
    exclusions: list[DrawExclusion] = []
    for expert in sorted(pool, key=lambda e: (e.kind.value, str(e.id))):
        if expert.kind not in needed:
            continue
        reason = exclusion_reason(expert, avoid, wanted)
        if reason:
            exclusions.append(DrawExclusion(expert_id=str(expert.id), reason=reason))
        else:
            candidates.append(PanelMember(expert_id=str(expert.id), kind=expert.kind))
    return tuple(candidates), tuple(exclusions)
