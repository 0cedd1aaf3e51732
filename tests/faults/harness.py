"""Fault rehearsal: a private PostgreSQL cluster, `jiebang serve` on it, clients that keep
sending commands while the database is stopped at once or the API is killed, and the reckoning.

Used by the test suite (tests/faults/) and by the operators' script (ops/chaos/run.py).

Each command is a demand whose description carries a marker of its own, so the store can be
searched for it afterwards. Half the clients send an Idempotency-Key, half do not; every client
sends the same ``X-Request-ID`` on each attempt of one command. A client retries what the server
refused with 409 or 503 (the server says nothing was recorded). When no answer came at all (the
connection broke), the outcome is unknown: a client with a key simply retries with it; a client
without one first asks the audit index whether its request id was recorded, and retries only if
not — a blind retry without a key could record the command twice and nobody could tell.

The reckoning reads the stored events themselves (not a read model): every acknowledged
command's marker exactly once, every failed one at most once, then the seal chain and the read
models (caught up, rebuilt from position 0, same digests).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU
from projections.rebuild import rebuild
from projections.runner import run as run_projections
from tests.e2e.conftest import Server, free_port, start_server, stop_server
from tests.e2e.journey import org_json
from tests.projections.conftest import live_digests

FAULTS = ("pg-stop", "api-kill")
MARKER = re.compile(rb"chaos-[0-9a-f]{32}")
RETRYABLE = frozenset({409, 503})
# The client's patience for one command: long enough to outlast a restart, bounded.
COMMAND_DEADLINE = 60.0
SUPERVISOR_ORG = "11500106MB1234567X"  # the audit index is the supervisor's


class ClusterUnavailableError(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl) are not installed here."""


def postgres_bin() -> Path:
    """The installed server's bin folder, newest version first."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not found:
        on_path = shutil.which("pg_ctl")
        if on_path is None:
            raise ClusterUnavailableError("no pg_ctl under /usr/lib/postgresql/*/bin or on PATH")
        return Path(on_path).parent
    return Path(found[0]).parent


class PrivateCluster:
    """A PostgreSQL cluster of our own, in a temporary folder, on a free loopback port.

    PostgreSQL refuses to run as root: as root, its programs run as the ``postgres`` user.
    Stopping it never touches any other server.
    """

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="jiebang-chaos-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c fsync=on"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w",
                  "-t", "60", "start")  # fmt: skip

    def stop_immediately(self) -> None:
        """Like a power cut for the clients: no checkpoint, connections dropped, crash recovery
        at the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        name = f"chaos_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def close(self) -> None:
        with suppress(subprocess.CalledProcessError):  # already stopped
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


class Api:
    """`jiebang serve` on a fixed port, so that clients reach it again after a restart."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.server: Server | None = None
        self.start()

    def start(self) -> None:
        self.process, self.server = start_server(
            self.database_url,
            self.workdir,
            self.port,
            JIEBANG_CONNECT_TIMEOUT="2",
            JIEBANG_REQUEST_LOG_LEVEL="warning",
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, sub: str, role: Role = Role.BUREAU, org: str = BUREAU.credit_code) -> str:
        assert self.server is not None
        return self.server.token(role, org, sub, ttl=3600)

    def kill(self) -> None:
        """SIGKILL: no shutdown, in-flight requests lost between commit and answer."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_server(self.process)


@dataclass
class Command:
    """One demand a client wants recorded, and what became of it."""

    marker: str
    keyed: bool
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: int = 0
    acknowledged: bool = False
    found_by_lookup: bool = False  # no answer came, but the audit index had its request id
    answers: list[str] = field(default_factory=list)  # status codes and transport errors

    @property
    def key(self) -> str | None:
        return f"chaos-{self.request_id}" if self.keyed else None


def demand_body(marker: str) -> dict[str, Any]:
    return {
        "source": "survey_visit",
        "enterprise": org_json(BUREAU),
        "industry": "智能科技",
        "title": "故障演练需求",
        "description": f"故障演练 {marker}",
    }


class Load:
    """Client threads sending demands until stopped or until each has sent its quota."""

    def __init__(self, api: Api, clients: int, per_client: int, pause: float = 0.02) -> None:
        self.api = api
        self.commands: list[Command] = []
        self.errors: list[str] = []  # what a client thread could not handle (a harness fault)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pause = pause
        self._per_client = per_client
        self._threads = [
            threading.Thread(target=self._client, args=(i, i % 2 == 0), daemon=True)
            for i in range(clients)
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = COMMAND_DEADLINE + 30) -> None:
        """Send no new commands; wait for those in flight to finish their retries."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def _client(self, index: int, keyed: bool) -> None:
        token = self.api.token(f"chaos-client-{index}")
        headers = {"Authorization": f"Bearer {token}"}
        auditor = self.api.token(f"chaos-auditor-{index}", Role.SUPERVISOR, SUPERVISOR_ORG)
        auditor_headers = {"Authorization": f"Bearer {auditor}"}
        try:
            # Patient enough that a request still running on the server (a connection being
            # retried, a lock awaited) ends before its client looks it up and retries.
            with httpx.Client(base_url=self.api.base_url, headers=headers, timeout=30) as http:
                for _ in range(self._per_client):
                    if self._stop.is_set():
                        return
                    command = Command(f"chaos-{uuid.uuid4().hex}", keyed)
                    with self._lock:
                        self.commands.append(command)
                    self._send(http, auditor_headers, command)
                    time.sleep(self._pause)
        except Exception as e:  # reported by the reckoning, not lost in a thread
            with self._lock:
                self.errors.append(f"client {index}: {type(e).__name__}: {e}")

    def _send(self, http: httpx.Client, auditor: dict[str, str], command: Command) -> None:
        headers = {"X-Request-ID": command.request_id}
        if command.key is not None:
            headers["Idempotency-Key"] = command.key
        deadline = time.monotonic() + COMMAND_DEADLINE
        while time.monotonic() < deadline:
            command.attempts += 1
            try:
                response = http.post(
                    "/v1/demands", json=demand_body(command.marker), headers=headers
                )
            except httpx.TransportError as e:
                command.answers.append(type(e).__name__)
                if not command.keyed and self._recorded(
                    http, auditor, command.request_id, deadline, command.answers
                ):
                    command.found_by_lookup = True
                    return
                time.sleep(0.2)
                continue
            command.answers.append(str(response.status_code))
            if response.status_code == 201:
                command.acknowledged = True
                return
            if response.status_code not in RETRYABLE:
                return  # refused: nothing to retry (reckoned as failed)
            # Sooner than Retry-After asks: the rehearsal presses on the recovery itself.
            time.sleep(0.3)

    def _recorded(
        self,
        http: httpx.Client,
        auditor: dict[str, str],
        request_id: str,
        deadline: float,
        answers: list[str],
    ) -> bool:
        """Whether the audit index has an event of this request, once it has read the whole log
        (so an absence means it was not recorded)."""
        while time.monotonic() < deadline:
            try:
                head = http.get("/v1/health")
                if head.status_code != 200:
                    time.sleep(0.2)
                    continue
                found = http.get(
                    "/v1/audit/events",
                    params={"request_id": request_id, "min_position": head.json()["position"]},
                    headers=auditor,
                )
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if found.status_code == 200:
                return bool(found.json()["items"])
            answers.append(f"lookup {found.status_code}")  # a 500 here fails the reckoning
            time.sleep(0.2)
        return False


@dataclass
class Reckoning:
    """The counts after a run, and whether the store and the read models are sound."""

    acknowledged: int
    failed: int
    retried: int
    missing: int
    duplicates: int
    duplicates_keyed: int
    duplicates_unkeyed: int
    failed_but_recorded: int
    found_by_lookup: int
    server_errors: int
    answers: dict[str, int]
    failed_answers: list[str]  # per failed command: keyed or not, and what each attempt got
    duplicate_answers: list[str]  # the same, per command recorded more than once
    client_errors: list[str]
    chain_intact: bool
    chain_finding: str | None
    events: int
    digests_equal: bool

    def line(self) -> str:
        return (
            f"acknowledged={self.acknowledged} failed={self.failed} retried={self.retried} "
            f"missing={self.missing} duplicates={self.duplicates} "
            f"(keyed {self.duplicates_keyed}, unkeyed {self.duplicates_unkeyed}) "
            f"failed-but-recorded={self.failed_but_recorded} found-by-lookup="
            f"{self.found_by_lookup} 5xx-other-than-503={self.server_errors} "
            f"chain={'intact' if self.chain_intact else 'DAMAGED'} events={self.events} "
            f"rebuild-digests={'equal' if self.digests_equal else 'DIFFERENT'}"
        )

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "chain_finding" or v is not None}


def stored_events(settings: Settings) -> Iterator[tuple[int, bytes]]:
    """Every stored event's position and state bytes, in log order, read from the table."""
    for batch in RawStore(settings).sealed_events():
        for row in batch:
            yield row[0], bytes(row[4])


def marker_counts(settings: Settings) -> tuple[Counter[bytes], int]:
    """How often each marker occurs in the stored events, and how many events there are."""
    counts: Counter[bytes] = Counter()
    events = 0
    for _, state in stored_events(settings):
        events += 1
        counts.update(set(MARKER.findall(state)))
    return counts, events


@dataclass
class StoreCheck:
    """The seal chain verified; the read models caught up, rebuilt, and compared."""

    chain_intact: bool
    chain_finding: str | None
    digests_equal: bool


def check_store(settings: Settings) -> StoreCheck:
    """Run with the API stopped (so the live read models stay still while compared)."""
    report = verify_store(settings)
    run_projections(settings, until_caught_up=True)
    live = live_digests(settings)
    rebuild(settings)
    return StoreCheck(
        chain_intact=report.finding is None,
        chain_finding=None if report.finding is None else str(report.finding),
        digests_equal=live_digests(settings) == live,
    )


def _attempts(c: Command) -> str:
    return f"{'keyed' if c.keyed else 'unkeyed'} {c.request_id}: {' '.join(c.answers)}"


def reckon(settings: Settings, load: Load) -> Reckoning:
    """Count what the clients were told against what the store holds; check the chain; catch
    the read models up, rebuild them, and compare digests. Run with the API stopped."""
    counts, events = marker_counts(settings)
    commands = load.commands
    acked = [c for c in commands if c.acknowledged or c.found_by_lookup]
    failed = [c for c in commands if not (c.acknowledged or c.found_by_lookup)]
    dup = [c for c in commands if counts[c.marker.encode()] > 1]
    answers = Counter(a for c in commands for a in c.answers)
    store = check_store(settings)
    return Reckoning(
        acknowledged=len(acked),
        failed=len(failed),
        retried=sum(1 for c in commands if c.attempts > 1),
        missing=sum(1 for c in acked if counts[c.marker.encode()] == 0),
        duplicates=len(dup),
        duplicates_keyed=sum(1 for c in dup if c.keyed),
        duplicates_unkeyed=sum(1 for c in dup if not c.keyed),
        failed_but_recorded=sum(1 for c in failed if counts[c.marker.encode()] == 1),
        found_by_lookup=sum(1 for c in commands if c.found_by_lookup),
        server_errors=sum(
            n for a, n in answers.items() if a.removeprefix("lookup ")[0] == "5" and a[-3:] != "503"
        ),
        answers=dict(sorted(answers.items())),
        failed_answers=[_attempts(c) for c in failed],
        duplicate_answers=[_attempts(c) for c in dup],
        client_errors=list(load.errors),
        chain_intact=store.chain_intact,
        chain_finding=store.chain_finding,
        events=events,
        digests_equal=store.digests_equal,
    )


def inject(fault: str, cluster: PrivateCluster, api: Api, down_seconds: float) -> None:
    """One fault, then recovery: the database stopped at once and started again, or the API
    killed and started again."""
    if fault == "pg-stop":
        cluster.stop_immediately()
        time.sleep(down_seconds)
        cluster.start()
    elif fault == "api-kill":
        api.kill()
        time.sleep(down_seconds)
        api.start()
    else:
        raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")


def rehearse(
    cluster: PrivateCluster,
    workdir: Path,
    faults: list[str],
    *,
    clients: int = 6,
    per_client: int = 400,
    settle_seconds: float = 3.0,
    down_seconds: float = 1.0,
) -> Reckoning:
    """A fresh database and API; load; each fault in turn with ``settle_seconds`` of load
    around it; the clients finish their retries; the API stops; the reckoning."""
    database_url = cluster.create_database()
    api = Api(database_url, workdir)
    load = Load(api, clients, per_client)
    try:
        load.start()
        time.sleep(settle_seconds)
        for fault in faults:
            inject(fault, cluster, api, down_seconds)
            time.sleep(settle_seconds)
    finally:
        load.stop()
        api.stop()
    return reckon(Settings(database_url=database_url), load)
