"""schemathesis on the audit routes with a supervisor's token (the bureau's run sees them 403)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiebang_es.domain.values import Role
from tests.e2e.conftest import Server
from tests.e2e.test_schemathesis import CHECKS, max_time, run_schemathesis

pytestmark = pytest.mark.postgres


def test_schemathesis_on_the_audit_routes_as_a_supervisor(server: Server, tmp_path: Path) -> None:
    token = server.token(Role.SUPERVISOR, "11500106MB1234567X", "auditor-fuzz", ttl=3600)
    result = run_schemathesis(
        server,
        token,
        tmp_path,
        *("--include-tag", "audit", "--checks", CHECKS, "--max-examples", "15"),
        *("--max-time", max_time(15), "--seed", "20261126"),
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert "3 " in result.stdout  # the three audit operations were exercised
