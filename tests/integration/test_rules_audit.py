"""Audit rules, optimistic concurrency and point-in-time state."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.values import Actor, Conclusion, DemandSource, Role
from jiebang_es.errors import (
    ConcurrentWriteError,
    ConflictError,
    InvalidValueError,
    NotFoundError,
    NotPermittedError,
    StaleVersionError,
)
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT, INSTITUTE_WEST, actor
from jiebang_es.service_base import CHINA_TZ, CommandMeta
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, HAND_PICKED_REASON, UNREAD_DEMAND, Journey


# ---- R-AUDIT-WHO ------------------------------------------------------------------------------
def test_r_audit_who_command_without_an_actor_id_refused(app, clock):
    nobody = Actor(id=" ", role=Role.BUREAU, org_code=BUREAU.credit_code)
    refused(
        app,
        "R-AUDIT-WHO",
        app.draft_challenge,
        nobody,
        end_user=END_USER_EQUIPMENT,
        content=Journey(app, clock).content,
        demand_ids=[UNREAD_DEMAND],
    )


def test_r_audit_who_only_the_bureau_collects_demands(app, clock):
    """Step 1 is the bureau's (需求征集): anyone else is refused under the rule that names who
    may make a change, not under R-INDUSTRY (the demand's industry is not in question)."""
    clock.on(date(2026, 2, 24))
    error = refused(
        app,
        "R-AUDIT-WHO",
        app.collect_demand,
        actor(Role.APPLICANT, INSTITUTE_WEST, "applicant-1"),
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="关键核心技术需求",
        description="调研走访记录",
    )
    assert isinstance(error, NotPermittedError)


def test_r_audit_who_cancellation_without_a_reason_refused(app, clock):
    j = Journey(app, clock).draft()
    refused(app, "R-AUDIT-WHO", app.cancel_challenge, BUREAU_STAFF, j.challenge_id)
    app.cancel_challenge(BUREAU_STAFF, j.challenge_id, meta=CommandMeta(reason="需求单位撤回需求"))
    cancelled = app.events_of(j.challenge_id)[-1]
    assert cancelled.audit.reason == "需求单位撤回需求"
    assert app.challenge(j.challenge_id).status is ChallengeStatus.CANCELLED


def test_r_audit_who_failed_challenge_needs_a_reason(app, clock):
    j = Journey(app, clock).to_published()
    clock.on(date(2026, 5, 11))
    refused(app, "R-AUDIT-WHO", app.declare_failed, BUREAU_STAFF, j.challenge_id)
    app.declare_failed(BUREAU_STAFF, j.challenge_id, meta=CommandMeta(reason="无单位揭榜"))
    assert app.challenge(j.challenge_id).status is ChallengeStatus.FAILED


def test_r_audit_who_metadata_names_request_correlation_and_causation(app, clock):
    j = Journey(app, clock).draft()
    meta = CommandMeta(
        request_id="req-1", correlation_id="corr-1", causation_id="cause-1", reason="补充对标情况"
    )
    app.revise_draft(BUREAU_STAFF, j.challenge_id, content=j.content, meta=meta)
    audit = app.events_of(j.challenge_id)[-1].audit
    assert (audit.request_id, audit.correlation_id, audit.causation_id) == (
        "req-1",
        "corr-1",
        "cause-1",
    )
    assert (audit.actor_id, audit.role, audit.org_code) == (
        "bureau-li",
        Role.BUREAU,
        BUREAU.credit_code,
    )


def test_r_audit_who_supervisors_and_analysts_write_nothing(app, clock):
    for role in (Role.SUPERVISOR, Role.ANALYST):
        reader = Actor(id="reader", role=role, org_code=BUREAU.credit_code)
        refused(
            app,
            "R-CONTENT",
            app.draft_challenge,
            reader,
            end_user=END_USER_EQUIPMENT,
            content=Journey(app, clock).content,
            demand_ids=[UNREAD_DEMAND],
        )


# ---- R-AUDIT-IMMUTABLE ------------------------------------------------------------------------
def test_r_audit_immutable_revision_is_a_new_event_referencing_the_old(app, clock):
    j = Journey(app, clock).draft(confirm=False)
    original = app.events_of(j.challenge_id)[0]
    app.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(j.content, name="新名称"))
    drafted, revised = app.events_of(j.challenge_id)
    assert drafted.content == original.content
    assert drafted.content.name != "新名称"
    assert revised.revises_version == drafted.originator_version
    assert app.state_at(Challenge, j.challenge_id, version=1).content.name == j.content.name


def test_r_audit_immutable_a_recorded_version_cannot_be_written_again(make_app, clock):
    first, second = make_app(), make_app()
    j = Journey(first, clock).draft()
    stale = second.challenge(j.challenge_id)
    first.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(j.content, name="甲"))
    stale.revise(first._audit(BUREAU_STAFF, CommandMeta()), replace(j.content, name="乙"))
    before = first.position()
    with pytest.raises(ConcurrentWriteError):
        second._save(stale)
    assert first.position() == before
    assert first.challenge(j.challenge_id).content.name == "甲"


# ---- optimistic concurrency -----------------------------------------------------------------
def test_stale_expected_version_refused_with_nothing_recorded(app, clock):
    j = Journey(app, clock).draft(confirm=False)
    before = app.position()
    with pytest.raises(StaleVersionError) as caught:
        app.revise_draft(
            BUREAU_STAFF, j.challenge_id, content=j.content, meta=CommandMeta(expected_version=7)
        )
    assert (caught.value.expected, caught.value.actual) == (7, 1)
    assert app.position() == before
    receipt = app.revise_draft(
        BUREAU_STAFF, j.challenge_id, content=j.content, meta=CommandMeta(expected_version=1)
    )
    assert receipt.version == 2
    assert receipt.position == before + 1


def test_unknown_ids_are_not_found(app):
    with pytest.raises(NotFoundError):
        app.challenge("not-a-uuid")
    with pytest.raises(NotFoundError):
        app.project("6f1c1f0e-0000-4000-8000-000000000000")


def test_not_found_names_the_kind_in_words(app):
    from jiebang_es.domain.base import JiebangAggregate
    from jiebang_es.domain.budget import BudgetEnvelope

    missing = "6f1c1f0e-0000-4000-8000-000000000000"
    with pytest.raises(NotFoundError, match=f"^no budget envelope with id {missing}$"):
        app.state_at(BudgetEnvelope, missing)
    with pytest.raises(NotFoundError, match=f"^no object with id {missing}$"):
        app.state_at(JiebangAggregate, missing)


def test_one_aggregate_type_is_not_found_as_another(app, clock):
    j = Journey(app, clock).draft()
    with pytest.raises(NotFoundError):
        app.project(j.challenge_id)


# ---- point in time --------------------------------------------------------------------------
def test_state_as_of_a_version_and_a_recording_time(app, clock):
    j = Journey(app, clock).draft().argue()
    drafted, confirmed, _reviewed = app.events_of(j.challenge_id)
    at_draft = app.state_at(Challenge, j.challenge_id, version=1)
    assert at_draft.status is ChallengeStatus.DRAFT
    between = (
        drafted.audit.recorded_at + (confirmed.audit.recorded_at - drafted.audit.recorded_at) / 2
    )
    assert app.state_at(Challenge, j.challenge_id, as_of=between).version == 1
    later = datetime.now(CHINA_TZ) + timedelta(seconds=1)
    assert app.state_at(Challenge, j.challenge_id, as_of=later).status is ChallengeStatus.REVIEWED
    with pytest.raises(NotFoundError):
        app.state_at(Challenge, j.challenge_id, as_of=drafted.audit.recorded_at - timedelta(days=1))


def test_r_audit_who_supervisors_cannot_lodge_objections(app, clock):
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 19))
    supervisor = Actor(id="sup", role=Role.SUPERVISOR, org_code=BUREAU.credit_code)
    refused(app, "R-OBJECTION", app.lodge_objection, supervisor, j.project_id, grounds="…")


def test_an_expert_is_registered_once_and_found_by_person_id(app, clock):
    j = Journey(app, clock).draft()
    expert = app.expert_of_person("exp-k-mgmt")
    assert str(expert.id) == j.experts["exp-k-mgmt"]
    before = app.position()
    with pytest.raises(ConflictError):
        app.register_expert(
            BUREAU_STAFF,
            person_id="exp-k-mgmt",
            name="刘主任",
            org_code=BUREAU.credit_code,
            org_name="x",
            kind=expert.kind,
            speciality="",
        )
    assert app.position() == before


def test_r_order_time_sensitive_steps_cannot_be_backdated(app, clock):
    j = Journey(app, clock).to_published()
    clock.on(date(2026, 5, 20))  # the window closed on 10 May
    inside_window = CommandMeta(effective_at=datetime(2026, 4, 20, 10, tzinfo=CHINA_TZ))
    before = app.position()
    with pytest.raises(InvalidValueError) as caught:
        app.apply(
            actor(Role.APPLICANT, INSTITUTE_WEST, "late"),
            j.challenge_id,
            lead=INSTITUTE_WEST,
            leader_name="张工",
            technical_plan="方案",
            ip_declaration=True,
            budget="1000",
            period_months=12,
            meta=inside_window,
        )
    assert caught.value.field == "effective_at"
    assert app.position() == before


def test_r_audit_who_recorded_decisions_may_carry_their_earlier_business_time(app, clock):
    j = Journey(app, clock).draft()
    clock.on(date(2026, 3, 25))
    meeting = datetime(2026, 3, 20, 14, tzinfo=CHINA_TZ)
    j.register_experts()
    opinions = [(j.experts[e.person_id], "同意") for e in j.sample_experts()[:5]]
    app.record_argumentation(
        BUREAU_STAFF,
        j.challenge_id,
        conclusion=Conclusion.PASS,
        opinions=opinions,
        exception_reason=HAND_PICKED_REASON,
        meta=CommandMeta(effective_at=meeting),
    )
    assert app.events_of(j.challenge_id)[-1].audit.effective_at == meeting
    future = CommandMeta(effective_at=datetime(2026, 3, 26, tzinfo=CHINA_TZ))
    with pytest.raises(InvalidValueError):
        app.revise_draft(BUREAU_STAFF, j.challenge_id, content=j.content, meta=future)
