"""The log's keys (event_keys.py): a challenge's applications and draws, the panels an expert
sits on and the expert pool are found under their keys, with the same answers as reading the
whole log by topic; every way of writing through the recorder records them (a command, a batch
of the group commit, a copy of a log); a store written before keys existed is given them once
when first opened; a store that cannot have them is read by topic."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from psycopg import sql

from jiebang_es.config import Settings
from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.draw import Draw
from jiebang_es.event_keys import (
    KEYS_VERSION,
    UnreadableStateError,
    applications_of,
    draws_of,
    keys_of,
    keys_of_stored,
)
from jiebang_es.recorders import KEYS_MARKER, KEYS_TABLE, SaveNote
from jiebang_es.service import JiebangApp
from tests.integration.test_group_commit import held, together
from tests.support import first_release_store, register_peer


def _ids_of(app: JiebangApp, cls: type[object]) -> list[str]:
    """Every aggregate created by an event of ``cls``, read from the whole log by topic."""
    page = app.recorder.select_notifications(1, 100_000, topics=[get_topic(cls)])
    return [str(n.originator_id) for n in page]


def _answers(app: JiebangApp) -> dict[str, object]:
    """What the keys answer: each challenge's applications and draws, the pool, and each
    expert's assignments."""
    challenges = _ids_of(app, Challenge.Drafted)
    experts = sorted(str(e.id) for e in app.experts_in_pool())
    return {
        "applications": {c: [str(a.id) for a in app.applications_to(c)] for c in challenges},
        "draws": {
            c: [str(e.originator_id) for _, e in app.keyed_events(draws_of(c), Draw.DrawScheduled)]
            for c in challenges
        },
        "pool": experts,
        "assignments": {e: app.expert_assignments(e) for e in experts},
        "page": {c: app.application_page(c, limit=1)[1] for c in challenges},
    }


def _by_topic(app: JiebangApp) -> dict[str, object]:
    app.keys_complete = False
    try:
        return _answers(app)
    finally:
        app.keys_complete = True


@pytest.fixture
def demo_app(demo_store_url: str) -> Iterator[JiebangApp]:
    app = JiebangApp(Settings(database_url=demo_store_url))
    yield app
    app.close()


def test_keys_answer_what_reading_the_log_by_topic_answers(demo_app: JiebangApp) -> None:
    assert demo_app.keys_complete
    keyed = _answers(demo_app)
    assert keyed == _by_topic(demo_app)
    # the demo has applications, draws, a pool and reviewers: the comparison is not of nothing
    assert sum(map(len, keyed["applications"].values())) >= 3  # type: ignore[attr-defined]
    assert sum(map(len, keyed["draws"].values())) >= 2  # type: ignore[attr-defined]
    assert len(keyed["pool"]) >= 10  # type: ignore[arg-type]
    assert any(keyed["assignments"].values())  # type: ignore[attr-defined]
    assert all(applications_of(c) for c in keyed["applications"])  # type: ignore[attr-defined]


MARKER = KEYS_MARKER.format(version=KEYS_VERSION)


def _forget_keys(url: str) -> None:
    """The store as an earlier version left it: no keys and no keys' version."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute(f"DROP TABLE {KEYS_TABLE}")
            conn.execute("DELETE FROM jiebang_store WHERE name = ?", (MARKER,))
        return
    base, schema = url.split("?schema=")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP TABLE {}.{}").format(sql.Identifier(schema), sql.Identifier(KEYS_TABLE))
        )
        conn.execute(
            sql.SQL("DELETE FROM {}.jiebang_store WHERE name = %s").format(sql.Identifier(schema)),
            (MARKER,),
        )


def test_a_store_without_keys_is_given_them_when_first_opened(demo_store_url: str) -> None:
    before = JiebangApp(Settings(database_url=demo_store_url))
    try:
        expected = _answers(before)
    finally:
        before.close()
    _forget_keys(demo_store_url)
    after = JiebangApp(Settings(database_url=demo_store_url))
    try:
        assert after.keys_complete
        assert after._sealing_recorder.has_keys(KEYS_VERSION)
        assert _answers(after) == expected
    finally:
        after.close()


def test_the_first_releases_store_is_given_its_keys_and_answers_as_its_log(tmp_path: Path) -> None:
    settings = first_release_store(tmp_path)
    path = str(settings.database_url).removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert KEYS_TABLE not in tables  # written before keys existed
    app = JiebangApp(settings)
    try:
        assert app.keys_complete
        keyed = _answers(app)
        assert keyed == _by_topic(app)
        assert sum(map(len, keyed["applications"].values())) >= 3  # type: ignore[attr-defined]
    finally:
        app.close()


def test_a_store_whose_keys_cannot_be_made_is_read_by_topic(tmp_path: Path) -> None:
    """Tables not created (JIEBANG_CREATE_TABLES off) on a store of the first release: no
    keys table, so every question reads the log by topic, with the same answers."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    keyed = JiebangApp(first_release_store(tmp_path / "a"))
    try:
        expected = _answers(keyed)
    finally:
        keyed.close()
    settings = first_release_store(tmp_path / "b")
    app = JiebangApp(settings.model_copy(update={"create_tables": False}))
    try:
        assert not app.keys_complete
        assert _answers(app) == expected
    finally:
        app.close()


def test_events_copied_through_the_recorder_keep_their_keys(tmp_path: Path, store_url: str) -> None:
    source = JiebangApp(first_release_store(tmp_path))
    try:
        stored = [
            StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
            for n in source.recorder.select_notifications(1, 10_000)
        ]
        expected = _answers(source)
    finally:
        source.close()
    target = JiebangApp(
        first_release_store(tmp_path).model_copy(update={"database_url": store_url})
    )
    try:
        assert target.keys_complete  # an empty store: complete from the start
        for event in stored:
            target.recorder.insert_events([event], note=SaveNote())
        assert _answers(target) == expected
    finally:
        target.close()


def test_experts_registered_together_in_one_batch_all_join_the_pool(app, clock) -> None:
    group = held(app)

    def register(i: int):
        return lambda: register_peer(app, f"batch-{i}", f"125001007MB00000{i}", f"专家{i}")

    ids = together(group, *(register(i) for i in range(5)))
    assert all(isinstance(i, str) for i in ids), ids
    assert group.grouped == [4]  # four saved in one transaction, each with its key
    assert sorted(str(e.id) for e in app.experts_in_pool()) == sorted(ids)


def _stored_keys_agree(app: JiebangApp) -> int:
    """keys_of_stored (the verifier's reading of the bytes) gives every event of the log the
    keys keys_of gives the event the application decodes; how many events have keys."""
    keyed = 0
    for n in app.recorder.select_notifications(1, 100_000):
        expected = keys_of(app.mapper.to_domain_event(n))
        assert keys_of_stored(n.topic, n.state) == expected, (n.id, n.topic)
        keyed += bool(expected)
    return keyed


def test_keys_read_from_the_stored_bytes_are_the_decoded_events_keys(demo_app: JiebangApp) -> None:
    assert _stored_keys_agree(demo_app) >= 20


def test_keys_read_from_the_first_releases_bytes_are_its_events_keys(tmp_path: Path) -> None:
    app = JiebangApp(first_release_store(tmp_path))
    try:
        assert _stored_keys_agree(app) >= 10
    finally:
        app.close()


def test_a_keyed_event_whose_bytes_lack_its_fields_is_unreadable() -> None:
    topic = get_topic(Challenge.ReviewPanelProposed)
    with pytest.raises(UnreadableStateError):
        keys_of_stored(topic, b'{"members": [{"_data_": {"kind": "x"}}]}')
    with pytest.raises(UnreadableStateError):
        keys_of_stored(get_topic(Draw.DrawScheduled), b"{not json")
    assert keys_of_stored(get_topic(Challenge.Drafted), b"{not json") == ()


def test_a_challenge_id_is_found_by_a_scan_only_where_that_is_exact() -> None:
    """An application's or a draw's challenge id is found in its bytes by a scan when its key
    occurs once as the library writes it; otherwise the state is parsed, with the same answer."""
    applied, draw = get_topic(Application.Applied), get_topic(Draw.DrawScheduled)
    cid = "8fe488f3-148c-40bc-9199-b5679f2dccbe"
    hexed = '{"_type_":"uuid_hex","_data_":"%s"}' % cid.replace("-", "")  # noqa: UP031
    written = {
        f'{{"challenge_id":"{cid}"}}': cid,  # scanned
        f'{{"challenge_id": "{cid}"}}': cid,  # spaced: parsed
        f'{{"x":{{"challenge_id":"other"}},"challenge_id":"{cid}"}}': cid,  # twice: parsed
        '{"challenge_id":"a\\u0062c"}': "abc",  # escaped: parsed
    }
    for state, expected in written.items():
        assert keys_of_stored(applied, state.encode()) == (applications_of(expected),), state
    assert keys_of_stored(draw, f'{{"challenge_id":{hexed}}}'.encode()) == (draws_of(cid),)
    with pytest.raises(UnreadableStateError):
        keys_of_stored(applied, b'{"challenge_id":7}')
