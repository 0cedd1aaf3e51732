"""The expert sittings report (R-CONFLICT, R-DRAW): how often each expert sat per year, per end
user and per winning solver, and which pairs met often — from the read models, on both stores."""

from __future__ import annotations

from jiebang_es.sample import END_USER_EQUIPMENT, INSTITUTE_WEST
from projections.reports import sittings
from tests.projections.conftest import catch_up
from tests.support import Journey


def test_r_conflict_sittings_report_counts_panels_in_effect(app, clock, settings, read_store):
    # Two challenges of one end user side by side through the year, their panels drawn from
    # the same experts (an expert's seats are taken in time order).
    first, second = Journey(app, clock), Journey(app, clock)
    for step in ("draft", "argue", "list", "publish"):
        for j in (first, second):
            getattr(j, step)()
    applications = [j.apply() for j in (first, second)]
    for j in (first, second):
        j.panel()
    for j, application_id in zip((first, second), applications, strict=True):
        j.review(application_id)
        j.select(application_id)
    catch_up(settings)
    report = sittings.sittings_report(read_store, year=2026, min_pair_panels=4)

    argued = set(first.experts.values())
    per_year = {c.expert_id: c.panels for c in report.per_year}
    # each sample expert argued both drafts; the review panel's members sat twice more
    assert {per_year[e] for e in argued} <= {2, 4}
    assert all(c.of == "2026" for c in report.per_year)
    assert {c.of for c in report.per_end_user} == {END_USER_EQUIPMENT.credit_code}
    assert {c.of for c in report.per_winning_solver} == {INSTITUTE_WEST.credit_code}
    assert all(c.panels == 2 for c in report.per_winning_solver)
    # pairs who sat together on all four panels are listed, nobody else
    assert report.frequent_pairs
    assert all(p.panels >= 4 for p in report.frequent_pairs)
    assert second.challenge_id != first.challenge_id

    assert sittings.sittings_report(read_store, year=2025).per_year == []
    md = sittings.render(report, "md")
    assert isinstance(md, str)
    assert "## 各入选揭榜单位" in md
    assert "| 专家编号 | 姓名 | 揭榜单位统一社会信用代码 | 参加专家组次数 |" in md
    assert "per winning solver" in sittings.render(report, "csv")  # the data keeps its codes
    assert isinstance(sittings.render(report, "xlsx"), bytes)
