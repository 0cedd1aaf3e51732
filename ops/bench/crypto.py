"""Benchmark of the cryptography modes (issue 13): `sm` (SM3, SM2) against `intl` (SHA-256,
Ed25519), in the same run, on SQLite and PostgreSQL.

    .venv/bin/python ops/bench/crypto.py [--commands 300] [--events 20000] [--runs 3]

Per run, per store, per mode, each on a fresh store created in that mode:
1. command throughput: `collect_demand` (one sealed event each), single client, after a warm-up;
2. `audit verify` throughput: the store filled with N sealed events (copies of the demo's events,
   written through the sealing recorder), one checkpoint signed with the mode's key, then
   `verify_store` over all of it (seal chain recomputed, checkpoint signature checked).
Prints each figure, then min/median/max over the runs and the sm/intl ratio of the medians, and
at the end one line of JSON with all of it.

PostgreSQL: JIEBANG_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
a scratch database is created and dropped; every store uses a pool of at most 2 connections.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from audit import _command_ms, _schema, demo_templates, fill, scratch_database
from eventsourcing.persistence import StoredEvent

from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.crypto import CRYPTO_MODES, CryptoMode
from jiebang_es.crypto.digests import sm3
from jiebang_es.crypto.signing import generate_signing_key
from jiebang_es.demo import SimulatedClock
from jiebang_es.sealing import GENESIS, SEAL_TAG, chain, seal_rows
from jiebang_es.service import JiebangApp

_stores = iter(range(1, 1_000_000))


def _settings(url: str, mode: CryptoMode, keys: Path) -> Settings:
    return Settings(
        database_url=url,
        crypto=mode,
        pool_size=1,
        pool_max_overflow=1,
        audit_key_file=keys / "checkpoint.key",
        audit_public_key_file=keys / "checkpoint.pub",
        audit_checkpoint_file=keys / "checkpoints.jsonl",
    )


def _new_store(kind: str, db_url: str | None, tmp: Path) -> str:
    n = next(_stores)
    if kind == "sqlite":
        return f"sqlite:///{tmp}/store-{n}.db"
    assert db_url is not None  # noqa: S101
    return _schema(db_url, f"s{n}")


def commands_per_second(urls: dict[CryptoMode, str], tmp: Path, commands: int) -> dict[str, float]:
    """Both modes' stores side by side, in alternating rounds: drift of a shared machine hits
    both alike."""
    clock = SimulatedClock()
    clock.on(date(2026, 2, 24))
    apps = {mode: JiebangApp(_settings(url, mode, tmp), clock=clock) for mode, url in urls.items()}
    seconds = dict.fromkeys(apps, 0.0)
    rounds = 4
    try:
        for app in apps.values():
            _command_ms(app, 30)  # warm-up: connections, caches, prepared statements
        for _ in range(rounds):
            for mode, app in apps.items():
                seconds[mode] += sum(_command_ms(app, commands // rounds)) / 1000
    finally:
        for app in apps.values():
            app.close()
    return {mode: rounds * (commands // rounds) / s for mode, s in seconds.items()}


def seal_microseconds(mode: CryptoMode, templates: list[StoredEvent]) -> float:
    """Computing one event's digest and seal in this process (the demo's mix of event sizes)."""
    events = [(i, t.originator_id, t.originator_version, t.topic, t.state)
              for i, t in enumerate(templates * 20, start=1)]  # fmt: skip
    start = time.perf_counter()
    seal_rows(0, GENESIS, events, mode)
    return (time.perf_counter() - start) * 1e6 / len(events)


def verify_per_second(
    url: str, mode: CryptoMode, tmp: Path, events: int, templates: list[StoredEvent]
) -> float:
    keys = tmp / f"keys-{next(_stores)}"
    settings = _settings(url, mode, keys)
    app = JiebangApp(settings)
    try:
        fill(app, templates, events)
    finally:
        app.close()
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=mode)
    take_checkpoint(settings)
    start = time.perf_counter()
    report = verify_store(settings)
    seconds = time.perf_counter() - start
    if not report.intact or report.events != events or report.checkpoints != 1:
        raise SystemExit(f"verify found {report.events} events: {report.finding}")
    return events / seconds


_SEAL_PATHS = {
    # the `intl` recorder's way: the seal computed by the database in the inserting statement
    "sql_sha256": "INSERT INTO {t} (seal) SELECT sha256(%(tag)s || COALESCE((SELECT seal FROM {t} "
    "ORDER BY id DESC LIMIT 1), %(genesis)s) || %(digest)s)",
    # the alternative for `sm`: pgcrypto's digest(…, 'sm3'), needing the extension
    "pgcrypto_sm3": "INSERT INTO {t} (seal) SELECT digest(%(tag)s || COALESCE((SELECT seal "
    "FROM {t} ORDER BY id DESC LIMIT 1), %(genesis)s) || %(digest)s, 'sm3')",
    # the `sm` recorder's way: the last seal read, SM3 computed here, the seal inserted as given
    "python_sm3": "INSERT INTO {t} (seal) VALUES (%(seal)s)",
}


def postgres_seal_paths(db_url: str, n: int) -> dict[str, float]:
    """Median ms of one sealing transaction (table lock, seal, insert, commit) for each way of
    computing the seal on PostgreSQL, in alternating rounds."""
    times: dict[str, list[float]] = {path: [] for path in _SEAL_PATHS}
    digest = sm3(b"an event")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        for path in _SEAL_PATHS:
            conn.execute(f"CREATE TABLE seal_{path} (id bigserial PRIMARY KEY, seal bytea)")
        for _ in range(n):
            for path, statement in _SEAL_PATHS.items():
                table = f"seal_{path}"
                start = time.perf_counter()
                with conn.transaction():
                    conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
                    params = {"tag": SEAL_TAG, "genesis": GENESIS, "digest": digest}
                    if path == "python_sm3":
                        row = conn.execute(
                            f"SELECT seal FROM {table} ORDER BY id DESC LIMIT 1"  # noqa: S608
                        ).fetchone()
                        params["seal"] = chain(row[0] if row else GENESIS, digest, sm3)
                    conn.execute(statement.format(t=table), params)
                times[path].append((time.perf_counter() - start) * 1000)
    return {path: round(statistics.median(v), 3) for path, v in times.items()}


def signature_ms(mode: CryptoMode, n: int = 50) -> dict[str, float]:
    key = generate_signing_key(mode)
    message = b"jiebang-checkpoint/1|1000|" + b"ab" * 32 + b"|2026-12-02T12:00:00+08:00"
    start = time.perf_counter()
    signatures = [key.sign(message) for _ in range(n)]
    sign = (time.perf_counter() - start) * 1000 / n
    start = time.perf_counter()
    if not all(key.public.verify(s, message) for s in signatures):
        raise SystemExit(f"a {mode} signature does not verify")
    verify = (time.perf_counter() - start) * 1000 / n
    return {"sign_ms": round(sign, 3), "verify_ms": round(verify, 3)}


def summary(values: dict[str, list[float]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        mode: {"min": round(min(v), 1), "median": round(statistics.median(v), 1),
               "max": round(max(v), 1)}
        for mode, v in values.items()
    }  # fmt: skip
    out["ratio_sm_to_intl"] = round(out["sm"]["median"] / out["intl"]["median"], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # Each mode's own demo: its events keep its documents by that mode's digests.
    templates = {mode: demo_templates(mode) for mode in CRYPTO_MODES}
    figures: dict[str, dict[str, dict[str, list[float]]]] = {
        measure: {kind: {m: [] for m in CRYPTO_MODES} for kind in ("sqlite", "postgres")}
        for measure in ("commands_per_s", "verify_events_per_s")
    }
    with tempfile.TemporaryDirectory() as tmp_name, scratch_database() as db_url:
        tmp = Path(tmp_name)
        seal_paths = postgres_seal_paths(_schema(db_url, "paths").split("?")[0], args.commands)
        print(f"PostgreSQL sealing transaction, median ms: {seal_paths}")
        for run in range(1, args.runs + 1):
            for kind in ("sqlite", "postgres"):
                urls = {mode: _new_store(kind, db_url, tmp) for mode in CRYPTO_MODES}
                cps = commands_per_second(urls, tmp, args.commands)
                for mode in CRYPTO_MODES:
                    url = _new_store(kind, db_url, tmp)
                    eps = verify_per_second(url, mode, tmp, args.events, templates[mode])
                    figures["commands_per_s"][kind][mode].append(cps[mode])
                    figures["verify_events_per_s"][kind][mode].append(eps)
                    print(
                        f"run {run} {kind:<8} {mode:<4} {cps[mode]:8.1f} commands/s   "
                        f"verify {eps:10,.0f} events/s"
                    )
    result: dict[str, Any] = {
        measure: {kind: summary(by_mode) for kind, by_mode in by_kind.items()}
        for measure, by_kind in figures.items()
    }
    result["postgres_seal_transaction_ms"] = seal_paths
    result["signatures"] = {mode: signature_ms(mode) for mode in CRYPTO_MODES}
    result["seal_us_per_event"] = {
        mode: round(
            statistics.median(seal_microseconds(mode, templates[mode]) for _ in range(3)), 2
        )
        for mode in CRYPTO_MODES
    }
    result["parameters"] = {"commands": args.commands, "events": args.events, "runs": args.runs}
    for measure in ("commands_per_s", "verify_events_per_s"):
        for kind in ("sqlite", "postgres"):
            r = result[measure][kind]
            print(
                f"{measure:<20} {kind:<8} intl {r['intl']['median']:>10,.1f}  "
                f"sm {r['sm']['median']:>10,.1f}  sm/intl {r['ratio_sm_to_intl']:.3f}"
            )
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
