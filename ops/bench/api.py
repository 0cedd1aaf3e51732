"""Benchmark of the HTTP API's commands (a benchmark, not a timed test).

In one run, on a scratch PostgreSQL database (dropped at the end):

* the raw baseline: psycopg, one row per transaction, ``BEGIN; LOCK TABLE … IN EXCLUSIVE MODE;
  INSERT …; COMMIT``, at 1 and 32 connections, measured before and after the API (the ratio
  uses their mean: the machine is shared);
* ``jiebang serve`` as deployed (one process, the read models' runner in it): ``POST
  /v1/demands`` at 1 client (p99) and 32 clients, a mixed workload at 32 clients (each client
  in turn: collect a demand, draft a challenge from it, the end user reads the draft and
  confirms it), and the live lag, command answered → every read model past its position,
  under the 32-client load, seen by a notification from the read models' tracking table
  (LISTEN/NOTIFY, no polling);
* ``jiebang serve --workers 2`` (the runner in the supervising process): the same 32-client
  figures and lag;
* ``jiebang serve`` on the embedded SQLite store: ``POST /v1/demands`` at 1 client (p99);
* the HTTP stack's floor (``floor_app.py``, 1 and 2 workers, 32 clients): FastAPI under uvicorn
  with the same settings, the demand's body validated and echoed with nothing behind it, and
  the raw baseline's transaction behind it and nothing else: the most any command over this
  stack could reach.

Every client is one keep-alive connection. Pools are bounded (at most ~40 connections on the
server for the whole run) and every wait has a timeout, so the run cannot hang. The last line
printed is one line of JSON with the figures and ratios.

    .venv/bin/python ops/bench/api.py [--seconds 5] [--server URL]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


def _without_this_folder() -> None:
    """This script is named like the API's package: let ``import api`` find the package."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    sys.path.insert(0, str(ROOT))
    sys.modules.pop("api", None)


_without_this_folder()

from api.auth import Keys, issue_token  # noqa: E402
from jiebang_es.config import Settings  # noqa: E402
from jiebang_es.domain.values import Role  # noqa: E402
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT, key_challenge_content  # noqa: E402
from projections.db import TRACKING  # noqa: E402
from tests.e2e.journey import content_json, org_json  # noqa: E402

SECRET = "bench-" + uuid.uuid4().hex * 3
JIEBANG = Path(sys.executable).parent / "jiebang"
CLIENTS = 32
POOL = {"JIEBANG_POOL_SIZE": "5", "JIEBANG_POOL_MAX_OVERFLOW": "3"}  # per worker process
DEMAND = {
    "source": "survey_visit",
    "enterprise": org_json(END_USER_EQUIPMENT),
    "industry": "智能科技",
    "title": "伺服编码器依赖进口",
    "description": "调研走访记录",
}
BODY = json.dumps(DEMAND).encode()
CONTENT = content_json(key_challenge_content())
WAIT = 60.0  # seconds: the longest any barrier, join or answer is waited for


def with_db(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Operation = Callable[[], int]  # one unit of work; returns how many commands it issued


def run_clients(clients: int, seconds: float, make: Callable[[], Operation]) -> dict[str, Any]:
    """Each client repeats its operation until time is up: commands/s, p50/p99 ms, errors."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    counts = [0] * clients
    errors: list[str] = []
    start = threading.Barrier(clients + 1, timeout=WAIT)
    stop_at = [0.0]

    def client(i: int) -> None:
        try:
            operation = make()
            start.wait()
            while (began := time.perf_counter()) < stop_at[0]:
                counts[i] += operation()
                latencies[i].append(time.perf_counter() - began)
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
            with contextlib.suppress(threading.BrokenBarrierError):
                start.abort()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    start.wait()
    for t in threads:
        t.join(WAIT + seconds)
    ordered = sorted(x for per in latencies for x in per)
    if not ordered:
        raise SystemExit(f"no operation completed: {errors[:3]}")
    return {
        "rate": sum(counts) / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


class Client:
    """One keep-alive connection to the API."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: bytes | None, expect: int) -> dict[str, Any]:
        self.conn.request(method, path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        answer: dict[str, Any] = json.loads(data)
        return answer


def demands(port: int, tokens: dict[str, str]) -> Callable[[], Operation]:
    def make() -> Operation:
        bureau = Client(port, tokens["bureau"])

        def post() -> int:
            bureau.call("POST", "/v1/demands", BODY, 201)
            return 1

        return post

    return make


def mixed(port: int, tokens: dict[str, str]) -> Callable[[], Operation]:
    """The procedure's first steps, by the roles that take them: 3 commands and 1 read."""

    def make() -> Operation:
        bureau, eu = Client(port, tokens["bureau"]), Client(port, tokens["end_user"])

        def step() -> int:
            demand = bureau.call("POST", "/v1/demands", BODY, 201)["aggregate_id"]
            draft = {"end_user": DEMAND["enterprise"], "content": CONTENT, "demand_ids": [demand]}
            challenge = bureau.call("POST", "/v1/challenges", json.dumps(draft).encode(), 201)
            path = f"/v1/challenges/{challenge['aggregate_id']}"
            digest = eu.call("GET", path, None, 200)["content_digest"]
            eu.call("POST", f"{path}/confirm", json.dumps({"content_digest": digest}).encode(), 200)
            return 3

        return step

    return make


def posts(port: int, path: str) -> Callable[[], Operation]:
    """The demand's body to the floor app (``floor_app.py``): no token is asked there."""

    def make() -> Operation:
        client = Client(port, "")

        def post() -> int:
            client.call("POST", path, BODY, 201)
            return 1

        return post

    return make


def raw(url: str) -> Callable[[], Operation]:
    def make() -> Operation:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)

        def insert() -> int:
            with conn.transaction():
                conn.execute("LOCK TABLE bench_raw IN EXCLUSIVE MODE")
                conn.execute("INSERT INTO bench_raw (data) VALUES (%s)", (BODY,))
            return 1

        return insert

    return make


@contextlib.contextmanager
def serving(url: str, workers: int, folder: Path) -> Iterator[int]:
    """``jiebang serve`` on ``url`` (its runner in it, or in the supervisor with workers)."""
    port = free_port()
    env = {
        **os.environ,
        **POOL,
        "JIEBANG_DATABASE_URL": url,
        "JIEBANG_JWT_SECRET": SECRET,
        "JIEBANG_SERVE_PROJECTIONS": "true",
        "JIEBANG_AUDIT_KEY_FILE": str(folder / "no-audit-key.pem"),
        "JIEBANG_DOCUMENTS_DIR": str(folder / f"documents-{port}"),
    }
    command = [str(JIEBANG), "serve", "--port", str(port), "--workers", str(workers)]
    with running(command, env, port, "/v1/health", f"the server ({url}, {workers} workers)"):
        yield port


@contextlib.contextmanager
def serving_floor(url: str, workers: int) -> Iterator[int]:
    """The floor app (``floor_app.py``) under uvicorn with ``jiebang serve``'s settings."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).resolve().parent),
        "floor_app:create", "--factory", "--port", str(port), "--workers", str(workers),
        "--http", "httptools", "--loop", "uvloop", "--no-access-log",
        "--log-level", "warning", "--no-server-header",
    ]  # fmt: skip
    env = {**os.environ, "FLOOR_DATABASE_URL": url}
    with running(command, env, port, "/openapi.json", f"the floor app ({workers} workers)"):
        yield port


@contextlib.contextmanager
def running(
    command: list[str], env: dict[str, str], port: int, ready: str, what: str
) -> Iterator[None]:
    """``command`` started, answering 200 on ``ready`` within ``WAIT``; stopped at the end."""
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + WAIT
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", ready)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def measure_floor(url: str, workers: int, seconds: float) -> dict[str, Any]:
    """The HTTP stack alone, and the raw transaction behind it, at 32 clients."""
    with serving_floor(url, workers) as port:
        run_clients(4, 1.0, posts(port, "/noop"))  # warm-up
        return {
            "noop_32": run_clients(CLIENTS, seconds, posts(port, "/noop")),
            "insert_32": run_clients(CLIENTS, seconds, posts(port, "/insert")),
            "insert_async_32": run_clients(CLIENTS, seconds, posts(port, "/insert-async")),
        }


class LagProbe:
    """Live lag under load: a command every ``every`` s; each lag is from its answer to the
    notification after which every read model's tracking position has passed its position.

    The tracking table of the read models gets a statement trigger (in this scratch database
    only) that NOTIFYs; one LISTEN connection wakes on it and reads the positions once."""

    def __init__(self, url: str, port: int, token: str, every: float = 0.05) -> None:
        self.url, self.port, self.token, self.every = url, port, token, every
        self.lags: list[float] = []
        self.missed = 0
        self._stop = threading.Event()
        self._pending: list[tuple[int, float]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._threads = [
            threading.Thread(target=self._listen, daemon=True),
            threading.Thread(target=self._command, daemon=True),
        ]

    @staticmethod
    def install(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE OR REPLACE FUNCTION jiebang_read.bench_tracked() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('bench_tracked', ''); "
                "RETURN NULL; END $$"
            )
            conn.execute(
                "CREATE OR REPLACE TRIGGER bench_tracked AFTER INSERT OR UPDATE ON "
                f"jiebang_read.{TRACKING} FOR EACH STATEMENT "
                "EXECUTE FUNCTION jiebang_read.bench_tracked()"
            )

    def __enter__(self) -> LagProbe:
        for t in self._threads:
            t.start()
        if not self._ready.wait(WAIT):
            raise SystemExit("the lag probe did not start")
        return self

    def __exit__(self, *_: object) -> None:
        time.sleep(0.5)  # the last commands' read models
        self._stop.set()
        for t in self._threads:
            t.join(WAIT)
        self.missed += len(self._pending)

    def _listen(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("LISTEN bench_tracked")
            self._ready.set()
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=0.2, stop_after=1):
                    break
                now = time.perf_counter()
                row = conn.execute(f"SELECT min(position) FROM jiebang_read.{TRACKING}").fetchone()  # noqa: S608
                reached = int(row[0] or 0) if row else 0
                with self._lock:
                    done = [(p, t) for p, t in self._pending if p <= reached]
                    self._pending = [(p, t) for p, t in self._pending if p > reached]
                self.lags += [max(0.0, now - t) for _, t in done]

    def _command(self) -> None:
        bureau = Client(self.port, self.token)
        while not self._stop.wait(self.every):
            position = int(bureau.call("POST", "/v1/demands", BODY, 201)["position"])
            with self._lock:
                self._pending.append((position, time.perf_counter()))

    def figures(self) -> dict[str, float]:
        ordered = sorted(self.lags) or [float("nan")]
        return {
            "lag_p50_ms": statistics.median(ordered) * 1000,
            "lag_p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
            "lag_samples": len(self.lags),
            "lag_missed": self.missed,
        }


def tokens_for(settings: Settings) -> dict[str, str]:
    keys = Keys(SECRET, SECRET, ("HS256",))
    return {
        "bureau": issue_token(
            settings, keys, role=Role.BUREAU, org=BUREAU.credit_code, sub="bench", ttl_seconds=3600
        ),
        "end_user": issue_token(
            settings,
            keys,
            role=Role.END_USER,
            org=END_USER_EQUIPMENT.credit_code,
            sub="bench-eu",
            ttl_seconds=3600,
        ),
    }


def measure_server(
    url: str, workers: int, seconds: float, folder: Path, *, one_client: bool, loaded: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tokens = tokens_for(Settings(database_url=url))
    with serving(url, workers, folder) as port:
        run_clients(4, 1.0, demands(port, tokens))  # warm-up
        if one_client:
            out["demands_1"] = run_clients(1, seconds, demands(port, tokens))
        if loaded:
            LagProbe.install(url)
            with LagProbe(url, port, tokens["bureau"]) as probe:
                out["demands_32"] = run_clients(CLIENTS, seconds, demands(port, tokens))
            out["lag"] = probe.figures()
            out["mixed_32"] = run_clients(CLIENTS, seconds, mixed(port, tokens))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    s = args.seconds
    name = f"jiebang_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(args.server, autocommit=True, connect_timeout=10)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_db(args.server, name)
    figures: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, data bytea)")
            figures["raw_1"] = run_clients(1, s, raw(url))
            figures["raw_32_before"] = run_clients(CLIENTS, s, raw(url))
            figures["pg_1w"] = measure_server(url, 1, s, folder, one_client=True, loaded=True)
            figures["pg_2w"] = measure_server(url, 2, s, folder, one_client=False, loaded=True)
            figures["floor_1w"] = measure_floor(url, 1, s)
            figures["floor_2w"] = measure_floor(url, 2, s)
            figures["raw_32_after"] = run_clients(CLIENTS, s, raw(url))
            sqlite_url = f"sqlite:///{folder / 'bench.db'}"
            figures["sqlite_1w"] = measure_server(
                sqlite_url, 1, s, folder, one_client=True, loaded=False
            )
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()
    report(figures, s)


def report(f: dict[str, Any], seconds: float) -> None:
    raw32 = (f["raw_32_before"]["rate"] + f["raw_32_after"]["rate"]) / 2
    print(f"commands over HTTP against raw locked one-row inserts, {seconds:.0f} s each")
    rows = [
        ("raw psycopg", 1, f["raw_1"]),
        ("raw psycopg (before)", CLIENTS, f["raw_32_before"]),
        ("raw psycopg (after)", CLIENTS, f["raw_32_after"]),
        ("PG 1 worker POST /v1/demands", 1, f["pg_1w"]["demands_1"]),
        ("PG 1 worker POST /v1/demands", CLIENTS, f["pg_1w"]["demands_32"]),
        ("PG 1 worker mixed", CLIENTS, f["pg_1w"]["mixed_32"]),
        ("PG 2 workers POST /v1/demands", CLIENTS, f["pg_2w"]["demands_32"]),
        ("PG 2 workers mixed", CLIENTS, f["pg_2w"]["mixed_32"]),
        ("SQLite 1 worker POST /v1/demands", 1, f["sqlite_1w"]["demands_1"]),
        ("floor 1 worker: HTTP, nothing", CLIENTS, f["floor_1w"]["noop_32"]),
        ("floor 1 worker: HTTP + raw tx", CLIENTS, f["floor_1w"]["insert_32"]),
        ("floor 1 worker: HTTP + raw tx async", CLIENTS, f["floor_1w"]["insert_async_32"]),
        ("floor 2 workers: HTTP, nothing", CLIENTS, f["floor_2w"]["noop_32"]),
        ("floor 2 workers: HTTP + raw tx", CLIENTS, f["floor_2w"]["insert_32"]),
        ("floor 2 workers: HTTP + raw tx async", CLIENTS, f["floor_2w"]["insert_async_32"]),
    ]
    print(f"{'what':<34} {'clients':>7} {'cmd/s':>8} {'p50 ms':>8} {'p99 ms':>8} errors")
    for what, clients, r in rows:
        print(f"{what:<34} {clients:>7} {r['rate']:>8.0f} {r['p50_ms']:>8.2f} "
              f"{r['p99_ms']:>8.2f} {r['errors']} {r['first_error'][:80]}")  # fmt: skip
    for where in ("pg_1w", "pg_2w"):
        lag = f[where]["lag"]
        print(f"lag save → every read model, {where}: p50 {lag['lag_p50_ms']:.1f} ms, "
              f"p95 {lag['lag_p95_ms']:.1f} ms ({lag['lag_samples']} samples)")  # fmt: skip
    line = {
        "raw_32": round(raw32, 1),
        "raw_1": round(f["raw_1"]["rate"], 1),
        "api_ratio_32": round(f["pg_1w"]["demands_32"]["rate"] / raw32, 3),
        "api_ratio_32_2w": round(f["pg_2w"]["demands_32"]["rate"] / raw32, 3),
        "mixed_ratio_32": round(f["pg_1w"]["mixed_32"]["rate"] / raw32, 3),
        "mixed_ratio_32_2w": round(f["pg_2w"]["mixed_32"]["rate"] / raw32, 3),
        "api_32": round(f["pg_1w"]["demands_32"]["rate"], 1),
        "api_32_2w": round(f["pg_2w"]["demands_32"]["rate"], 1),
        "p99_1_pg_ms": round(f["pg_1w"]["demands_1"]["p99_ms"], 2),
        "p99_1_sqlite_ms": round(f["sqlite_1w"]["demands_1"]["p99_ms"], 2),
        "floor_noop_ratio_32": round(f["floor_1w"]["noop_32"]["rate"] / raw32, 3),
        "floor_insert_ratio_32": round(f["floor_1w"]["insert_32"]["rate"] / raw32, 3),
        "floor_insert_async_ratio_32": round(f["floor_1w"]["insert_async_32"]["rate"] / raw32, 3),
        "floor_noop_ratio_32_2w": round(f["floor_2w"]["noop_32"]["rate"] / raw32, 3),
        "floor_insert_ratio_32_2w": round(f["floor_2w"]["insert_32"]["rate"] / raw32, 3),
        "floor_insert_async_ratio_32_2w": round(
            f["floor_2w"]["insert_async_32"]["rate"] / raw32, 3
        ),
        "lag_p95_ms": round(f["pg_1w"]["lag"]["lag_p95_ms"], 1),
        "lag_p95_ms_2w": round(f["pg_2w"]["lag"]["lag_p95_ms"], 1),
        "errors": sum(r["errors"] for _, _, r in rows),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
