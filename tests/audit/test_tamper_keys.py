"""R-AUDIT-IMMUTABLE for the log's keys (event_keys.py), on SQLite and PostgreSQL.

The keys are not sealed, but the review panel's R-CONFLICT check and R-DRAW's redraw check
read a challenge's applications and draws by key: an attacker who deletes a key row hides an
event from them while the seal chain stays intact. ``audit verify`` derives each keyed event's
keys from its sealed bytes and names the event a key is missing for, or the event a key was
added to.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.utils import get_topic

from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify import Damage, Finding
from jiebang_es.audit.verify_keys import KeyedEvents, check_keys
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.audit_cli import EXIT_DAMAGED
from jiebang_es.config import Settings
from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.event_keys import KEYS_VERSION, applications_of
from jiebang_es.recorders import KEYS_MARKER, KEYS_TABLE
from tests.audit.attacker import Attacker
from tests.audit.test_audit_cli import jiebang

APPLIED = get_topic(Application.Applied)
DRAFTED = get_topic(Challenge.Drafted)


@pytest.fixture
def scene(demo_store_url: str, tmp_path: Path):
    settings = Settings(
        database_url=demo_store_url,
        audit_public_key_file=tmp_path / "absent.pub",
        audit_key_file=tmp_path / "absent.key",
        audit_verification_file=tmp_path / "verification.json",
    )
    attacker = Attacker(demo_store_url)
    yield settings, attacker
    attacker.close()


def _first(attacker: Attacker, topic: str) -> tuple[int, str, int]:
    """The position, aggregate id and version of the first event of a topic."""
    position, originator_id, version = attacker.sql(
        "SELECT {pos}, originator_id, originator_version FROM {events} WHERE topic = ? "
        "ORDER BY {pos} LIMIT 1",
        topic,
    )[0]
    return int(position), str(originator_id), int(version)


def _challenge_of(attacker: Attacker, position: int) -> str:
    keys = attacker.sql("SELECT key FROM jiebang_event_keys WHERE notification_id = ?", position)
    (key,) = (k for (k,) in keys)
    return str(key).removeprefix("applications:")


def _key_finding(
    settings: Settings, damage: Damage, position: int, aggregate_id: str, version: int
) -> Finding:
    """Verify's finding, which must be damage to the log's keys at that event (itself intact)."""
    finding = verify_store(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position, finding.version) == (damage, position, version)
    assert finding.aggregate_id.replace("-", "") == aggregate_id.replace("-", "")
    assert finding.of_keys
    return finding


def test_r_audit_immutable_the_demos_keys_verify(scene) -> None:
    settings, _ = scene
    report = verify_store(settings)
    assert report.intact, report.finding
    (note,) = [n for n in report.notes if KEYS_TABLE in n]
    keyed, keys = (int(word) for word in note.split() if word.isdigit())
    assert keyed >= 20  # applications, draws, panels, the pool
    assert keys > keyed  # a panel proposal is under each of its experts


def test_r_audit_immutable_a_deleted_key_is_named_by_the_event_it_hides(scene) -> None:
    settings, attacker = scene
    position, application_id, version = _first(attacker, APPLIED)
    challenge_id = _challenge_of(attacker, position)
    attacker.sql("DELETE FROM jiebang_event_keys WHERE notification_id = ?", position)
    finding = _key_finding(settings, Damage.DELETED, position, application_id, version)
    assert applications_of(challenge_id) in finding.detail


def test_r_audit_immutable_a_key_added_to_another_event_is_inserted(scene) -> None:
    settings, attacker = scene
    applied = _first(attacker, APPLIED)[0]
    challenge_id = _challenge_of(attacker, applied)
    drafted, aggregate_id, version = _first(attacker, DRAFTED)
    attacker.sql(
        "INSERT INTO jiebang_event_keys (key, notification_id) VALUES (?, ?)",
        applications_of(challenge_id),
        drafted,
    )
    _key_finding(settings, Damage.INSERTED, drafted, aggregate_id, version)


def test_r_audit_immutable_an_altered_keyed_event_is_named_by_the_chain(scene) -> None:
    settings, attacker = scene
    position = _first(attacker, APPLIED)[0]
    attacker.sql("UPDATE {events} SET state = ? WHERE {pos} = ?", b"{not json", position)
    finding = verify_store(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.ALTERED, position)
    assert not finding.of_keys


def test_r_audit_immutable_keys_not_complete_are_not_checked(scene) -> None:
    """A store whose keys were never completed (an earlier release's, not opened since) is read
    by topic: its keys hide nothing, and verify says it did not check them."""
    settings, attacker = scene
    position = _first(attacker, APPLIED)[0]
    attacker.sql("DELETE FROM jiebang_event_keys WHERE notification_id = ?", position)
    attacker.sql(
        "DELETE FROM jiebang_store WHERE name = ?", KEYS_MARKER.format(version=KEYS_VERSION)
    )
    report = verify_store(settings)
    assert report.intact, report.finding
    assert any("not complete" in n and "not checked" in n for n in report.notes)


def test_r_audit_immutable_keys_of_events_saved_while_verifying_are_not_compared(scene) -> None:
    """The chain is read up to a position; keys of later events (saved meanwhile) are not
    taken for keys no event has."""
    settings, attacker = scene
    upto = _first(attacker, APPLIED)[0] - 1
    store = RawStore(settings)
    keyed = KeyedEvents()
    for _ in keyed.noting(
        iter([[row for batch in store.sealed_events() for row in batch if row[0] <= upto]])
    ):
        continue
    finding, _ = check_keys(store, keyed, upto)
    assert finding is None


def test_r_audit_immutable_verify_exits_damaged_on_a_deleted_key(scene, tmp_path: Path) -> None:
    settings, attacker = scene
    position = _first(attacker, APPLIED)[0]
    attacker.sql("DELETE FROM jiebang_event_keys WHERE notification_id = ?", position)
    env = {
        "JIEBANG_DATABASE_URL": str(settings.database_url),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(settings.audit_public_key_file),
        "JIEBANG_AUDIT_VERIFICATION_FILE": str(settings.audit_verification_file),
    }
    done = jiebang(env, "audit", "verify", cwd=tmp_path)
    assert done.exit_code == EXIT_DAMAGED, done.output
    assert f"deleted at position {position}" in done.output
