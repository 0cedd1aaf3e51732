"""Where one command's time goes, layer by layer (a benchmark, not a timed test).

On a scratch PostgreSQL database (dropped at the end), the same command, ``collect_demand``:

* ``write side``: called on the application in-process, 1 thread (ms per command) and 32
  threads (commands/s), with group commit on and off;
* ``ASGI``: ``POST /v1/demands`` through the whole app in-process (``TestClient``: routing,
  dependencies, token, validation, middleware, the command), 1 thread, no runner;
* a CPU profile (yappi, every thread; install it in the venv to get it) of the ASGI loop: the
  share of own CPU time per layer (the client's own work, httpx and the test transport, is
  counted apart).

    .venv/bin/python ops/bench/api_layers.py [--commands 400]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import threading
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from pydantic import SecretStr

# The HTTP benchmark's request body and helpers (its file is named like the API's package).
_spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
if _spec is None or _spec.loader is None:
    raise SystemExit("ops/bench/api.py is missing")
bench_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_api)

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.auth import Keys, issue_token  # noqa: E402
from jiebang_es.config import Settings  # noqa: E402
from jiebang_es.domain.values import Actor, DemandSource, Role  # noqa: E402
from jiebang_es.logging_setup import configure_logging  # noqa: E402
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT  # noqa: E402
from jiebang_es.service import JiebangApp  # noqa: E402

BODY = bench_api.BODY

SECRET = "layers-" + "l" * 40
STAFF = Actor(id="bench", role=Role.BUREAU, org_code=BUREAU.credit_code, name="")


def collect(app: JiebangApp) -> None:
    app.collect_demand(
        STAFF,
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="伺服编码器依赖进口",
        description="调研走访记录",
    )


def write_side(url: str, commands: int, group: int) -> dict[str, float]:
    app = JiebangApp(
        Settings(database_url=url, pool_size=4, pool_max_overflow=4, group_commit_max=group)
    )
    try:
        times = []
        for _ in range(commands):
            began = time.perf_counter()
            collect(app)
            times.append(time.perf_counter() - began)
        per_thread = max(1, commands // 32)
        threads = [
            threading.Thread(target=lambda: [collect(app) for _ in range(per_thread)])
            for _ in range(32)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        elapsed = time.perf_counter() - began
    finally:
        app.close()
    ordered = sorted(times)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
        "rate_32": per_thread * 32 / elapsed,
    }


def asgi(url: str, commands: int) -> tuple[dict[str, float], str]:
    configure_logging("info")  # as `jiebang serve` does: the access log is written
    settings = Settings(
        database_url=url, jwt_secret=SecretStr(SECRET), pool_size=2, pool_max_overflow=2
    )
    token = issue_token(
        settings, Keys(SECRET, SECRET, ("HS256",)), role=Role.BUREAU, org=BUREAU.credit_code,
        sub="bench",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with TestClient(create_app(settings)) as client:
        for _ in range(20):
            client.post("/v1/demands", content=BODY, headers=headers)
        times = []
        for _ in range(commands):
            began = time.perf_counter()
            if client.post("/v1/demands", content=BODY, headers=headers).status_code != 201:
                raise SystemExit("the API refused the command")
            times.append(time.perf_counter() - began)
        profile = layers_profile(
            lambda: client.post("/v1/demands", content=BODY, headers=headers), commands
        )
    ordered = sorted(times)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
    }, profile


LAYERS = (
    (
        "client (httpx, test transport)",
        ("/httpx/", "/starlette/testclient", "/h11/", "/anyio/from_thread"),
    ),
    (
        "asyncio, anyio thread hand-off",
        ("/asyncio/", "/anyio/", "/concurrent/", "threading.py", "selectors.py"),
    ),
    ("FastAPI, Starlette routing and dependencies", ("/fastapi/", "/starlette/")),
    ("pydantic", ("/pydantic",)),
    ("JWT (pyjwt, cryptography)", ("/jwt/", "/cryptography/", "/api/auth.py")),
    ("logging (structlog)", ("/structlog/", "logging_setup.py")),
    ("psycopg and its pool", ("/psycopg", "socket")),
    ("eventsourcing (mapper, recorder, repository)", ("/eventsourcing/",)),
    ("json", ("/json/",)),
    ("the project's API layer", ("/api/",)),
    ("the project's domain and service", ("/jiebang_es/",)),
)


def layers_profile(call: object, commands: int) -> str:
    """Own CPU time per layer over ``commands`` calls, every thread (yappi); '' without it."""
    try:
        import yappi  # a profiler, optional
    except ImportError:
        return "(yappi is not installed: no profile)"
    yappi.set_clock_type("cpu")
    yappi.start(builtins=True)
    for _ in range(commands):
        call()  # type: ignore[operator]
    yappi.stop()
    totals: dict[str, float] = {}
    others: list[tuple[float, str]] = []
    for stat in yappi.get_func_stats():
        where = f"{stat.module} {stat.name}"
        layer = next((n for n, keys in LAYERS if any(k in where for k in keys)), "other")
        totals[layer] = totals.get(layer, 0.0) + stat.tsub
        if layer == "other":
            others.append((stat.tsub, where))
    yappi.clear_stats()
    whole = sum(totals.values()) or 1.0
    lines = [f"CPU per command, all threads: {whole / commands * 1000:.2f} ms"]
    for layer, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {layer:<48} {seconds / commands * 1000:6.3f} ms  {seconds / whole:6.1%}")
    lines.append("  the largest of 'other':")
    for seconds, where in sorted(others, reverse=True)[:8]:
        lines.append(f"    {seconds / commands * 1000:6.3f} ms  {where[-90:]}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=400)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    name = f"jiebang_layers_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(args.server, autocommit=True, connect_timeout=10)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = bench_api.with_db(args.server, name)
    try:
        grouped = write_side(url, args.commands, 32)
        alone = write_side(url, args.commands, 1)
        through_asgi, profile = asgi(url, args.commands)
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()
    print(profile)
    print(f"write side, group commit on : {grouped}")
    print(f"write side, group commit off: {alone}")
    print(f"ASGI in-process, 1 client   : {through_asgi}")
    print(
        json.dumps(
            {
                "write_p50_ms": round(grouped["p50_ms"], 3),
                "write_rate_32_grouped": round(grouped["rate_32"], 1),
                "write_rate_32_alone": round(alone["rate_32"], 1),
                "asgi_p50_ms": round(through_asgi["p50_ms"], 3),
                "asgi_p99_ms": round(through_asgi["p99_ms"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
