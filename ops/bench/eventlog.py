"""A large, realistic, sealed event log for the benchmarks (shared by projections.py and growth.py).

The demo's year (demands, drafts, argumentation, list, publication, applications, panels,
declarations, scores, selection, notice, objection, contract, payments, milestones) is played
once, then its stored events are written again and again under new aggregate ids through the
application's own sealing recorder (``insert_events`` in large batches): the store stays valid
(every event sealed and chained, ``jiebang audit verify`` passes) and no command is re-run.
"""

from __future__ import annotations

import io
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql
from rich.console import Console

from jiebang_es.config import Settings
from jiebang_es.demo import SimulatedClock, run_demo
from jiebang_es.domain.values import uscc_check_char
from jiebang_es.sample import BUREAU
from jiebang_es.service import JiebangApp

UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_RE = re.compile(rb'"([0-9A-HJ-NPQRTUWXY]{18})"')
BATCH = 2000  # larger batches can stall in psycopg's pipeline mode (seen at 5,000)
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def with_db(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


@contextmanager
def scratch_database(server: str = SERVER) -> Iterator[str]:
    """A database of this run's own, dropped at the end (whatever happens)."""
    name = f"jiebang_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_db(server, name)
    finally:
        with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def bench_app(url: str) -> JiebangApp:
    """The application on the benchmark's store: a small pool (the server is shared)."""
    settings = Settings(database_url=url, log_level="error", pool_size=2, pool_max_overflow=0)
    return JiebangApp(settings, clock=SimulatedClock())


def template(app: JiebangApp) -> list[StoredEvent]:
    """The demo's year, played on ``app``, as stored events."""
    run_demo(app, Console(file=io.StringIO()))
    return [
        StoredEvent(
            originator_id=n.originator_id,
            originator_version=n.originator_version,
            topic=n.topic,
            state=n.state,
        )
        for n in app.recorder.select_notifications(1, 100_000)
    ]


def new_unit(code: str) -> str:
    """Another unit registered in the same division: a new valid credit code (GB 32100-2015)
    that keeps the registering authority and division (characters 1-8)."""
    body = code[:8] + "".join(secrets.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_char(body)


def copy_of(events: list[StoredEvent]) -> list[StoredEvent]:
    """The same history about new aggregates and new units: every id replaced consistently,
    and every unit's credit code but the bureau's (a province's programmes are carried by many
    units, each with its own short credit history, not one unit checked thousands of times)."""
    ids: dict[bytes, bytes] = {}

    def new(old: bytes) -> bytes:
        if old not in ids:
            ids[old] = str(uuid.uuid4()).encode()
        return ids[old]

    def unit(m: re.Match[bytes]) -> bytes:
        code = m.group(1).decode()
        if code == BUREAU.credit_code or uscc_check_char(code[:17]) != code[17]:
            return m.group(0)
        if m.group(1) not in ids:
            ids[m.group(1)] = new_unit(code).encode()
        return b'"' + ids[m.group(1)] + b'"'

    return [
        StoredEvent(
            originator_id=uuid.UUID(new(str(e.originator_id).encode()).decode()),
            originator_version=e.originator_version,
            topic=e.topic,
            state=USCC_RE.sub(unit, UUID_RE.sub(lambda m: new(m.group(0)), e.state)),
        )
        for e in events
    ]


def grow(app: JiebangApp, events: list[StoredEvent], written: int, total: int) -> int:
    """Append copies of ``events`` until the log holds ``total``; the count it holds."""
    started = time.monotonic()
    pending: list[StoredEvent] = []
    begun = written
    while written < total:
        pending.extend(copy_of(events)[: total - written])
        written = min(total, written + len(events))
        if len(pending) >= BATCH or written >= total:
            app.recorder.insert_events(pending)
            pending = []
    seconds = time.monotonic() - started
    if written > begun:
        rate = (written - begun) / max(seconds, 1e-9)
        print(f"generated {written - begun:,} events in {seconds:.0f} s ({rate:,.0f}/s)")
    return written


def generate(app: JiebangApp, total: int) -> int:
    """The demo's year played once, then copied until the log holds ``total`` events."""
    events = template(app)
    return grow(app, events, len(events), total)
