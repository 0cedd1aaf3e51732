"""R-EVIDENCE in the audit: bundles carry the documents (or their digests only) and a document
that does not match its digest is named, in a bundle and by `jiebang documents check`."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.cli import cli
from jiebang_es.config import Settings
from jiebang_es.documents import evidence
from jiebang_es.sample_documents import paper
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from tests.support import BUREAU_STAFF, Journey, ScriptedClock


@pytest.fixture
def documented(store_url, tmp_path, monkeypatch, crypto_mode):
    """A listed challenge whose list keeps its minutes, a key pair and a checkpoint."""
    env = {
        "JIEBANG_DATABASE_URL": store_url,
        "JIEBANG_AUDIT_KEY_FILE": str(tmp_path / "keys" / "checkpoint.key"),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(tmp_path / "keys" / "checkpoint.pub"),
        "JIEBANG_AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    clock = ScriptedClock()
    app = JiebangApp(settings, clock=clock)
    try:
        j = Journey(app, clock).draft().argue()
        minutes = paper(app, evidence.MINUTES, "党组会")
        clock.on(date(2026, 4, 8), 15)
        app.approve_annual_list(
            BUREAU_STAFF, year=2026, meeting_date=date(2026, 4, 8), minutes_ref="党组会〔2026〕7号",
            challenge_ids=[j.challenge_id], meta=CommandMeta(documents=(minutes,)),
        )  # fmt: skip
    finally:
        app.close()
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=crypto_mode)
    take_checkpoint(settings)
    return j.challenge_id, minutes.digest, tmp_path


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_r_evidence_a_bundle_carries_the_documents_and_names_a_tampered_one(documented):
    challenge_id, digest, tmp_path = documented
    bundle = tmp_path / "bundle.jsonl"
    done = run("audit", "export", "--challenge", challenge_id, "--out", str(bundle))
    assert done.exit_code == 0, done.output
    ok = run("audit", "verify", "--bundle", str(bundle))
    assert ok.exit_code == 0, ok.output
    assert "1 documents" in ok.stdout

    lines = [json.loads(t) for t in bundle.read_text(encoding="utf-8").splitlines()]
    (doc_line,) = [line for line in lines if line["kind"] == "document"]
    assert doc_line["digest"] == digest
    raw = bytearray(base64.b64decode(doc_line["content"]))
    raw[100] ^= 0x01
    doc_line["content"] = base64.b64encode(bytes(raw)).decode()
    bundle.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    damaged = run("audit", "verify", "--bundle", str(bundle))
    assert damaged.exit_code == 3
    assert digest in damaged.stdout

    # A bundle that drops a document the sealed events keep is not complete.
    kept = [line for line in lines if line["kind"] != "document"]
    bundle.write_text("\n".join(json.dumps(line) for line in kept) + "\n", encoding="utf-8")
    missing = run("audit", "verify", "--bundle", str(bundle))
    assert missing.exit_code == 3
    assert "missing from the bundle" in missing.stdout


def test_r_evidence_a_bundle_with_digests_only_leaves_the_documents_out(documented):
    challenge_id, digest, tmp_path = documented
    bundle = tmp_path / "digests.jsonl"
    done = run(
        "audit", "export", "--challenge", challenge_id, "--out", str(bundle), "--digests-only"
    )
    assert done.exit_code == 0, done.output
    text = bundle.read_text(encoding="utf-8")
    assert '"kind": "document"' not in text
    assert digest in text
    assert run("audit", "verify", "--bundle", str(bundle)).exit_code == 0


def test_r_evidence_a_refused_document_command_says_so_in_one_line(documented):
    for digest in ("[/]", "0" * 64):  # brackets are no markup; a long line is not wrapped
        done = run("documents", "get", digest)
        assert done.exit_code == 2, done.output
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("jiebang documents: "), lines
        assert "Traceback" not in done.output


def test_r_evidence_documents_put_get_check_from_the_command_line(documented):
    _challenge_id, digest, tmp_path = documented
    got = tmp_path / "got.docx"
    assert run("documents", "get", digest, "--out", str(got)).exit_code == 0
    put = run("documents", "put", str(got), "--kind", evidence.MINUTES)
    assert put.exit_code == 0, put.output
    assert json.loads(put.stdout)["digest"] == digest  # the same bytes: the same document
    checked = run("documents", "check")
    assert checked.exit_code == 0, checked.output
    # the minutes stand with the challenge and with the budget envelope the list charged
    assert "intact: 1 documents, 2 references" in checked.stdout
    assert "written documents: DOCX" in checked.stdout
    without = run("documents", "check", env={"JIEBANG_PDF_FONT": "none"})
    assert "written documents: DOCX only (仅生成 DOCX): JIEBANG_PDF_FONT=none" in without.stdout

    refused = tmp_path / "notes.txt"
    refused.write_text("not a document", encoding="utf-8")
    assert run("documents", "put", str(refused), "--kind", "其他").exit_code == 2
    assert run("audit", "verify").exit_code == 0
