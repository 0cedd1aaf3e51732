"""R-AUDIT-IMMUTABLE on PostgreSQL: the application's role can append and read, nothing else.

The store is hardened by the script docs/audit.md documents (ops/postgres-harden.sh), run as the
tables' owner; the application then connects as its own role, with table creation off.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.documents import evidence
from jiebang_es.errors import StoreUnavailableError
from jiebang_es.sample_documents import paper
from jiebang_es.service import JiebangApp
from projections.readstore import ReadStore
from projections.runner import start_runner
from tests.audit.attacker import collect
from tests.conftest import new_postgres_schema
from tests.support import ScriptedClock, register_peer

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"
pytestmark = pytest.mark.postgres


def _as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))


@pytest.fixture(scope="module")
def hardened(postgres_db):
    """One hardened store for the module: every statement tried here is refused, so it stays."""
    clock = ScriptedClock()
    clock.on(date(2026, 2, 24))
    store_url = new_postgres_schema(postgres_db)
    schema = store_url.split("schema=")[1]
    role = f"jiebang_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_db, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        done = subprocess.run(  # noqa: S603 (the repository's own script)
            [BASH, str(ROOT / "ops" / "postgres-harden.sh"), postgres_db, role, schema],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        app_url = _as_role(store_url, role)
        app = JiebangApp(Settings(database_url=app_url, create_tables=False), clock=clock)
        collect(app, 2)
        yield app, app_url, store_url
        app.close()
    finally:
        with psycopg.connect(postgres_db, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_r_audit_immutable_app_role_appends_and_reads(hardened):
    app, _, store_url = hardened
    before = app.position()
    collect(app, 1)
    assert app.position() == before + 1
    assert verify_store(Settings(database_url=store_url)).intact


def test_the_append_only_role_finds_events_by_their_keys(hardened):
    """The owner gave the log its keys when the script made the tables; the role adds the keys
    of what it saves (an expert joining the pool) and finds them."""
    app, _, _ = hardened
    assert app.keys_complete
    expert = register_peer(app, "hardened-pool-1", "12500100MB0000001", "专家甲")
    assert expert in {str(e.id) for e in app.experts_in_pool()}


def test_a_role_that_may_not_add_keys_is_refused_at_startup(hardened, postgres_db):
    """A role that could save events without their keys would hide them from whoever finds
    events by key: it does not start (an upgrade re-runs ops/postgres-harden.sh)."""
    _, app_url, store_url = hardened
    schema = store_url.split("schema=")[1]
    role = app_url.split("//")[1].split("@")[0]
    table = sql.Identifier(schema, "jiebang_event_keys")
    with psycopg.connect(postgres_db, autocommit=True) as admin:
        admin.execute(sql.SQL("REVOKE INSERT ON {} FROM {}").format(table, sql.Identifier(role)))
    try:
        with pytest.raises(StoreUnavailableError, match="postgres-harden"):
            JiebangApp(Settings(database_url=app_url, create_tables=False))
    finally:
        with psycopg.connect(postgres_db, autocommit=True) as admin:
            admin.execute(sql.SQL("GRANT INSERT ON {} TO {}").format(table, sql.Identifier(role)))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE jiebang_events SET topic = 'x'",
        "DELETE FROM jiebang_events",
        "TRUNCATE jiebang_events",
        "UPDATE jiebang_seals SET seal = 'x'",
        "DELETE FROM jiebang_seals",
        "TRUNCATE jiebang_seals",
        "DELETE FROM jiebang_checkpoints",
        "TRUNCATE jiebang_checkpoints",
        "DROP TABLE jiebang_events",
        "ALTER TABLE jiebang_events DISABLE TRIGGER ALL",
        "UPDATE jiebang_documents SET file_name = 'x'",
        "DELETE FROM jiebang_document_chunks",
        "TRUNCATE jiebang_document_refs",
        "DELETE FROM jiebang_event_keys",
        "DELETE FROM jiebang_document_uploads",
        "UPDATE jiebang_event_keys SET key = 'x'",
    ],
)
def test_r_audit_immutable_app_role_cannot_change_the_record(hardened, statement):
    app, app_url, _ = hardened
    before = app.position()
    schema = app_url.split("schema=")[1]
    with psycopg.connect(app_url.split("?")[0], autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)  # type: ignore[arg-type]
    assert app.position() == before


def test_r_evidence_the_append_only_role_keeps_and_reads_documents(hardened):
    app, _, _ = hardened
    ref = paper(app, evidence.MINUTES, f"党组会 {uuid.uuid4().hex}")
    assert hashlib.sha256(b"".join(app.documents.read(ref.digest))).hexdigest() == ref.digest
    again = paper(app, evidence.MINUTES, "党组会 kept once")
    assert paper(app, evidence.MINUTES, "党组会 kept once") == again  # the same bytes, once


def test_read_models_follow_the_log_as_the_append_only_role(hardened):
    app, app_url, _ = hardened
    collect(app, 1)
    settings = Settings(database_url=app_url, create_tables=False)
    runner = start_runner(settings)
    try:
        reads = ReadStore.open(settings)
        try:
            assert reads.wait_until(app.position(), 20)
        finally:
            reads.close()
    finally:
        runner.stop()


def test_r_audit_immutable_owner_is_refused_too_while_the_trigger_stands(hardened):
    _, _, store_url = hardened
    schema = store_url.split("schema=")[1]
    with psycopg.connect(store_url.split("?")[0], autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="R-AUDIT-IMMUTABLE"):
            conn.execute("UPDATE jiebang_events SET topic = 'x'")


def test_the_append_only_role_backs_the_store_up(hardened, tmp_path):
    from jiebang_es.backup.cli import create_backup

    app, app_url, _ = hardened
    manifest = create_backup(Settings(database_url=app_url, create_tables=False), tmp_path / "b")
    assert manifest.last_position == app.position()
