"""R-AUDIT-IMMUTABLE: tampering with stored events is detected, on SQLite and PostgreSQL.

Each case: a short history, a signed checkpoint, three more events, then an attacker with
direct database access; the verifier must name the damage and the first bad event.
"""

from __future__ import annotations

from datetime import date

import pytest

from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.audit.verify import Damage
from jiebang_es.audit.verify_store import verify_store
from tests.audit.attacker import Attacker, collect, settings_for

CHECKPOINTED = 8  # events covered by the checkpoint
AFTER = 3  # events recorded after it


@pytest.fixture
def scene(make_app, clock, store_url, tmp_path, crypto_mode):
    clock.on(date(2026, 2, 24))
    settings = settings_for(store_url, tmp_path)
    app = make_app(
        audit_key_file=settings.audit_key_file,
        audit_public_key_file=settings.audit_public_key_file,
        audit_checkpoint_file=settings.audit_checkpoint_file,
    )
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=crypto_mode)
    collect(app, CHECKPOINTED)
    checkpoint = take_checkpoint(settings)
    assert checkpoint is not None
    assert checkpoint.position == CHECKPOINTED
    collect(app, AFTER)
    attacker = Attacker(store_url)
    yield settings, attacker
    attacker.close()


def _verify(settings, **kwargs):
    return verify_store(settings, **kwargs)


def test_r_audit_immutable_untouched_log_verifies(scene):
    settings, _ = scene
    report = _verify(settings)
    assert report.intact
    assert report.events == CHECKPOINTED + AFTER
    assert report.last_checkpoint == CHECKPOINTED
    assert report.notes == [
        f"events after position {CHECKPOINTED} are not yet covered by a checkpoint: "
        "their removal as a whole could not be detected",
        "0 documents re-hashed",  # the scene keeps none (R-EVIDENCE)
    ]


def test_r_audit_immutable_one_flipped_bit_is_altered(scene):
    settings, attacker = scene
    attacker.flip_bit(5)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position, finding.version) == (Damage.ALTERED, 5, 1)


def test_r_audit_immutable_changed_topic_is_altered(scene):
    settings, attacker = scene
    attacker.set_topic(3, "jiebang_es.domain.demand:Demand.Refined")
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.ALTERED, 3)


def test_r_audit_immutable_deleted_event_is_named(scene):
    settings, attacker = scene
    attacker.delete_event(4)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.DELETED, 4)


def test_r_audit_immutable_deleted_event_and_seal_found_by_the_next_link(scene):
    settings, attacker = scene
    attacker.delete_event(4, with_seal=True)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.DELETED, 4)


def test_r_audit_immutable_forged_event_is_inserted(scene):
    settings, attacker = scene
    position = attacker.insert_forged(like=2)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.INSERTED, position)


def test_r_audit_immutable_swapped_events_are_reordered(scene):
    settings, attacker = scene
    attacker.swap(2, 6)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.REORDERED, 2)


def test_r_audit_immutable_resealed_suffix_contradicts_the_checkpoint(scene):
    settings, attacker = scene
    attacker.flip_bit(6)
    attacker.reseal_from(6)
    finding = _verify(settings).finding
    assert finding is not None
    assert finding.damage is Damage.REWRITTEN
    assert finding.position == CHECKPOINTED  # the checkpoint whose seal no longer matches


def test_r_audit_immutable_resealed_suffix_found_by_the_copied_file_when_db_checkpoints_go(
    scene,
):
    settings, attacker = scene
    attacker.flip_bit(6)
    attacker.reseal_from(6)
    attacker.sql("DELETE FROM jiebang_checkpoints")
    assert _verify(settings).intact  # the database alone can no longer tell
    finding = _verify(settings, checkpoint_file=settings.audit_checkpoint_file).finding
    assert finding is not None
    assert finding.damage is Damage.REWRITTEN


def test_r_audit_immutable_checkpoint_signed_with_another_key_is_forged(scene):
    settings, attacker = scene
    attacker.forge_checkpoint(CHECKPOINTED + AFTER)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.CHECKPOINT_FORGED, CHECKPOINTED + AFTER)


def test_r_audit_immutable_deleted_event_after_the_checkpoint_is_named(scene):
    settings, attacker = scene
    attacker.delete_event(CHECKPOINTED + 2, with_seal=True)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.DELETED, CHECKPOINTED + 2)


def test_r_audit_immutable_deleted_tail_after_the_checkpoint_is_not_detectable(scene):
    """Honest limit: the newest events, not yet under a checkpoint, can vanish as a whole."""
    settings, attacker = scene
    for position in range(CHECKPOINTED + 1, CHECKPOINTED + AFTER + 1):
        attacker.delete_event(position, with_seal=True)
    report = _verify(settings)
    assert report.intact
    assert report.notes == ["0 documents re-hashed"]  # nothing says the tail is gone
    assert report.last_position == CHECKPOINTED


def test_r_audit_immutable_deleted_tail_under_a_checkpoint_is_detected(scene):
    settings, attacker = scene
    for position in range(CHECKPOINTED - 1, CHECKPOINTED + AFTER + 1):
        attacker.delete_event(position, with_seal=True)
    finding = _verify(settings).finding
    assert finding is not None
    assert (finding.damage, finding.position) == (Damage.DELETED, CHECKPOINTED)
