"""Sixteen writers revise one draft challenge at the same instant, on the real PostgreSQL server.

Each writer is a thread with its own JiebangApp on one schema (as separate API workers would be),
or all threads share one JiebangApp (as one worker's thread pool would). A barrier starts them
together. Whatever the interleaving, every command either lands exactly once (a Receipt) or is
refused with a ConflictError; the landed commands are exactly the new events; the aggregate's
versions run 1..N without gap or duplicate; notification ids only increase; and every landed
revision is stored with its own writer's content.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from jiebang_es.config import Settings
from jiebang_es.domain.challenge import Challenge
from jiebang_es.errors import ConcurrentWriteError, ConflictError, StaleVersionError
from jiebang_es.sample import END_USER_EQUIPMENT, key_challenge_content
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta, Receipt
from tests.conftest import new_postgres_schema
from tests.support import BUREAU_STAFF, ScriptedClock, collect

pytestmark = pytest.mark.postgres

WRITERS = 16
SHARING = ("an app per thread", "one shared app")


@dataclass
class Race:
    """The store, the draft all writers revise, and each writer's application."""

    setup: JiebangApp
    challenge_id: str
    apps: list[JiebangApp]  # apps[i] is writer i's application (the same object when shared)


@pytest.fixture(params=SHARING)
def race(request: pytest.FixtureRequest, postgres_db: str) -> Iterator[Race]:
    url = new_postgres_schema(postgres_db)
    clock = ScriptedClock()
    opened: list[JiebangApp] = []

    def open_app(**pool: int) -> JiebangApp:
        app = JiebangApp(Settings(database_url=url, **pool), clock=clock)  # type: ignore[arg-type]
        opened.append(app)
        return app

    try:
        setup = open_app()
        demand_id = collect(setup, clock, END_USER_EQUIPMENT, "智能科技")
        clock.on(date(2026, 3, 2))
        receipt = setup.draft_challenge(
            BUREAU_STAFF,
            end_user=END_USER_EQUIPMENT,
            content=key_challenge_content(),
            demand_ids=[demand_id],
        )
        # One connection per writer either way: the suite's budget is 20 (connection_budget.py).
        if request.param == "one shared app":
            shared = open_app(pool_size=1, pool_max_overflow=WRITERS - 1)
            apps = [shared] * WRITERS
        else:
            apps = [open_app(pool_size=1, pool_max_overflow=0) for _ in range(WRITERS)]
        yield Race(setup, receipt.aggregate_id, apps)
    finally:
        for app in opened:
            app.close()


def writer_name(i: int) -> str:
    return f"编码器国产化-写者{i:02d}"


def revise_as(app: JiebangApp, challenge_id: str, i: int, expected: int | None) -> Receipt:
    return app.revise_draft(
        BUREAU_STAFF,
        challenge_id,
        content=key_challenge_content(name=writer_name(i)),
        meta=CommandMeta(expected_version=expected, request_id=f"writer-{i}"),
    )


def run_together(
    race: Race, read: Callable[[JiebangApp], Any], write: Callable[[JiebangApp, int, Any], Any]
) -> list[Any]:
    """Each writer reads, waits at the barrier for all the others, then writes. Returns what
    each write returned or raised (any exception, so that nothing is swallowed)."""
    barrier = threading.Barrier(WRITERS)
    outcomes: list[Any] = [None] * WRITERS

    def writer(i: int) -> None:
        try:
            seen = read(race.apps[i])
            barrier.wait(timeout=30)
        except BaseException as e:
            barrier.abort()  # a writer that failed before the barrier must not hang the others
            outcomes[i] = e
            return
        # Past the barrier a failed write must not abort it: writers released with this one
        # but not yet awake would wake to a broken barrier (seen once under CI's load).
        try:
            outcomes[i] = write(race.apps[i], i, seen)
        except BaseException as e:
            outcomes[i] = e

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return outcomes


def check_log(race: Race, before: int, receipts: dict[int, Receipt]) -> None:
    """Landed = new events; versions 1..N; notification ids increase; nothing lost."""
    app = race.setup
    events: list[Any] = app.events_of(race.challenge_id)
    versions = [e.originator_version for e in events]
    assert versions == list(range(1, len(events) + 1)), "a gap or a duplicate version"
    assert len(events) == 1 + len(receipts), "landed commands and new events differ"
    assert isinstance(events[0], Challenge.Drafted)
    assert all(isinstance(e, Challenge.DraftRevised) for e in events[1:])
    # every revision was made on top of the version just before it: no update was lost
    assert [e.revises_version for e in events[1:]] == versions[:-1]

    notes = app.recorder.select_notifications(start=1, limit=1000)
    ids = [n.id for n in notes]
    assert ids == sorted(set(ids)), "notification ids are not strictly increasing"
    assert len([n for n in notes if n.id > before]) == len(receipts), "an event too many or few"
    mine = [n for n in notes if str(n.originator_id) == race.challenge_id]
    assert [n.originator_version for n in mine] == versions
    position = {n.originator_version: n.id for n in mine}

    assert len({r.version for r in receipts.values()}) == len(receipts)
    by_version = {e.originator_version: e for e in events}
    for i, r in receipts.items():
        assert r.aggregate_id == race.challenge_id
        assert r.events == ("DraftRevised",)
        stored = by_version[r.version]
        assert stored.content.name == writer_name(i), "a landed revision was lost or swapped"
        assert stored.audit.request_id == f"writer-{i}"
        assert r.position == position[r.version]
    names = [e.content.name for e in events[1:]]
    assert sorted(names) == sorted(writer_name(i) for i in receipts), "a revision was lost"

    final = app.challenge(race.challenge_id)
    assert final.version == len(events)
    assert final.content.name == events[-1].content.name
    for other in {id(a): a for a in race.apps}.values():  # every app sees the same log
        assert other.position() == app.position()
        assert other.challenge(race.challenge_id).__dict__ == final.__dict__


def split(outcomes: list[Any]) -> tuple[dict[int, Receipt], dict[int, ConflictError]]:
    receipts = {i: o for i, o in enumerate(outcomes) if isinstance(o, Receipt)}
    conflicts = {i: o for i, o in enumerate(outcomes) if isinstance(o, ConflictError)}
    others = [o for o in outcomes if not isinstance(o, Receipt | ConflictError)]
    assert not others, f"neither a receipt nor a ConflictError: {others!r}"
    assert all(isinstance(c, StaleVersionError | ConcurrentWriteError) for c in conflicts.values())
    return receipts, conflicts


def test_revisions_expecting_the_same_version_exactly_one_lands(race: Race) -> None:
    """All sixteen read version 1 and send If-Match: 1; one lands, fifteen are refused."""
    before = race.setup.position()
    outcomes = run_together(
        race,
        read=lambda app: app.challenge(race.challenge_id).version,
        write=lambda app, i, seen: revise_as(app, race.challenge_id, i, expected=seen),
    )
    receipts, conflicts = split(outcomes)
    assert len(receipts) == 1
    assert len(conflicts) == WRITERS - 1
    (winner,) = receipts.values()
    assert winner.version == 2
    assert race.setup.position() == winner.position > before
    for c in conflicts.values():
        assert c.aggregate_id == race.challenge_id
        if isinstance(c, StaleVersionError):
            assert (c.expected, c.actual) == (1, 2)
    check_log(race, before, receipts)


def test_revisions_without_an_expected_version_never_collide_silently(race: Race) -> None:
    """Last-writer-wins is not allowed to lose anything: each lands on the version it read, or
    is refused as a concurrent write."""
    before = race.setup.position()
    outcomes = run_together(
        race,
        read=lambda _app: None,
        write=lambda app, i, _seen: revise_as(app, race.challenge_id, i, expected=None),
    )
    receipts, conflicts = split(outcomes)
    assert receipts, "no writer landed"
    assert len(receipts) + len(conflicts) == WRITERS
    assert all(isinstance(c, ConcurrentWriteError) for c in conflicts.values())
    check_log(race, before, receipts)


def test_writers_that_retry_on_conflict_all_land_once(race: Race) -> None:
    """Each writer retries with the version it reads again until its revision lands: all
    sixteen revisions are stored, once each, in versions 2..17."""
    before = race.setup.position()
    attempts = [0] * WRITERS

    def until_landed(app: JiebangApp, i: int, seen: int) -> Receipt:
        expected = seen
        while True:
            attempts[i] += 1
            assert attempts[i] <= 200, "a writer never landed"
            try:
                return revise_as(app, race.challenge_id, i, expected=expected)
            except ConflictError:
                expected = app.challenge(race.challenge_id).version

    outcomes = run_together(
        race, read=lambda app: app.challenge(race.challenge_id).version, write=until_landed
    )
    receipts, conflicts = split(outcomes)
    assert len(receipts) == WRITERS
    assert not conflicts
    assert sorted(r.version for r in receipts.values()) == list(range(2, WRITERS + 2))
    # all read version 1 before the barrier, so only one can land at the first attempt
    assert sum(attempts) >= 2 * WRITERS - 1
    check_log(race, before, receipts)
