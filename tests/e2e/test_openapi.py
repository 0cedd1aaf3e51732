"""The served OpenAPI document is the committed contract (`jiebang openapi > api/openapi.json`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Server
from tests.e2e.journey import ok

pytestmark = pytest.mark.postgres
COMMITTED = Path(__file__).parents[2] / "api" / "openapi.json"


def test_served_openapi_equals_the_committed_contract(server: Server) -> None:
    served = ok(server.client().get("/openapi.json"))
    committed = json.loads(COMMITTED.read_text())
    assert served == committed, (
        "the API changed: regenerate with `jiebang openapi > api/openapi.json`"
    )


PROBES = {"/v1/health/live", "/v1/health/ready"}


def test_every_operation_documents_its_problems_and_a_summary(server: Server) -> None:
    document = ok(server.client().get("/openapi.json"))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary"), (method, path)
            problems = [
                status
                for status, response in operation["responses"].items()
                if "application/problem+json" in response.get("content", {})
            ]
            if path in PROBES:
                continue  # a probe's answer is its own report, 200 or 503, never a problem
            assert "422" in problems or "503" in problems, (method, path)
            if method == "post":
                assert {"401", "403", "404", "409", "412", "413", "422", "503"} <= set(problems)
