"""R-CREDIT, version 2: good credit means checked, recently, at application, selection,
contract signature and every disbursement."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from jiebang_es.domain.credit import SOURCE_NOT_RECORDED, CreditRecord
from jiebang_es.domain.values import CreditStatus, Organisation, Role, UnitType
from jiebang_es.errors import InvalidValueError
from jiebang_es.sample import (
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    UNIVERSITY_JIANGNAN,
    actor,
    make_code,
)
from jiebang_es.service_base import CommandMeta
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, Journey, at, check_credit

# A unit the journey never checks: its credit is whatever each test records.
HOSPITAL = Organisation(make_code("12500106MB7777712"), "沙坪坝区人民医院", UnitType.HOSPITAL, True)


def published(app, clock) -> Journey:
    return Journey(app, clock).to_published()


def test_r_credit_unit_never_checked_refused_at_application(app, clock):
    j = Journey(app, clock).draft().argue().list()
    j._on(date(2026, 4, 10), 8)
    app.publish(
        BUREAU_STAFF,
        j.challenge_id,
        guide="申报指南",
        window_opens=at(date(2026, 4, 10), 9),
        window_closes=at(date(2026, 5, 10), 17),
    )
    err = refused(app, "R-CREDIT", j.apply, lead=INSTITUTE_WEST)
    assert "未经信用核查" in err.message
    assert app.credit_record(INSTITUTE_WEST.credit_code) is None


def checked_on(app, org, day: date) -> None:
    app.record_credit_status(
        BUREAU_STAFF,
        org_code=org.credit_code,
        status=CreditStatus.GOOD,
        source="信用中国 查询",
        checked_on=day,
    )


def test_r_credit_check_older_than_30_days_refused_at_application(app, clock):
    j = published(app, clock)  # every sample unit checked on 10 April
    checked_on(app, HOSPITAL, date(2026, 4, 9))
    j.apply(lead=INSTITUTE_WEST, when=at(date(2026, 5, 10), 9))  # 30 days: still counts
    err = refused(app, "R-CREDIT", j.apply, lead=HOSPITAL, when=at(date(2026, 5, 10), 9))
    assert "31 days" in err.message
    assert "信用核查已过期" in err.message


def test_r_credit_participating_unit_not_recently_checked_refused(app, clock):
    j = published(app, clock)
    checked_on(app, HOSPITAL, date(2026, 3, 1))
    err = refused(app, "R-CREDIT", j.apply, participants=(ENTERPRISE_HUADONG, HOSPITAL))
    assert HOSPITAL.credit_code in err.message


def test_r_credit_max_age_is_configured(make_app, clock):
    app = make_app(credit_max_age_days=60)
    j = published(app, clock)
    checked_on(app, HOSPITAL, date(2026, 3, 12))
    j.apply(lead=HOSPITAL, when=at(date(2026, 5, 10), 9))  # 59 days


def test_r_credit_stale_check_refused_at_selection(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    j.review(application_id)
    clock.on(date(2026, 5, 15))  # the check of 10 April is 35 days old
    err = refused(app, "R-CREDIT", app.select, j.eu, j.challenge_id, application_id=application_id)
    assert "selection" in err.message
    check_credit(app, UNIVERSITY_JIANGNAN)
    app.select(j.eu, j.challenge_id, application_id=application_id)


def test_r_credit_dishonest_since_application_refused_at_selection(app, clock):
    j = published(app, clock)
    application_id = j.apply(lead=UNIVERSITY_JIANGNAN)
    j.panel()
    j.review(application_id)
    clock.on(date(2026, 5, 15))
    check_credit(app, UNIVERSITY_JIANGNAN, status=CreditStatus.SERIOUSLY_DISHONEST)
    err = refused(app, "R-CREDIT", app.select, j.eu, j.challenge_id, application_id=application_id)
    assert "严重失信" in err.message


def test_r_credit_stale_check_refused_at_contract_signature(app, clock):
    j = Journey(app, clock).to_selected().publicize().close_notice()
    clock.on(date(2026, 6, 20))  # the check of 15 May is 36 days old
    app.draft_contract(BUREAU_STAFF, j.project_id, terms=j.terms())
    err = refused(app, "R-CREDIT", app.sign_contract, BUREAU_STAFF, j.project_id)
    assert "signing the task contract" in err.message
    check_credit(app, INSTITUTE_WEST)
    app.sign_contract(BUREAU_STAFF, j.project_id)


def test_r_credit_backdated_signature_needs_a_check_made_by_then(app, clock):
    j = Journey(app, clock).to_selected().publicize().close_notice()
    clock.on(date(2026, 6, 20))
    check_credit(app, INSTITUTE_WEST)
    app.draft_contract(BUREAU_STAFF, j.project_id, terms=j.terms())
    # Signed on paper on 16 June, 32 days after the check of 15 May; the check of 20 June
    # says nothing of the solver's credit on 16 June.
    refused(
        app,
        "R-CREDIT",
        app.sign_contract,
        BUREAU_STAFF,
        j.project_id,
        meta=CommandMeta(effective_at=at(date(2026, 6, 16))),
    )


def test_r_credit_stale_check_refused_at_each_disbursement(app, clock):
    j = Journey(app, clock).to_contracted()  # the solver was checked on 1 June
    clock.on(date(2026, 6, 10))
    app.disburse(BUREAU_STAFF, j.project_id, amount="30000.00", purpose="首期")
    clock.on(date(2026, 7, 10))  # 39 days after the check
    err = refused(
        app, "R-CREDIT", app.disburse, BUREAU_STAFF, j.project_id, amount="100.00", purpose="二期"
    )
    assert "disbursement" in err.message
    check_credit(app, INSTITUTE_WEST)
    app.disburse(BUREAU_STAFF, j.project_id, amount="100.00", purpose="二期")


def test_r_credit_dishonest_solver_refused_at_disbursement(app, clock):
    j = Journey(app, clock).to_contracted()
    clock.on(date(2026, 6, 10))
    check_credit(app, INSTITUTE_WEST, status=CreditStatus.SERIOUSLY_DISHONEST)
    refused(
        app, "R-CREDIT", app.disburse, BUREAU_STAFF, j.project_id, amount="100.00", purpose="首期"
    )


def test_r_credit_record_carries_source_and_date_checked(app, clock):
    clock.on(date(2026, 4, 10))
    checked_on(app, INSTITUTE_WEST, date(2026, 4, 8))
    record = app.credit_record(INSTITUTE_WEST.credit_code)
    assert record is not None
    assert (record.source, record.checked_on) == ("信用中国 查询", date(2026, 4, 8))
    (recorded,) = app.events_of(record.id)
    assert recorded.checked_on == date(2026, 4, 8)


def test_r_credit_record_says_the_latest_check_by_date_not_the_last_recorded(app, clock):
    """A check recorded late, dated before another, does not hide the later one's finding:
    the record (GET /v1/credit-records/{code}) says what the rules go by."""
    clock.on(date(2026, 4, 10))
    app.record_credit_status(
        BUREAU_STAFF,
        org_code=INSTITUTE_WEST.credit_code,
        status=CreditStatus.SERIOUSLY_DISHONEST,
        source="信用中国 查询",
    )
    checked_on(app, INSTITUTE_WEST, date(2026, 4, 1))  # recorded second, dated first
    record = app.credit_record(INSTITUTE_WEST.credit_code)
    assert record is not None
    assert (record.status, record.checked_on) == (
        CreditStatus.SERIOUSLY_DISHONEST,
        date(2026, 4, 10),
    )
    assert app.credit_status_of(INSTITUTE_WEST.credit_code) is CreditStatus.SERIOUSLY_DISHONEST


def test_r_credit_check_cannot_be_dated_in_the_future(app, clock):
    clock.on(date(2026, 4, 10))
    before = app.position()
    with pytest.raises(InvalidValueError) as caught:
        checked_on(app, INSTITUTE_WEST, date(2026, 4, 10) + timedelta(days=1))
    assert caught.value.field == "checked_on"
    assert app.position() == before


def test_r_credit_first_build_record_upcast_checked_on_its_business_date(app, clock):
    """A record written before the date checked was kept: the date is its business date."""
    clock.on(date(2026, 4, 10))
    checked_on(app, INSTITUTE_WEST, date(2026, 4, 1))
    (event,) = app.events_of(CreditRecord.create_id(INSTITUTE_WEST.credit_code))
    stored = app.mapper.to_stored_event(event)
    state = json.loads(stored.state)
    del state["checked_on"], state["class_version"]
    state["source"] = " "
    v1 = replace(stored, state=json.dumps(state).encode())
    old = app.mapper.to_domain_event(v1)
    assert old.checked_on == date(2026, 4, 10)  # the record's business date, not 1 April
    assert old.source == SOURCE_NOT_RECORDED


def test_r_credit_only_the_bureau_records_a_check(app, clock):
    refused(
        app,
        "R-CREDIT",
        app.record_credit_status,
        actor(Role.APPLICANT, INSTITUTE_WEST, "self"),
        org_code=INSTITUTE_WEST.credit_code,
        status=CreditStatus.GOOD,
        source="自查",
    )
