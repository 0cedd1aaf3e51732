"""schemathesis with every check and all four phases, the stateful one included: no 5xx, no
answer outside the contract, bounded in time.

The stateful phase chains operations with links schemathesis infers from the schema and from
the ``Location`` headers of earlier phases (a demand created, then read by its id, …). The
configuration beside this file says which answers to valid data are acceptable: a schema-valid
command may still be refused by a business rule (422 naming the rule) or by a stale
``If-Match`` (412); that is an answer, not a defect.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU
from tests.e2e.conftest import Server
from tests.e2e.test_schemathesis import max_time, run_schemathesis

pytestmark = pytest.mark.postgres
CONFIG = Path(__file__).with_name("schemathesis.toml")
FAILURE = re.compile(r"^\s*❌ (ST\d+) (.+): (\d+)$", re.MULTILINE)


def test_schemathesis_all_checks_and_the_stateful_phase_find_no_defect(
    server: Server, tmp_path: Path
) -> None:
    token = server.token(Role.BUREAU, BUREAU.credit_code, "bureau-stateful", ttl=3600)
    result = run_schemathesis(
        server,
        token,
        tmp_path,
        *("--checks", "all", "--phases", "examples,coverage,fuzzing,stateful"),
        *("--max-examples", "5", "--max-time", max_time(60), "--seed", "20261202"),
        config=CONFIG,
    )
    report = result.stdout[-20000:] + result.stderr[-5000:]
    # The stateful phase ran (a phase with nothing to chain is reported as skipped).
    assert re.search(r"^\s*(✅|❌) Stateful", result.stdout, re.MULTILINE), report
    assert result.returncode == 0, report
