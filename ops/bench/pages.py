"""Benchmark of the web pages beside the JSON routes they render from (a benchmark, not a test).

Plays the demo into a scratch SQLite store, starts `jiebang serve` on it (the read models caught
up by its runner), and requests each page and its JSON route in turn, one client on one
keep-alive connection, ``--requests`` times each, in the same run. The server's own time per
request is read from its access log (``duration_ms``, matched by ``X-Request-ID``); the client's
round trip on loopback is printed beside it. Prints p50 and p95 per route.

    .venv/bin/python ops/bench/pages.py [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path


def _without_this_folder() -> None:
    """This folder holds a script named like the API's package: let ``import api`` find it."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    sys.modules.pop("api", None)


_without_this_folder()

from itsdangerous import URLSafeTimedSerializer  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from rich.console import Console  # noqa: E402

from api.auth import Keys, issue_token  # noqa: E402
from jiebang_es.config import Settings  # noqa: E402
from jiebang_es.demo import SimulatedClock, run_demo  # noqa: E402
from jiebang_es.domain.values import Role  # noqa: E402
from jiebang_es.sample import key_challenge_content  # noqa: E402
from jiebang_es.service import JiebangApp  # noqa: E402
from projections import queries  # noqa: E402
from projections.readstore import ReadStore  # noqa: E402
from projections.runner import run  # noqa: E402

SECRET = "bench-" + uuid.uuid4().hex * 3
SESSION_SECRET = "bench-session-" + uuid.uuid4().hex * 3
JIEBANG = Path(sys.executable).parent / "jiebang"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(workdir: Path) -> tuple[Settings, str, str]:
    """The demo in a fresh SQLite store; the public challenge's and one project's ids."""
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'bench.db'}",
        jwt_secret=SecretStr(SECRET),
        session_secret=SecretStr(SESSION_SECRET),
    )
    app = JiebangApp(settings, clock=SimulatedClock())
    try:
        run_demo(app, Console(file=io.StringIO()))
    finally:
        app.close()
    run(settings, until_caught_up=True)
    store = ReadStore.open(settings)
    try:
        rows = queries.list_challenges(store, limit=500).items
        public = next(c for c in rows if c.name == key_challenge_content().name)
        notice = queries.public_notices(store, limit=1).items[0]
    finally:
        store.close()
    return settings, public.challenge_id, notice.project_id


def start(settings: Settings, workdir: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    log = workdir / "server.log"
    env = {
        **os.environ,
        "JIEBANG_DATABASE_URL": settings.database_url,
        "JIEBANG_JWT_SECRET": SECRET,
        "JIEBANG_SESSION_SECRET": SESSION_SECRET,
        "JIEBANG_REQUEST_LOG_LEVEL": "info",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [str(JIEBANG), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/v1/health")
            if c.getresponse().status == 200:
                return process, port, log
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server did not start: {log.read_text()}")


def measure(
    port: int, path: str, headers: dict[str, str], n: int, tag: str
) -> tuple[list[float], list[str]]:
    """``n`` requests on one keep-alive connection: client round trips (ms) and request ids."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: list[float] = []
    ids: list[str] = []
    for i in range(n + 5):
        request_id = f"{tag}-{i}"
        started = time.perf_counter()
        conn.request("GET", path, headers={**headers, "X-Request-ID": request_id})
        answer = conn.getresponse()
        answer.read()
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise SystemExit(f"{path}: {answer.status}")
        if i >= 5:  # the first few warm caches and the connection
            times.append(elapsed)
            ids.append(request_id)
    conn.close()
    return times, ids


def server_times(log: Path) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "request" and "duration_ms" in entry:
            found[str(entry.get("request_id"))] = float(entry["duration_ms"])
    return found


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings, challenge_id, project_id = prepare(workdir)
        keys = Keys(SECRET, SECRET, ("HS256",))
        token = issue_token(
            settings, keys, role=Role.SUPERVISOR, org="11500106MB0000000X", sub="bench"
        )
        cookie = URLSafeTimedSerializer(SESSION_SECRET, salt="session").dumps(token)
        page_headers = {"Cookie": f"jiebang_session={cookie}"}
        api_headers = {"Authorization": f"Bearer {token}"}
        pairs = [
            ("/portal", "/v1/public/challenges", {}),
            (f"/portal/challenges/{challenge_id}", f"/v1/public/challenges/{challenge_id}", {}),
            ("/portal/notices", "/v1/public/notices", {}),
            (f"/portal/notices/{project_id}", "/v1/public/notices", {}),
            ("/portal/feed.atom", "/v1/public/notices", {}),
            (
                f"/console/aggregates/{challenge_id}",
                f"/v1/audit/aggregates/{challenge_id}/history",
                "auth",
            ),
            ("/console/activity?actor_id=bureau-li", "/v1/audit/events?actor_id=bureau-li", "auth"),
            ("/console/compliance", None, "auth"),
            ("/dashboard", None, "auth"),
        ]
        process, port, log = start(settings, workdir)
        try:
            results = []
            for index, (page_path, api_path, auth) in enumerate(pairs):
                ph = page_headers if auth else {}
                ah = api_headers if auth else {}
                page = measure(port, page_path, ph, args.requests, f"page{index}")
                api = (
                    measure(port, api_path, ah, args.requests, f"api{index}") if api_path else None
                )
                results.append((page_path, api_path, page, api))
            time.sleep(0.5)
            seen = server_times(log)
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"{args.requests} requests each, 1 client, keep-alive; ms (server p50 / p95, client p95)")
    print(
        f"{'page':60} {'server':>15} {'client':>7}   {'JSON route':60} {'server':>15} {'client':>7}"
    )
    for page_path, api_path, page, api in results:
        line = f"{page_path:60} {_fig(page, seen)}"
        if api is not None and api_path is not None:
            line += f"   {api_path:60} {_fig(api, seen)}"
        print(line)


def _fig(measured: tuple[list[float], list[str]], seen: dict[str, float]) -> str:
    client, ids = measured
    server = [seen[i] for i in ids if i in seen]
    if not server:
        return f"{'—':>15} {p(client, 95):7.1f}"
    return f"{p(server, 50):6.1f} / {p(server, 95):6.1f} {p(client, 95):7.1f}"


if __name__ == "__main__":
    main()
