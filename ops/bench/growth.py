# ruff: noqa: E402 - the imports follow the fix of sys.path below
"""How the cost of a command and of the main reads changes as the log grows (issue 15).

Creates a scratch PostgreSQL database and grows its log (``eventlog.py``: the demo's year
replayed under new ids and new units, written through the sealing recorder) to each size in
turn (10,000, 100,000, 1,000,000 events by default), catching the read models up after each.
At each size, in interleaved rounds, it times:
  - a command: ``collect_demand`` through the application (in-process: the write side, not HTTP);
  - ``GET /v1/audit/events?aggregate_id=…``'s query (one aggregate's events from the audit index);
  - the catalogue with a rare filter (one end user's challenges) and the portfolio with a rare
    filter (one challenge's projects);
  - ``jiebang audit activity --request …`` (the audit index says where, the log is decoded there);
  - one challenge's applications and one reviewer's assignments (found under the log's keys).
Prints, per size, the median over the rounds of each figure's median (ms), its min and max,
the ratio to the smallest size, and at the end one line of JSON. Bounded: one application with
a pool of 2, one read store with a pool of 2, one runner connection; drops the database.

With ``--side-by-side``, the command alone, with the smallest and the largest size each in a
database of its own, both open at once and timed in interleaved rounds (so that both sizes see
the same moment of the machine), right after writing and again after ``VACUUM ANALYZE``.

    .venv/bin/python ops/bench/growth.py [--sizes 10000,100000,1000000] [--rounds 3]
    .venv/bin/python ops/bench/growth.py --side-by-side [--sizes 10000,1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This folder holds a script named like the read side's package: import the package first.
HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != HERE]
import projections.queries

sys.path.append(HERE)
import psycopg
from eventlog import SERVER, bench_app, generate, grow, scratch_database, template

from jiebang_es.audit import queries as audit
from jiebang_es.config import Settings
from jiebang_es.domain.values import Actor, DemandSource, Role
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from projections.readstore import ReadStore
from projections.runner import run

STAFF = Actor(id="bench", role=Role.BUREAU, org_code=BUREAU.credit_code, name="bench")
REPS = 30  # timings per figure per round
SIDE_BY_SIDE_REPS = 100  # commands per size per round in --side-by-side


def command(app: JiebangApp) -> None:
    """A new demand: the write side's cheapest whole command, on a new aggregate."""
    app.collect_demand(
        STAFF,
        source=DemandSource.PUBLIC_SOLICITATION,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="增长基准需求",
        description="社会征集",
    )


def timed(fn: Callable[[], Any], reps: int) -> float:
    """The median of ``reps`` timings of ``fn``, in ms."""
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def probes(app: JiebangApp, store: ReadStore) -> dict[str, Callable[[], Any]]:
    """The reads and the command, aimed at rows of the last copy written (rare filters)."""
    last = app.recorder.max_notification_id() or 0
    recent = app.recorder.select_notifications(max(1, last - 2000), 2000)
    by_topic = {n.topic.rsplit(".", 1)[-1]: n for n in recent}
    newest = [app.mapper.to_domain_event(n) for n in recent]
    challenge = next(e for e in reversed(newest) if type(e).__qualname__ == "Challenge.Drafted")
    selected = next(e for e in reversed(newest) if type(e).__qualname__ == "Project.Selected")
    panel = next(
        e for e in reversed(newest) if type(e).__qualname__ == "Challenge.ReviewPanelProposed"
    )
    reviewer = panel.members[0].expert_id
    aggregate_id = str(challenge.originator_id)
    end_user = projections.queries.get_challenge(store, aggregate_id)
    if end_user is None or not by_topic:
        raise SystemExit("the read models have not caught up")
    code = end_user.end_user_code
    request_id = selected.audit.request_id
    index = functools.partial(projections.queries.audit_positions, store)

    return {
        "command_ms": functools.partial(command, app),
        "audit_by_aggregate_ms": lambda: projections.queries.audit_events(
            store, aggregate_id=aggregate_id
        ),
        "catalogue_rare_filter_ms": lambda: projections.queries.list_challenges(
            store, end_user_code=code
        ),
        "portfolio_rare_filter_ms": lambda: projections.queries.list_projects(
            store, challenge_id=selected.challenge_id
        ),
        "audit_activity_ms": lambda: audit.activity(app, request_id=request_id, index=index),
        # the log's keys (event_keys.py): a challenge's applications (GET …/applications, and
        # the commands that check them) and an expert's assignments (GET /v1/experts/me/…)
        "challenge_applications_ms": lambda: app.application_page(str(panel.originator_id)),
        "expert_assignments_ms": lambda: app.expert_assignments(reviewer),
    }


def measure(app: JiebangApp, store: ReadStore, rounds: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    aimed = probes(app, store)
    for _ in range(rounds):
        for name, fn in aimed.items():
            figures.setdefault(name, []).append(timed(fn, REPS))
    return figures


def side_by_side(server: str, small: int, large: int, rounds: int) -> dict[str, Any]:
    """The command's median (ms) per round at both sizes, interleaved, before and after
    ``VACUUM ANALYZE``; with the ratio of the medians."""
    figures: dict[str, Any] = {"sizes": [small, large], "rounds": rounds}
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(scratch_database(server)) for _ in (small, large)]
        apps = [bench_app(url) for url in urls]
        for app in apps:
            stack.callback(app.close)
        for app, size in zip(apps, (small, large), strict=True):
            generate(app, size)
        for when in ("written", "vacuumed"):
            if when == "vacuumed":
                for url in urls:
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute("VACUUM ANALYZE")
            timings: list[list[float]] = [[], []]
            for _ in range(rounds):
                for i, app in enumerate(apps):
                    timings[i].append(timed(functools.partial(command, app), SIDE_BY_SIDE_REPS))
            ratio = statistics.median(timings[1]) / statistics.median(timings[0])
            for i, size in enumerate((small, large)):
                figures[f"command_ms_{size}_{when}"] = [round(t, 2) for t in timings[i]]
            figures[f"command_ratio_{large}_to_{small}_{when}"] = round(ratio, 2)
            print(
                f"{when}: {small:,} events {[round(t, 2) for t in timings[0]]} ms, "
                f"{large:,} events {[round(t, 2) for t in timings[1]]} ms, "
                f"ratio of medians {ratio:.2f}"
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--side-by-side", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.side_by_side:
        print(json.dumps(side_by_side(args.server, min(sizes), max(sizes), args.rounds)))
        return
    results: dict[int, dict[str, list[float]]] = {}
    with scratch_database(args.server) as url:
        app = bench_app(url)
        settings = Settings(database_url=url, log_level="error", pool_size=2)
        store = ReadStore.open(settings)
        try:
            events = template(app)
            written = len(events)
            for size in sizes:
                written = grow(app, events, written, size)
                started = time.monotonic()
                run(settings, until_caught_up=True)
                print(f"read models caught up to {size:,} in {time.monotonic() - started:.0f} s")
                results[size] = measure(app, store, args.rounds)
                run(settings, until_caught_up=True)  # the commands' own events
                for name, values in results[size].items():
                    low, mid, high = min(values), statistics.median(values), max(values)
                    print(f"  {size:>9,} {name:<26} {mid:8.2f} ms  ({low:.2f} – {high:.2f})")
        finally:
            store.close()
            app.close()
    first = sizes[0]
    figures: dict[str, Any] = {"sizes": sizes, "rounds": args.rounds}
    for size in sizes:
        for name, values in results[size].items():
            figures[f"{name}_{size}"] = round(statistics.median(values), 3)
    for name in results[first]:
        for size in sizes[1:]:
            ratio = statistics.median(results[size][name]) / statistics.median(results[first][name])
            figures[f"{name.removesuffix('_ms')}_ratio_{size}_to_{first}"] = round(ratio, 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
