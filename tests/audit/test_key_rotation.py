"""`jiebang audit keygen --overwrite`: the replaced key is retired, not lost — the checkpoints
it signed still verify up to the position the log had reached; one it signs after that is
forged (whoever kept the old private key cannot sign for later history)."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from typer.testing import CliRunner

from jiebang_es.audit.checkpoints import generate_keys, load_private_key, signed_message
from jiebang_es.audit.raw_store import RawStore, StoredCheckpoint
from jiebang_es.audit.verify import Damage
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.cli import cli
from tests.audit.attacker import collect, settings_for

pytestmark = pytest.mark.usefixtures("crypto_mode")


def test_r_audit_immutable_a_rotated_key_keeps_its_checkpoints_and_no_more(
    app, clock, store_url, tmp_path, crypto_mode
):
    clock.on(date(2026, 2, 24))
    settings = settings_for(store_url, tmp_path)
    env = {
        "JIEBANG_DATABASE_URL": store_url,
        "JIEBANG_CRYPTO": crypto_mode,
        "JIEBANG_AUDIT_KEY_FILE": str(settings.audit_key_file),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(settings.audit_public_key_file),
        "JIEBANG_AUDIT_CHECKPOINT_FILE": str(settings.audit_checkpoint_file),
    }
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=crypto_mode)
    collect(app, 2)
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "checkpoint"], env=env).exit_code == 0
    old_private = tmp_path / "old.key"
    shutil.copy(settings.audit_key_file, old_private)  # as someone who kept it would

    rotated = runner.invoke(cli, ["audit", "keygen", "--overwrite"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "retired" in rotated.output
    report = verify_store(settings)
    assert report.intact, report.finding  # the old key's checkpoint still counts
    assert report.last_checkpoint == 2

    collect(app, 1)
    assert runner.invoke(cli, ["audit", "checkpoint"], env=env).exit_code == 0
    assert verify_store(settings).last_checkpoint == 3

    # The old private key signs a checkpoint of later history: forged.
    store = RawStore(settings)
    position, seal = store.last_seal() or (0, b"")
    old = load_private_key(old_private, crypto_mode)
    taken_at = "2026-12-04T12:00:00+08:00"
    store.add_checkpoint(
        StoredCheckpoint(
            position=position,
            seal=seal,
            taken_at=taken_at,
            key_id=old.public.key_id,
            signature=old.sign(signed_message(position, seal, taken_at)),
        )
    )
    forged = verify_store(settings)
    assert forged.finding is not None
    assert forged.finding.damage is Damage.CHECKPOINT_FORGED
    assert "retired at position 2" in forged.finding.detail


def test_r_audit_immutable_keygen_refuses_a_key_of_another_mode_than_the_stores(
    app, clock, store_url, tmp_path, crypto_mode
):
    clock.on(date(2026, 2, 24))
    collect(app, 1)  # the store exists, in crypto_mode
    other = "sm" if crypto_mode == "intl" else "intl"
    settings = settings_for(store_url, tmp_path)
    env = {
        "JIEBANG_DATABASE_URL": store_url,
        "JIEBANG_CRYPTO": other,
        "JIEBANG_AUDIT_KEY_FILE": str(settings.audit_key_file),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(settings.audit_public_key_file),
    }
    refused = CliRunner().invoke(cli, ["audit", "keygen"], env=env)
    assert refused.exit_code == 2, refused.output
    assert "JIEBANG_CRYPTO" in refused.output
    assert not settings.audit_key_file.exists()  # nothing made
    env["JIEBANG_CRYPTO"] = crypto_mode
    made = CliRunner().invoke(cli, ["audit", "keygen"], env=env)
    assert made.exit_code == 0, made.output
    assert settings.audit_key_file.exists()
