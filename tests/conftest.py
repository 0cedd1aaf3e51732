"""Store fixtures: the application suite runs on SQLite and on a real PostgreSQL server.

PostgreSQL: one fresh database per test session (dropped afterwards), one fresh schema per test.
``JIEBANG_TEST_POSTGRES_URL`` names the server (default postgresql://postgres@127.0.0.1:5432/postgres).
Without a server the PostgreSQL tests are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from jiebang_es.config import Settings
from jiebang_es.service import JiebangApp
from tests.connection_budget import BUDGET, ConnectionWatch
from tests.support import ScriptedClock

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Small pools for every store the tests open, here and in the servers they start (which
# inherit the environment): the suite shares one PostgreSQL server (tests/connection_budget.py).
os.environ.setdefault("JIEBANG_POOL_SIZE", "1")
os.environ.setdefault("JIEBANG_POOL_MAX_OVERFLOW", "4")
# R-EVIDENCE is on by default. The suites of the other rules record their steps without papers
# and switch it off here (servers and CLI processes inherit it); the evidence tests, the demo's
# test and the browser tests run with it on, as deployed.
os.environ.setdefault("JIEBANG_EVIDENCE_REQUIRED", "false")
_schemas = itertools.count(1)


def _server_url() -> str:
    return os.environ.get("JIEBANG_TEST_POSTGRES_URL", DEFAULT_SERVER)


def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


WATCHES: list[ConnectionWatch] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The session's PostgreSQL connection peak, printed with the summary."""
    for watch in WATCHES:
        terminalreporter.write_line(f"{watch.report()} (budget {BUDGET})")


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    """A fresh database for this test session; its URL."""
    server = _server_url()
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and unreachable: {e}")
        pytest.skip(f"PostgreSQL unreachable: {e}")
    name = f"jiebang_test_{uuid.uuid4().hex[:10]}"
    watch = ConnectionWatch(server, name).start()
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield _with_db(server, name)
        finally:
            watch.stop()
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    WATCHES.append(watch)
    assert watch.peak <= BUDGET, f"{watch.report()}: over the budget of {BUDGET}"


def new_postgres_schema(db_url: str) -> str:
    schema = f"t{next(_schemas)}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return f"{db_url}?schema={schema}"


@pytest.fixture
def own_database(postgres_db: str) -> Iterator[tuple[str, str]]:
    """A database of its own (its URL, the admin URL), dropped afterwards: for tests that make
    it unreachable or read-only."""
    parts = urlsplit(postgres_db)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    # Named after the session's database, so the connection budget counts it too.
    name = f"{urlsplit(postgres_db).path.lstrip('/')}_own_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}")), admin_url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


AppFactory = Callable[..., JiebangApp]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/events.db"
    return new_postgres_schema(request.getfixturevalue("postgres_db"))


@pytest.fixture
def clock() -> ScriptedClock:
    return ScriptedClock()


@pytest.fixture
def make_app(store_url: str, clock: ScriptedClock) -> Iterator[AppFactory]:
    """Applications on one store (several share it, as several processes would)."""
    apps: list[JiebangApp] = []

    def factory(**settings: object) -> JiebangApp:
        app = JiebangApp(Settings(database_url=store_url, **settings), clock=clock)  # type: ignore[arg-type]
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()


@pytest.fixture
def app(make_app: AppFactory) -> JiebangApp:
    return make_app()
