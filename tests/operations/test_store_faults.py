"""A store that answers but cannot write: the 503 says what is true (read-only, disk full,
unreachable), the operator's log says it at error level, and health is not "ok"."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from eventsourcing.persistence import OperationalError as LibraryOperationalError
from psycopg import sql

from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU
from jiebang_es.service import JiebangApp
from jiebang_es.store_faults import StoreFault, fault_of, is_store_fault
from projections.readstore import ReadStore
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.journey import DEMAND, ok


def log_lines(server: Server) -> list[dict[str, object]]:
    found = []
    for line in server.log_file.read_text().splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def assert_refused_as(server: Server, fault: str, sentence: str) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-fault")
    response = bureau.post("/v1/demands", json=DEMAND)
    assert response.status_code == 503, response.text
    problem = response.json()
    assert problem["fault"] == fault
    assert sentence in problem["detail"]
    assert "cannot be reached" not in problem["detail"]
    assert response.headers["Retry-After"].isdigit()
    errors = [e for e in log_lines(server) if e.get("event") == "store_unavailable"]
    assert errors, "no store_unavailable line in the server's log"
    assert errors[-1]["level"] == "error"
    assert errors[-1]["fault"] == fault
    health = ok(bureau.get("/v1/health"))
    assert health["status"] == "degraded"
    assert health["store"] == fault
    ready = bureau.get("/v1/health/ready")
    assert ready.status_code == 503
    assert ready.json()["store"] == fault
    assert ok(bureau.get("/v1/health/live"))["status"] == "alive"


def test_read_only_sqlite_file_is_503_read_only_logged_and_not_ready(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    JiebangApp(settings).close()
    ReadStore.open(settings).close()  # the read tables exist, as after any run
    process, server = start_server(
        f"sqlite:///file:{path}?mode=ro",
        tmp_path,
        JIEBANG_CREATE_TABLES="false",
        JIEBANG_SERVE_PROJECTIONS="false",
    )
    try:
        assert_refused_as(server, "read-only", "the event store is read-only")
    finally:
        server.close()
        stop_server(process)


def set_read_only(admin_url: str, database_url: str, read_only: bool) -> None:
    """``default_transaction_read_only`` for the database; sessions reconnect to take it."""
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = {}").format(
                sql.Identifier(name), sql.SQL("on" if read_only else "off")
            )
        )
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )


@pytest.mark.postgres
def test_read_only_postgres_database_is_503_read_only_logged_and_not_ready(
    own_database: tuple[str, str], tmp_path: Path
) -> None:
    database_url, admin_url = own_database
    process, server = start_server(database_url, tmp_path, JIEBANG_CONNECT_TIMEOUT="2")
    try:
        bureau = server.client(Role.BUREAU, BUREAU, "bureau-ro")
        ok(bureau.post("/v1/demands", json=DEMAND), 201)
        set_read_only(admin_url, database_url, read_only=True)
        try:
            assert_refused_as(server, "read-only", "the event store is read-only")
        finally:
            set_read_only(admin_url, database_url, read_only=False)
        ok(bureau.post("/v1/demands", json=DEMAND), 201)
        assert ok(bureau.get("/v1/health"))["store"] == "writable"
    finally:
        server.close()
        stop_server(process)


def test_sqlite_disk_full_is_named_disk_full(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "small.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as full:
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
    conn.close()
    # As the library raises it: its own error, the driver's under it.
    wrapped = LibraryOperationalError(str(full.value))
    wrapped.__cause__ = full.value
    assert fault_of(wrapped) is StoreFault.DISK_FULL
    assert is_store_fault(wrapped)
    assert StoreFault.DISK_FULL.sentence == "the event store's disk is full"


@pytest.mark.postgres
def test_postgres_read_only_and_unreachable_are_told_apart(postgres_db: str) -> None:
    with psycopg.connect(postgres_db) as conn:
        conn.execute("SET TRANSACTION READ ONLY")
        with pytest.raises(psycopg.Error) as read_only:
            conn.execute("CREATE TABLE refused (x int)")
    assert fault_of(read_only.value) is StoreFault.READ_ONLY
    with pytest.raises(psycopg.OperationalError) as unreachable:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/none", connect_timeout=2)
    assert fault_of(unreachable.value) is StoreFault.UNREACHABLE
    # A value the database refuses is the data's fault, not the store's: not retried.
    with psycopg.connect(postgres_db) as conn, pytest.raises(psycopg.DataError) as bad:
        conn.execute("SELECT %s::text", ("a\x00b",))
    assert not is_store_fault(bad.value)
