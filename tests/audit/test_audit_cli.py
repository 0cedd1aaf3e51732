"""`jiebang audit` as supervisors run it: real processes on the demo's store."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.audit.verify import Damage
from jiebang_es.audit.verify_store import last_verification, store_identity
from jiebang_es.cli import cli
from jiebang_es.config import Settings
from jiebang_es.demo import SimulatedClock, run_demo
from jiebang_es.service import JiebangApp
from tests.audit.attacker import Attacker
from tests.conftest import new_postgres_schema

JIEBANG = str(Path(sys.executable).with_name("jiebang"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_store(request, tmp_path_factory, crypto_mode):
    """The demo's store with a key pair and a checkpoint, shared by this module's tests."""
    tmp_path = tmp_path_factory.mktemp("audit_cli")
    if request.param == "sqlite":
        store_url = f"sqlite:///{tmp_path}/events.db"
    else:
        store_url = new_postgres_schema(request.getfixturevalue("postgres_db"))
    keys = tmp_path / "keys"
    env = {
        "JIEBANG_DATABASE_URL": store_url,
        "JIEBANG_AUDIT_KEY_FILE": str(keys / "checkpoint.key"),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(keys / "checkpoint.pub"),
        "JIEBANG_AUDIT_CHECKPOINT_FILE": str(tmp_path / "copied" / "checkpoints.jsonl"),
    }
    settings = Settings(**{k.removeprefix("JIEBANG_").lower(): v for k, v in env.items()})
    app = JiebangApp(settings, clock=SimulatedClock())
    try:
        run_demo(app, Console(file=io.StringIO()))
    finally:
        app.close()
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=crypto_mode)
    take_checkpoint(settings)
    return store_url, env, tmp_path


def demo_head(env: dict[str, str]) -> int:
    """The position the demo reached (it grows as the demo shows more of the procedure)."""
    app = JiebangApp(Settings(database_url=env["JIEBANG_DATABASE_URL"]))
    try:
        return app.position()
    finally:
        app.close()


def jiebang_process(env, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed command in a process of its own, as a supervisor runs it."""
    return subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [JIEBANG, *args],
        env=os.environ | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def jiebang(env, *args: str, cwd: Path) -> Result:
    """The same command line, run in this process (typer's runner), for the quicker checks."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        mp.chdir(cwd)
        return CliRunner().invoke(cli, list(args))


def test_r_audit_immutable_demo_verifies_then_one_flipped_bit_is_named(demo_store):
    store_url, env, tmp_path = demo_store
    ok = jiebang_process(env, "audit", "verify", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    head = demo_head(env)
    assert ok.stdout.startswith(f"intact: {head} events up to position {head}, 1 checkpoints")

    attacker = Attacker(store_url)
    try:
        originator_id, version, _, state = attacker.event(42)
        attacker.flip_bit(42)
        bad = jiebang_process(env, "audit", "verify", cwd=tmp_path)
    finally:
        attacker.sql("UPDATE {events} SET state = ? WHERE {pos} = 42", bytes(state))
        attacker.close()
    assert bad.returncode == 3
    assert bad.stdout.strip() == (
        f"DAMAGED: {Damage.ALTERED.value} at position 42 (aggregate {UUID(str(originator_id))}, "
        f"version {version}): its stored bytes were changed"
    )


def test_r_audit_immutable_a_result_that_cannot_be_kept_is_still_said(demo_store):
    _, env, tmp_path = demo_store
    folder = tmp_path / "a-folder"
    folder.mkdir(exist_ok=True)
    done = jiebang({**env, "JIEBANG_AUDIT_VERIFICATION_FILE": str(folder)}, "audit", "verify",
                   cwd=tmp_path)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "intact: " in done.stdout
    assert "JIEBANG_AUDIT_VERIFICATION_FILE" in done.stderr


def test_a_verification_is_kept_with_its_store_and_not_read_for_another(demo_store):
    store_url, env, tmp_path = demo_store
    kept = tmp_path / "last-verification.json"
    done = jiebang({**env, "JIEBANG_AUDIT_VERIFICATION_FILE": str(kept)}, "audit", "verify",
                   cwd=tmp_path)  # fmt: skip
    assert done.exit_code == 0, done.output
    mine = store_identity(store_url)
    assert json.loads(kept.read_text())["store"] == mine
    assert "password" not in mine
    assert last_verification(kept, mine) is not None
    assert last_verification(kept, "sqlite-elsewhere.db") is None  # a restored copy's, say
    legacy = tmp_path / "legacy.json"  # written by an earlier release: no store named
    legacy.write_text(json.dumps({"intact": True, "position": 3, "verified_at": 1.0,
                                  "finding": None}))  # fmt: skip
    assert last_verification(legacy, mine) is not None


def test_checkpoint_file_copied_away_is_checked_too(demo_store):
    _, env, tmp_path = demo_store
    copied = Path(env["JIEBANG_AUDIT_CHECKPOINT_FILE"])
    lines = copied.read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["position"] == demo_head(env)
    done = jiebang(env, "audit", "verify", "--checkpoints", str(copied), cwd=tmp_path)
    assert done.exit_code == 0, done.stdout


def test_bundle_of_a_challenge_verifies_offline_and_names_an_altered_event(demo_store, crypto_mode):
    _, env, tmp_path = demo_store
    history = jiebang(env, "audit", "activity", "--actor", "bureau-li", cwd=tmp_path)
    published = [e for e in json.loads(history.stdout) if e["event"] == "Challenge.Published"]
    challenge_id = published[0]["aggregate_id"]
    bundle = tmp_path / "bundle.jsonl"
    done = jiebang(
        env, "audit", "export", "--challenge", challenge_id, "--out", str(bundle),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    public_key = env["JIEBANG_AUDIT_PUBLIC_KEY_FILE"]
    ok = jiebang(
        env, "audit", "verify", "--bundle", str(bundle), "--public-key", public_key,
        cwd=tmp_path,
    )  # fmt: skip
    assert ok.exit_code == 0, ok.stdout + ok.stderr

    lines = [json.loads(line) for line in bundle.read_text().splitlines()]
    assert lines[0]["crypto"] == crypto_mode  # checked offline with the algorithms it was made with
    # A bundle from before modes existed has no such field and is `intl`: an `sm` bundle
    # passed off that way fails (its SM2 key is not of that mode), an `intl` one still verifies.
    old = tmp_path / "old-bundle.jsonl"
    header = {k: v for k, v in lines[0].items() if k != "crypto"}
    old.write_text("".join(json.dumps(line) + "\n" for line in [header, *lines[1:]]))
    as_old = jiebang(env, "audit", "verify", "--bundle", str(old), cwd=tmp_path)
    assert (as_old.exit_code == 0) == (crypto_mode == "intl"), as_old.stdout + as_old.stderr
    event = next(line for line in lines if line["kind"] == "event" and line["version"] == 2)
    state = bytearray(base64.b64decode(event["state"]))
    state[10] ^= 0x01
    event["state"] = base64.b64encode(bytes(state)).decode()
    bundle.write_text("".join(json.dumps(line) + "\n" for line in lines))
    bad = jiebang(
        env, "audit", "verify", "--bundle", str(bundle), "--public-key", public_key,
        cwd=tmp_path,
    )  # fmt: skip
    assert bad.exit_code == 3
    assert f"altered at position {event['position']}" in bad.stdout


def test_history_and_state_as_of_from_the_command_line(demo_store):
    _, env, tmp_path = demo_store
    history = jiebang(env, "audit", "activity", "--actor", "bureau-li", cwd=tmp_path)
    first = json.loads(history.stdout)[0]
    entries = json.loads(
        jiebang(env, "audit", "history", first["aggregate_id"], cwd=tmp_path).stdout
    )
    assert entries[0]["audit"]["actor_id"] == "bureau-li"
    as_of = entries[0]["audit"]["recorded_at"]
    state = jiebang(env, "audit", "state", first["aggregate_id"], "--as-of", as_of, cwd=tmp_path)
    assert json.loads(state.stdout)["version"] == 1
    naive = jiebang(
        env, "audit", "state", first["aggregate_id"], "--as-of", "2026-06-01", cwd=tmp_path
    )
    assert naive.exit_code != 0
    reversed_period = jiebang(
        env, "audit", "activity", "--actor", "bureau-li", "--since", "2026-06-02T00:00+08:00",
        "--until", "2026-06-01T00:00+08:00", cwd=tmp_path,
    )  # fmt: skip
    assert reversed_period.exit_code == 2
    assert "the period ends after it begins" in reversed_period.output
    unknown = "00000000-0000-4000-8000-000000000000"
    none = jiebang(env, "audit", "history", unknown, cwd=tmp_path)
    assert none.exit_code == 2, none.output  # as `audit state` answers it, not an empty list
    assert f"no object with id {unknown}" in none.output
    assert "time zone" in naive.stderr


def test_a_refused_export_leaves_the_bundle_that_was_there(demo_store):
    """An unknown challenge is refused (exit 2); the file at --out is not emptied."""
    _, env, tmp_path = demo_store
    kept = tmp_path / "kept-bundle.jsonl"
    kept.write_text('{"kind": "header"}\n')
    refused = jiebang(
        env, "audit", "export", "--challenge", "00000000-0000-4000-8000-000000000000",
        "--out", str(kept), cwd=tmp_path,
    )  # fmt: skip
    assert refused.exit_code == 2, refused.stdout
    assert kept.read_text() == '{"kind": "header"}\n'
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    nowhere = jiebang(
        env, "audit", "export", "--challenge", "00000000-0000-4000-8000-000000000000",
        "--out", str(tmp_path / "no-such-folder" / "b.jsonl"), cwd=tmp_path,
    )  # fmt: skip
    assert nowhere.exit_code == 2
    assert "no-such-folder does not exist" in nowhere.output


def test_r_audit_immutable_an_edited_summary_in_a_bundle_is_named(demo_store):
    """The readable who/when/why of a bundle's events is what a reader trusts: an edit to it is
    found though the sealed bytes are untouched; a summary as an earlier release wrote it
    (before documents, before redaction) still verifies."""
    _, env, tmp_path = demo_store
    history = jiebang(env, "audit", "activity", "--actor", "bureau-li", cwd=tmp_path)
    challenge_id = next(
        e["aggregate_id"] for e in json.loads(history.stdout) if e["event"] == "Challenge.Published"
    )
    bundle = tmp_path / "summary-bundle.jsonl"
    exported = jiebang(
        env, "audit", "export", "--challenge", challenge_id, "--out", str(bundle), cwd=tmp_path
    )
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in bundle.read_text().splitlines()]

    def verify(edited: list[dict]) -> Result:
        path = tmp_path / "edited.jsonl"
        path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in edited))
        return jiebang(env, "audit", "verify", "--bundle", str(path), cwd=tmp_path)

    older = json.loads(json.dumps(lines))
    for line in older:
        if line["kind"] == "event":
            line["audit"].pop("documents")
    assert verify(older).exit_code == 0, verify(older).output

    forged = json.loads(json.dumps(lines))
    event = next(line for line in forged if line["kind"] == "event" and line["version"] == 2)
    event["audit"]["actor_id"] = "someone-else"
    event["audit"]["reason"] = "伪造的理由"
    bad = verify(forged)
    assert bad.exit_code == 3, bad.output
    assert f"altered at position {event['position']}" in bad.output
    assert "readable summary" in bad.output
