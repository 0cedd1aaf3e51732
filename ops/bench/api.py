"""Benchmark of the HTTP API's commands on PostgreSQL (a benchmark, not a timed test).

Creates a scratch database, starts `jiebang serve` on it (with its in-process projection runner,
as deployed), and measures `POST /v1/demands` (collect a demand: one new aggregate, one event,
sealed, with its audit metadata) at 1 and at 32 concurrent clients — each client one keep-alive
connection — giving commands/s and p50/p99 latency. In the same run, the raw baseline: psycopg,
one row per transaction, ``BEGIN; LOCK TABLE …; INSERT …; COMMIT``, at 1 and 32 connections.
Prints the ratio. Drops the scratch database at the end.

    .venv/bin/python ops/bench/api.py [--seconds 10] [--server URL] [--without-runner]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def _without_this_folder() -> None:
    """This script is named like the API's package: let ``import api`` find the package."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    sys.modules.pop("api", None)


_without_this_folder()

from api.auth import Keys, issue_token  # noqa: E402
from jiebang_es.config import Settings  # noqa: E402
from jiebang_es.domain.values import Role  # noqa: E402
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT  # noqa: E402

SECRET = "bench-" + uuid.uuid4().hex * 3
JIEBANG = Path(sys.executable).parent / "jiebang"
BODY = json.dumps(
    {
        "source": "survey_visit",
        "enterprise": {
            "credit_code": END_USER_EQUIPMENT.credit_code,
            "name": END_USER_EQUIPMENT.name,
            "unit_type": "enterprise",
            "in_district": True,
        },
        "industry": "智能科技",
        "title": "伺服编码器依赖进口",
        "description": "调研走访记录",
    }
).encode()


def with_db(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_clients(
    clients: int, seconds: float, make: Callable[[], Callable[[], None]]
) -> list[float]:
    """Each client repeats its operation until time is up; every operation's latency (s)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        operation = make()
        start.wait()
        mine = latencies[i]
        while (began := time.perf_counter()) < stop_at[0]:
            operation()
            mine.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    start.wait()
    for t in threads:
        t.join()
    return [x for per in latencies for x in per]


def summary(latencies: list[float], seconds: float) -> tuple[float, float, float]:
    """commands/s, p50 ms, p99 ms."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(ordered) / seconds, statistics.median(ordered) * 1000, p99 * 1000


def api_operation(port: int, token: str) -> Callable[[], Callable[[], None]]:
    def make() -> Callable[[], None]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post() -> None:
            conn.request("POST", "/v1/demands", body=BODY, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"the API answered {response.status}")

        return post

    return make


def raw_operation(url: str) -> Callable[[], Callable[[], None]]:
    def make() -> Callable[[], None]:
        conn = psycopg.connect(url, autocommit=True)

        def insert() -> None:
            with conn.transaction():
                conn.execute("LOCK TABLE bench_raw IN EXCLUSIVE MODE")
                conn.execute("INSERT INTO bench_raw (data) VALUES (%s)", (BODY,))

        return insert

    return make


def start_server(url: str, port: int, *, runner: bool) -> subprocess.Popen[bytes]:
    env = {
        "JIEBANG_SERVE_PROJECTIONS": "true" if runner else "false",
        **os.environ,
        "JIEBANG_DATABASE_URL": url,
        "JIEBANG_JWT_SECRET": SECRET,
        "JIEBANG_REQUEST_LOG_LEVEL": "debug",
        "JIEBANG_POOL_SIZE": "20",
        "JIEBANG_POOL_MAX_OVERFLOW": "20",
    }
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [str(JIEBANG), "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--without-runner",
        action="store_true",
        help="serve without the in-process projection runner (runners as their own processes)",
    )
    args = parser.parse_args()
    name = f"jiebang_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(args.server, autocommit=True)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_db(args.server, name)
    port = free_port()
    process = None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, data bytea)")
        process = start_server(url, port, runner=not args.without_runner)
        settings = Settings(database_url=url)
        token = issue_token(
            settings,
            Keys(SECRET, SECRET, ("HS256",)),
            role=Role.BUREAU,
            org=BUREAU.credit_code,
            sub="bench",
            ttl_seconds=3600,
        )
        run_clients(4, 2.0, api_operation(port, token))  # warm-up
        rows = []
        for clients in (1, 32):
            api = summary(
                run_clients(clients, args.seconds, api_operation(port, token)), args.seconds
            )
            raw = summary(run_clients(clients, args.seconds, raw_operation(url)), args.seconds)
            rows.append((clients, api, raw))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=15)
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()
    print(f"POST /v1/demands vs raw locked inserts, {args.seconds:.0f} s each, PostgreSQL")
    print(f"{'clients':>7} | {'API cmd/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
          f"{'raw tx/s':>9} {'p50 ms':>7} {'p99 ms':>7} | ratio")  # fmt: skip
    for clients, (a_rate, a50, a99), (r_rate, r50, r99) in rows:
        print(f"{clients:>7} | {a_rate:>9.0f} {a50:>7.2f} {a99:>7.2f} | "
              f"{r_rate:>9.0f} {r50:>7.2f} {r99:>7.2f} | {a_rate / r_rate:.3f}")  # fmt: skip
    at32 = rows[-1]
    at1 = rows[0]
    print(f"goal at 32 clients: API ≥ 0.5 × raw → ratio {at32[1][0] / at32[2][0]:.3f}")
    print(f"goal at 1 client: p99 ≤ 10 ms → {at1[1][2]:.2f} ms")


if __name__ == "__main__":
    main()
