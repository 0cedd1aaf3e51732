"""Read models of the project's v2 rules: the public notice says what the public needs to
object (R-PUBLICITY) and shows the district number; the portfolio shows the end user's
co-investment, committed and reported, beside the district's funding (R-EU-COMMIT)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jiebang_es.domain.values import Scope, Verdict
from jiebang_es.sample import INSTITUTE_WEST, key_challenge_content
from projections import queries as q
from projections.reports.portfolio import portfolio_report
from tests.projections.conftest import catch_up
from tests.support import BUREAU_STAFF, Journey, solver


def test_r_publicity_public_notice_shows_what_the_public_needs(app, clock, settings, read_store):
    shown = Journey(app, clock).to_selected().publicize()
    restricted = key_challenge_content(
        name="定向榜单", scope=Scope.RESTRICTED, recipients=(INSTITUTE_WEST.credit_code,)
    )
    inside = Journey(app, clock, content=restricted, tag="r").to_selected().publicize()
    catch_up(settings)
    by_id = {n.project_id: n for n in q.public_notices(read_store).items}
    public = by_id[shown.project_id]
    assert public.challenge_name == shown.content.name
    assert public.funding == Decimal("100000.00")
    assert public.period_months == 18
    assert public.project_leader == "张工"
    assert public.end_user_name == shown.end_user.name
    assert "异议" in (public.objection_channel or "")
    assert public.district_number is None
    secret = by_id[inside.project_id]
    assert secret.restricted
    assert (secret.challenge_id, secret.challenge_name, secret.funding) == (None, None, None)
    assert (secret.industry, secret.category) == (None, None)  # the category tells the band
    assert (public.industry, public.category) == (shown.content.industry, "key")
    assert "定向榜单" not in (secret.project_title or "")
    assert secret.solver_name == INSTITUTE_WEST.name


def test_r_objection_public_notice_shows_the_district_number(app, clock, settings, read_store):
    j = Journey(app, clock).to_selected().publicize().close_notice()
    catch_up(settings)
    [notice] = q.public_notices(read_store).items
    assert (notice.status, notice.district_number) == ("closed", "SPB-KJ-2026-001")
    detail = q.get_project(read_store, j.project_id)
    assert detail is not None
    assert detail.project.district_number == "SPB-KJ-2026-001"


def test_r_eu_commit_reported_portfolio_shows_co_investment_beside_funding(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 12, 1))
    for m in j.content.milestones:
        app.report_milestone(solver(), j.project_id, milestone=m.name, report="完成")
        app.assess_milestone(j.eu, j.project_id, milestone=m.name, verdict=Verdict.PASS)
    app.assess(j.eu, j.project_id, verdict=Verdict.PASS, remarks="通过")
    app.report_co_investment(j.eu, j.project_id, amount="150000.00", note="测试平台")
    app.report_co_investment(j.eu, j.project_id, amount="60000.00", note="装机验证")
    catch_up(settings)
    assessed = q.get_project(read_store, j.project_id)
    assert assessed is not None
    assert assessed.project.status == "assessed"
    app.accept(BUREAU_STAFF, j.project_id, remarks="结题")
    catch_up(settings)
    detail = q.get_project(read_store, j.project_id)
    assert detail is not None
    p = detail.project
    assert (p.status, p.funding, p.co_investment_committed, p.co_investment_reported) == (
        "completed",
        Decimal("100000.00"),
        Decimal("200000.00"),
        Decimal("210000.00"),
    )
    [line] = portfolio_report(read_store).lines
    assert (line.contracted, line.co_investment_committed, line.co_investment_reported) == (
        Decimal("90000.00"),
        Decimal("200000.00"),
        Decimal("210000.00"),
    )
