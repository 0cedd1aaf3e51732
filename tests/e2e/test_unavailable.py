"""503s over HTTP: a read that cannot catch up, and a database that cannot be reached — with
Retry-After, and nothing half-written. Each test runs its own server on its own database."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU
from tests.conftest import new_postgres_schema
from tests.e2e.conftest import start_server, stop_server
from tests.e2e.journey import DEMAND, ok

pytestmark = pytest.mark.postgres


def test_read_models_not_caught_up_answer_503_with_retry_after(
    postgres_db: str, tmp_path: Path
) -> None:
    # This server runs no projection runner: its read models never reach a new position.
    process, server = start_server(
        new_postgres_schema(postgres_db),
        tmp_path,
        JIEBANG_SERVE_PROJECTIONS="false",
        JIEBANG_READ_WAIT_SECONDS="1",
    )
    try:
        bureau = server.client(Role.BUREAU, BUREAU, "bureau-lag")
        receipt = ok(bureau.post("/v1/demands", json=DEMAND), 201)
        response = bureau.get("/v1/challenges", params={"min_position": receipt["position"]})
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert response.json()["type"] == "/problems/not-caught-up"
        # The log itself has it at once.
        demand = bureau.get(
            f"/v1/demands/{receipt['aggregate_id']}", params={"min_position": receipt["position"]}
        )
        assert demand.status_code == 200
    finally:
        server.close()
        stop_server(process)


def set_reachable(admin_url: str, database_url: str, reachable: bool) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.SQL("true" if reachable else "false")
            )
        )
        if not reachable:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def test_unreachable_database_is_503_with_retry_after_and_nothing_half_written(
    own_database: tuple[str, str], tmp_path: Path
) -> None:
    database_url, admin_url = own_database
    process, server = start_server(
        database_url,
        tmp_path,
        JIEBANG_SERVE_PROJECTIONS="false",
        JIEBANG_CONNECT_TIMEOUT="2",
    )
    try:
        bureau = server.client(Role.BUREAU, BUREAU, "bureau-outage")
        before = ok(bureau.get("/v1/health"))["position"]
        set_reachable(admin_url, database_url, reachable=False)
        try:
            response = bureau.post(
                "/v1/demands", json=DEMAND, headers={"Idempotency-Key": "outage-1"}
            )
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"].isdigit()
            assert response.headers["Content-Type"] == "application/problem+json"
            # The answer cannot know whether a COMMIT sent before the break was recorded.
            detail = response.json()["detail"]
            assert "may or may not have been recorded" in detail
            assert "Idempotency-Key" in detail
        finally:
            set_reachable(admin_url, database_url, reachable=True)
        assert ok(bureau.get("/v1/health"))["position"] == before
        # A client retries after Retry-After; the pool replaces its dropped connections.
        for _ in range(10):
            retried = bureau.post(
                "/v1/demands", json=DEMAND, headers={"Idempotency-Key": "outage-1"}
            )
            if retried.status_code != 503:
                break
            time.sleep(0.5)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
        assert ok(bureau.get("/v1/health"))["position"] == retried.json()["position"]
    finally:
        server.close()
        stop_server(process)


def test_probes_answer_an_outage_within_one_connect_timeout(
    own_database: tuple[str, str], tmp_path: Path
) -> None:
    """Health, readiness and metrics say the store is down at once (one bounded attempt), not
    after the library's ten retries (about 50 s by default, longer than a monitor waits)."""
    database_url, admin_url = own_database
    process, server = start_server(
        database_url, tmp_path, JIEBANG_SERVE_PROJECTIONS="false", JIEBANG_CONNECT_TIMEOUT="2"
    )
    try:
        bureau = server.client(Role.BUREAU, BUREAU, "bureau-probe")
        assert ok(bureau.get("/v1/health/ready"))["store"] == "writable"
        set_reachable(admin_url, database_url, reachable=False)
        try:
            started = time.monotonic()
            ready = bureau.get("/v1/health/ready")
            assert time.monotonic() - started < 5
            assert ready.status_code == 503, ready.text
            assert ready.json()["store"] == "unreachable"
            started = time.monotonic()
            health = bureau.get("/v1/health")
            assert time.monotonic() - started < 5
            assert health.status_code == 503, health.text
            assert health.json()["type"] == "/problems/store-unavailable"
            assert health.headers["Retry-After"].isdigit()
            assert "Idempotency-Key" not in health.json()["detail"]  # no command was sent
            started = time.monotonic()
            metrics = bureau.get("/metrics")
            assert time.monotonic() - started < 5
            assert "jiebang_store_up 0.0" in metrics.text
        finally:
            set_reachable(admin_url, database_url, reachable=True)
        assert ok(bureau.get("/v1/health/ready"))["store"] == "writable"
    finally:
        server.close()
        stop_server(process)
