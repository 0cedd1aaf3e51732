"""A store's cryptography mode is fixed when it is created, recorded in it and never mixed
(docs/cryptography.md); on SQLite and PostgreSQL, in both modes."""

from __future__ import annotations

from datetime import date

import pytest

from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify import Damage
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.crypto.digests import hash_function
from jiebang_es.crypto.store_mode import CryptoModeMismatchError
from jiebang_es.errors import InvalidValueError
from tests.audit.attacker import Attacker, collect, settings_for

OTHER = {"intl": "sm", "sm": "intl"}


def test_a_new_store_records_its_mode_and_refuses_the_other_setting(
    make_app, clock, store_url, tmp_path, crypto_mode
):
    clock.on(date(2026, 2, 24))
    app = make_app()
    assert app.crypto_mode == crypto_mode
    collect(app, 2)
    with pytest.raises(CryptoModeMismatchError, match=f"JIEBANG_CRYPTO={crypto_mode}"):
        make_app(crypto=OTHER[crypto_mode])
    settings = settings_for(store_url, tmp_path)
    with pytest.raises(CryptoModeMismatchError):
        verify_store(settings.model_copy(update={"crypto": OTHER[crypto_mode]}))
    assert make_app().position() == 2  # the refused opening recorded nothing
    assert RawStore(settings).crypto_mode(crypto_mode) == crypto_mode
    report = verify_store(settings)
    assert report.intact
    assert report.mode == crypto_mode


def test_documents_are_named_by_the_store_hash(make_app, crypto_mode):
    app = make_app()
    content = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
    doc = app.documents.put_bytes(content, kind="会议纪要", file_name="纪要.pdf")
    assert doc.digest == hash_function(crypto_mode)(content).hex()
    assert app.documents.check() == []


def test_a_key_of_the_other_mode_is_refused_for_checkpoints(
    make_app, clock, store_url, tmp_path, crypto_mode
):
    clock.on(date(2026, 2, 24))
    collect(make_app(), 1)
    settings = settings_for(store_url, tmp_path)
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=OTHER[crypto_mode])
    with pytest.raises(InvalidValueError, match=f"written in '{crypto_mode}' mode"):
        take_checkpoint(settings)
    with pytest.raises(InvalidValueError, match=f"written in '{crypto_mode}' mode"):
        verify_store(settings)
    assert RawStore(settings).checkpoints() == []


def test_a_store_created_before_modes_is_intl(make_app, clock, store_url, tmp_path):
    clock.on(date(2026, 2, 24))
    collect(make_app(crypto="intl"), 2)
    attacker = Attacker(store_url)
    try:
        attacker.sql("DELETE FROM jiebang_store")  # as a store written by an older release
    finally:
        attacker.close()
    with pytest.raises(CryptoModeMismatchError, match="created before modes existed"):
        make_app(crypto="sm")
    assert make_app(crypto="intl").crypto_mode == "intl"
    assert verify_store(settings_for(store_url, tmp_path).model_copy(update={"crypto": "intl"}))


def test_a_changed_mode_record_does_not_make_a_store_verify(make_app, clock, store_url, tmp_path):
    """The record only says which algorithms to use: rewriting it (and the setting with it)
    makes every seal fail under the other hash, so a store cannot be passed off as the other."""
    clock.on(date(2026, 2, 24))
    collect(make_app(crypto="sm"), 3)
    attacker = Attacker(store_url)
    try:
        attacker.sql("UPDATE jiebang_store SET value = 'intl' WHERE name = 'crypto'")
    finally:
        attacker.close()
    report = verify_store(settings_for(store_url, tmp_path).model_copy(update={"crypto": "intl"}))
    assert report.finding is not None
    assert (report.finding.damage, report.finding.position) == (Damage.ALTERED, 1)


def test_keys_left_in_the_working_directory_by_a_demo_do_not_reach_the_suite(
    make_app, clock, tmp_path, monkeypatch, crypto_mode
):
    """The README's first command (the demo) leaves its keys in ./var/audit of the checkout;
    the suite run there next must not verify its stores against them (tests/conftest.py)."""
    monkeypatch.chdir(tmp_path)
    left = tmp_path / "var" / "audit"
    generate_keys(left / "checkpoint.key", left / "checkpoint.pub", mode=OTHER[crypto_mode])
    clock.on(date(2026, 2, 24))
    app = make_app()
    collect(app, 1)
    report = verify_store(app.settings)
    assert report.intact
    assert app.settings.audit_public_key_file.parent != left.relative_to(tmp_path)
