"""Soak: the whole procedure and its reads at a fixed rate for a set time, against a server this
script starts itself; then the seal chain verified and the read models rebuilt and compared.

One client walks the nine steps again and again over HTTP, each by the party the plan gives it
(demand, experts, draft, argumentation, annual list, publish, application, panel, conflict
declarations and scores, selection, public notice, contract and signatures, disbursement,
milestone reports and assessments, final assessment); two clients read meanwhile (public lists,
challenges, projects, disbursements, the audit index, health). All share one pace: ``--rate``
requests per second in total. It stops by itself after ``--duration`` seconds or
``--max-requests`` requests, whichever comes first.

Printed: answers by status for every non-2xx, latency per route (p50/p95/p99/max), the server's
resident memory at the start and the end (and its peak), acknowledged commands missing from the
store, the chain and the digests; last, one line of JSON. Exit 1 on any 5xx, anything lost, a
damaged chain or different digests.

    .venv/bin/python ops/bench/soak.py [--duration 600] [--rate 20] [--database-url URL]

SQLite by default (a fresh store in a temporary folder); ``--database-url`` for PostgreSQL (an
empty database or schema of its own: the soak writes into it).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

# This folder holds api.py, named like the API's package: search the repository root instead.
sys.path[0] = str(Path(__file__).resolve().parents[2])

import httpx  # noqa: E402
import psutil  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from jiebang_es.config import Settings  # noqa: E402
from jiebang_es.domain.values import Role  # noqa: E402
from jiebang_es.sample import BUREAU  # noqa: E402
from tests.e2e.conftest import Server, start_server, stop_server  # noqa: E402
from tests.e2e.journey import HttpJourney, ok  # noqa: E402
from tests.faults.harness import SUPERVISOR_ORG, check_store, stored_events  # noqa: E402

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MILESTONE = re.compile(r"/milestones/[^/]+/")


class SoakOverError(Exception):
    """The soak's time or request budget is spent: the client stops where it is."""


class Meter:
    """The shared pace, and every answer's route, status and latency."""

    def __init__(self, rate: float, duration: float, max_requests: int) -> None:
        self.interval = 1.0 / rate
        self.ends_at = time.monotonic() + duration
        self.max_requests = max_requests
        self.requests = 0
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.acknowledged: set[int] = set()
        self.stopped = threading.Event()
        self.started = time.monotonic()
        self.stopped_at = 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait_turn(self, request: httpx.Request) -> None:
        with self._lock:
            if self.requests >= self.max_requests or time.monotonic() >= self.ends_at:
                self.stop()
            if self.stopped.is_set():
                raise SoakOverError
            self.requests += 1
            slot = self._next = max(self._next + self.interval, time.monotonic())
        time.sleep(max(0.0, slot - time.monotonic()))
        request.extensions["soak_started"] = time.perf_counter()

    def stop(self) -> None:
        if not self.stopped.is_set():
            self.stopped_at = time.monotonic()
            self.stopped.set()

    def record(self, response: httpx.Response) -> None:
        response.read()
        elapsed = time.perf_counter() - response.request.extensions["soak_started"]
        route = f"{response.request.method} {route_of(response.request.url.path)}"
        with self._lock:
            self.latencies[route].append(elapsed)
            self.statuses[(route, response.status_code)] += 1
            if response.request.method == "POST" and response.is_success:
                self.acknowledged.add(int(response.json()["position"]))


def route_of(path: str) -> str:
    return MILESTONE.sub("/milestones/{milestone}/", UUID.sub("{id}", path))


class MeteredServer(Server):
    """The e2e server handle whose every client keeps the soak's pace and is measured."""

    meter: Meter

    def client(self, role: Role | None = None, org: Any = "", sub: str = "") -> httpx.Client:
        made = super().client(role, org, sub)
        made.event_hooks = {"request": [self.meter.wait_turn], "response": [self.meter.record]}
        return made


def walk(journey: HttpJourney, known: dict[str, list[str]]) -> None:
    """Every step of the procedure for one challenge, from demand to the final assessment."""
    journey.to_contracted()
    known["challenges"].append(journey.challenge_id)
    known["projects"].append(journey.project_id)
    journey.record(journey.disburse("30000.00"), 201)
    journey.deliver()


def procedure(server: MeteredServer, known: dict[str, list[str]], failures: list[str]) -> None:
    while not server.meter.stopped.is_set():
        try:
            walk(HttpJourney(server, uuid.uuid4().hex[:8]), known)
        except SoakOverError:
            return
        except (AssertionError, httpx.HTTPError, KeyError, ValueError) as e:
            failures.append(f"{type(e).__name__}: {str(e)[:300]}")


def reader(server: MeteredServer, known: dict[str, list[str]], seed: int) -> None:
    pick = random.Random(seed)
    public = server.client()
    bureau = server.client(Role.BUREAU, BUREAU, f"soak-reader-{seed}")
    auditor = server.client(Role.SUPERVISOR, SUPERVISOR_ORG, f"soak-auditor-{seed}")
    while not server.meter.stopped.is_set():
        challenge = pick.choice(known["challenges"] or [""])
        project = pick.choice(known["projects"] or [""])
        reads = [
            (public, "/v1/public/challenges", {}),
            (public, "/v1/public/notices", {}),
            (public, "/v1/health", {}),
            (bureau, "/v1/challenges", {"limit": 20}),
            (bureau, "/v1/projects", {"limit": 20}),
            (auditor, "/v1/audit/events", {"limit": 50}),
        ]
        if challenge:
            reads.append((bureau, f"/v1/challenges/{challenge}", {}))
        if project:
            reads.append((bureau, f"/v1/projects/{project}", {}))
            reads.append((bureau, f"/v1/projects/{project}/disbursements", {}))
        client, path, params = pick.choice(reads)
        try:
            client.get(path, params=params)
        except SoakOverError:
            return


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def latency_table(meter: Meter) -> tuple[Table, dict[str, dict[str, float]]]:
    table = Table(title="Latency per route (ms)")
    for name in ("route", "count", "p50", "p95", "p99", "max"):
        table.add_column(name, justify="left" if name == "route" else "right")
    figures: dict[str, dict[str, float]] = {}
    for route in sorted(meter.latencies):
        ordered = sorted(meter.latencies[route])
        row = {
            "count": len(ordered),
            "p50": percentile(ordered, 0.50),
            "p95": percentile(ordered, 0.95),
            "p99": percentile(ordered, 0.99),
            "max": ordered[-1] * 1000,
        }
        figures[route] = row
        table.add_row(route, str(row["count"]), *(f"{row[k]:.1f}" for k in row if k != "count"))
    return table, figures


def status_table(meter: Meter) -> Table:
    table = Table(title="Answers other than 2xx")
    for name in ("route", "status", "count"):
        table.add_column(name)
    others = sorted((k, n) for k, n in meter.statuses.items() if k[1] >= 300)
    for (route, status), count in others:
        table.add_row(route, str(status), str(count))
    if not others:
        table.add_row("(none)", "", "")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second in all")
    parser.add_argument("--max-requests", type=int, default=50_000, help="stop after this many")
    parser.add_argument("--database-url", help="PostgreSQL store (default: a fresh SQLite file)")
    args = parser.parse_args()
    if not 0 < args.rate <= 500:
        parser.error("--rate must be in (0, 500]")
    console = Console(width=max(Console().width, 150))
    with tempfile.TemporaryDirectory(prefix="jiebang-soak-") as workdir:
        url = args.database_url or f"sqlite:///{workdir}/events.db"
        process, plain = start_server(url, Path(workdir), JIEBANG_REQUEST_LOG_LEVEL="warning")
        server = MeteredServer(**{k: getattr(plain, k) for k in plain.__dataclass_fields__})
        memory = psutil.Process(process.pid)
        rss = [memory.memory_info().rss]
        server.meter = meter = Meter(args.rate, args.duration, args.max_requests)
        known: dict[str, list[str]] = {"challenges": [], "projects": []}
        failures: list[str] = []
        threads = [threading.Thread(target=procedure, args=(server, known, failures))]
        threads += [threading.Thread(target=reader, args=(server, known, i)) for i in (1, 2)]
        try:
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                time.sleep(1)
                if len(rss) < (time.monotonic() - meter.started) / 5:
                    rss.append(memory.memory_info().rss)
            rss.append(memory.memory_info().rss)
            ok(httpx.get(f"{server.base_url}/v1/health", timeout=10))
        finally:
            meter.stop()
            server.close()
            stop_server(process)
        settings = Settings(database_url=url)
        stored = {position for position, _ in stored_events(settings)}
        store = check_store(settings)
    elapsed = meter.stopped_at - meter.started
    lost = sorted(meter.acknowledged - stored)
    server_errors = sum(n for (_, status), n in meter.statuses.items() if status >= 500)
    table, figures = latency_table(meter)
    console.print(table)
    console.print(status_table(meter))
    for failure in failures[:20]:
        console.print(f"[red]procedure step failed:[/] {failure}")
    mib = [r / 2**20 for r in rss]
    console.print(
        f"{meter.requests} requests in {elapsed:.0f} s ({meter.requests / elapsed:.1f}/s); "
        f"{len(meter.acknowledged)} commands acknowledged, {len(lost)} lost; "
        f"{server_errors} 5xx; server RSS {mib[0]:.0f} → {mib[-1]:.0f} MiB (peak {max(mib):.0f}); "
        f"chain {'intact' if store.chain_intact else 'DAMAGED'}; "
        f"rebuild digests {'equal' if store.digests_equal else 'DIFFERENT'}"
    )
    sound = not (server_errors or lost or failures) and store.chain_intact and store.digests_equal
    summary = {
        "store": "postgresql" if url.startswith("postgresql") else "sqlite",
        "seconds": round(elapsed, 1),
        "requests": meter.requests,
        "rate": round(meter.requests / elapsed, 2),
        "acknowledged": len(meter.acknowledged),
        "lost": len(lost),
        "server_errors": server_errors,
        "procedure_failures": len(failures),
        "statuses": dict(Counter(status for (_, status) in meter.statuses.elements())),
        "rss_mib": {
            "start": round(mib[0], 1),
            "end": round(mib[-1], 1),
            "peak": round(max(mib), 1),
            "each_minute": [round(m, 1) for m in mib[::12]],  # sampled every 5 s
        },
        "p99_ms": {route: round(f["p99"], 1) for route, f in figures.items()},
        "chain_intact": store.chain_intact,
        "digests_equal": store.digests_equal,
        "sound": sound,
    }
    print(json.dumps(summary, ensure_ascii=False))
    raise SystemExit(0 if sound else 1)


if __name__ == "__main__":
    main()
