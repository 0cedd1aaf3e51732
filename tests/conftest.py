"""Store fixtures: the application suite runs on SQLite and on a real PostgreSQL server.

PostgreSQL: one fresh database per test session (dropped afterwards), one fresh schema per test;
the tests that start from the demo's year get a copy of a template database holding it, played
once per session (the template and its copies are named after the session's database and
dropped with it).
``JIEBANG_TEST_POSTGRES_URL`` names the server (default postgresql://postgres@127.0.0.1:5432/postgres).
Without a server the PostgreSQL tests are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import atexit
import io
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from rich.console import Console

from jiebang_es.config import Settings
from jiebang_es.crypto import CRYPTO_MODES, CryptoMode
from jiebang_es.demo import SimulatedClock, run_demo
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
# The audit trail's files default to ./var/audit, in the checkout: a demo run there (the README's
# first command) leaves its Ed25519 key behind, and an `sm` store opened by a test would then be
# refused for a key of the other mode. The suite (and the servers and CLI processes it starts)
# keeps them in a folder of its own, empty at the start; each test gets its own (below), so a
# key one test makes at the defaults is not found by the next.
AUDIT_FILE_SETTINGS = (
    ("JIEBANG_AUDIT_KEY_FILE", "checkpoint.key"),
    ("JIEBANG_AUDIT_PUBLIC_KEY_FILE", "checkpoint.pub"),
    ("JIEBANG_AUDIT_CHECKPOINT_FILE", "checkpoints.jsonl"),
    ("JIEBANG_AUDIT_VERIFICATION_FILE", "last-verification.json"),
)
_SESSION_AUDIT_FILES = Path(tempfile.mkdtemp(prefix="jiebang-tests-audit-"))
atexit.register(shutil.rmtree, _SESSION_AUDIT_FILES, ignore_errors=True)
for _name, _file in AUDIT_FILE_SETTINGS:
    os.environ[_name] = str(_SESSION_AUDIT_FILES / _file)
_schemas = itertools.count(1)

# How far the randomised tests explore (the state machines' examples, schemathesis' budgets):
# the default run is bounded for CI; JIEBANG_TEST_PROFILE=deep explores several times longer
# (docs/development.md).
PROFILES = ("default", "deep")
PROFILE = os.environ.get("JIEBANG_TEST_PROFILE", "default")
DEEP = PROFILE == "deep"


def pytest_configure(config: pytest.Config) -> None:
    if PROFILE not in PROFILES:
        raise pytest.UsageError(f"JIEBANG_TEST_PROFILE={PROFILE!r}: one of {', '.join(PROFILES)}")


def pytest_report_header(config: pytest.Config) -> str:
    return f"JIEBANG_TEST_PROFILE: {PROFILE} (one of {', '.join(PROFILES)})"


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


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    for watch in WATCHES:  # a stopped watch ignores it
        watch.current_test = nodeid


@pytest.fixture(autouse=True)
def _own_audit_files(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test's audit files default to a folder of its own, empty (see AUDIT_FILE_SETTINGS)."""
    folder = tmp_path_factory.mktemp("audit")
    for name, file in AUDIT_FILE_SETTINGS:
        monkeypatch.setenv(name, str(folder / file))


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
    WATCHES.append(watch)
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield _with_db(server, name)
        finally:
            watch.stop()
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
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


# ---- the demo's store, played once per session and copied for each test that starts from it ----
DEMO_SCHEMA = "demo"


def play_demo_into(store_url: str) -> None:
    """The demo's year, played into the store at ``store_url`` with the suite's settings."""
    app = JiebangApp(Settings(database_url=store_url), clock=SimulatedClock())
    try:
        run_demo(app, Console(file=io.StringIO(), width=200))
    finally:
        app.close()


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a SQLite store (``events.db`` and its documents) holding the demo."""
    folder = tmp_path_factory.mktemp("demo-template")
    play_demo_into(f"sqlite:///{folder}/events.db")
    return folder


@dataclass
class PostgresDemoTemplate:
    """A database of this session holding the demo (schema ``demo``). Nothing connects to it
    once the demo is played, so ``CREATE DATABASE … TEMPLATE`` can copy it."""

    postgres_db: str
    name: str
    copies: list[str] = field(default_factory=list)

    @property
    def admin_url(self) -> str:
        return _with_db(self.postgres_db, "postgres")

    def copy(self) -> str:
        """A new database copied from the template; its store URL. Dropped with the template
        at the end of the session (a database dropped per test costs a checkpoint each)."""
        name = f"{self.name}_{uuid.uuid4().hex[:6]}"  # counted by the connection budget too
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(self.name)
                )
            )
        self.copies.append(name)
        return f"{_with_db(self.postgres_db, name)}?schema={DEMO_SCHEMA}"


@pytest.fixture(scope="session")
def postgres_demo_template(postgres_db: str) -> Iterator[PostgresDemoTemplate]:
    name = f"{urlsplit(postgres_db).path.lstrip('/')}_demo"  # counted by the connection budget
    template = PostgresDemoTemplate(postgres_db, name)
    with psycopg.connect(template.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(_with_db(postgres_db, name), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(DEMO_SCHEMA)))
        play_demo_into(f"{_with_db(postgres_db, name)}?schema={DEMO_SCHEMA}")
        yield template
    finally:
        with psycopg.connect(template.admin_url, autocommit=True) as admin:
            for dbname in (*template.copies, name):
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(dbname)
                    )
                )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store of the test's own that holds the demo's year: a copy of the session's template
    (the SQLite folder copied; a PostgreSQL database created from the template database).
    The same store as playing the demo into a fresh one, without the wait."""
    if request.param == "sqlite":
        folder = tmp_path / "demo"
        shutil.copytree(request.getfixturevalue("sqlite_demo_template"), folder)
        return f"sqlite:///{folder}/events.db"
    template: PostgresDemoTemplate = request.getfixturevalue("postgres_demo_template")
    return template.copy()


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


@pytest.fixture(scope="module", params=CRYPTO_MODES)
def crypto_mode(request: pytest.FixtureRequest) -> Iterator[CryptoMode]:
    """Every store a module's tests create, once in `intl` and once in `sm` mode
    (docs/cryptography.md): settings, CLI runs and processes all read JIEBANG_CRYPTO."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JIEBANG_CRYPTO", request.param)
        yield request.param
