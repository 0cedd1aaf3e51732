"""Backups proven by restoring them: a store with the demo's year is backed up, restored into a
new file or database, and the restored log verifies intact up to the manifest's last seal and
rebuilds read models identical to the original's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from jiebang_es.audit.verify_store import verify_store
from jiebang_es.cli import cli
from jiebang_es.config import Settings
from jiebang_es.service import JiebangApp
from projections.rebuild import rebuild
from tests.projections.conftest import catch_up, live_digests


@pytest.fixture
def restore_url(demo_store_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new store of the same kind (PostgreSQL: a new database, the same schema name)."""
    if demo_store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/restored/store.db"
    database_url, _ = request.getfixturevalue("own_database")
    return f"{database_url}?{urlsplit(demo_store_url).query}"


def jiebang(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"JIEBANG_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def test_backup_restored_into_a_new_store_verifies_and_rebuilds_identically(
    demo_store_url: str, restore_url: str, tmp_path: Path
) -> None:
    store_url = demo_store_url  # a store with the demo's year
    original = Settings(database_url=store_url)
    app = JiebangApp(original)
    try:
        head = app.position()
    finally:
        app.close()
    catch_up(original)
    expected = live_digests(original)

    folder = tmp_path / "backup"
    jiebang(store_url, "backup", "create", str(folder))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["last_position"] == head
    assert manifest["store"] == ("sqlite" if store_url.startswith("sqlite") else "postgresql")
    assert len(manifest["last_seal"]) == 64
    assert manifest["created_at"]
    # SQLite keeps its documents in a folder beside the file: it comes along (R-EVIDENCE)
    assert manifest["documents"] == ("documents" if store_url.startswith("sqlite") else "")

    jiebang(restore_url, "backup", "restore", str(folder))
    restored = Settings(database_url=restore_url)
    report = verify_store(restored)
    assert report.intact, report.finding
    assert report.last_position == head
    assert live_digests(restored) == expected  # the read models came along
    rebuild(restored)
    assert live_digests(restored) == expected  # and the log rebuilds them identically


def test_restore_never_overwrites_a_store(store_url: str, tmp_path: Path) -> None:
    JiebangApp(Settings(database_url=store_url)).close()
    folder = tmp_path / "backup"
    jiebang(store_url, "backup", "create", str(folder))
    result = CliRunner().invoke(
        cli, ["backup", "restore", str(folder)], env={"JIEBANG_DATABASE_URL": store_url}
    )
    assert result.exit_code == 2
    assert "never over a store" in result.output


def test_restore_refuses_an_altered_backup(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path}/store.db"
    JiebangApp(Settings(database_url=store_url)).close()
    folder = tmp_path / "backup"
    jiebang(store_url, "backup", "create", str(folder))
    with (folder / "store.sqlite").open("ab") as f:
        f.write(b"\0")
    result = CliRunner().invoke(
        cli,
        ["backup", "restore", str(folder)],
        env={"JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path}/new.db"},
    )
    assert result.exit_code == 2
    assert "SHA-256" in result.output


def test_r_evidence_a_store_restored_without_its_documents_does_not_verify(
    tmp_path: Path,
) -> None:
    """As a SQLite backup made before documents were backed up (or a folder lost in a copy):
    the log keeps documents the restored store lacks, and verification names the first one.
    (PostgreSQL keeps its documents in tables of the dump.)"""
    store_url = f"sqlite:///{tmp_path}/store.db"
    jiebang(store_url, "demo")
    folder = tmp_path / "backup"
    jiebang(store_url, "backup", "create", str(folder))
    manifest = json.loads((folder / "manifest.json").read_text())
    shutil.rmtree(folder / manifest.pop("documents"))
    (folder / "manifest.json").write_text(json.dumps(manifest))  # as the first format wrote it
    restore_url = f"sqlite:///{tmp_path}/restored/store.db"
    jiebang(restore_url, "backup", "restore", str(folder))
    report = verify_store(Settings(database_url=restore_url))
    assert not report.intact
    assert report.finding is not None
    assert report.finding.damage.value == "deleted"
    assert "missing from the document store" in report.finding.detail
    assert any("documents kept by the log" in note for note in report.notes)
    check = CliRunner().invoke(
        cli, ["documents", "check"], env={"JIEBANG_DATABASE_URL": restore_url}
    )
    assert check.exit_code == 3, check.output
    assert "missing from the document store" in check.output


def test_a_backup_that_fails_leaves_no_half_made_folder(tmp_path: Path) -> None:
    from jiebang_es.backup.cli import create_backup
    from jiebang_es.documents import evidence
    from jiebang_es.sample_documents import paper

    settings = Settings(database_url=f"sqlite:///{tmp_path}/store/events.db")
    app = JiebangApp(settings)
    try:
        paper(app, evidence.MINUTES, "党组会")
        objects = app.documents.root / "objects"  # type: ignore[attr-defined]
    finally:
        app.close()
    (objects / "dangling").symlink_to(tmp_path / "gone")  # the copy of the objects fails
    target = tmp_path / "backup"
    with pytest.raises(shutil.Error):
        create_backup(settings, target)
    assert not target.exists()  # the same PATH can be tried again
    (objects / "dangling").unlink()
    assert create_backup(settings, target).documents == "documents"


def test_a_restore_that_fails_leaves_nothing_and_runs_again(tmp_path: Path) -> None:
    """A backup lacking the documents its manifest names is refused before anything is written
    (the store file, its keys, its documents); the good backup then restores there."""
    from jiebang_es.documents import evidence
    from jiebang_es.sample_documents import paper

    store_url = f"sqlite:///{tmp_path}/store.db"
    app = JiebangApp(Settings(database_url=store_url))
    try:
        paper(app, evidence.MINUTES, "党组会")
    finally:
        app.close()
    good = tmp_path / "good"
    jiebang(store_url, "backup", "create", str(good))
    broken = tmp_path / "broken"
    shutil.copytree(good, broken)
    shutil.rmtree(broken / "documents")
    target = tmp_path / "restored"
    restore_url = f"sqlite:///{target}/store.db"
    refused = CliRunner().invoke(
        cli, ["backup", "restore", str(broken)], env={"JIEBANG_DATABASE_URL": restore_url}
    )
    assert refused.exit_code == 2
    assert "lacks its documents" in refused.output
    assert not target.exists() or list(target.iterdir()) == []
    jiebang(restore_url, "backup", "restore", str(good))
    assert verify_store(Settings(database_url=restore_url)).intact


@pytest.mark.postgres
def test_a_postgres_restore_onto_a_schema_holding_anything_is_refused_untouched(
    postgres_demo_template, own_database: tuple[str, str], tmp_path: Path
) -> None:
    import psycopg

    demo_store_url = postgres_demo_template.copy()
    folder = tmp_path / "backup"
    jiebang(demo_store_url, "backup", "create", str(folder))
    database_url, _ = own_database
    schema = urlsplit(demo_store_url).query.removeprefix("schema=")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".jiebang_documents (x int)')
    result = CliRunner().invoke(
        cli,
        ["backup", "restore", str(folder)],
        env={"JIEBANG_DATABASE_URL": f"{database_url}?schema={schema}"},
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "restore into a new database" in result.output
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    assert tables == [("jiebang_documents",)]
