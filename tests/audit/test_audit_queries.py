"""Supervisors' questions, answered from the demo's log on both stores."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from rich.console import Console

from jiebang_es.audit import queries
from jiebang_es.demo import SimulatedClock, run_demo
from jiebang_es.domain.project import Project
from jiebang_es.errors import InvalidValueError
from jiebang_es.service_base import CHINA_TZ
from tests.support import BUREAU_STAFF, Journey


@pytest.fixture
def demo_app(make_app):
    app = make_app()
    app.clock = SimulatedClock()
    run_demo(app, Console(file=io.StringIO()))
    return app


def _first(app, event_name: str):
    for position, event in queries.log_events(app):
        if type(event).__qualname__ == event_name:
            return position, event
    raise AssertionError(f"no {event_name} in the demo")


def test_history_lists_every_event_with_who_why_and_changes(demo_app):
    _, contracted = _first(demo_app, "Project.Contracted")
    entries = queries.history(demo_app, str(contracted.originator_id))
    assert [e.version for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].event == "Project.Selected"
    assert all(e.audit["actor_id"] and e.audit["role"] and e.audit["org_code"] for e in entries)
    contract = next(e for e in entries if e.event == "Project.Contracted")
    status = next(c for c in contract.changes if c.field == "status")
    assert (status.old, status.new) == ("in_management", "contracted")


def test_history_of_a_funded_project_shows_the_running_total_change(demo_app):
    _, funded = _first(demo_app, "Project.Funded")
    entries = queries.history(demo_app, str(funded.originator_id))
    first_funding = next(e for e in entries if e.event == "Project.Funded")
    changed = {c.field: (c.old, c.new) for c in first_funding.changes}
    assert changed["disbursed"] == ("0.00", str(funded.amount))


def test_activity_of_one_actor_in_a_period(demo_app):
    everything = queries.activity(demo_app, actor_id="bureau-li")
    assert everything
    assert {e.audit["actor_id"] for e in everything} == {"bureau-li"}
    assert [e.position for e in everything] == sorted(e.position for e in everything)
    future = datetime.now(CHINA_TZ) + timedelta(days=1)
    assert queries.activity(demo_app, actor_id="bureau-li", since=future) == []
    assert queries.activity(demo_app, actor_id="bureau-li", until=future) == everything


def test_activity_of_one_request_spans_every_aggregate_it_changed(demo_app):
    _, selected = _first(demo_app, "Project.Selected")
    caused = queries.activity(demo_app, request_id=selected.audit.request_id)
    assert {e.event for e in caused} == {"Project.Selected", "Challenge.SolverSelected"}
    by_correlation = queries.activity(demo_app, correlation_id=selected.audit.correlation_id)
    assert by_correlation == caused


def test_activity_needs_a_filter_and_zoned_times(demo_app):
    with pytest.raises(InvalidValueError):
        queries.activity(demo_app)
    with pytest.raises(InvalidValueError):
        queries.activity(demo_app, actor_id="bureau-li", since=datetime(2026, 1, 1))


def test_state_as_of_a_time_before_the_contract(demo_app):
    _, contracted = _first(demo_app, "Project.Contracted")
    project_id = str(contracted.originator_id)
    before = contracted.audit.recorded_at - timedelta(microseconds=1)
    then = queries.state_as_of(demo_app, project_id, before)
    now = queries.state_as_of(demo_app, project_id, datetime.now(CHINA_TZ))
    assert then["status"] != "contracted"
    assert now["version"] == demo_app.state_at(Project, project_id).version
    assert then["version"] < contracted.originator_version


def test_r_audit_who_a_history_read_again_follows_every_new_event(app, clock, make_app):
    """A history is kept between reads (recorded events never change) only while the
    aggregate has no newer event: a revision recorded after a read is in the next read."""
    j = Journey(app, clock).draft(confirm=False)
    first = queries.history(app, j.challenge_id)
    assert queries.history(app, j.challenge_id) is first
    app.revise_draft(BUREAU_STAFF, j.challenge_id, content=replace(j.content, name="甲"))
    again = queries.history(app, j.challenge_id)
    assert [e.version for e in again] == [e.version for e in first] + [first[-1].version + 1]
    name = next(c for c in again[-1].changes if c.field == "content")
    assert (name.old["name"], name.new["name"]) == (j.content.name, "甲")
    other = queries.history(make_app(), j.challenge_id)
    assert [e.as_json() for e in other] == [e.as_json() for e in again]
