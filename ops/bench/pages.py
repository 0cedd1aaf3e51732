"""Benchmark of the web pages beside the JSON routes they render from (a benchmark, not a test).

Plays the demo into a scratch SQLite store (with a review panel's draw of the public challenge
performed after it, so the draw records have one to show), starts `jiebang serve` on it (the
read models caught up by its runner), and requests each page and its JSON route in turn, one
client on one keep-alive connection, ``--requests`` times each, in the same run. The server's
own time per request is read from its access log (``duration_ms``, matched by
``X-Request-ID``); the client's round trip on loopback is printed beside it. The whole is
repeated ``--runs`` times, each with a fresh server (cold caches, warmed by five requests per
route that are not counted). Prints p50 and p95 per route and run, then min / median / max of
the runs' p95, and one line of JSON with every figure.

    .venv/bin/python ops/bench/pages.py [--requests 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date
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
from jiebang_es.audit.queries import log_events  # noqa: E402
from jiebang_es.config import Settings  # noqa: E402
from jiebang_es.demo import SimulatedClock, run_demo  # noqa: E402
from jiebang_es.domain.challenge import Challenge  # noqa: E402
from jiebang_es.domain.draw import DrawPurpose  # noqa: E402
from jiebang_es.domain.values import ExpertKind, Role  # noqa: E402
from jiebang_es.draws.algorithm import commitment_of  # noqa: E402
from jiebang_es.sample import BUREAU, actor, key_challenge_content  # noqa: E402
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


def prepare(workdir: Path) -> tuple[Settings, str, str, str]:
    """The demo in a fresh SQLite store; the public challenge's, one project's and the public
    challenge's draw's ids."""
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'bench.db'}",
        jwt_secret=SecretStr(SECRET),
        session_secret=SecretStr(SESSION_SECRET),
    )
    clock = SimulatedClock()
    app = JiebangApp(settings, clock=clock)
    try:
        run_demo(app, Console(file=io.StringIO()))
        draw_id = review_draw(app, clock)
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
    return settings, public.challenge_id, notice.project_id, draw_id


def review_draw(app: JiebangApp, clock: SimulatedClock) -> str:
    """The public challenge's review panel drawn after the demo: a record the portal publishes
    (the solver is selected)."""
    name = key_challenge_content().name
    challenge_id = next(
        str(e.originator_id)
        for _, e in log_events(app)
        if isinstance(e, Challenge.Drafted) and e.content.name == name
    )
    seed = "be4c" * 16
    bureau = actor(Role.BUREAU, BUREAU, "bureau-li")
    clock.on(date(2026, 11, 20))
    scheduled = app.schedule_draw(
        bureau,
        challenge_id,
        purpose=DrawPurpose.REVIEW,
        needs={ExpertKind.FRONT_LINE: 1},
        commitment=commitment_of(seed),
        randomness_source="中国福利彩票双色球第2026135期开奖号码",
        randomness_date=date(2026, 11, 22),
    )
    clock.on(date(2026, 11, 22), 21)
    app.perform_draw(bureau, scheduled.aggregate_id, seed=seed, public_value="03 08 15 + 06")
    return scheduled.aggregate_id


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


def routes(challenge_id: str, project_id: str, draw_id: str) -> list[Pair]:
    """Each page beside the JSON route it renders from: (label, page, JSON route, signed in)."""
    challenge = f"/portal/challenges/{challenge_id}"
    history = f"/v1/audit/aggregates/{challenge_id}/history"
    return [
        Pair("/portal", "/portal", "/v1/public/challenges", signed_in=False),
        Pair(
            "/portal/challenges/{id}",
            challenge,
            f"/v1/public/challenges/{challenge_id}",
            signed_in=False,
        ),
        Pair("/portal/notices", "/portal/notices", "/v1/public/notices", signed_in=False),
        Pair("/portal/notices/{id}", f"/portal/notices/{project_id}", "/v1/public/notices", False),
        Pair("/portal/draws", "/portal/draws", f"/v1/public/draws/{draw_id}", signed_in=False),
        Pair(
            "/portal/draws/{id}", f"/portal/draws/{draw_id}", f"/v1/public/draws/{draw_id}", False
        ),
        Pair("/portal/feed.atom", "/portal/feed.atom", "/v1/public/notices", signed_in=False),
        Pair("/sitemap.xml", "/sitemap.xml", "/v1/public/challenges", signed_in=False),
        Pair("/console/aggregates/{id}", f"/console/aggregates/{challenge_id}", history, True),
        Pair(
            "/console/activity?actor_id=bureau-li",
            "/console/activity?actor_id=bureau-li",
            "/v1/audit/events?actor_id=bureau-li",
            signed_in=True,
        ),
        Pair("/console/compliance", "/console/compliance", None, signed_in=True),
        Pair("/dashboard", "/dashboard", None, signed_in=True),
    ]


@dataclass(frozen=True)
class Pair:
    label: str
    page: str
    api: str | None
    signed_in: bool


def one_run(
    settings: Settings, workdir: Path, pairs: list[Pair], requests: int, tag: str
) -> dict[str, dict[str, float]]:
    """A fresh server; each route's server p50 and p95 (ms) in this run."""
    keys = Keys(SECRET, SECRET, ("HS256",))
    token = issue_token(settings, keys, role=Role.SUPERVISOR, org="11500106MB0000000X", sub="b")
    cookie = URLSafeTimedSerializer(SESSION_SECRET, salt="session").dumps(token)
    page_headers = {"Cookie": f"jiebang_session={cookie}"}
    api_headers = {"Authorization": f"Bearer {token}"}
    process, port, log = start(settings, workdir)
    measured: list[tuple[Pair, Measured, Measured | None]] = []
    try:
        for index, pair in enumerate(pairs):
            ph = page_headers if pair.signed_in else {}
            ah = api_headers if pair.signed_in else {}
            page = measure(port, pair.page, ph, requests, f"{tag}-page{index}")
            api = measure(port, pair.api, ah, requests, f"{tag}-api{index}") if pair.api else None
            measured.append((pair, page, api))
        time.sleep(0.5)
        seen = server_times(log)
    finally:
        process.terminate()
        process.wait(timeout=10)
    result: dict[str, dict[str, float]] = {}
    for pair, page, api in measured:
        figures = {"page p50": _server(page, seen, 50), "page p95": _server(page, seen, 95)}
        figures["page client p95"] = p(page[0], 95)
        if api is not None:
            figures |= {"api p50": _server(api, seen, 50), "api p95": _server(api, seen, 95)}
        result[pair.label] = figures
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs: list[dict[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings, challenge_id, project_id, draw_id = prepare(workdir)
        pairs = routes(challenge_id, project_id, draw_id)
        for run_number in range(args.runs):
            runs.append(one_run(settings, workdir, pairs, args.requests, f"run{run_number}"))
            print(f"run {run_number + 1}: server p50 / p95 ms (page | JSON route)")
            for pair in pairs:
                f = runs[-1][pair.label]
                line = f"  {pair.label:40} {f['page p50']:6.1f} / {f['page p95']:6.1f}"
                if pair.api:
                    api = UUID_RE.sub("{id}", pair.api)
                    line += f"   | {api:40} {f['api p50']:6.1f} / {f['api p95']:6.1f}"
                print(line)
    summary = []
    print(f"\n{args.runs} runs of {args.requests} requests per route, 1 client, keep-alive")
    print("server p95 ms, min / median / max of the runs (page | JSON route)")
    for pair in pairs:
        api_label = None if pair.api is None else UUID_RE.sub("{id}", pair.api)
        entry: dict[str, object] = {"page": pair.label, "json_route": api_label}
        for side in ("page p50", "page p95", "api p50", "api p95"):
            values = [r[pair.label][side] for r in runs if side in r[pair.label]]
            if values:
                entry[side.replace(" ", "_") + "_ms"] = spread(values)
        summary.append(entry)
        line = f"  {pair.label:40} {_spread_text(entry.get('page_p95_ms'))}"
        if pair.api:
            line += f"   | {_spread_text(entry.get('api_p95_ms'))}"
        print(line)
    worst = max(max(r[pair.label]["page p95"] for r in runs) for pair in pairs)
    print(
        json.dumps(
            {
                "bench": "pages",
                "machine": machine(),
                "requests": args.requests,
                "runs": args.runs,
                "target_page_p95_ms": TARGET_MS,
                "worst_page_p95_ms": round(worst, 1),
                "met": worst <= TARGET_MS,
                "routes": summary,
            },
            ensure_ascii=False,
        )
    )


TARGET_MS = 50.0
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
Measured = tuple[list[float], list[str]]


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 1),
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
    }


def _spread_text(found: object) -> str:
    if not isinstance(found, dict):
        return "—"
    return f"{found['min']:6.1f} / {found['median']:6.1f} / {found['max']:6.1f}"


def machine() -> str:
    """CPU model, cores and load average: what the figures were measured on."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cores, load average {load}, Python {platform.python_version()}"
    )


def _server(measured: Measured, seen: dict[str, float], q: float) -> float:
    _, ids = measured
    server = [seen[i] for i in ids if i in seen]
    if not server:
        raise SystemExit("the server's access log has no duration for these requests")
    return p(server, q)


if __name__ == "__main__":
    main()
