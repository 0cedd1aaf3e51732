"""Each read model against a scripted history (the Journey of tests/support.py), on both stores."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from jiebang_es.domain.challenge import ChallengeStatus
from jiebang_es.domain.project import ProjectStatus
from jiebang_es.domain.values import Scope, Verdict
from jiebang_es.errors import InvalidValueError
from jiebang_es.sample import (
    END_USER_PHARMA,
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    key_challenge_content,
    major_challenge_content,
)
from jiebang_es.service_base import CHINA_TZ, CommandMeta
from projections import queries as q
from projections.reports.portfolio import portfolio_report
from tests.projections.conftest import catch_up
from tests.support import BUREAU_STAFF, Journey, solver


@pytest.fixture
def contracted(app, clock) -> Journey:
    """A key public challenge taken to contract, paid once, a milestone reported and assessed."""
    j = Journey(app, clock).to_published()
    first = j.apply()
    j.apply(lead=UNIVERSITY_JIANGNAN, budget="80000.00")
    j.panel()
    j.review(first)
    j.select(first).publicize().close_notice().contract()
    clock.on(date(2026, 6, 10))
    app.disburse(
        BUREAU_STAFF, j.project_id, amount="30000.00", purpose="首期", paid_on=date(2026, 6, 10)
    )
    milestone = j.content.milestones[0].name
    app.report_milestone(solver(), j.project_id, milestone=milestone, report="样机完成")
    app.assess_milestone(
        j.eu, j.project_id, milestone=milestone, verdict=Verdict.PASS, remarks="通过"
    )
    return j


def test_catalogue_follows_a_challenge_to_its_funds(contracted, settings, read_store):
    catch_up(settings)
    c = q.get_challenge(read_store, contracted.challenge_id)
    assert c is not None
    assert (c.status, c.current_step, c.step_name) == ("selected", 9, "funds disbursed")
    assert (c.industry, c.category, c.year) == ("智能科技", "key", 2026)
    assert c.funding == Decimal("100000.00")
    assert c.project_id == contracted.project_id
    assert c.window_opens == "2026-04-10T09:00:00+08:00"


def test_catalogue_filters_and_cursor_pages_are_stable(app, clock, settings, read_store):
    for tag in ("a", "b", "c"):
        Journey(app, clock, tag=tag).draft()
    Journey(
        app, clock, end_user=END_USER_PHARMA, content=major_challenge_content(), tag="m"
    ).draft()
    catch_up(settings)
    first = q.list_challenges(read_store, limit=2)
    second = q.list_challenges(read_store, limit=2, cursor=first.next_cursor)
    assert len(first.items) == 2
    assert len(second.items) == 2
    assert second.next_cursor is None
    ids = [c.challenge_id for c in first.items + second.items]
    assert len(set(ids)) == 4
    assert [c.challenge_id for c in q.list_challenges(read_store, limit=10).items] == ids
    major = q.list_challenges(
        read_store, category="major", end_user_code=END_USER_PHARMA.credit_code
    )
    assert [c.end_user_name for c in major.items] == [END_USER_PHARMA.name]
    assert q.list_challenges(read_store, industry="绿色低碳").items == []


def test_r_scope_visibility_is_decided_before_paging(app, clock, settings, read_store):
    # Hidden rows after the last visible one once produced a next_cursor (and so their count
    # and log positions); the query now leaves them out before it pages.
    public = Journey(app, clock, tag="p").to_published()
    for tag in ("d1", "d2", "d3"):
        Journey(app, clock, tag=tag).draft()
    catch_up(settings)
    applicant = q.Viewer(role="applicant", org=UNIVERSITY_JIANGNAN.credit_code)
    first = q.list_challenges(read_store, viewer=applicant, limit=1)
    assert [c.challenge_id for c in first.items] == [public.challenge_id]
    assert first.next_cursor is None
    end_user = q.Viewer(role="end_user", org=public.end_user.credit_code)
    own = q.list_challenges(read_store, viewer=end_user, limit=3)
    assert len(own.items) == 3
    assert own.next_cursor is not None
    assert len(q.list_challenges(read_store, viewer=end_user, cursor=own.next_cursor).items) == 1


def test_r_scope_restricted_project_hidden_from_outsiders(app, clock, settings, read_store):
    public = Journey(app, clock, tag="p").to_selected().publicize()
    restricted = key_challenge_content(
        scope=Scope.RESTRICTED, recipients=(INSTITUTE_WEST.credit_code,)
    )
    hidden = Journey(app, clock, content=restricted, tag="r").to_selected().publicize()
    catch_up(settings)
    outsider = q.Viewer(role="applicant", org=UNIVERSITY_JIANGNAN.credit_code)
    assert [p.project_id for p in q.list_projects(read_store, viewer=outsider).items] == [
        public.project_id
    ]
    party = q.Viewer(role="end_user", org=hidden.end_user.credit_code)
    assert {p.project_id for p in q.list_projects(read_store, viewer=party).items} == {
        public.project_id,
        hidden.project_id,
    }


def test_bad_cursor_or_limit_is_refused_naming_the_field(read_store):
    with pytest.raises(InvalidValueError) as caught:
        q.list_challenges(read_store, cursor="not-a-cursor")
    assert caught.value.field == "cursor"
    with pytest.raises(InvalidValueError) as caught:
        q.list_challenges(read_store, limit=0)
    assert caught.value.field == "limit"


def test_public_listing_never_shows_restricted_or_classified_challenge(
    app, clock, settings, read_store
):
    public = Journey(app, clock, tag="p").to_published()
    Journey(
        app, clock, end_user=END_USER_PHARMA, content=major_challenge_content(), tag="r"
    ).to_published()
    secret = key_challenge_content(
        name="涉密传感器",
        scope=Scope.RESTRICTED,
        recipients=(INSTITUTE_WEST.credit_code,),
        classified=True,
    )
    Journey(app, clock, content=secret, tag="s").to_published()
    catch_up(settings)
    listed = q.public_challenges(read_store).items
    assert [c.challenge_id for c in listed] == [public.challenge_id]
    assert listed[0].guide
    assert listed[0].window_closes == "2026-05-10T17:00:00+08:00"
    assert len(q.list_challenges(read_store, status="published").items) == 3


def test_public_notices_show_selected_projects_but_not_classified_ones(
    app, clock, settings, read_store
):
    shown = Journey(app, clock, tag="p").to_selected().publicize()
    secret = key_challenge_content(
        name="涉密传感器",
        scope=Scope.RESTRICTED,
        recipients=(INSTITUTE_WEST.credit_code,),
        classified=True,
    )
    hidden = Journey(app, clock, content=secret, tag="s").to_selected()
    clock.on(date(2026, 5, 18))
    app.waive_notice(BUREAU_STAFF, hidden.project_id, meta=CommandMeta(reason="涉密项目不公示"))
    catch_up(settings)
    notices = q.public_notices(read_store).items
    assert [n.project_id for n in notices] == [shown.project_id]
    assert notices[0].solver_name
    assert notices[0].status == "running"
    assert notices[0].challenge_id == shown.challenge_id


def test_pipeline_counts_by_status_and_nothing_else(contracted, settings, read_store):
    catch_up(settings)
    counts = q.application_counts(read_store, contracted.challenge_id)
    assert counts == {"selected": 1, "applied": 1}


def test_panels_show_composition_confirmations_and_recusals(contracted, settings, read_store):
    catch_up(settings)
    panels = q.challenge_panels(read_store, contracted.challenge_id)
    argumentation, review = panels
    assert argumentation.panel == "argumentation"
    assert argumentation.size == 5
    assert review.panel == "review"
    assert review.effective
    assert set(review.confirmed_by) == {"bureau", "end_user"}
    assert review.by_kind.get("end_user_rep") == 1
    # drawn: the four experts not of the applicant's unit, and the end user's head
    assert sum(review.by_kind.values()) == 5
    experts = q.list_experts(read_store, limit=500).items
    assert {e.expert_id for e in experts} >= {m.expert_id for m in review.members}


def test_portfolio_shows_money_milestones_and_days_per_step(contracted, settings, read_store):
    catch_up(settings)
    detail = q.get_project(read_store, contracted.project_id)
    assert detail is not None
    p = detail.project
    assert (p.status, p.contracted, p.disbursed) == (
        "contracted",
        Decimal("90000.00"),
        Decimal("30000.00"),
    )
    first = detail.milestones[0]
    assert first.verdict == "pass"
    assert first.reported_at is not None
    days = {s.step: s.days for s in detail.steps}
    assert days["selected"] == 3
    assert days["publicized"] == 7
    assert days["contracted"] is None


def test_portfolio_steps_come_in_the_procedures_order(demo_settings, demo_read_store):
    """Not in the order of the rows, which follows the aggregates' random ids: the report's
    columns and the dashboard's bars are the same on every store of the same log."""
    catch_up(demo_settings)
    report = portfolio_report(demo_read_store)
    challenge = [f"challenge:{s.value}" for s in ChallengeStatus]
    project = [f"project:{s.value}" for s in ProjectStatus]
    procedure = challenge + project
    assert {"challenge:draft", "project:selected", "project:contracted"} <= set(report.steps)
    assert report.steps == [s for s in procedure if s in report.steps]
    for line in report.lines:
        assert list(line.median_days) == [s for s in report.steps if s in line.median_days]


def test_ledger_keeps_running_totals_per_project_and_dimension(
    contracted, app, clock, settings, read_store
):
    clock.on(date(2026, 7, 1))
    app.disburse(
        BUREAU_STAFF,
        contracted.project_id,
        amount="20000.50",
        purpose="二期",
        paid_on=date(2026, 7, 1),
    )
    catch_up(settings)
    payments = q.list_disbursements(read_store, project_id=contracted.project_id).items
    assert [d.project_total for d in payments] == [Decimal("30000.00"), Decimal("50000.50")]
    totals = {t.value: t.disbursed for t in q.funding_totals(read_store, "category")}
    assert totals == {"key": Decimal("50000.50")}
    assert q.funding_totals(read_store, "year")[0].payments == 2


def test_audit_index_has_one_row_per_event_with_filters(contracted, app, settings, read_store):
    catch_up(settings)
    entries = q.audit_events(read_store, limit=500).items
    assert [e.position for e in entries] == list(range(1, app.position() + 1))
    mine = q.audit_events(read_store, aggregate_id=contracted.project_id, limit=500).items
    assert mine[0].event_type == "Project.Selected"
    assert mine[0].role == "end_user"
    assert all(e.aggregate_id == contracted.project_id for e in mine)
    one = entries[-1]
    by_request = q.audit_events(read_store, request_id=one.request_id).items
    assert one.position in [e.position for e in by_request]
    assert q.audit_events(read_store, actor_id="nobody").items == []
    later = datetime.now(CHINA_TZ) + timedelta(hours=1)
    assert q.audit_events(read_store, recorded_from=later).items == []


def test_wait_until_answers_once_the_runner_reached_the_position(
    contracted, app, settings, read_store
):
    position = app.position()
    assert not read_store.caught_up(position)
    assert not read_store.wait_until(position, timeout_s=0.05)
    catch_up(settings)
    assert read_store.wait_until(position, timeout_s=0.05)
