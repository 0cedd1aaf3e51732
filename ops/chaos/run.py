"""Fault rehearsal for operators: the suite's fault tests (tests/faults/), longer and repeated.

Starts a private PostgreSQL cluster (the installed server's initdb and pg_ctl, on a free loopback
port, in a temporary folder; the shared server is never touched) and `jiebang serve` on it, runs
``--clients`` clients sending commands (half with Idempotency-Keys) for ``--duration`` seconds,
and every ``--every`` seconds injects the next of ``--faults`` in turn:

* ``pg-stop``  — ``pg_ctl stop -m immediate``, then start again after ``--down`` seconds;
* ``api-kill`` — SIGKILL to the API process, then start it again after ``--down`` seconds.

Then it counts (acknowledged, failed, retried, missing, duplicates), verifies the seal chain,
rebuilds the read models and compares their digests, prints a table and one line of JSON, and
exits 1 if anything acknowledged is missing, anything is recorded twice, a 5xx other than 503
was answered, the chain is damaged or the digests differ.

    .venv/bin/python ops/chaos/run.py [--duration 300] [--clients 8] [--faults pg-stop,api-kill]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the harness lives in tests/

from rich.console import Console
from rich.table import Table

from tests.faults.harness import FAULTS, Reckoning, private_cluster, rehearse


def faults_arg(text: str) -> list[str]:
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FAULTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(FAULTS)}")
    return chosen


def sound(r: Reckoning) -> bool:
    return (
        r.missing == 0
        and r.duplicates == 0
        and r.server_errors == 0
        and r.chain_intact
        and r.digests_equal
        and not r.client_errors
    )


def table(r: Reckoning, injected: list[str]) -> Table:
    t = Table(title="Fault rehearsal", show_header=True)
    t.add_column("count")
    t.add_column("value", justify="right")
    t.add_column("meaning")
    rows = [
        ("faults injected", str(len(injected)), ", ".join(injected)),
        ("acknowledged", str(r.acknowledged), "2xx received, or found by request id after a cut"),
        ("failed", str(r.failed), "never acknowledged within the client's patience"),
        ("retried", str(r.retried), "commands that needed more than one attempt"),
        ("missing", str(r.missing), "acknowledged but not in the store (must be 0)"),
        ("duplicates", str(r.duplicates), "recorded more than once (must be 0)"),
        ("  with a key", str(r.duplicates_keyed), ""),
        ("  without a key", str(r.duplicates_unkeyed), ""),
        ("failed but recorded", str(r.failed_but_recorded), "not acknowledged, stored once"),
        ("found by lookup", str(r.found_by_lookup), "no answer; the audit index had it"),
        ("5xx other than 503", str(r.server_errors), "must be 0"),
        ("events", str(r.events), "in the store at the end"),
        ("seal chain", "intact" if r.chain_intact else "DAMAGED", r.chain_finding or ""),
        ("rebuild digests", "equal" if r.digests_equal else "DIFFERENT", "rebuilt vs live"),
    ]
    for row in rows:
        t.add_row(*row)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (1-64)")
    parser.add_argument("--faults", type=faults_arg, default=list(FAULTS), help="comma-separated")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between faults")
    parser.add_argument("--down", type=float, default=2.0, help="seconds a fault lasts")
    parser.add_argument(
        "--max-commands", type=int, default=100_000, help="stop sending after this many"
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= 64:
        parser.error("--clients must be between 1 and 64")
    count = max(1, int(args.duration // args.every))
    injected = [args.faults[i % len(args.faults)] for i in range(count)]
    console = Console(stderr=True)
    console.print(f"{len(injected)} faults over ~{args.duration:.0f} s, {args.clients} clients")
    with tempfile.TemporaryDirectory(prefix="jiebang-chaos-") as workdir, private_cluster() as c:
        result = rehearse(
            c,
            Path(workdir),
            injected,
            clients=args.clients,
            per_client=max(1, args.max_commands // args.clients),
            settle_seconds=args.every,
            down_seconds=args.down,
        )
    Console().print(table(result, injected))
    for failed in result.failed_answers:
        console.print(f"failed: {failed}")
    for twice in result.duplicate_answers:
        console.print(f"recorded twice: {twice}")
    for error in result.client_errors:
        console.print(f"[red]client error: {error}[/]")
    print(json.dumps({"faults": injected, "sound": sound(result), **result.as_json()}))
    raise SystemExit(0 if sound(result) else 1)


if __name__ == "__main__":
    main()
