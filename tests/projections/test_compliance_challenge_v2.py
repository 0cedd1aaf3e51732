"""The challenge side's version-2 rules in the compliance report: histories written straight
into the store (no guard runs) are reported under their rule id at the event that shows them;
granted in-principle exceptions are listed with who approved them and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from jiebang_es.domain.budget import BudgetEnvelope
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.content import content_digest
from jiebang_es.domain.values import (
    BudgetLine,
    Commitment,
    Conclusion,
    ExpertKind,
    ExpertOpinion,
    Scope,
)
from jiebang_es.sample import (
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    UNIVERSITY_MEDICAL,
    key_challenge_content,
    major_challenge_content,
    unit,
)
from jiebang_es.service_base import CommandMeta
from projections import queries
from tests.projections.conftest import catch_up
from tests.projections.test_compliance import findings, forge
from tests.projections.test_compliance_more_rules import (
    _application,
    _opinions,
    forged_draft,
    positions,
)
from tests.support import BUREAU_STAFF, Journey, collect, ensure_budget


def _argue(app, challenge_id, opinions=None) -> int:
    return forge(
        app,
        challenge_id,
        "_reviewed",
        conclusion=Conclusion.PASS,
        opinions=opinions or _opinions(5),
        period_argued=False,
    )


def _list(app, clock, challenge_id, year=2026) -> int:
    clock.on(date(2026, 4, 8), 15)
    return forge(
        app, challenge_id, "_listed", year=year, meeting_date=date(2026, 4, 8), minutes_ref="党组会"
    )


# ---- R-INDUSTRY ------------------------------------------------------------------------------
def test_r_industry_granted_exception_is_listed_with_its_approver(app, clock, settings, read_store):
    why = "先进材料为我区培育产业"
    content = replace(key_challenge_content(), industry="先进材料")
    j = Journey(app, clock, content=content).draft(exception_reason=why)
    found = findings(settings, read_store, "R-INDUSTRY", kind="exception")
    assert {f.justification for f in found} == {why}
    assert {f.actor_id for f in found} == {BUREAU_STAFF.id}
    assert j.challenge_id in {f.aggregate_id for f in found}
    assert findings(settings, read_store, "R-INDUSTRY") == []


# ---- R-EU-LOCAL ------------------------------------------------------------------------------
def test_r_eu_local_end_user_outside_the_district_is_reported(app, clock, settings, read_store):
    position = forged_draft(app, clock, end_user=ENTERPRISE_HUADONG)
    assert positions(settings, read_store, "R-EU-LOCAL") == [position]


def test_r_eu_local_university_as_end_user_is_reported(app, clock, settings, read_store):
    position = forged_draft(app, clock, end_user=UNIVERSITY_MEDICAL)
    assert positions(settings, read_store, "R-EU-LOCAL") == [position]


def test_r_eu_local_granted_exception_is_listed(app, clock, settings, read_store):
    why = "在区内设有分公司并实际经营"
    Journey(app, clock, end_user=ENTERPRISE_HUADONG).draft(exception_reason=why)
    [granted] = findings(settings, read_store, "R-EU-LOCAL", kind="exception")
    assert (granted.justification, granted.role) == (why, "bureau")
    assert findings(settings, read_store, "R-EU-LOCAL") == []


# ---- R-EU-DRAFTS -----------------------------------------------------------------------------
def test_r_eu_drafts_argued_without_confirmation_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).draft(confirm=False)
    argued = _argue(app, j.challenge_id)
    assert positions(settings, read_store, "R-EU-DRAFTS") == [argued]


def test_r_eu_drafts_argued_after_an_unconfirmed_revision_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).draft()
    forge(app, j.challenge_id, "_draft_revised", content=replace(j.content, name="改"),
          revises_version=2)  # fmt: skip
    argued = _argue(app, j.challenge_id)
    assert positions(settings, read_store, "R-EU-DRAFTS") == [argued]


def test_r_eu_drafts_confirmation_by_the_bureau_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).draft(confirm=False)
    assert j.content.commitment is not None
    confirmed = forge(
        app,
        j.challenge_id,
        "_end_user_confirmed",
        confirmed_version=1,
        content_digest=content_digest(j.content),
        commitment=j.content.commitment,
    )
    argued = _argue(app, j.challenge_id)
    assert positions(settings, read_store, "R-EU-DRAFTS") == [confirmed, argued]


def test_r_eu_drafts_first_release_drafts_are_not_asked_for_a_confirmation(
    app, clock, settings, read_store
):
    demand = collect(app, clock, END_USER_EQUIPMENT, "智能科技")
    clock.on(date(2026, 3, 2))
    old = Challenge(
        audit=app._audit(BUREAU_STAFF, CommandMeta()),
        end_user=END_USER_EQUIPMENT,
        demand_ids=(demand,),
        content=key_challenge_content(solver_conditions="博士学位"),
        rules_version=1,
    )
    app.save(old)
    _argue(app, str(old.id))
    for rule_id in ("R-EU-DRAFTS", "R-OPEN"):
        assert findings(settings, read_store, rule_id) == []


# ---- R-EU-COMMIT and R-OPEN ------------------------------------------------------------------
def test_r_eu_commit_token_investment_is_reported(app, clock, settings, read_store):
    token = Commitment(Decimal("0.01"), "提供测试平台", True)
    position = forged_draft(app, clock, commitment=token)
    assert positions(settings, read_store, "R-EU-COMMIT") == [position]


def test_r_open_threshold_conditions_are_reported(app, clock, settings, read_store):
    position = forged_draft(app, clock, solver_conditions="注册满3年；正高级职称、博士，年龄≤45")
    [finding] = findings(settings, read_store, "R-OPEN")
    assert finding.position == position
    assert "注册满" in finding.detail


# ---- R-CONFLICT on the argumentation panel ----------------------------------------------------
def test_r_conflict_argumentation_expert_of_the_end_user_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).draft()
    own = j.experts[j.sample_experts()[-1].person_id]  # the end user's own head
    opinions = (*_opinions(4), ExpertOpinion(own, ExpertKind.END_USER_REP, "同意"))
    argued = _argue(app, j.challenge_id, opinions)
    assert positions(settings, read_store, "R-CONFLICT") == [argued]


# ---- R-BUDGET --------------------------------------------------------------------------------
def test_r_budget_listed_in_a_year_without_an_envelope_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).draft().argue()
    listed = _list(app, clock, j.challenge_id, year=2027)
    assert positions(settings, read_store, "R-BUDGET") == [listed]


def test_r_budget_list_over_the_envelope_is_reported(make_app, clock, settings, read_store):
    app = make_app()
    clock.on(date(2026, 1, 5))
    app.set_budget(BUREAU_STAFF, year=2026, amount="150000.00")
    a = Journey(app, clock).draft().argue()
    b = Journey(app, clock, tag="b").draft().argue()
    _list(app, clock, a.challenge_id)
    over = _list(app, clock, b.challenge_id)
    assert positions(settings, read_store, "R-BUDGET") == [over]


def test_r_budget_envelope_revised_below_the_list_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).draft().argue().list()
    envelope = app.budget(2026)
    assert BudgetLine(j.challenge_id, Decimal("100000.00")) in envelope.listed
    revised = forge(
        app,
        str(BudgetEnvelope.create_id(2026)),
        "_revised",
        reason="压减",
        amount=Decimal("1.00"),
        previous=envelope.amount,
    )
    assert positions(settings, read_store, "R-BUDGET") == [revised]


def test_r_budget_revision_without_a_reason_is_reported(app, clock, settings, read_store):
    ensure_budget(app, clock, 2026)
    envelope = app.budget(2026)
    revised = forge(
        app,
        str(envelope.id),
        "_revised",
        amount=Decimal("5.00"),
        previous=envelope.amount,
    )
    assert revised in positions(settings, read_store, "R-AUDIT-WHO")


# ---- R-SCOPE ---------------------------------------------------------------------------------
def test_r_scope_application_from_outside_the_range_is_reported(app, clock, settings, read_store):
    content = major_challenge_content(recipients=(UNIVERSITY_MEDICAL.credit_code,))
    j = Journey(app, clock, end_user=END_USER_PHARMA, content=content, tag="m").to_published()
    applied = _application(
        app, clock, j, lead=unit(INSTITUTE_WEST), budget=Decimal("1.00"), period_months=12
    )
    assert positions(settings, read_store, "R-SCOPE") == [applied]
    assert content.scope is Scope.RESTRICTED


def test_r_budget_a_cancelled_challenge_frees_its_funding_in_the_report_too(
    make_app, clock, settings, read_store
):
    app = make_app()
    clock.on(date(2026, 1, 5))
    app.set_budget(BUREAU_STAFF, year=2026, amount="150000.00")
    a = Journey(app, clock).draft().argue()
    _list(app, clock, a.challenge_id)
    app.cancel_challenge(BUREAU_STAFF, a.challenge_id, meta=CommandMeta(reason="撤回"))
    b = Journey(app, clock, tag="b").draft().argue()
    _list(app, clock, b.challenge_id)
    assert findings(settings, read_store, "R-BUDGET") == []


def test_demands_read_model_lists_collected_and_refined_demands(app, clock, settings, read_store):
    """The clerk's list of demands: open until refined, then with its challenge (rebuildable)."""
    open_one = collect(app, clock, END_USER_PHARMA, "生命健康")
    j = Journey(app, clock).draft()
    catch_up(settings)
    listed = {d.demand_id: d for d in queries.list_demands(read_store).items}
    assert listed[open_one].status == "open"
    refined = [d for d in listed.values() if d.challenge_id == j.challenge_id]
    assert [d.status for d in refined] == ["refined"]
    mine = queries.list_demands(read_store, end_user_code=END_USER_PHARMA.credit_code.lower())
    assert [d.demand_id for d in mine.items] == [open_one]
    assert queries.list_demands(read_store, industry="智能科技", status="open").items == []
