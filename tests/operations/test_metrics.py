"""/metrics after the procedure over HTTP: command counts by outcome and rule id, requests by
route template, the read models' lag, the last checkpoint and the last verification."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import new_postgres_schema
from tests.e2e.conftest import JIEBANG, Server, start_server, stop_server
from tests.e2e.journey import DEMAND, HttpJourney, content_json, ok

pytestmark = pytest.mark.postgres


def scrape(server: Server, **headers: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = server.client().get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def total(samples: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def jiebang(workdir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own CLI
        [str(JIEBANG), *args],
        env={**os.environ, **env},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_metrics_after_the_journey_count_commands_by_outcome_and_rule_and_show_the_lag(
    postgres_db: str, tmp_path: Path
) -> None:
    database_url = new_postgres_schema(postgres_db)
    env = {"JIEBANG_DATABASE_URL": database_url}
    jiebang(tmp_path, env, "audit", "keygen")
    process, server = start_server(database_url, tmp_path, JIEBANG_CHECKPOINT_EVERY_SECONDS="0.5")
    try:
        journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
        over_cap = content_json(replace(journey.content, funding=Decimal("150000.00")))
        refused = journey.eu.post(
            f"/v1/challenges/{journey.challenge_id}/revise", json={"content": over_cap}
        )
        assert refused.status_code == 422
        jiebang(tmp_path, env, "audit", "verify")
        deadline = time.monotonic() + 10
        samples = scrape(server)
        while (
            total(samples, "jiebang_audit_checkpoint_position") < journey.last_position
            and time.monotonic() < deadline
        ):
            time.sleep(0.5)
            samples = scrape(server)
    finally:
        server.close()
        stop_server(process)

    assert total(samples, "jiebang_commands_total", outcome="recorded") >= 20
    assert total(samples, "jiebang_commands_total", command="publish", outcome="recorded") == 1
    assert total(samples, "jiebang_commands_total", outcome="refused", rule_id="R-FUND-CAP") == 1
    assert (
        total(
            samples,
            "http_requests_total",
            handler="/v1/challenges/{challenge_id}/revise",
            status="422",
        )
        == 1
    )
    assert total(samples, "http_request_duration_seconds_count") > 0
    lags = {dict(ls)["model"] for (n, ls) in samples if n == "jiebang_projection_lag_events"}
    assert {"audit_index", "catalogue", "pipeline"} <= lags
    assert ("jiebang_projection_lag_seconds", frozenset()) in samples
    assert total(samples, "jiebang_log_position") >= journey.last_position
    assert total(samples, "jiebang_audit_checkpoint_position") >= journey.last_position
    assert 0 <= total(samples, "jiebang_audit_checkpoint_age_seconds") < 60
    assert total(samples, "jiebang_audit_verification_intact") == 1


def test_lag_without_a_runner_shows_in_metrics_and_readiness_and_a_token_guards_metrics(
    postgres_db: str, tmp_path: Path
) -> None:
    token = "metrics-" + "t" * 40
    process, server = start_server(
        new_postgres_schema(postgres_db),
        tmp_path,
        JIEBANG_SERVE_PROJECTIONS="false",
        JIEBANG_READY_MAX_LAG_EVENTS="0",
        JIEBANG_METRICS_TOKEN=token,
    )
    try:
        assert server.client().get("/metrics").status_code == 401
        wrong = server.client().get("/metrics", headers={"Authorization": f"Bearer {token}x"})
        assert wrong.status_code == 401
        # the scheme in any case, as HTTP has it
        lower = server.client().get("/metrics", headers={"Authorization": f"bearer {token}"})
        assert lower.status_code == 200
        bureau = HttpJourney(server, "lag").bureau
        receipt = ok(bureau.post("/v1/demands", json=DEMAND), 201)
        time.sleep(0.2)
        samples = scrape(server, Authorization=f"Bearer {token}")
        ready = server.client().get("/v1/health/ready")
    finally:
        server.close()
        stop_server(process)
    assert total(samples, "jiebang_projection_lag_events", model="catalogue") == receipt["position"]
    assert total(samples, "jiebang_projection_lag_seconds") > 0
    assert ready.status_code == 503
    assert ready.json()["read_models"] == "behind"


def test_a_race_and_a_duplicate_are_counted_apart() -> None:
    """A race is worth a retry (``conflict``); creating what exists is not."""
    from api.metrics import outcome_of
    from jiebang_es.errors import ConcurrentWriteError, ConflictError

    assert outcome_of(ConcurrentWriteError("budget-2027")) == ("conflict", "")
    assert outcome_of(ConflictError("budget-2027", "the budget of 2027 is recorded")) == (
        "already_recorded",
        "",
    )
