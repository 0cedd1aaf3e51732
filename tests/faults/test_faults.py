"""Faults rehearsed under load: PostgreSQL stopped at once and started again, the API killed
with SIGKILL and started again. Clients with and without Idempotency-Keys retry what failed.

R-AUDIT-IMMUTABLE through both: nothing acknowledged is lost, nothing is recorded twice, the
seal chain stays intact, and the read models rebuilt from the log equal the live ones.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from jiebang_es.domain.values import Role
from tests.faults.conftest import SUMMARIES
from tests.faults.harness import SUPERVISOR_ORG, Api, PrivateCluster, Reckoning, rehearse

pytestmark = pytest.mark.postgres


def assert_sound(fault: str, result: Reckoning) -> None:
    SUMMARIES.append(f"{fault}: {result.line()}")
    SUMMARIES.extend(f"  failed: {f}" for f in result.failed_answers)
    SUMMARIES.extend(f"  recorded twice: {d}" for d in result.duplicate_answers)
    assert result.client_errors == []
    assert result.acknowledged > 0
    assert result.missing == 0, result.as_json()
    assert result.duplicates_keyed == 0, result.as_json()
    assert result.failed_but_recorded <= result.failed
    assert result.server_errors == 0, result.answers
    assert result.chain_intact, result.chain_finding
    assert result.digests_equal
    assert result.duplicates_unkeyed == 0, result.as_json()


@pytest.mark.parametrize("fault", ["pg-stop", "api-kill"])
def test_r_audit_immutable_nothing_acknowledged_lost_or_doubled_through_fault(
    fault: str, cluster: PrivateCluster, tmp_path: Path
) -> None:
    assert_sound(fault, rehearse(cluster, tmp_path, [fault], clients=6, per_client=300))


def test_reads_while_the_database_is_down_are_503_and_recover_after_its_restart(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    api = Api(cluster.create_database(), tmp_path)
    auditor = {"Authorization": f"Bearer {api.token('a', Role.SUPERVISOR, SUPERVISOR_ORG)}"}
    reads = [("/v1/public/challenges", {}), ("/v1/audit/events", auditor)]
    try:
        with httpx.Client(base_url=api.base_url, timeout=30) as http:
            for path, headers in reads:
                assert http.get(path, headers=headers).status_code == 200
            cluster.stop_immediately()
            try:
                for path, headers in reads:
                    down = http.get(path, headers=headers)
                    assert down.status_code == 503, down.text
                    assert down.headers["Retry-After"].isdigit()
            finally:
                cluster.start()
            # The pool's connections died with the server: new ones serve the reads again, once
            # the pool has reconnected (503 with Retry-After until then, never a 500).
            for path, headers in reads:
                deadline = time.monotonic() + 20
                while (up := http.get(path, headers=headers)).status_code == 503:
                    assert time.monotonic() < deadline, up.text
                    time.sleep(0.5)
                assert up.status_code == 200, up.text
    finally:
        api.stop()
