"""Benchmark of the read models on PostgreSQL (a benchmark, not a timed test).

Creates a scratch database, writes N events of the demo's realistic mix through the recorder
(the demo's year replayed with new ids, in large batches), then measures in child processes:
  - the raw baseline: reading and decoding every event with the recorder's
    ``select_notifications`` and the application's mapper, nothing else;
  - a rebuild of every read model from position 0 (``projections.rebuild``);
and, with a runner following in this process, the live lag from an event saved to the moment
every read model reflects it. Prints events/s, peak RSS, the ratio to the baseline, lag p95.
Drops the scratch database at the end.

    .venv/bin/python ops/bench/projections.py [--events 1000000] [--server URL]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql
from rich.console import Console

from jiebang_es.config import Settings
from jiebang_es.demo import SimulatedClock, run_demo
from jiebang_es.service import JiebangApp

UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BATCH = 2000


def _without_this_folder() -> None:
    """This script is named like the read side's package: let ``import projections`` find the
    package, not the script."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    sys.modules.pop("projections", None)


def with_db(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


def template(app: JiebangApp) -> list[StoredEvent]:
    """The demo's year, as stored events."""
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


def copy_of(events: list[StoredEvent]) -> list[StoredEvent]:
    """The same history about new aggregates: every id replaced consistently."""
    ids: dict[bytes, bytes] = {}

    def new(old: bytes) -> bytes:
        if old not in ids:
            ids[old] = str(uuid.uuid4()).encode()
        return ids[old]

    return [
        StoredEvent(
            originator_id=uuid.UUID(new(str(e.originator_id).encode()).decode()),
            originator_version=e.originator_version,
            topic=e.topic,
            state=UUID_RE.sub(lambda m: new(m.group(0)), e.state),
        )
        for e in events
    ]


def generate(app: JiebangApp, total: int) -> int:
    events = template(app)
    written = len(events)
    started = time.monotonic()
    pending: list[StoredEvent] = []
    while written < total:
        pending.extend(copy_of(events)[: total - written])
        written = min(total, written + len(events))
        if len(pending) >= BATCH or written >= total:
            app.recorder.insert_events(pending)
            pending = []
    print(f"generated {written:,} events in {time.monotonic() - started:.0f} s")
    return written


def child(kind: str, url: str) -> None:
    """Run one measured step in this (child) process and print its figures as JSON."""
    settings = Settings(database_url=url, log_level="error", projection_batch_size=5000)
    started = time.monotonic()
    if kind == "baseline":
        app = JiebangApp(settings)
        count, position = 0, 0
        while True:
            batch = app.recorder.select_notifications(position, 5000, inclusive_of_start=False)
            if not batch:
                break
            for n in batch:
                app.mapper.to_domain_event(n)
            count += len(batch)
            position = batch[-1].id
        app.close()
    else:
        _without_this_folder()
        from projections.rebuild import rebuild

        count = rebuild(settings)
    seconds = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"events": count, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def measure(kind: str, url: str) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - this script, in a child process
        [sys.executable, __file__, "--child", kind, "--url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"the {kind} step failed:\n{out.stderr}")
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def live_lag(app: JiebangApp, url: str, samples: int) -> list[float]:
    """Seconds from an event saved to every read model reflecting it, with a runner following."""
    _without_this_folder()
    from projections.readstore import ReadStore

    settings = Settings(database_url=url, log_level="error")
    store = ReadStore.open(settings)
    # The runner as it is deployed: its own process (`jiebang projections run`).
    runner = subprocess.Popen(  # noqa: S603 - our own CLI
        [str(Path(sys.executable).with_name("jiebang")), "projections", "run"],
        env={**os.environ, "JIEBANG_DATABASE_URL": url, "JIEBANG_LOG_LEVEL": "error"},
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # steady state: the bulk writes above are flushed to disk
    first = app.recorder.select_notifications(1, 1)[0]  # the demo's first demand, collected
    one = [StoredEvent(first.originator_id, first.originator_version, first.topic, first.state)]
    store.wait_until(app.position(), timeout_s=600)
    lags = []
    for _ in range(samples):
        saved = time.monotonic()
        position = app.recorder.insert_events(copy_of(one))[-1]
        while not store.caught_up(position):
            time.sleep(0.0005)
        lags.append(time.monotonic() - saved)
        time.sleep(0.02)
    runner.terminate()
    runner.wait(30)
    store.close()
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--lag-samples", type=int, default=200)
    parser.add_argument("--child", choices=("baseline", "rebuild"))
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url)
        return
    name = f"jiebang_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_db(args.server, name)
    try:
        app = JiebangApp(Settings(database_url=url, log_level="error"), clock=SimulatedClock())
        total = generate(app, args.events)
        base = measure("baseline", url)
        built = measure("rebuild", url)
        lags = live_lag(app, url, args.lag_samples)
        app.close()
        base_rate = base["events"] / base["seconds"]
        rate = built["events"] / built["seconds"]
        p95 = statistics.quantiles(lags, n=20)[18] * 1000
        print(f"events: {total:,}")
        print(f"raw baseline (select_notifications + mapper): {base_rate:,.0f} events/s")
        print(f"rebuild of every read model: {rate:,.0f} events/s in {built['seconds']:.0f} s")
        print(f"ratio to baseline: {rate / base_rate:.2f}")
        print(f"peak RSS: rebuild {built['peak_mb']:.0f} MB, baseline {base['peak_mb']:.0f} MB")
        print(f"live lag p50 {statistics.median(lags) * 1000:.1f} ms, p95 {p95:.1f} ms")
    finally:
        with psycopg.connect(args.server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


if __name__ == "__main__":
    main()
