"""A real server process (`jiebang serve`) on a fresh PostgreSQL schema, driven over HTTP.

One server for the whole e2e session (start-ups are slow); each test makes its own challenges.
Business time comes from a clock file the tests move (``JIEBANG_CLOCK_FILE``): a five-working-day
notice cannot pass in real time. Tokens are signed with the server's secret, as
`jiebang token issue` would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from api.auth import Keys, issue_token
from jiebang_es.config import Settings
from jiebang_es.domain.values import Organisation, Role
from jiebang_es.service_base import CHINA_TZ
from tests.conftest import new_postgres_schema

SECRET = "e2e-secret-" + "x" * 60
JIEBANG = Path(sys.executable).parent / "jiebang"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """The running server: its address, its business clock and its log."""

    base_url: str
    clock_file: Path
    log_file: Path
    database_url: str
    settings: Settings
    clients: list[httpx.Client] = field(default_factory=list)

    def on(self, day: date, hour: int = 10) -> None:
        """Move business time to ``day`` at ``hour`` (China time)."""
        self.at(datetime.combine(day, dtime(hour), tzinfo=CHINA_TZ))

    def at(self, moment: datetime) -> None:
        self.clock_file.write_text(moment.isoformat())

    def token(self, role: Role, org: str, sub: str, ttl: int = 600) -> str:
        keys = Keys(SECRET, SECRET, ("HS256",))
        return issue_token(self.settings, keys, role=role, org=org, sub=sub, ttl_seconds=ttl)

    def client(
        self, role: Role | None = None, org: Organisation | str = "", sub: str = ""
    ) -> httpx.Client:
        """An HTTP client acting as one person in one role (anonymous without a role)."""
        headers = {}
        if role is not None:
            code = org.credit_code if isinstance(org, Organisation) else org
            headers["Authorization"] = f"Bearer {self.token(role, code, sub or role.value)}"
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()


def start_server(
    database_url: str, workdir: Path, port: int | None = None, **extra_env: str
) -> tuple[subprocess.Popen[bytes], Server]:
    """`jiebang serve` on ``port`` (a free one when none is given), once it answers."""
    port = port or free_port()
    clock_file = workdir / "clock"
    clock_file.write_text(datetime(2026, 2, 24, 10, tzinfo=CHINA_TZ).isoformat())
    log_file = workdir / "server.log"
    env = {
        **os.environ,
        "JIEBANG_DATABASE_URL": database_url,
        "JIEBANG_JWT_SECRET": SECRET,
        "JIEBANG_CLOCK_FILE": str(clock_file),
        "JIEBANG_REQUEST_LOG_LEVEL": "info",
        "JIEBANG_MAX_BODY_BYTES": "65536",
        **extra_env,
    }
    with log_file.open("ab") as log:  # a restarted server adds to its log
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [str(JIEBANG), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=database_url, jwt_secret=SecretStr(SECRET))
    server = Server(base_url, clock_file, log_file, database_url, settings)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log_file.read_text()}")
        try:
            if httpx.get(f"{base_url}/v1/health", timeout=1).status_code == 200:
                return process, server
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the server did not start: {log_file.read_text()}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# Package scope: the server (its API pool and its read models' runner) stops once tests/e2e is
# done, so its idle connections do not count against the suite's budget while later packages
# race 16 threads on the same server (tests/connection_budget.py).
@pytest.fixture(scope="package")
def server(postgres_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`jiebang serve` on a fresh schema of the session's PostgreSQL database."""
    process, running = start_server(
        new_postgres_schema(postgres_db), tmp_path_factory.mktemp("server")
    )
    try:
        yield running
    finally:
        running.close()
        stop_server(process)
