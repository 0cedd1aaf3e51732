"""Benchmark of the document store (R-EVIDENCE): a 20 MB file in and out, against a plain copy.

In one run, on the same disk: a plain file copy (``shutil.copyfile``) of a 20 MB file as the
baseline; then the store's upload (stream, hash, recognise, keep) and download (stream out to a
file) on the SQLite folder store and on PostgreSQL (a scratch schema); then the same over HTTP
(`jiebang serve` on SQLite: ``POST /v1/documents`` and ``GET /v1/documents/{digest}``). Memory:
the peak of Python allocations while streaming (tracemalloc) in this process, and the server's
resident memory before and at the end of the transfers (psutil) — both stay flat, far below the
file's size, because nothing holds a document whole. The server's memory is sampled every
20 ms during the HTTP transfers, so its peak while streaming is shown too.

Each figure is min / median / max of ``--rounds`` runs (the throughput and the ratio to the plain
copy from the median). The last line printed is one JSON object with every figure.

    .venv/bin/python ops/bench/documents.py [--mb 20] [--rounds 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import psycopg


def _without_this_folder() -> None:
    """This folder has a script named like the API's package: let ``import api`` find it."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    sys.modules.pop("api", None)


_without_this_folder()

from pydantic import SecretStr  # noqa: E402

from api.auth import Keys, issue_token  # noqa: E402
from jiebang_es.config import Settings  # noqa: E402
from jiebang_es.documents.store import CHUNK, DocumentStore, open_document_store  # noqa: E402
from jiebang_es.domain.values import Role  # noqa: E402

JIEBANG = Path(sys.executable).parent / "jiebang"
SECRET = "bench-" + "s" * 64
BUREAU = "11500106MB1U3K9D0R"


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


FIGURES: dict[str, object] = {}


def timed(run: Callable[[], object], rounds: int) -> tuple[list[float], int]:
    """Seconds of each of ``rounds`` runs and the peak of Python allocations over them."""
    times = []
    tracemalloc.start()
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return times, peak


def row(what: str, times: list[float], size: int, peak: int | None, baseline: float) -> None:
    """One line of the table (and of the JSON figures): min / median / max, throughput and the
    ratio to the plain copy at the median."""
    median = statistics.median(times)
    mb_s = size / median / 1e6
    peak_text = "—" if peak is None else f"{peak / 1e6:.1f} MB"
    spread = " / ".join(f"{t * 1000:.0f}" for t in (min(times), median, max(times)))
    print(f"| {what} | {spread} ms | {mb_s:.0f} MB/s | {baseline / median:.2f} | {peak_text} |")
    FIGURES[what] = {
        "ms_min": round(min(times) * 1000, 1),
        "ms_median": round(median * 1000, 1),
        "ms_max": round(max(times) * 1000, 1),
        "mb_per_s_median": round(mb_s, 1),
        "vs_plain_copy": round(baseline / median, 3),
        "peak_python_mb": None if peak is None else round(peak / 1e6, 2),
    }


class RssSampler:
    """The peak resident memory of a process, sampled every 20 ms while in use."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{model}, {os.cpu_count()} CPUs, {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def store_rows(
    name: str, store: DocumentStore, source: Path, out: Path, rounds: int, base: float
) -> None:
    size = source.stat().st_size
    # New bytes each round (8 changed after the PNG signature): a new digest, so every round
    # streams, hashes, recognises and really keeps the document (a kept one would be a no-op).
    kept: list[str] = []

    def put() -> None:
        renew(source)
        kept.append(store.put(chunks(source), kind="bench", file_name="bench.png").digest)

    seconds, peak = timed(put, rounds)
    row(f"{name}: upload (put)", seconds, size, peak, base)
    digest = kept[-1]

    def get() -> None:
        with out.open("wb") as f:
            for chunk in store.read(digest):
                f.write(chunk)

    seconds, peak = timed(get, rounds)
    row(f"{name}: download (read)", seconds, size, peak, base)


def renew(source: Path) -> None:
    """8 new bytes after the PNG signature: a new document, with a new digest."""
    with source.open("r+b") as f:
        f.seek(8)
        f.write(os.urandom(8))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_rows(workdir: Path, source: Path, out: Path, rounds: int, base: float) -> None:
    port = free_port()
    url = f"sqlite:///{workdir}/http.db"
    env = {**os.environ, "JIEBANG_DATABASE_URL": url, "JIEBANG_JWT_SECRET": SECRET,
           "JIEBANG_BODY_TIMEOUT": "300"}  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 - our own command
        [str(JIEBANG), "serve", "--port", str(port)], env=env, cwd=workdir,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base_url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        settings = Settings(database_url=url, jwt_secret=SecretStr(SECRET))
        token = issue_token(settings, Keys(SECRET, SECRET, ("HS256",)), role=Role.BUREAU,
                            org=BUREAU, sub="bench")  # fmt: skip
        process = psutil.Process(server.pid)
        rss_before = process.memory_info().rss
        size = source.stat().st_size
        with (
            httpx.Client(
                base_url=base_url, timeout=300, headers={"Authorization": f"Bearer {token}"}
            ) as client,
            RssSampler(process) as sampler,
        ):
            params = {"kind": "bench", "file_name": "bench.png"}

            def upload() -> None:
                renew(source)
                r = client.post("/v1/documents", params=params, content=chunks(source))
                r.raise_for_status()

            seconds, _ = timed(upload, rounds)
            row("HTTP: upload (POST /v1/documents)", seconds, size, None, base)
            digest = client.post("/v1/documents", params=params, content=chunks(source)).json()[
                "digest"
            ]

            def download() -> None:
                with client.stream("GET", f"/v1/documents/{digest}") as r, out.open("wb") as f:
                    r.raise_for_status()
                    for chunk in r.iter_bytes(CHUNK):
                        f.write(chunk)

            seconds, _ = timed(download, rounds)
            row("HTTP: download (GET /v1/documents/{digest})", seconds, size, None, base)
        rss_after = process.memory_info().rss
        print(f"\nserver resident memory: {rss_before / 1e6:.0f} MB before, "
              f"{sampler.peak / 1e6:.0f} MB at most while streaming, "
              f"{rss_after / 1e6:.0f} MB after the transfers "
              f"of a {size / 1e6:.0f} MB file")  # fmt: skip
        FIGURES["server_rss_mb"] = {
            "before": round(rss_before / 1e6, 1),
            "peak_while_streaming": round(sampler.peak / 1e6, 1),
            "after": round(rss_after / 1e6, 1),
        }
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-documents-", dir=".") as tmp:
        workdir = Path(tmp).resolve()
        source = workdir / "source.png"
        with source.open("wb") as f:  # a PNG by its signature, then incompressible bytes
            f.write(b"\x89PNG\r\n\x1a\n")
            for _ in range(args.mb):
                f.write(os.urandom(1_000_000))
        out = workdir / "out.bin"
        size = source.stat().st_size
        copies, _ = timed(lambda: shutil.copyfile(source, out), args.rounds)
        base = statistics.median(copies)
        print(f"machine: {machine()}")
        print(
            f"{size / 1e6:.0f} MB file, {args.rounds} runs each (min / median / max); "
            "throughput and ratio (plain copy time / this time) at the median\n"
        )
        print("| what | time | throughput | vs plain copy | peak Python memory |")
        print("|---|---|---|---|---|")
        row("plain file copy (baseline)", copies, size, None, base)
        settings = Settings(database_url=f"sqlite:///{workdir}/events.db")
        store_rows(
            "SQLite folder store", open_document_store(settings), source, out, args.rounds, base
        )
        schema = f"bench_documents_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            pg = open_document_store(Settings(database_url=f"{args.postgres}?schema={schema}"))
            store_rows("PostgreSQL store", pg, source, out, args.rounds, base)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        http_rows(workdir, source, out, args.rounds, base)
    print(
        json.dumps(
            {"machine": machine(), "file_mb": round(size / 1e6, 1), "rounds": args.rounds,
             "figures": FIGURES},
            ensure_ascii=False,
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
