"""A store written by the first release opens, verifies, replays and projects under this code.

The fixture (``tests/fixtures/store_v1/demo-2026.sqlite``) is never opened in place: every test
works on a copy. On PostgreSQL the stored events are copied row by row (exact state bytes) into a
fresh store through the sealing recorder, so the new store's chain is sealed as it would have
been had the first release written it there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.crypto.store_mode import CryptoModeMismatchError
from jiebang_es.domain.challenge import Challenge
from jiebang_es.recorders import SaveNote
from jiebang_es.service import JiebangApp
from projections import queries as q
from projections.readstore import ReadStore
from projections.rebuild import rebuild
from projections.reports import compliance
from tests.conftest import new_postgres_schema
from tests.support import Journey

FIXTURE = Path(__file__).parents[1] / "fixtures" / "store_v1" / "demo-2026.sqlite"
V1_EVENTS = 117


@pytest.fixture
def v1_sqlite(tmp_path: Path) -> str:
    copy = tmp_path / "store-v1.sqlite"
    shutil.copyfile(FIXTURE, copy)
    return f"sqlite:///{copy}"


def _settings(url: str, tmp_path: Path) -> Settings:
    # No checkpoint key of the first release is at hand: the chain is verified on its own.
    return Settings(
        database_url=url,
        audit_public_key_file=tmp_path / "absent.pub",
        audit_key_file=tmp_path / "absent.key",
    )


def _stored_events(app: JiebangApp) -> list[StoredEvent]:
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    return [
        StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in notifications
    ]


def _replay_everything(app: JiebangApp) -> dict[UUID, int]:
    """Every aggregate of the store, replayed from its events: id -> version."""
    versions: dict[UUID, int] = {}
    for stored in _stored_events(app):
        versions[UUID(str(stored.originator_id))] = stored.originator_version
    for ident, version in versions.items():
        aggregate = app.repository.get(ident)
        assert aggregate.version == version
    return versions


def _check_projected(settings: Settings, app: JiebangApp) -> None:
    assert rebuild(settings) == app.position()
    store = ReadStore.open(settings)
    try:
        challenges = [e for e in _stored_events(app) if e.topic.endswith("Challenge.Drafted")]
        assert challenges
        for stored in challenges:
            assert q.get_challenge(store, str(stored.originator_id)) is not None
        # R-EVIDENCE came with version 2: the first release's steps kept no documents, and
        # are not reported for it.
        report = compliance.compliance_report(store)
        [evidence] = [r for r in report.rules if r.rule_id == "R-EVIDENCE"]
        assert (evidence.status, evidence.violations) == ("holds", [])
    finally:
        store.close()


def test_v1_store_verifies_replays_and_rebuilds_on_sqlite(v1_sqlite: str, tmp_path: Path) -> None:
    settings = _settings(v1_sqlite, tmp_path)
    report = verify_store(settings)
    assert report.intact, report.finding
    assert report.events == V1_EVENTS
    app = JiebangApp(settings)
    try:
        assert len(_replay_everything(app)) > 10
        _check_projected(settings, app)
    finally:
        app.close()
    assert verify_store(settings).intact


@pytest.mark.postgres
def test_v1_store_copied_into_postgres_verifies_replays_and_rebuilds(
    v1_sqlite: str, tmp_path: Path, postgres_db: str
) -> None:
    source = JiebangApp(_settings(v1_sqlite, tmp_path))
    try:
        stored = _stored_events(source)
    finally:
        source.close()
    assert len(stored) == V1_EVENTS
    settings = _settings(new_postgres_schema(postgres_db), tmp_path)
    target = JiebangApp(settings)
    try:
        # One insert per first-release position keeps each event's exact bytes and its order.
        for event in stored:
            target.recorder.insert_events([event], note=SaveNote())
        report = verify_store(settings)
        assert report.intact, report.finding
        assert report.events == V1_EVENTS
        copied = _stored_events(target)
        assert [(e.topic, bytes(e.state)) for e in copied] == [
            (e.topic, bytes(e.state)) for e in stored
        ]
        _replay_everything(target)
        _check_projected(settings, target)
    finally:
        target.close()


def test_v1_challenges_load_with_documented_defaults(v1_sqlite: str, tmp_path: Path) -> None:
    """Events of the first release lack the fields version 2 added: each gets its default."""
    app = JiebangApp(_settings(v1_sqlite, tmp_path))
    try:
        drafted = [e for e in _stored_events(app) if e.topic.endswith("Challenge.Drafted")]
        assert drafted
        for stored in drafted:
            assert b"class_version" not in bytes(stored.state)
            challenge = app.repository.get(UUID(str(stored.originator_id)))
            assert isinstance(challenge, Challenge)
            _assert_v1_defaults(app, challenge)
    finally:
        app.close()


def _assert_v1_defaults(app: JiebangApp, challenge: Challenge) -> None:
    """docs/rules-challenge.md, "Old events": drafted under RULES.md version 1, never
    confirmed by the end user (R-EU-DRAFTS did not exist)."""
    assert challenge.rules_version == 1
    drafted = [e for e in app.events_of(challenge.id) if isinstance(e, Challenge.Drafted)]
    assert [e.rules_version for e in drafted] == [1]
    assert challenge.eu_confirmed_digest is None
    assert challenge.eu_commitment_amount == challenge.content.commitment.own_investment


def test_new_drafts_are_stored_at_class_version_2_under_rules_version_2(
    tmp_path: Path, clock
) -> None:
    app = JiebangApp(_settings(f"sqlite:///{tmp_path}/new.sqlite", tmp_path), clock=clock)
    try:
        j = Journey(app, clock).draft()
        stored = next(e for e in _stored_events(app) if e.topic.endswith("Challenge.Drafted"))
        assert b'"class_version":2' in bytes(stored.state).replace(b" ", b"")
        assert app.challenge(j.challenge_id).rules_version == 2
    finally:
        app.close()


def test_v1_store_is_intl_and_refuses_to_be_opened_as_sm(v1_sqlite: str, tmp_path: Path) -> None:
    """A store written before cryptography modes existed records none: it is `intl` (SHA-256
    seals), and opening it with JIEBANG_CRYPTO=sm is refused, not mixed (docs/cryptography.md)."""
    settings = _settings(v1_sqlite, tmp_path)
    with pytest.raises(CryptoModeMismatchError, match="created before modes existed"):
        JiebangApp(settings.model_copy(update={"crypto": "sm"}))
    app = JiebangApp(settings)
    try:
        assert app.crypto_mode == "intl"
    finally:
        app.close()
    report = verify_store(settings)
    assert report.intact
    assert report.mode == "intl"
    assert report.events == V1_EVENTS


def test_r_draw_first_release_panels_upcast_to_no_draw_and_are_not_reported(
    v1_sqlite: str, tmp_path: Path
) -> None:
    """The first release had no expert pool: its panels, named by hand, replay with no draw
    and the compliance report asks R-DRAW of none of them (rules version 1)."""
    settings = _settings(v1_sqlite, tmp_path)
    app = JiebangApp(settings)
    try:
        panels = [
            e
            for e in map(app.mapper.to_domain_event, _stored_events(app))
            if isinstance(e, Challenge.Reviewed | Challenge.ReviewPanelProposed)
        ]
        assert panels
        assert all(e.draw_id == "" for e in panels)
        rebuild(settings)
        store = ReadStore.open(settings)
        try:
            [rule] = [r for r in compliance.compliance_report(store).rules if r.rule_id == "R-DRAW"]
        finally:
            store.close()
        assert (rule.violations, rule.exceptions) == ([], [])
    finally:
        app.close()
