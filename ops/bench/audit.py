"""Benchmark of the tamper evidence (issue 5): sealing overhead per command, and verify speed.

    .venv/bin/python ops/bench/audit.py [--commands 2000] [--events 1000000]

1. Sealing overhead: the same command (`collect_demand`, one event) run through the application
   with the sealing recorder and with the library's plain recorder, in the same process, in
   alternating rounds, on SQLite and on PostgreSQL. Prints ms per command and the overhead.
2. Verify speed: fills a scratch PostgreSQL database with N sealed events (copies of the demo's
   events under new aggregate ids, written through the sealing recorder in batches, with the
   documents they keep), then times `verify_store` over all of them (the chain, the documents,
   the log's keys). Prints events/s.

PostgreSQL: JIEBANG_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment, EnvType
from psycopg import sql
from rich.console import Console

from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.crypto import CryptoMode
from jiebang_es.demo import SimulatedClock, run_demo
from jiebang_es.domain.values import Actor, DemandSource, Role
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp

SERVER = os.environ.get(
    "JIEBANG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
STAFF = Actor(id="bench", role=Role.BUREAU, org_code=BUREAU.credit_code, name="bench")


class UnsealedApp(JiebangApp):
    """The same application on the library's plain recorder: the baseline without seals."""

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        plain = dict(env or {})
        plain.pop("APPLICATION_RECORDER_TOPIC", None)
        return Environment(name, plain)

    def _open_crypto_mode(self) -> CryptoMode:
        return "intl"  # nothing is sealed: the store records no mode

    @property
    def _sealing_recorder(self) -> Any:
        # The plain recorder where the application asks for the sealing one (its datastore,
        # its seal of a saved event: none).
        return self.recorder


@contextmanager
def scratch_database() -> Iterator[str]:
    name = f"jiebang_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(SERVER)._replace(path="/" + name))
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _schema(db_url: str, name: str) -> str:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    return f"{db_url}?schema={name}"


def _command_ms(app: JiebangApp, n: int) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        app.collect_demand(
            STAFF,
            source=DemandSource.PUBLIC_SOLICITATION,
            enterprise=END_USER_EQUIPMENT,
            industry="智能科技",
            title=f"需求 {i}",
            description="社会征集",
        )
        times.append((time.perf_counter() - start) * 1000)
    return times


def sealing_overhead(label: str, sealed_url: str, plain_url: str, commands: int) -> None:
    clock = SimulatedClock()
    clock.on(date(2026, 2, 24))
    sealed = JiebangApp(Settings(database_url=sealed_url), clock=clock)
    plain = UnsealedApp(Settings(database_url=plain_url), clock=clock)
    rounds = 4
    per_round = max(1, commands // rounds)
    _command_ms(sealed, 50)  # warm-up: connections, caches, prepared statements
    _command_ms(plain, 50)
    with_seal: list[float] = []
    without: list[float] = []
    for _ in range(rounds):
        with_seal += _command_ms(sealed, per_round)
        without += _command_ms(plain, per_round)
    sealed.close()
    plain.close()
    m_with, m_without = statistics.mean(with_seal), statistics.mean(without)
    print(
        f"{label:<11} {len(with_seal):>6} commands each: sealed {m_with:.3f} ms, "
        f"plain {m_without:.3f} ms, overhead {100 * (m_with / m_without - 1):+.1f} % "
        f"(p50 {statistics.median(with_seal):.3f} vs {statistics.median(without):.3f} ms)"
    )


# The documents the demo's events keep (bytes, kind, file name), by the store's cryptography,
# read with its templates: a copy of those events keeps the same digests, and `verify_store`
# checks that each is in the store (R-EVIDENCE), so `fill` puts them into the store it writes.
DEMO_DOCUMENTS: dict[str, list[tuple[bytes, str, str]]] = {}


def demo_templates(crypto: CryptoMode = "intl") -> list[StoredEvent]:
    """The demo's stored events (185 today) in a store of that cryptography, as templates for a
    realistic mix of sizes and types; their documents into ``DEMO_DOCUMENTS``."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/demo.db", crypto=crypto)
        app = JiebangApp(settings, clock=SimulatedClock())
        run_demo(app, Console(file=io.StringIO()))
        events = list(app.recorder.select_notifications(start=1, limit=1000))
        DEMO_DOCUMENTS[crypto] = [
            (b"".join(app.documents.read(d.digest)), d.kind, d.file_name)
            for d in app.documents.documents()
        ]
        app.close()
    return [StoredEvent(e.originator_id, e.originator_version, e.topic, e.state) for e in events]


def fill(app: JiebangApp, templates: list[StoredEvent], total: int) -> float:
    """Write `total` sealed events in batches of one demo copy each, with the demo's documents
    they keep (templates of the store's cryptography: their digests are its); returns seconds."""
    for data, kind, file_name in DEMO_DOCUMENTS.get(app.crypto_mode, []):
        app.documents.put_bytes(data, kind=kind, file_name=file_name)
    start = time.perf_counter()
    written = 0
    while written < total:
        ids: dict[object, uuid.UUID] = {}
        batch = [
            StoredEvent(
                ids.setdefault(t.originator_id, uuid.uuid4()),
                t.originator_version,
                t.topic,
                t.state,
            )
            for t in templates[: total - written]
        ]
        app.recorder.insert_events(batch)
        written += len(batch)
    return time.perf_counter() - start


def verify_speed(db_url: str, events: int) -> None:
    url = _schema(db_url, "verify")
    app = JiebangApp(Settings(database_url=url))
    seconds = fill(app, demo_templates(), events)
    app.close()
    print(f"filled     {events:>9,} sealed events in {seconds:.1f} s ({events / seconds:,.0f}/s)")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=url, audit_public_key_file=Path(tmp) / "absent.pub")
        start = time.perf_counter()
        report = verify_store(settings)
        seconds = time.perf_counter() - start
    if not report.intact or report.events != events:
        raise SystemExit(f"verify found {report.events} events: {report.finding}")
    print(f"verify     {events:>9,} events in {seconds:.1f} s: {events / seconds:,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    print("sealing overhead per command (collect_demand, one event, single client)")
    with tempfile.TemporaryDirectory() as tmp:
        sealing_overhead(
            "SQLite", f"sqlite:///{tmp}/sealed.db", f"sqlite:///{tmp}/plain.db", args.commands
        )
    with scratch_database() as db_url:
        sealing_overhead(
            "PostgreSQL", _schema(db_url, "sealed"), _schema(db_url, "plain"), args.commands
        )
        verify_speed(db_url, args.events)


if __name__ == "__main__":
    main()
