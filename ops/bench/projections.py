"""Benchmark of the read models on PostgreSQL (a benchmark, not a timed test).

Creates a scratch database, writes N events of the demo's realistic mix through the sealing
recorder (``eventlog.py``: the demo's year replayed with new ids, in large batches), then
measures in child processes, interleaved, ``--repeat`` times:
  - the raw baseline: a streamed ``SELECT`` of the events table (a server-side cursor) and
    ``orjson.loads`` of each state, nothing else;
  - a rebuild of every read model from position 0 (``projections.rebuild``);
  - the rebuild's floor: the log read and decoded into domain events exactly as the rebuild
    reads and decodes it (``EventSource``, the fast decoder, batches of 10,000), applied to
    nothing: no rebuild of whole events can be faster;
and, with ``jiebang projections run`` following in its own process, the live lag from an event
saved to the moment every read model reflects it. Prints events/s (min / median / max), peak
RSS, the ratio to the baseline in the same run, lag p50/p95, and at the end one line of JSON.
Drops the scratch database at the end.

    .venv/bin/python ops/bench/projections.py [--events 1000000] [--repeat 3] [--server URL]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson
import psycopg
from eventsourcing.persistence import StoredEvent

from jiebang_es.config import Settings
from jiebang_es.service import JiebangApp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eventlog import SERVER, bench_app, copy_of, generate, scratch_database


def _without_this_folder() -> None:
    """This script is named like the read side's package: let ``import projections`` find the
    package, not the script."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    sys.modules.pop("projections", None)


def child(kind: str, url: str) -> None:
    """Run one measured step in this (child) process and print its figures as JSON."""
    settings = Settings(
        database_url=url, log_level="error", projection_batch_size=5000, pool_size=2
    )
    started = time.monotonic()
    if kind == "baseline":
        count = 0
        with psycopg.connect(url) as conn, conn.cursor(name="baseline") as cur:
            cur.itersize = 5000
            cur.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM jiebang_events ORDER BY notification_id"
            )
            loads = orjson.loads
            for row in cur:
                loads(row[4])
                count += 1
    elif kind == "decode":
        _without_this_folder()
        from projections.projector import EventSource
        from projections.rebuild import REBUILD_BATCH

        source = EventSource(settings)  # one thread: the decoding is what is measured
        count = after = 0
        try:
            while batch := source.read(after, REBUILD_BATCH):
                count += len(batch)
                after = batch[-1][0]
        finally:
            source.close()
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

    settings = Settings(database_url=url, log_level="error", pool_size=2)
    store = ReadStore.open(settings)
    # The runner as it is deployed: its own process (`jiebang projections run`).
    runner = subprocess.Popen(  # noqa: S603 - our own CLI
        [str(Path(sys.executable).with_name("jiebang")), "projections", "run"],
        env={**os.environ, "JIEBANG_DATABASE_URL": url, "JIEBANG_LOG_LEVEL": "error"},
        stdout=subprocess.DEVNULL,
    )
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")  # steady state: the bulk writes above are on disk
        first = app.recorder.select_notifications(1, 1)[0]  # the demo's first demand
        one = [StoredEvent(first.originator_id, first.originator_version, first.topic, first.state)]
        store.wait_until(app.position(), timeout_s=600)
        lags = []
        for _ in range(samples):
            saved = time.monotonic()
            position = app.recorder.insert_events(copy_of(one))[-1]
            deadline = saved + 30
            while not store.caught_up(position):
                if time.monotonic() > deadline:
                    raise SystemExit("the runner did not catch up within 30 s")
                time.sleep(0.002)
            lags.append(time.monotonic() - saved)
            time.sleep(0.02)
    finally:
        runner.terminate()
        runner.wait(30)
        store.close()
    return lags


def spread(values: list[float]) -> str:
    return " / ".join(f"{v:,.0f}" for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--lag-samples", type=int, default=200)
    parser.add_argument("--child", choices=("baseline", "decode", "rebuild"))
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url)
        return
    with scratch_database(args.server) as url:
        app = bench_app(url)
        try:
            total = generate(app, args.events)
            bases, decodes, builds = [], [], []
            for i in range(args.repeat):  # interleaved: each ratio from the same moment
                bases.append(measure("baseline", url))
                decodes.append(measure("decode", url))
                builds.append(measure("rebuild", url))
                rate = builds[-1]["events"] / builds[-1]["seconds"]
                base = bases[-1]["events"] / bases[-1]["seconds"]
                floor = decodes[-1]["events"] / decodes[-1]["seconds"]
                print(
                    f"run {i + 1}: baseline {base:,.0f} events/s, read and decode only "
                    f"{floor:,.0f} events/s, rebuild {rate:,.0f} events/s "
                    f"({builds[-1]['seconds']:.0f} s, peak {builds[-1]['peak_mb']:.0f} MB), "
                    f"ratio {rate / base:.3f}"
                )
            lags = live_lag(app, url, args.lag_samples) if args.lag_samples else []
        finally:
            app.close()
    base_rates = [b["events"] / b["seconds"] for b in bases]
    floors = [d["events"] / d["seconds"] for d in decodes]
    rates = [b["events"] / b["seconds"] for b in builds]
    ratios = [r / b for r, b in zip(rates, base_rates, strict=True)]
    peaks = [b["peak_mb"] for b in builds]
    print(f"events: {total:,}")
    print(f"baseline (streamed SELECT + orjson.loads), min/median/max: {spread(base_rates)} /s")
    print(f"the log read and decoded, nothing applied, min/median/max: {spread(floors)} /s")
    print(f"rebuild of every read model, min/median/max: {spread(rates)} events/s")
    print(
        "ratio to the baseline, min/median/max: " + " / ".join(f"{r:.3f}" for r in sorted(ratios))
    )
    print(f"peak RSS of the rebuild: {max(peaks):.0f} MB")
    figures: dict[str, object] = {
        "events": total,
        "runs": args.repeat,
        "baseline_events_per_s": [round(r) for r in base_rates],
        "decode_events_per_s": [round(r) for r in floors],
        "decode_ratio": [round(d / b, 3) for d, b in zip(floors, base_rates, strict=True)],
        "rebuild_events_per_s": [round(r) for r in rates],
        "rebuild_events_per_s_median": round(statistics.median(rates)),
        "rebuild_ratio": [round(r, 3) for r in ratios],
        "rebuild_ratio_median": round(statistics.median(ratios), 3),
        "rebuild_peak_mb": round(max(peaks)),
    }
    if lags:
        p95 = statistics.quantiles(lags, n=20)[18] * 1000
        print(f"live lag p50 {statistics.median(lags) * 1000:.1f} ms, p95 {p95:.1f} ms")
        figures |= {
            "lag_p50_ms": round(statistics.median(lags) * 1000, 1),
            "lag_p95_ms": round(p95, 1),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
