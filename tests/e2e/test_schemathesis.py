"""schemathesis against the served OpenAPI document, bounded: no 5xx, every answer as documented.

It runs the schemathesis CLI on the live server with a bureau token (so the authenticated
routes are exercised past authentication), a fixed seed and a time budget.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU
from tests.conftest import DEEP
from tests.e2e.conftest import Server

pytestmark = pytest.mark.postgres
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)


def max_time(seconds: int) -> str:
    """A run's time budget: fuzzing and stateful testing repeat until it is spent, so it bounds
    how long the run explores; JIEBANG_TEST_PROFILE=deep gives each run four times as long."""
    return str(seconds * 4 if DEEP else seconds)


def run_schemathesis(
    server: Server, token: str, cwd: Path, *options: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The schemathesis CLI on the served OpenAPI document, as ``token``'s holder, with
    ``options`` (checks, phases, budgets, seed)."""
    config_options = [] if config is None else ["--config-file", str(config)]
    return subprocess.run(  # noqa: S603 - the installed schemathesis CLI
        [
            str(SCHEMATHESIS),
            *config_options,
            "run",
            f"{server.base_url}/openapi.json",
            *options,
            # One worker: schemathesis' generator was seen to crash in CPython's AST module
            # under two threads (a tool error, not an answer of the API).
            "--workers",
            "1",
            "--header",
            f"Authorization: Bearer {token}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,  # above the deep profile's budgets
        cwd=cwd,
        check=False,
    )


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    server: Server, tmp_path: Path
) -> None:
    token = server.token(Role.BUREAU, BUREAU.credit_code, "bureau-fuzz", ttl=3600)
    result = run_schemathesis(
        server,
        token,
        tmp_path,
        *("--checks", CHECKS, "--max-examples", "8", "--seed", "20261126"),
        *("--max-time", max_time(30)),
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
